import { describe, expect, it } from 'vitest';
import { Tensor, TorchError, arange, data, dispose, manualSeed, memory, randint, tensor, tidy } from '../../lib';
import { hasPythonTorch, runPython } from '../helpers/python';

type Img = number[][][]; // [C][H][W]

// ---- Plain per-image references: loops over JS arrays ----

function refCrop(img: Img, oy: number, ox: number, padding: number, size: number): Img {
  return img.map((plane) => {
    const H = plane.length;
    const W = plane[0].length;
    const out: number[][] = [];
    for (let i = 0; i < size; i++) {
      const row: number[] = [];
      for (let j = 0; j < size; j++) {
        const y = oy + i - padding;
        const x = ox + j - padding;
        row.push(y >= 0 && y < H && x >= 0 && x < W ? plane[y][x] : 0);
      }
      out.push(row);
    }
    return out;
  });
}

function refFlip(img: Img): Img {
  return img.map((plane) => plane.map((row) => [...row].reverse()));
}

function randomBatch(shape: number[]): { t: Tensor; imgs: Img[] } {
  const n = shape.reduce((a, b) => a * b, 1);
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = (i * 2654435761) >>> 24;
  const t = tensor(bytes, { shape });
  return { t, imgs: t.toArray() as Img[] };
}

const ints = (xs: number[]) => tensor(xs, { dtype: 'int64' });
const bools = (xs: boolean[]) => tensor(xs);

describe('batched crop and flip equal the per-image reference', () => {
  // Offsets cover both extremes (0 and H + 2p − size) and the middle.
  const oy = [0, 8, 3, 8, 0, 5];
  const ox = [8, 0, 4, 8, 0, 1];
  const flips = [true, false, true, true, false, false];

  it('randomCropWith, 32×32 padding 4', () => {
    const { t, imgs } = randomBatch([6, 3, 32, 32]);
    const out = data.randomCropWith(t, ints(oy), ints(ox), 4);
    expect(out.shape).toEqual([6, 3, 32, 32]);
    expect(out.dtype).toBe('uint8');
    expect(out.toArray()).toEqual(imgs.map((img, b) => refCrop(img, oy[b], ox[b], 4, 32)));
  });

  it('randomCropWith with a smaller crop and no padding', () => {
    const { t, imgs } = randomBatch([3, 2, 7, 9]);
    const y = [0, 2, 1];
    const x = [4, 0, 2];
    const out = data.randomCropWith(t, ints(y), ints(x), 0, 5);
    expect(out.shape).toEqual([3, 2, 5, 5]);
    expect(out.toArray()).toEqual(imgs.map((img, b) => refCrop(img, y[b], x[b], 0, 5)));
  });

  it('flipWith mirrors exactly the masked images', () => {
    const { t, imgs } = randomBatch([6, 3, 5, 8]);
    const out = data.flipWith(t, bools(flips));
    expect(out.toArray()).toEqual(imgs.map((img, b) => (flips[b] ? refFlip(img) : img)));
  });

  it('randomCropFlipWith (fused) equals crop then flip', () => {
    const { t, imgs } = randomBatch([6, 3, 32, 32]);
    const out = data.randomCropFlipWith(t, ints(oy), ints(ox), bools(flips), 4);
    const ref = imgs.map((img, b) => {
      const c = refCrop(img, oy[b], ox[b], 4, 32);
      return flips[b] ? refFlip(c) : c;
    });
    expect(out.toArray()).toEqual(ref);
  });

  it('works on float batches too', () => {
    const x = tidy(() => randomBatch([2, 1, 4, 4]).t.float().div(7));
    const out = data.randomCropFlipWith(x, ints([2, 0]), ints([1, 2]), bools([true, false]), 1);
    const imgs = x.toArray() as Img[];
    expect(out.toArray()).toEqual([refFlip(refCrop(imgs[0], 2, 1, 1, 4)), refCrop(imgs[1], 0, 2, 1, 4)]);
  });

  it('bad shapes are refused with a clear message', () => {
    const { t } = randomBatch([2, 3, 8, 8]);
    expect(() => data.randomCropWith(t, ints([0]), ints([0, 0]), 2)).toThrow(/offsetsY must have shape \[2\]/);
    expect(() => data.randomCropWith(t.view([6, 8, 8]), ints([0, 0]), ints([0, 0]))).toThrow(/expected a batch \[B, C, H, W\]/);
    expect(() => data.randomCrop(20, { padding: 2 })(t)).toThrow(TorchError);
    expect(() => data.flipWith(t, bools([true]))).toThrow(/mask must have shape/);
  });
});

// Images that say where each output pixel came from: channel 0 holds row + 1, channel 1 column + 1
// (0 is padding). The output's centre pixels then reveal each image's offsets and flip.
function positionBatch(B: number): Tensor {
  const bytes = new Uint8Array(B * 2 * 32 * 32);
  for (let b = 0; b < B; b++)
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++) {
        bytes[((b * 2 + 0) * 32 + y) * 32 + x] = y + 1;
        bytes[((b * 2 + 1) * 32 + y) * 32 + x] = x + 1;
      }
  return tensor(bytes, { shape: [B, 2, 32, 32] });
}

interface Drawn {
  oy: number[];
  ox: number[];
  flip: boolean[];
}
function decode(out: Tensor): Drawn {
  const a = out.toArray() as Img[];
  const res: Drawn = { oy: [], ox: [], flip: [] };
  for (const img of a) {
    // Pixel (16, 16) of a 32 crop with padding 4 always lies inside the image: row = oy + 12.
    res.oy.push(img[0][16][16] - 13);
    const flipped = img[1][16][17] < img[1][16][16];
    res.flip.push(flipped);
    // Unflipped, column 16 reads ox + 12; flipped, it reads column 15 of the crop: ox + 11.
    res.ox.push(img[1][16][16] - (flipped ? 12 : 13));
  }
  return res;
}

describe('random crop and flip draws', () => {
  it('every offset 0..8 occurs, independently per image; flips are near half', () => {
    const B = 1800;
    const x = positionBatch(B);
    manualSeed(1234);
    const d = decode(data.randomCropFlip(32, { padding: 4, p: 0.5 })(x));
    for (const offsets of [d.oy, d.ox]) {
      const counts = new Array(9).fill(0);
      for (const o of offsets) {
        expect(o).toBeGreaterThanOrEqual(0);
        expect(o).toBeLessThanOrEqual(8);
        counts[o]++;
      }
      // Expected 200 each; a uniform draw stays far from these bounds.
      for (const c of counts) expect(c).toBeGreaterThan(120);
    }
    const flips = d.flip.filter(Boolean).length;
    expect(flips).toBeGreaterThan(B * 0.45);
    expect(flips).toBeLessThan(B * 0.55);
    // y and x offsets are drawn separately (not one shared number).
    expect(d.oy.filter((o, i) => o !== d.ox[i]).length).toBeGreaterThan(B / 2);
  });

  it('over a DataLoader epoch with the training recipe, every offset occurs and about half the images are flipped', async () => {
    const n = 1000;
    const ds = new data.TensorDataset(positionBatch(n), arange(0, n, 1, { dtype: 'int64' }));
    const loader = new data.DataLoader(ds, { batchSize: 128, shuffle: true, seed: 2, transform: data.randomCropFlip(32, { padding: 4, p: 0.5 }) });
    const all: Drawn = { oy: [], ox: [], flip: [] };
    for await (const { x, y } of loader) {
      const d = decode(x);
      all.oy.push(...d.oy);
      all.ox.push(...d.ox);
      all.flip.push(...d.flip);
      dispose([x, y]);
    }
    expect(all.oy.length).toBe(n);
    expect([...new Set(all.oy)].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect([...new Set(all.ox)].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const flips = all.flip.filter(Boolean).length;
    expect(flips).toBeGreaterThan(n * 0.43);
    expect(flips).toBeLessThan(n * 0.57);
  });

  it('randomCrop never flips, randomHorizontalFlip never shifts', () => {
    const x = positionBatch(200);
    const c = decode(data.randomCrop(32, { padding: 4 })(x));
    expect(c.flip.every((f) => !f)).toBe(true);
    expect(new Set(c.oy).size).toBe(9);
    const f = decode(data.randomHorizontalFlip(0.5)(x).pad([4, 4, 4, 4]).narrow(2, 4, 32).narrow(3, 4, 32));
    expect(f.oy.every((o) => o === 4)).toBe(true);
    expect(f.ox.every((o) => o === 4)).toBe(true);
    expect(f.flip.some(Boolean) && !f.flip.every(Boolean)).toBe(true);
    expect(decode(data.randomHorizontalFlip(0)(x)).flip.some(Boolean)).toBe(false);
    expect(decode(data.randomHorizontalFlip(1)(x)).flip.every(Boolean)).toBe(true);
  });

  it('manualSeed reproduces the draws; the fused transform draws as crop then flip', () => {
    const { t } = randomBatch([64, 3, 32, 32]);
    const fused = data.randomCropFlip(32, { padding: 4 });
    const separate = data.compose([data.randomCrop(32, { padding: 4 }), data.randomHorizontalFlip(0.5)]);
    manualSeed(7);
    const a = fused(t);
    manualSeed(7);
    const b = fused(t);
    manualSeed(7);
    const c = separate(t);
    const d = fused(t); // a later draw differs
    expect(a.equal(b)).toBe(true);
    expect(a.equal(c)).toBe(true);
    expect(a.equal(d)).toBe(false);
  });

  it('draws offsets with libtorch: the same numbers as torch.randint under the same seed', () => {
    const x = positionBatch(50);
    manualSeed(99);
    const d = decode(data.randomCrop(32, { padding: 4 })(x));
    manualSeed(99);
    const oy = randint(0, 9, [50]).toArray();
    const ox = randint(0, 9, [50]).toArray();
    expect(d.oy).toEqual(oy);
    expect(d.ox).toEqual(ox);
  });

  it('transforms free their intermediates', () => {
    const { t } = randomBatch([16, 3, 32, 32]);
    const before = memory().liveTensors;
    const out = data.cifar10TrainTransform()(t);
    expect(memory().liveTensors).toBe(before + 1);
    out.dispose();
    expect(memory().liveTensors).toBe(before);
  });
});

describe('toFloat and normalize', () => {
  it('toFloat scales uint8 to [0, 1] float32', () => {
    const x = tensor(new Uint8Array([0, 51, 255, 128]), { shape: [1, 1, 2, 2] });
    const f = data.toFloat()(x);
    expect(f.dtype).toBe('float32');
    const v = f.toTypedArray() as Float32Array;
    expect(Array.from(v)).toEqual([0, Math.fround(51 / 255), 1, Math.fround(128 / 255)]);
  });

  it('normalize uses the recipe defaults per channel and leaves its input alone', () => {
    const x = tensor([[[[0.5]], [[0.5]], [[0.5]]], [[[1]], [[0]], [[0.25]]]]);
    const n = data.normalize()(x);
    const mean = [0.4914, 0.4822, 0.4465];
    const std = [0.2023, 0.1994, 0.201];
    const got = n.toTypedArray() as Float32Array;
    const inp = [0.5, 0.5, 0.5, 1, 0, 0.25];
    inp.forEach((v, k) => expect(got[k]).toBeCloseTo((v - mean[k % 3]) / std[k % 3], 5));
    expect(Array.from(x.toTypedArray() as Float32Array)).toEqual(inp);
    expect(() => data.normalize([0.5], [0.5])(x)).toThrow(/3 channels but 1 means/);
  });

  it.skipIf(!hasPythonTorch())('toFloat + normalize match torch bit for bit', () => {
    const { t } = randomBatch([4, 3, 5, 5]);
    const ours = Array.from(data.cifar10TestTransform()(t).toTypedArray() as Float32Array);
    const ref = runPython<number[]>(
      `import torch
x = torch.tensor(inp, dtype=torch.uint8).view(4, 3, 5, 5)
m = torch.tensor([0.4914, 0.4822, 0.4465]).view(1, 3, 1, 1)
s = torch.tensor([0.2023, 0.1994, 0.2010]).view(1, 3, 1, 1)
y = x.float().div(255).sub(m).div(s)  # torchvision ToTensor + Normalize
print(json.dumps(y.flatten().tolist()))`,
      Array.from(t.toTypedArray() as Uint8Array),
    );
    expect(ours).toEqual(ref.map(Math.fround));
  });
});

describe('toFloat on float input', () => {
  it('keeps the values and never changes its input', () => {
    const x = tensor([255, 510]);
    const y = data.toFloat()(x);
    expect(x.toArray()).toEqual([255, 510]);
    expect(y.toArray()).toEqual([255, 510]);
    const u = tensor([0, 255], { dtype: 'uint8' });
    expect(data.toFloat()(u).toArray()).toEqual([0, 1]);
  });
});
