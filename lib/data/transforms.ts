// torchvision-style augmentation, done on a whole batch at once with tensor ops on the batch's own
// device: a handful of kernels per batch instead of per-image work in JS, and on CUDA no host round
// trip at all. Random offsets and flips are drawn with torch.randint / torch.rand on that device, so
// manualSeed() reproduces them and nothing is synchronised per batch.
//
// Every transform takes a batch [B, C, H, W] and returns a new tensor; the input is not modified or
// disposed (it stays the caller's), and the intermediates a transform makes are freed before it returns.
import { TorchError } from '../errors';
import { tidy } from '../memory';
import { Tensor, arange, rand, randint } from '../tensor';

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

/**
 * Crops each image of the batch at its own offset: image b becomes
 * pad(x[b])[:, offsetsY[b] : offsetsY[b] + size, offsetsX[b] : offsetsX[b] + size], with zero padding.
 * Offsets are int64 [B] on x's device, each in 0 .. H + 2·padding − size. Two gathers with per-image
 * index tensors (rows, then columns) do the whole batch.
 */
export function randomCropWith(x: Tensor, offsetsY: Tensor, offsetsX: Tensor, padding = 0, size?: number): Tensor {
  const [B, C, H, W] = checkBatch(x, 'randomCrop');
  const sh = size ?? H;
  const sw = size ?? W;
  if (sh > H + 2 * padding || sw > W + 2 * padding) {
    throw new TorchError(`randomCrop: crop size ${size} is larger than the padded image ${H + 2 * padding}×${W + 2 * padding}`);
  }
  checkIndexVector(offsetsY, B, 'randomCrop', 'offsetsY');
  checkIndexVector(offsetsX, B, 'randomCrop', 'offsetsX');
  return tidy(() => {
    const padded = padding > 0 ? x.pad([padding, padding, padding, padding]) : x;
    const Wp = W + 2 * padding;
    const dev = { device: x.device };
    // rows[b, c, i, j] = offsetsY[b] + i, broadcast over channels and columns (expand: no copy).
    const rows = offsetsY.long().view([B, 1, 1, 1]).add(arange(0, sh, 1, { ...dev, dtype: 'int64' }).view([1, 1, sh, 1])).expand([B, C, sh, Wp]);
    const cut = padded.gather(2, rows);
    const cols = offsetsX.long().view([B, 1, 1, 1]).add(arange(0, sw, 1, { ...dev, dtype: 'int64' }).view([1, 1, 1, sw])).expand([B, C, sh, sw]);
    return cut.gather(3, cols);
  });
}

/** torchvision.transforms.RandomCrop(size, padding) for a batch: an independent offset per image. */
export function randomCrop(size: number, options: { padding?: number } = {}): Transform {
  const padding = options.padding ?? 0;
  return (x: Tensor) => {
    const [B, , H, W] = checkBatch(x, 'randomCrop');
    return tidy(() => {
      // randint's high is exclusive: offsets 0 .. H + 2p − size inclusive, as torchvision draws them.
      const oy = randint(0, H + 2 * padding - size + 1, [B], { device: x.device });
      const ox = randint(0, W + 2 * padding - size + 1, [B], { device: x.device });
      return randomCropWith(x, oy, ox, padding, size);
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

/** uint8 [0, 255] → float32 [0, 1], as ToTensor's x.float().div(255). */
export function toFloat(): Transform {
  return (x: Tensor) =>
    tidy(() => {
      const out = x.to('float32');
      out.div_(255);
      return out;
    });
}

/**
 * torchvision.transforms.Normalize: (x − mean[c]) / std[c] per channel, as float32 arithmetic on a copy.
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

/** The reference training recipe: random crop 32 with padding 4, random flip, to float, normalise. */
export function cifar10TrainTransform(): Transform {
  return compose([randomCrop(32, { padding: 4 }), randomHorizontalFlip(0.5), toFloat(), normalize()]);
}

/** Evaluation: to float and normalise only. */
export function cifar10TestTransform(): Transform {
  return compose([toFloat(), normalize()]);
}
