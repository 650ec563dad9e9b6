// DistributedSampler against torch.utils.data.distributed.DistributedSampler on the same settings.
import { describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { hasPythonTorch, runPython } from '../helpers/python';

const { DistributedSampler, DataLoader, TensorDataset } = torch.data;

const cases: { n: number; replicas: number; shuffle: boolean; dropLast: boolean; seed: number; epoch: number }[] = [];
for (const n of [10, 11, 2]) {
  for (const shuffle of [true, false]) {
    for (const dropLast of [false, true]) cases.push({ n, replicas: 3, shuffle, dropLast, seed: 5, epoch: n === 10 ? 1 : 0 });
  }
}

describe('DistributedSampler', () => {
  it.skipIf(!hasPythonTorch())("gives each rank PyTorch's indices (shuffle with seed + epoch, padding, dropLast)", () => {
    const expected: number[][][] = runPython(
      `
from torch.utils.data.distributed import DistributedSampler
out = []
for c in inp:
    ranks = []
    for r in range(c['replicas']):
        s = DistributedSampler(range(c['n']), num_replicas=c['replicas'], rank=r, shuffle=c['shuffle'], seed=c['seed'], drop_last=c['dropLast'])
        s.set_epoch(c['epoch'])
        ranks.append(list(s))
    out.append(ranks)
print(json.dumps(out))
`,
      cases,
    );
    cases.forEach((c, i) => {
      for (let r = 0; r < c.replicas; r++) {
        const s = new DistributedSampler(c.n, { numReplicas: c.replicas, rank: r, shuffle: c.shuffle, seed: c.seed, dropLast: c.dropLast });
        s.setEpoch(c.epoch);
        expect(s.indices(), JSON.stringify({ ...c, r })).toEqual(expected[i][r]);
        expect(s.length).toBe(expected[i][r].length);
      }
    });
  });

  it('changes the order with the epoch and keeps the shards disjoint', () => {
    const shards = [0, 1].map((rank) => new DistributedSampler(8, { numReplicas: 2, rank, seed: 1 }));
    const e0 = shards.map((s) => s.indices());
    expect([...e0[0], ...e0[1]].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    shards.forEach((s) => s.setEpoch(1));
    expect(shards[0].indices()).not.toEqual(e0[0]);
  });

  it('drives a DataLoader: each rank iterates its shard only', async () => {
    const ds = new TensorDataset(torch.arange(0, 10, 1).view(10, 1), torch.arange(0, 10, 1, { dtype: 'int64' }));
    const sampler = new DistributedSampler(ds, { numReplicas: 2, rank: 1, shuffle: false });
    const loader = new DataLoader(ds, { batchSize: 2, sampler, transform: (x) => x });
    expect(loader.length).toBe(3);
    const seen: number[] = [];
    for await (const { y } of loader) seen.push(...(y.toArray() as number[]));
    expect(seen).toEqual([1, 3, 5, 7, 9]);
  });

  it('refuses a rank outside the group and a sampler with shuffle', () => {
    expect(() => new DistributedSampler(10, { numReplicas: 2, rank: 2 })).toThrow('Invalid rank 2, rank should be in the interval [0, 1]');
    const ds = new TensorDataset(torch.zeros([4, 1]), torch.zeros([4], { dtype: 'int64' }));
    expect(() => new DataLoader(ds, { sampler: new DistributedSampler(ds, { numReplicas: 1, rank: 0 }), shuffle: true })).toThrow(/mutually exclusive/);
  });
});
