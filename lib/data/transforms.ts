// torchvision-style augmentation, done on a whole batch at once with tensor ops on the batch's own
// device: a handful of kernels per batch instead of per-image work in JS, and on CUDA no host round
// trip at all. Random offsets and flips are drawn with torch.randint / torch.rand on that device, so
// manualSeed() reproduces them and nothing is synchronised per batch.
//
// Every transform takes a batch [B, C, H, W] and returns a new tensor; the input is not modified or
// disposed (it stays the caller's), and the intermediates a transform makes are freed before it returns.
import { TorchError } from '../errors';
import { tidy } from '../memory';
import { Tensor, arange, getDefaultDtype, rand, randint } from '../tensor';
import { readOptions } from '../utils/options';

export type Transform = (x: Tensor) => Tensor;

/** The CIFAR-10 statistics the reference recipe normalises with (torchvision examples' values). */
export const CIFAR10_MEAN: readonly number[] = [0.4914, 0.4822, 0.4465];
export const CIFAR10_STD: readonly number[] = [0.2023, 0.1994, 0.201];

function checkBatch(x: Tensor, where: string): [number, number, number, number] {
  if (x.ndim !== 4) throw new TorchError(`${where}: expected a batch [B, C, H, W], got shape [${x.shape.join(', ')}]`);
  return x.shape as [number, number, number, number];
}

function checkIndexVector(t: Tensor, batch: number, where: string, what: string): void {
  if (t.ndim !== 1 || t.shape[0] !== batch) {
    throw new TorchError(`${where}: ${what} must have shape [${batch}], got [${t.shape.join(', ')}]`);
  }
}


// The crop (and optional mirror) as ONE gather from the zero-padded batch viewed as [B, C, Hp·Wp]:
// out[b, c, i, j] = padded[b, c, (oy[b] + i)·Wp + ox[b] + (flip[b] ? size − 1 − j : j)].
// The flat index is built once per image ([B, 1, S·S], expanded over channels without a copy).
// Measured on this CPU (1 thread, batch 128): ≈0.45 ms, against ≈1.6 ms for two gathers (rows, then
// columns) plus flip + where, so no native kernel is needed; on CUDA it is a handful of launches.
function cropFlip(x: Tensor, oy: Tensor, ox: Tensor, flip: Tensor | null, padding: number, sh: number, sw: number): Tensor {
  const [B, C, H, W] = x.shape;
  const Hp = H + 2 * padding;
  const Wp = W + 2 * padding;
  return tidy(() => {
    const padded = (padding > 0 ? x.pad([padding, padding, padding, padding]) : x.contiguous()).view([B, C, Hp * Wp]);
    const opts = { device: x.device, dtype: 'int64' as const };
    const i = arange(0, sh, 1, opts).view([1, sh, 1]);
    let j = arange(0, sw, 1, opts).view([1, 1, sw]);
    if (flip) j = j.mul(-1).add(sw - 1).where(flip.bool().view([B, 1, 1]), j);
    const rows = oy.long().view([B, 1, 1]).add(i).mul(Wp);
    const index = rows.add(j.add(ox.long().view([B, 1, 1]))).view([B, 1, sh * sw]).expand([B, C, sh * sw]);
    return padded.gather(2, index).view([B, C, sh, sw]);
  });
}

function cropSize(x: Tensor, padding: number, size: number | undefined, where: string): [number, number] {
  const [, , H, W] = x.shape;
  const sh = size ?? H;
  const sw = size ?? W;
  if (!Number.isInteger(padding) || padding < 0) throw new TorchError(`${where}: padding must be a non-negative integer, got ${padding}`);
  if (sh > H + 2 * padding || sw > W + 2 * padding) {
    throw new TorchError(`${where}: crop size ${size} is larger than the padded image ${H + 2 * padding}×${W + 2 * padding}`);
  }
  return [sh, sw];
}

/**
 * Crops each image of the batch at its own offset: image b becomes
 * pad(x[b])[:, offsetsY[b] : offsetsY[b] + size, offsetsX[b] : offsetsX[b] + size], with zero padding.
 * Offsets are integer tensors [B] on x's device, each in 0 .. H + 2·padding − size (not checked: that
 * would need a device sync; an offset out of range makes gather throw or read a neighbouring row).
 */
export function randomCropWith(x: Tensor, offsetsY: Tensor, offsetsX: Tensor, padding = 0, size?: number): Tensor {
  const [B] = checkBatch(x, 'randomCrop');
  const [sh, sw] = cropSize(x, padding, size, 'randomCrop');
  checkIndexVector(offsetsY, B, 'randomCrop', 'offsetsY');
  checkIndexVector(offsetsX, B, 'randomCrop', 'offsetsX');
  return cropFlip(x, offsetsY, offsetsX, null, padding, sh, sw);
}

/** randomCropWith followed by flipWith, in one gather. */
export function randomCropFlipWith(x: Tensor, offsetsY: Tensor, offsetsX: Tensor, mask: Tensor, padding = 0, size?: number): Tensor {
  const [B] = checkBatch(x, 'randomCropFlip');
  const [sh, sw] = cropSize(x, padding, size, 'randomCropFlip');
  checkIndexVector(offsetsY, B, 'randomCropFlip', 'offsetsY');
  checkIndexVector(offsetsX, B, 'randomCropFlip', 'offsetsX');
  checkIndexVector(mask, B, 'randomCropFlip', 'mask');
  return cropFlip(x, offsetsY, offsetsX, mask, padding, sh, sw);
}

// torchvision draws an offset in 0 .. H + 2p − size inclusive; randint's high is exclusive.
function drawOffsets(x: Tensor, padding: number, size: number): [Tensor, Tensor] {
  const [B, , H, W] = x.shape;
  return [
    randint(0, H + 2 * padding - size + 1, [B], { device: x.device }),
    randint(0, W + 2 * padding - size + 1, [B], { device: x.device }),
  ];
}

/** torchvision.transforms.RandomCrop(size, padding) for a batch: an independent offset per image. */
export function randomCrop(size: number, options: { padding?: number } = {}): Transform {
  options = readOptions('transforms.randomCrop', options, ['padding']);
  const padding = options.padding ?? 0;
  return (x: Tensor) => {
    checkBatch(x, 'randomCrop');
    cropSize(x, padding, size, 'randomCrop');
    return tidy(() => {
      const [oy, ox] = drawOffsets(x, padding, size);
      return randomCropWith(x, oy, ox, padding, size);
    });
  };
}

/**
 * randomCrop(size, {padding}) then randomHorizontalFlip(p), fused into one gather. It draws the same
 * random numbers in the same order (offsets y, offsets x, then the flip coins), so under one seed it
 * gives exactly what the two separate transforms give.
 */
export function randomCropFlip(size: number, options: { padding?: number; p?: number } = {}): Transform {
  options = readOptions('transforms.randomCropFlip', options, ['padding', 'p']);
  const padding = options.padding ?? 0;
  const p = options.p ?? 0.5;
  return (x: Tensor) => {
    const [B] = checkBatch(x, 'randomCropFlip');
    cropSize(x, padding, size, 'randomCropFlip');
    return tidy(() => {
      const [oy, ox] = drawOffsets(x, padding, size);
      const mask = rand([B], { device: x.device }).lt(p);
      return randomCropFlipWith(x, oy, ox, mask, padding, size);
    });
  };
}

/** Mirrors (left-right) the images whose mask entry is true; mask is bool [B] on x's device. */
export function flipWith(x: Tensor, mask: Tensor): Tensor {
  const [B] = checkBatch(x, 'flip');
  checkIndexVector(mask, B, 'flip', 'mask');
  return tidy(() => x.flip([3]).where(mask.bool().view([B, 1, 1, 1]), x));
}

/** torchvision.transforms.RandomHorizontalFlip(p) for a batch: each image flipped with probability p. */
export function randomHorizontalFlip(p = 0.5): Transform {
  return (x: Tensor) => {
    const [B] = checkBatch(x, 'randomHorizontalFlip');
    return tidy(() => flipWith(x, rand([B], { device: x.device }).lt(p)));
  };
}

/**
 * uint8 [0, 255] → [0, 1] in the default dtype (getDefaultDtype(): float32 unless setDefaultDtype changed it), as
 * torchvision's ToTensor does; float input keeps its values (a copy in the default dtype). Never changes x.
 */
export function toFloat(): Transform {
  return (x: Tensor) => {
    const dtype = getDefaultDtype();
    return tidy(() => (x.dtype === 'uint8' ? x.to(dtype).div_(255) : x.to({ dtype, copy: true })));
  };
}

/**
 * torchvision.transforms.Normalize: (x − mean[c]) / std[c] per channel, in x's dtype on a copy.
 * Defaults are the CIFAR-10 recipe's mean (0.4914, 0.4822, 0.4465) and std (0.2023, 0.1994, 0.2010).
 */
export function normalize(mean: readonly number[] = CIFAR10_MEAN, std: readonly number[] = CIFAR10_STD): Transform {
  if (mean.length !== std.length) throw new TorchError(`normalize: ${mean.length} means but ${std.length} stds`);
  if (std.some((s) => s === 0)) throw new TorchError('normalize: a std of 0 would divide by zero');
  return (x: Tensor) => {
    const [, C] = checkBatch(x, 'normalize');
    if (C !== mean.length) throw new TorchError(`normalize: the batch has ${C} channels but ${mean.length} means were given`);
    return tidy(() => {
      // Scalars per channel on views of one copy: no mean/std tensors to build or move per batch.
      const out = x.clone();
      for (let c = 0; c < C; c++) out.narrow(1, c, 1).sub_(mean[c]).div_(std[c]);
      return out;
    });
  };
}

/** Applies the transforms in order, freeing the intermediate batches. */
export function compose(transforms: Transform[]): Transform {
  return (x: Tensor) => tidy(() => transforms.reduce((acc, t) => t(acc), x));
}

/** The reference training recipe: random crop 32 with padding 4 and random flip (fused), to float, normalise. */
export function cifar10TrainTransform(): Transform {
  return compose([randomCropFlip(32, { padding: 4, p: 0.5 }), toFloat(), normalize()]);
}

/** Evaluation: to float and normalise only. */
export function cifar10TestTransform(): Transform {
  return compose([toFloat(), normalize()]);
}
