// Collectives and DistributedDataParallel over tensors that are not contiguous (channels_last parameters,
// CUDA's default layout in trainResNet20; transposed views) on a gloo group of 2 ranks, and over CUDA tensors
// on gloo where a GPU is present (PyTorch's gloo takes CUDA tensors for these collectives). Expected values
// worked out by hand from each rank's r = rank + 1.
import { afterAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { fixture, glooMissing, killAll, spawnRanks } from './helpers';

afterAll(killAll);

const arange = (scale: number) => [[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]], [[12, 13, 14, 15], [16, 17, 18, 19], [20, 21, 22, 23]]].map((c) => c.map((row) => row.map((v) => v * scale)));

function expectLayouts(results: { code: number | null; out: string; json: any }[], device: (rank: number) => string) {
  for (const r of results) expect(r.code, r.out).toBe(0);
  const [a, b] = results.map((r) => r.json);
  for (const o of [a, b]) {
    const c = o.collectives;
    expect(c.summed).toEqual({ values: [arange(3)], channelsLast: true, device: device(o.rank) }); // r = 1 and 2
    expect(c.broadcast).toEqual({ values: [arange(2)], channelsLast: true }); // rank 1's
    expect(c.transposed).toEqual({ values: [[1.5, 6], [3, 7.5], [4.5, 9]], contiguous: false });
    expect(c.plain).toEqual([15]);
    expect(c.gathered).toEqual([
      { values: [[[[1, 2]], [[3, 4]]]], channelsLast: true },
      { values: [[[[2, 4]], [[6, 8]]]], channelsLast: true },
    ]);
    expect(c.expanded).toBe('TorchError: allReduce: tensors must not overlap in memory (an expanded view); pass a .clone() (tensor 0)');
    for (const d of [o.ddp, o.ddpView]) {
      expect(d.afterBroadcast.layout).toEqual([true, true]); // conv1.weight, conv2.weight: still channels_last
      expect(d.gradLayout).toEqual([true, true]); // gradients take their parameters' layout
      expect(d.gradDiff).toBe(0); // DDP's gradients are the average of the ranks' own (exact for 2 ranks)
      expect(d.gradDevice).toBe(device(o.rank));
    }
  }
  for (const key of ['ddp', 'ddpView']) {
    expect(b[key].before).not.toEqual(a[key].before); // rank 1 started from other weights...
    expect(b[key].afterBroadcast).toEqual(a[key].afterBroadcast); // ...and has rank 0's after construction
    expect(a[key].afterBroadcast.conv1).toEqual(a[key].before);
  }
}

describe.skipIf(!!glooMissing)('non-contiguous tensors over gloo (2 ranks)', () => {
  it("reduce, broadcast and gather channels_last and transposed tensors in place, and DDP broadcasts rank 0's channels_last weights and averages channels_last gradients", async () => {
    expectLayouts(await spawnRanks(fixture('layouts.ts'), 2), () => 'cpu');
  });
});

const twoGpus = torch.cuda.isAvailable() && torch.cuda.deviceCount() >= 2;
const oneGpu = torch.cuda.isAvailable() && torch.cuda.deviceCount() === 1;

describe.skipIf(!!glooMissing)('CUDA tensors over gloo', () => {
  it.skipIf(!twoGpus)('(needs 2 GPUs) reduce, broadcast and gather CUDA tensors of any layout, and DDP trains a channels_last CUDA model, each rank on cuda:LOCAL_RANK', async () => {
    expectLayouts(await spawnRanks(fixture('layouts.ts'), 2, ['cuda']), (rank) => `cuda:${rank}`);
  });

  it.skipIf(!oneGpu)('(needs 1 GPU) both ranks on cuda:0: reduce, broadcast and gather CUDA tensors, and DDP trains a channels_last CUDA model', async () => {
    expectLayouts(await spawnRanks(fixture('layouts.ts'), 2, ['cuda'], { rankEnv: () => ({ LOCAL_RANK: '0' }) }), () => 'cuda:0');
  });
});
