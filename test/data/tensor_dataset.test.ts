// TensorDataset(*tensors) and the DataLoader's batches as PyTorch gives them: one tensor per data set tensor,
// destructured as arrays (`[xb, yb]`) or by the x/y names the training loops read; PyTorch's worker options
// are recognised and refused with what this loader does instead.
import { describe, expect, it } from 'vitest';
import { Tensor, TorchError, data, dispose, memory, tensor } from '../../lib';
import { hasPythonTorch, runPython } from '../helpers/python';

const python = hasPythonTorch();

// Three tensors with distinct values: a (5, 2) float, b (5,) int64, c (5, 1, 3) float.
const A = [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]];
const B = [10, 11, 12, 13, 14];
const C = A.map((r, i) => [[r[0] * 0.5, r[1] * 0.25, i]]);

const PY_BATCHES = `
import torch
from torch.utils.data import TensorDataset, DataLoader
a = torch.tensor(inp['a'], dtype=torch.float32); b = torch.tensor(inp['b']); c = torch.tensor(inp['c'], dtype=torch.float32)
sets = {'three': TensorDataset(a, b, c), 'one': TensorDataset(a)}
out = {k: [[t.tolist() for t in batch] for batch in DataLoader(ds, batch_size=2)] for k, ds in sets.items()}
print(json.dumps(out))
`;

async function batchesOf(ds: data.TensorDataset): Promise<unknown[][]> {
  const out: unknown[][] = [];
  for await (const batch of new data.DataLoader(ds, { batchSize: 2 })) {
    out.push(batch.map((t) => t.toArray()));
    dispose(batch);
  }
  return out;
}

describe('TensorDataset and DataLoader batches', () => {
  it.skipIf(!python)('any number of tensors: batches hold one tensor each, as Python torch (skipped without python torch)', async () => {
    const want = runPython<{ three: unknown[][]; one: unknown[][] }>(PY_BATCHES, { a: A, b: B, c: C });
    const a = tensor(A);
    const b = tensor(B, { dtype: 'int64' });
    const c = tensor(C);
    const three = new data.TensorDataset(a, b, c);
    expect(three.tensors).toEqual([a, b, c]);
    expect(three.length).toBe(5);
    const got = await batchesOf(three);
    expect(got.map((batch) => batch.map((t) => JSON.stringify(t)))).toEqual(want.three.map((batch) => batch.map((t) => JSON.stringify(t))));
    expect(await batchesOf(new data.TensorDataset(a))).toEqual(want.one);
  });

  it('a batch destructures as an array and by x/y, both naming the same tensors', async () => {
    const ds = new data.TensorDataset(tensor(A), tensor(B, { dtype: 'int64' }));
    const loader = new data.DataLoader(ds, { batchSize: 4 });
    const sizes: number[] = [];
    for await (const batch of loader) {
      const [xb, yb] = batch;
      const { x, y } = batch;
      expect(x).toBe(xb);
      expect(y).toBe(yb);
      expect(batch.length).toBe(2);
      expect(xb.shape[1]).toBe(2);
      sizes.push(yb.shape[0]);
      dispose(batch);
    }
    expect(sizes).toEqual([4, 1]);
  });

  it('the transform applies to the first tensor only; the batch owns its tensors (dispose frees them all)', async () => {
    const ds = new data.TensorDataset(tensor(A), tensor(B, { dtype: 'int64' }), tensor(C));
    const loader = new data.DataLoader(ds, { batchSize: 5, transform: (x: Tensor) => x.mul(10) });
    const before = memory().liveTensors;
    for await (const [x, y, c] of loader) {
      expect(x.toArray()).toEqual(A.map((r) => r.map((v) => v * 10)));
      expect((y.toArray() as number[]).map(Number)).toEqual(B);
      expect(c.shape).toEqual([5, 1, 3]);
      dispose([x, y, c]);
    }
    expect(memory().liveTensors).toBe(before);
  });

  it('a one-tensor data set: 1-element batches; its targets and a batch.y say there are none', () => {
    const ds = new data.TensorDataset(tensor(A));
    expect(() => ds.targets).toThrow(/holds one tensor, so it has no targets/);
    const [batch] = [...new data.DataLoader(ds, { batchSize: 5 }).batches()];
    expect(batch.length).toBe(1);
    expect(batch.x.shape).toEqual([5, 2]);
    expect(() => batch.y).toThrow(/holds 1 tensor, so it has no y/);
    dispose(batch);
  });

  it("refuses no tensors, a 0-d tensor and first dimensions that differ (PyTorch's 'Size mismatch between tensors')", () => {
    expect(() => new data.TensorDataset()).toThrow(/needs at least one tensor/);
    expect(() => new data.TensorDataset(tensor(1))).toThrow(/tensors\[0\] is 0-dimensional/);
    expect(() => new data.TensorDataset(tensor(A), tensor(B), tensor([1, 2]))).toThrow(/^Size mismatch between tensors: tensors\[0\] has 5 samples but tensors\[2\] has 2$/);
    expect(() => new data.TensorDataset(tensor(A), 3 as unknown as Tensor)).toThrow(TorchError);
  });

  it('generator: a data.Generator gives the same shuffle as the same seed', () => {
    const ds = new data.TensorDataset(tensor(B, { dtype: 'int64' }));
    const order = (o: data.DataLoaderOptions) => [...new data.DataLoader(ds, { batchSize: 5, shuffle: true, ...o }).batches()][0].x.toArray();
    expect(order({ generator: new data.Generator(7) })).toEqual(order({ seed: 7 }));
    expect(() => new data.DataLoader(ds, { generator: new data.Generator(7), seed: 7 })).toThrow("DataLoader: give 'generator' or 'seed', not both");
  });
});

describe("DataLoader's worker options", () => {
  const ds = () => new data.TensorDataset(tensor(B));
  it('numWorkers 0 (num_workers=0), persistentWorkers false and timeout 0 are what this loader does', () => {
    expect(new data.DataLoader(ds(), { numWorkers: 0, persistentWorkers: false, timeout: 0 }).length).toBe(5);
    expect(new data.DataLoader(ds(), { num_workers: 0 } as data.DataLoaderOptions).length).toBe(5);
  });

  it('numWorkers > 0 says the loader runs in the main thread and what to do instead', () => {
    for (const o of [{ numWorkers: 2 }, { num_workers: 2 }]) {
      expect(() => new data.DataLoader(ds(), o as data.DataLoaderOptions)).toThrow(
        "DataLoader: numWorkers=2 is not supported: this DataLoader loads in the main thread (numWorkers 0), gathering each batch from the tensors with index_select, which needs no worker processes; leave numWorkers at 0 (for speed, put the data set on the GPU or pass device: 'cuda')",
      );
    }
  });

  it('the other worker and collate options are refused by name with what happens instead', () => {
    const cases: [object, RegExp][] = [
      [{ persistent_workers: true }, /^DataLoader: option 'persistentWorkers' is not supported: there are no workers to keep: this DataLoader loads in the main thread/],
      [{ prefetchFactor: 2 }, /^DataLoader: option 'prefetchFactor' is not supported: there are no workers to prefetch/],
      [{ worker_init_fn: () => 0 }, /^DataLoader: option 'workerInitFn' is not supported: there are no worker processes to initialise/],
      [{ collate_fn: () => 0 }, /^DataLoader: option 'collateFn' is not supported: batches are stacked by index_select, not collated per sample; use 'transform'/],
      [{ batchSampler: [] }, /^DataLoader: option 'batchSampler' is not supported: use 'sampler'/],
      [{ timeout: 5 }, /^DataLoader: timeout=5 is not supported: it waits on workers/],
    ];
    for (const [o, message] of cases) expect(() => new data.DataLoader(ds(), o as data.DataLoaderOptions)).toThrow(message);
  });
});
