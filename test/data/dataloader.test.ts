import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it, vi } from 'vitest';
import { Tensor, TorchError, arange, cuda, data, dispose, manualSeed, memory, tensor, tidy } from '../../lib';

const identity: data.Transform = (x) => x;

// Sample i carries its own index in data and targets, so batches say which samples they hold.
function indexDataset(n: number): data.TensorDataset {
  return new data.TensorDataset(arange(0, n, 1, { dtype: 'int64' }).view([n, 1]), arange(0, n, 1, { dtype: 'int64' }));
}

async function epoch(loader: data.DataLoader): Promise<number[][]> {
  const batches: number[][] = [];
  for await (const { x, y } of loader) {
    const ys = (y.toArray() as number[]).map(Number);
    // x and y describe the same samples.
    expect((x.toArray() as number[][]).map((r) => r[0])).toEqual(ys);
    batches.push(ys);
    x.dispose();
    y.dispose();
  }
  return batches;
}

describe('DataLoader', () => {
  it('length and batch sizes, with and without dropLast', async () => {
    const ds = indexDataset(10);
    const keepLast = new data.DataLoader(ds, { batchSize: 3, transform: identity });
    expect(keepLast.length).toBe(4);
    expect((await epoch(keepLast)).map((b) => b.length)).toEqual([3, 3, 3, 1]);
    const drop = new data.DataLoader(ds, { batchSize: 3, dropLast: true, transform: identity });
    expect(drop.length).toBe(3);
    expect((await epoch(drop)).map((b) => b.length)).toEqual([3, 3, 3]);
    const exact = new data.DataLoader(indexDataset(9), { batchSize: 3, dropLast: true, transform: identity });
    expect(exact.length).toBe(3);
  });

  it('without shuffle, visits samples in order', async () => {
    const loader = new data.DataLoader(indexDataset(7), { batchSize: 4, transform: identity });
    expect(await epoch(loader)).toEqual([[0, 1, 2, 3], [4, 5, 6]]);
  });

  it('shuffled: every index exactly once per epoch, a new order each epoch', async () => {
    const n = 1000;
    const loader = new data.DataLoader(indexDataset(n), { batchSize: 128, shuffle: true, transform: identity, seed: 3 });
    const e1 = (await epoch(loader)).flat();
    const e2 = (await epoch(loader)).flat();
    for (const e of [e1, e2]) {
      expect(e.length).toBe(n);
      expect([...e].sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
    }
    expect(e1).not.toEqual([...Array(n).keys()]);
    expect(e1).not.toEqual(e2);
  });

  it('dropLast with shuffle: full batches of distinct samples, a random subset left out', async () => {
    const loader = new data.DataLoader(indexDataset(10), { batchSize: 4, shuffle: true, dropLast: true, transform: identity, seed: 1 });
    const batches = await epoch(loader);
    expect(batches.map((b) => b.length)).toEqual([4, 4]);
    expect(new Set(batches.flat()).size).toBe(8);
  });

  it('the same seed gives the same batches; another seed others; the order is torch.randperm(generator)', async () => {
    const mk = (seed: number) => new data.DataLoader(indexDataset(300), { batchSize: 50, shuffle: true, transform: identity, seed });
    const a = await epoch(mk(42));
    manualSeed(1); // the loader's own generator ignores the global one
    const b = await epoch(mk(42));
    const c = await epoch(mk(43));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const g = new data.Generator(42);
    const perm = g.randperm(300);
    expect(a.flat()).toEqual(perm.toArray());
    perm.dispose();
  });

  it('Generator state round-trips, as torch.Generator.get_state/set_state', () => {
    const g = new data.Generator(11);
    const state = g.getState();
    expect(state.dtype).toBe('uint8');
    const a = g.randperm(50).toArray();
    const b = g.randperm(50).toArray();
    expect(a).not.toEqual(b);
    g.setState(state);
    expect(g.randperm(50).toArray()).toEqual(a);
    expect(new data.Generator(11).randperm(50).toArray()).toEqual(a);
  });

  it('without a seed, manualSeed decides the order', async () => {
    const mk = () => new data.DataLoader(indexDataset(300), { batchSize: 50, shuffle: true, transform: identity });
    manualSeed(5);
    const a = await epoch(mk());
    manualSeed(5);
    const b = await epoch(mk());
    const c = await epoch(mk());
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('without a transform, batches hold the samples as they are, of any shape and dtype (PyTorch transforms nothing)', async () => {
    const features = tensor([[0, 0.5, -1, 2, 3], [4, 5, 6, 7, 8], [-9, 0, 0.25, 1, 1]]);
    const ds = new data.TensorDataset(features, tensor([0, 1, 0], { dtype: 'int64' }));
    const rows: number[][] = [];
    for await (const { x, y } of new data.DataLoader(ds, { batchSize: 2 })) {
      expect(x.dtype).toBe('float32');
      expect(x.shape[1]).toBe(5);
      rows.push(...(x.toArray() as number[][]));
      dispose([x, y]);
    }
    expect(rows).toEqual(features.toArray());
    features.dispose();
  });

  it('cifar10TestTransform gives normalised float32 images of the gathered samples', async () => {
    const n = 6;
    const bytes = new Uint8Array(n * 3 * 4 * 4).map((_, i) => (i * 37) % 256);
    const ds = new data.TensorDataset(tensor(bytes, { shape: [n, 3, 4, 4] }), tensor([0, 1, 2, 3, 4, 5], { dtype: 'int64' }));
    const loader = new data.DataLoader(ds, { batchSize: 4, shuffle: true, seed: 9, transform: data.cifar10TestTransform() });
    const mean = [0.4914, 0.4822, 0.4465];
    const std = [0.2023, 0.1994, 0.201];
    for await (const { x, y } of loader) {
      expect(x.dtype).toBe('float32');
      expect(y.dtype).toBe('int64');
      const xs = x.toTypedArray() as Float32Array;
      (y.toArray() as number[]).forEach((sample, b) => {
        for (let k = 0; k < 48; k++) {
          const c = k >> 4;
          expect(xs[b * 48 + k]).toBeCloseTo((bytes[sample * 48 + k] / 255 - mean[c]) / std[c], 5);
        }
      });
      dispose([x, y]);
    }
  });

  it('leaves no tensors behind: after an epoch, after an early break, with augmentation', async () => {
    const ds = new data.TensorDataset(
      tidy(() => arange(0, 40 * 3 * 32 * 32, 1, { dtype: 'int64' }).remainder(256).to('uint8').view([40, 3, 32, 32])),
      arange(0, 40, 1, { dtype: 'int64' }),
    );
    const loader = new data.DataLoader(ds, { batchSize: 16, shuffle: true, transform: data.cifar10TrainTransform() });
    const baseline = memory().liveTensors;
    let batches = 0;
    for await (const { x, y } of loader) {
      batches++;
      expect(memory().liveTensors).toBe(baseline + 3); // the batch the consumer holds, and the epoch's permutation
      x.dispose();
      y.dispose();
    }
    expect(batches).toBe(3);
    expect(memory().liveTensors).toBe(baseline);
    for await (const b of loader) {
      dispose(b);
      break; // return() must free the epoch's permutation
    }
    expect(memory().liveTensors).toBe(baseline);
    // The synchronous form, with steps run inside tidy().
    // The synchronous form, with each step inside tidy(): tidy frees what the step made, but the batch
    // was made by the loader, so it stays the consumer's to dispose.
    const held: data.Batch[] = [];
    for (const b of loader.batches()) {
      tidy(() => {
        b.x.add(1).sum().add(b.y.sum());
      });
      held.push(b);
    }
    expect(memory().liveTensors).toBe(baseline + 6);
    dispose(held);
    expect(memory().liveTensors).toBe(baseline);
  });

  it('rejects bad arguments', () => {
    const ds = indexDataset(4);
    expect(() => new data.DataLoader(ds, { batchSize: 0 })).toThrow(TorchError);
    expect(() => new data.TensorDataset(arange(0, 3, 1), arange(0, 4, 1))).toThrow(/^Size mismatch between tensors: tensors\[0\] has 3 samples but tensors\[1\] has 4$/);
    expect(() => new data.Generator(-1)).toThrow(TorchError);
  });

  it('copies the data set to another device once and frees the copy on dispose()', async () => {
    const ds = indexDataset(8);
    const loader = new data.DataLoader(ds, { batchSize: 4, transform: identity, device: 'cpu' });
    expect(loader.device).toBe('cpu');
    const before = memory().liveTensors;
    loader.dispose(); // the set was already there: nothing to free
    expect(memory().liveTensors).toBe(before);
  });

  const hasCuda = cuda.isAvailable();
  if (!hasCuda) console.warn('[skipped] DataLoader on CUDA: no CUDA device in this build/machine');
  it.skipIf(!hasCuda)('on CUDA, batches and the random draws stay on the GPU', async () => {
    const n = 300;
    const ds = new data.TensorDataset(
      tidy(() => arange(0, n * 3 * 32 * 32, 1, { dtype: 'int64' }).remainder(256).to('uint8').view([n, 3, 32, 32])),
      arange(0, n, 1, { dtype: 'int64' }),
    );
    const loader = new data.DataLoader(ds, { batchSize: 128, shuffle: true, seed: 1, device: 'cuda', transform: data.cifar10TrainTransform() });
    const before = memory().liveTensors;
    const ys: number[] = [];
    for await (const { x, y } of loader) {
      expect(x.device).toBe('cuda:0');
      expect(y.device).toBe('cuda:0');
      ys.push(...(y.toArray() as number[]));
      dispose([x, y]);
    }
    expect(ys.sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
    expect(memory().liveTensors).toBe(before);
    // The GPU crop equals the CPU crop for the same explicit offsets.
    const x = ds.data.narrow(0, 0, 8);
    const oy = tensor([0, 1, 2, 3, 4, 5, 6, 8], { dtype: 'int64' });
    const ox = tensor([8, 7, 6, 5, 4, 3, 2, 0], { dtype: 'int64' });
    const f = tensor([true, false, true, false, true, true, false, false]);
    const cpu = data.randomCropFlipWith(x, oy, ox, f, 4);
    const gpu = data.randomCropFlipWith(x.to('cuda'), oy.to('cuda'), ox.to('cuda'), f.to('cuda'), 4);
    expect(gpu.cpu().equal(cpu)).toBe(true);
    loader.dispose();
  });
});

describe('DataLoader pinMemory (pin_memory)', () => {
  it('refuses a value that is not a boolean', () => {
    expect(() => new data.DataLoader(indexDataset(4), { pinMemory: 'yes' as never })).toThrow(TorchError);
    expect(() => new data.DataLoader(indexDataset(4), { pinMemory: 'yes' as never })).toThrow("DataLoader(): argument 'pinMemory' must be a boolean, not the string 'yes'");
  });

  it.skipIf(cuda.isAvailable())('without CUDA warns once and gives the same, unpinned batches (skipped: CUDA is available)', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const pinned = new data.DataLoader(indexDataset(7), { batchSize: 3, transform: identity, pinMemory: true });
      new data.DataLoader(indexDataset(7), { pinMemory: true });
      expect(pinned.pinMemory).toBe(false);
      expect(await epoch(pinned)).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
      const warnings = warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes('pinMemory'));
      expect(warnings.length).toBeLessThanOrEqual(1); // once a process (an earlier test may have warned already)
    } finally {
      warn.mockRestore();
    }
  });

  it.skipIf(!cuda.isAvailable())('with CUDA gives CPU batches in pinned memory, the same samples (needs a GPU)', async () => {
    const loader = new data.DataLoader(indexDataset(7), { batchSize: 3, transform: identity, pinMemory: true });
    expect(loader.pinMemory).toBe(true);
    for await (const { x, y } of loader) {
      expect([x.isPinned(), y.isPinned(), x.device]).toEqual([true, true, 'cpu']);
      dispose([x, y]);
    }
    expect(await epoch(loader)).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
  });
});

// ---- The real data set, when present ----
const realRoot = data.defaultCifar10Root();
const haveReal = fs.existsSync(path.join(realRoot, 'test_batch.bin'));
if (!haveReal) console.warn(`[skipped] DataLoader on real CIFAR-10: no data at ${realRoot} (set CIFAR10_ROOT)`);

describe.skipIf(!haveReal)('DataLoader on the real CIFAR-10', () => {
  it('the recipe sizes: 391 shuffled training batches of 128, 100 test batches of 100', async () => {
    const train = new data.CIFAR10({ root: realRoot, train: true });
    const test = new data.CIFAR10({ root: realRoot, train: false });
    const trainLoader = new data.DataLoader(train, { batchSize: 128, shuffle: true, transform: data.cifar10TrainTransform(), seed: 0 });
    const testLoader = new data.DataLoader(test, { batchSize: 100, transform: data.cifar10TestTransform() });
    expect(trainLoader.length).toBe(391);
    expect(testLoader.length).toBe(100);
    const baseline = memory().liveTensors;
    const seen = new Uint8Array(10);
    let count = 0;
    let last: Tensor | null = null;
    for await (const { x, y } of trainLoader) {
      expect(x.shape.slice(1)).toEqual([3, 32, 32]);
      count += x.shape[0];
      for (const v of y.toTypedArray() as BigInt64Array) seen[Number(v)] = 1;
      dispose(last);
      last = x;
      y.dispose();
    }
    expect(count).toBe(50000);
    expect(Array.from(seen)).toEqual(new Array(10).fill(1));
    expect(last!.shape[0]).toBe(50000 - 390 * 128);
    last!.dispose();
    expect(memory().liveTensors).toBe(baseline);
    train.dispose();
    test.dispose();
  });
});
