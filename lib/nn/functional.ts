// torch.nn.functional: each op is one native call (native/functional.cc). Required arguments are
// positional as in Python; Python's keyword arguments go in one options object.
import { native } from '../native';
import type { DType } from '../dtype';
import { Tensor } from '../tensor';

type Pair = number | [number, number];
const f = native.functional;

/** F.relu(input, inplace=false). */
export function relu(input: Tensor, inplace = false): Tensor {
  return f.relu(input, inplace);
}

export interface AvgPool2dOptions {
  /** Defaults to kernelSize. */
  stride?: Pair;
  padding?: Pair;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number;
}
/** F.avg_pool2d(input, kernel_size, stride=kernel_size, padding=0, ceil_mode=False, count_include_pad=True). */
export function avgPool2d(input: Tensor, kernelSize: Pair, options: AvgPool2dOptions = {}): Tensor {
  return f.avgPool2d(input, kernelSize, options);
}

/** F.adaptive_avg_pool2d(input, output_size). */
export function adaptiveAvgPool2d(input: Tensor, outputSize: Pair): Tensor {
  return f.adaptiveAvgPool2d(input, outputSize);
}

/** F.linear(input, weight, bias=None): input @ weightᵀ + bias. */
export function linear(input: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  return f.linear(input, weight, bias);
}

export interface Conv2dFuncOptions {
  stride?: Pair;
  padding?: Pair | 'same' | 'valid';
  dilation?: Pair;
  groups?: number;
}
/** F.conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1). */
export function conv2d(input: Tensor, weight: Tensor, bias: Tensor | null = null, options: Conv2dFuncOptions = {}): Tensor {
  return f.conv2d(input, weight, bias, options);
}

export interface BatchNormFuncOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  training?: boolean;
  momentum?: number;
  eps?: number;
}
/**
 * F.batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5).
 * In training mode the running statistics (when given) are updated in place.
 */
export function batchNorm(
  input: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  options: BatchNormFuncOptions = {},
): Tensor {
  return f.batchNorm(input, runningMean, runningVar, options);
}

export interface CrossEntropyOptions {
  weight?: Tensor | null;
  ignoreIndex?: number;
  reduction?: 'mean' | 'sum' | 'none';
  labelSmoothing?: number;
}
/** F.cross_entropy(input, target, weight=None, ignore_index=-100, reduction='mean', label_smoothing=0.0). */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  return f.crossEntropy(input, target, options);
}

/** F.log_softmax(input, dim). */
export function logSoftmax(input: Tensor, dim: number): Tensor {
  return f.logSoftmax(input, dim);
}

/** F.softmax(input, dim, dtype=None): dtype casts the input first (e.g. 'float32' for half inputs). */
export function softmax(input: Tensor, dim: number, dtype?: DType): Tensor {
  return f.softmax(input, dim, dtype);
}

/** F.pad(input, pad, mode='constant', value=0): pad lists (left, right, top, bottom, …) from the last dim backwards. */
export function pad(
  input: Tensor,
  padding: number[],
  mode: 'constant' | 'reflect' | 'replicate' | 'circular' = 'constant',
  value = 0,
): Tensor {
  return input.pad(padding, mode, value);
}
