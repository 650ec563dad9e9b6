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

export interface MaxPool2dOptions {
  /** Defaults to kernelSize. */
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  ceilMode?: boolean;
}
/** F.max_pool2d(input, kernel_size, stride=kernel_size, padding=0, dilation=1, ceil_mode=False). */
export function maxPool2d(input: Tensor, kernelSize: Pair, options: MaxPool2dOptions = {}): Tensor {
  return f.maxPool2d(input, kernelSize, options);
}

/** F.dropout(input, p=0.5, training=True, inplace=False): zeroes elements with probability p, scales the rest by 1/(1-p). */
export function dropout(input: Tensor, p = 0.5, training = true, inplace = false): Tensor {
  return f.dropout(input, p, training, inplace, false);
}

/** F.dropout2d(input, p=0.5, training=True, inplace=False): zeroes whole channels of [N, C, H, W] (or [C, H, W]). */
export function dropout2d(input: Tensor, p = 0.5, training = true, inplace = false): Tensor {
  return f.dropout(input, p, training, inplace, true);
}

/** F.layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5). */
export function layerNorm(
  input: Tensor,
  normalizedShape: number[],
  options: { weight?: Tensor | null; bias?: Tensor | null; eps?: number } = {},
): Tensor {
  return f.layerNorm(input, normalizedShape, options.weight ?? null, options.bias ?? null, options.eps ?? 1e-5);
}

export type Reduction = 'mean' | 'sum' | 'none';

/** F.nll_loss(input, target, weight=None, ignore_index=-100, reduction='mean'): input holds log-probabilities. */
export function nllLoss(
  input: Tensor,
  target: Tensor,
  options: { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction } = {},
): Tensor {
  return f.nllLoss(input, target, options);
}

/** F.mse_loss(input, target, reduction='mean'). The shapes must be equal. */
export function mseLoss(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  return f.mseLoss(input, target, options);
}

/** F.l1_loss(input, target, reduction='mean'). The shapes must be equal. */
export function l1Loss(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  return f.l1Loss(input, target, options);
}

/** F.binary_cross_entropy_with_logits(input, target, weight=None, reduction='mean', pos_weight=None). */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  options: { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction } = {},
): Tensor {
  return f.binaryCrossEntropyWithLogits(input, target, options);
}

/** F.one_hot(tensor, num_classes=-1): int64 indices to int64 one-hot rows (-1: max + 1 classes). */
export function oneHot(tensor: Tensor, numClasses = -1): Tensor {
  return f.oneHot(tensor, numClasses);
}

/** F.embedding(input, weight, padding_idx=None): rows of weight; the padding row gets no gradient. */
export function embedding(input: Tensor, weight: Tensor, paddingIdx: number | null = null): Tensor {
  return f.embedding(input, weight, paddingIdx);
}

/** F.gelu(input, approximate='none'). */
export function gelu(input: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  return f.gelu(input, approximate);
}

/** F.silu(input): x * sigmoid(x). */
export function silu(input: Tensor): Tensor {
  return f.silu(input);
}

/** F.sigmoid / F.tanh. */
export function sigmoid(input: Tensor): Tensor {
  return input.sigmoid();
}
export function tanh(input: Tensor): Tensor {
  return input.tanh();
}

// torch.nn.functional's aten operators and the torch.* functions it re-exports, generated from PyTorch's
// declarations (lib/generated/nn_functional.ts); the functions above, written by hand, take precedence.
export * from '../generated/nn_functional';
