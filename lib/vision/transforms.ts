// Image transforms on tensors, as torchvision.transforms.functional: resize and normalize take an
// image [C, H, W] or a batch [N, C, H, W].
import { TorchError } from '../errors';
import { tidy } from '../memory';
import { native } from '../native';
import type { Tensor } from '../tensor';
import { optionKeys, readOptions } from '../utils/options';

export interface ResizeOptions {
  /** 'bilinear' (default), 'bicubic' or 'nearest'. */
  mode?: 'bilinear' | 'bicubic' | 'nearest';
  /** Antialiasing when downscaling (default true, torchvision's default since 0.17). */
  antialias?: boolean;
}

// The keys of ResizeOptions, a list the compiler keeps complete, for readOptions at the entry.
const RESIZE = optionKeys<ResizeOptions>({ mode: true, antialias: true });

/**
 * resize(image, [h, w]) or resize(image, size): a number scales the smaller edge to `size` keeping
 * the aspect ratio, as torchvision. uint8 images are interpolated in float32 and rounded back.
 */
export function resize(image: Tensor, size: number | [number, number], options: ResizeOptions = {}): Tensor {
  options = readOptions('vision.resize', options, RESIZE);
  let hw: [number, number];
  if (typeof size === 'number') {
    const [h, w] = image.shape.slice(-2);
    hw = h <= w ? [size, Math.trunc((size * w) / h)] : [Math.trunc((size * h) / w), size];
  } else {
    hw = size;
  }
  return native.vision.resize(image, hw, options.mode ?? 'bilinear', options.antialias ?? true);
}

/**
 * Normalize: (x − mean[c]) / std[c] per channel, on a copy in the default dtype (getDefaultDtype(): float32
 * unless setDefaultDtype changed it). uint8 images are first scaled to [0, 1], as transforms.ToTensor does
 * before Normalize (into the default dtype, as ToTensor).
 */
export function normalize(image: Tensor, mean: readonly number[], std: readonly number[]): Tensor {
  if (image.ndim !== 3 && image.ndim !== 4) throw new TorchError(`normalize: expected [C, H, W] or [N, C, H, W], got shape [${image.shape.join(', ')}]`);
  const dim = image.ndim - 3;
  const C = image.shape[dim];
  if (mean.length !== C || std.length !== C) throw new TorchError(`normalize: the image has ${C} channels but ${mean.length} means and ${std.length} stds were given`);
  if (std.some((s) => s === 0)) throw new TorchError('normalize: a std of 0 would divide by zero');
  const dtype = native.getDefaultDtype();
  return tidy(() => {
    const out = image.dtype === 'uint8' ? image.to(dtype).div_(255) : image.to({ dtype, copy: true });
    for (let c = 0; c < C; c++) out.narrow(dim, c, 1).sub_(mean[c]).div_(std[c]);
    return out;
  });
}
