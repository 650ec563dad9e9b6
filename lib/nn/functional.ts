// torch.nn.functional: each op is one generated operator call (lib/generated/, the generic call of
// native/ops.cc). Required arguments are positional as in Python; Python's keyword arguments go in one
// options object, checked here, where the aten operator spells them differently or checks less.
import { isFloatingDtype, type DType } from '../dtype';
import { Tensor } from '../tensor';
import { TorchError } from '../errors';
import { bindOp } from '../ops';
import { isOptions, namedArgs, normalizeOptions } from '../kwargs';
import { readOptions } from '../utils/options';
import { checkBool, checkFields, checkInt, checkNumber } from '../utils/validate';
import { reductionCode, type Reduction } from './functional_loss';
import * as T from '../generated/torch';
import * as NF from '../generated/nn_functional';

type Pair = number | [number, number];
// aten's losses with an integer reduction (not bound as torch.* functions: Python's nn.functional takes a string).
type Loss = (input: Tensor, target: Tensor, reduction: number) => Tensor;
type WeightedLoss<E extends unknown[]> = (input: Tensor, target: Tensor, weight: Tensor | null, reduction: number, ...rest: E) => Tensor;
const ops = {
  elu: bindOp<(input: Tensor, alpha: number) => Tensor>('F.elu', ['elu']),
  elu_: bindOp<(input: Tensor, alpha: number) => Tensor>('F.elu', ['elu_']),
  smoothL1Loss: bindOp<(input: Tensor, target: Tensor, reduction: number, beta: number) => Tensor>('F.smoothL1Loss', ['smooth_l1_loss']),
  huberLoss: bindOp<(input: Tensor, target: Tensor, reduction: number, delta: number) => Tensor>('F.huberLoss', ['huber_loss']),
  klDiv: bindOp<(input: Tensor, target: Tensor, reduction: number, options: { logTarget: boolean }) => Tensor>('F.klDiv', ['kl_div']),
  binaryCrossEntropy: bindOp<WeightedLoss<[]>>('F.binaryCrossEntropy', ['binary_cross_entropy']),
  crossEntropy: bindOp<WeightedLoss<[ignoreIndex: number, labelSmoothing: number]>>('F.crossEntropy', ['cross_entropy_loss']),
  nllLoss: bindOp<WeightedLoss<[ignoreIndex: number]>>('F.nllLoss', ['nll_loss_nd']),
  mseLoss: bindOp<Loss>('F.mseLoss', ['mse_loss']),
  l1Loss: bindOp<Loss>('F.l1Loss', ['l1_loss']),
  bceWithLogits: bindOp<(input: Tensor, target: Tensor, weight: Tensor | null, posWeight: Tensor | null, reduction: number) => Tensor>(
    'F.binaryCrossEntropyWithLogits', ['binary_cross_entropy_with_logits']),
};

function sameShape(a: Tensor, b: Tensor): boolean {
  const [x, y] = [a.shape, b.shape];
  return x.length === y.length && x.every((d, i) => d === y[i]);
}

/** "expected a 3-D or 4-D input", as the pooling functions say it. */
function check3dOr4d(input: Tensor, where: string): void {
  const d = input.ndim;
  if (d !== 3 && d !== 4) throw new TorchError(`${where}: expected a 3-D or 4-D input, got ${d}-D`);
}

/** F.relu(input, inplace=false); relu(input, { inplace: true }). */
export function relu(input: Tensor, inplace?: boolean | { inplace?: boolean }): Tensor;
export function relu(input: Tensor, ...args: unknown[]): Tensor {
  const [inplace = false] = namedArgs('relu', ['inplace'], args) as [boolean?];
  return inplace ? T.relu_(input) : T.relu(input);
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
  const o = readOptions('F.avgPool2d', options, ['stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride']);
  check3dOr4d(input, 'avgPool2d');
  return NF.avgPool2d(input, kernelSize, o.stride ?? [], o.padding ?? 0, o.ceilMode ?? false, o.countIncludePad ?? true, o.divisorOverride ?? null);
}

/** F.adaptive_avg_pool2d(input, output_size). */
export function adaptiveAvgPool2d(input: Tensor, outputSize: Pair): Tensor {
  check3dOr4d(input, 'adaptiveAvgPool2d');
  return NF.adaptiveAvgPool2d(input, outputSize);
}

/** F.linear(input, weight, bias=None): input @ weightᵀ + bias; linear(input, weight, { bias }). */
export function linear(input: Tensor, weight: Tensor, bias?: Tensor | null | { bias?: Tensor | null }): Tensor;
export function linear(input: Tensor, weight: Tensor, ...args: unknown[]): Tensor {
  const [bias = null] = namedArgs('linear', ['bias'], args) as [Tensor | null | undefined];
  return NF.linear(input, weight, bias);
}

const CONV2D_OPTIONS = ['bias', 'stride', 'padding', 'dilation', 'groups'];
export interface Conv2dFuncOptions {
  stride?: Pair;
  padding?: Pair | 'same' | 'valid';
  dilation?: Pair;
  groups?: number;
}
/** F.conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1). */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options?: Conv2dFuncOptions): Tensor;
/** F.conv2d(x, w, bias=b, padding=1) as conv2d(x, w, { bias: b, padding: 1 }). */
export function conv2d(input: Tensor, weight: Tensor, options: Conv2dFuncOptions & { bias?: Tensor | null }): Tensor;
export function conv2d(input: Tensor, weight: Tensor, ...args: unknown[]): Tensor {
  const byName = isOptions(args[0]);
  const given = (byName ? args[0] : args[1]) as Conv2dFuncOptions | undefined;
  const { bias, ...o } = normalizeOptions('conv2d', given, CONV2D_OPTIONS) as Conv2dFuncOptions & { bias?: Tensor | null };
  if (!byName && bias !== undefined) throw new TorchError("conv2d: got multiple values for 'bias'");
  const padding = o.padding ?? 0;
  if (typeof padding === 'string' && padding !== 'same' && padding !== 'valid') {
    throw new TorchError(`conv2d: invalid padding string '${padding}', should be one of {'valid', 'same'}`);
  }
  const b = byName ? bias ?? null : (args[0] as Tensor | null | undefined) ?? null;
  return NF.conv2d(input, weight, b, o.stride ?? 1, padding as number, o.dilation ?? 1, o.groups ?? 1);
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
  const o = readOptions('F.batchNorm', options, ['weight', 'bias', 'training', 'momentum', 'eps']);
  // aten's cudnn_enabled: PyTorch's Python passes torch.backends.cudnn.enabled, true by default.
  return T.batchNorm(input, o.weight ?? null, o.bias ?? null, runningMean, runningVar, o.training ?? false, o.momentum ?? 0.1, o.eps ?? 1e-5, true);
}

export interface InstanceNormFuncOptions {
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  weight?: Tensor | null;
  bias?: Tensor | null;
  useInputStats?: boolean;
  momentum?: number;
  eps?: number;
}
/**
 * F.instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
 * momentum=0.1, eps=1e-5): each sample's channels normalised over their own spatial elements.
 */
export function instanceNorm(input: Tensor, options: InstanceNormFuncOptions = {}): Tensor {
  const o = readOptions('F.instanceNorm', options, ['runningMean', 'runningVar', 'weight', 'bias', 'useInputStats', 'momentum', 'eps']);
  const useInputStats = o.useInputStats ?? true;
  // torch.nn.functional._verify_spatial_size.
  if (useInputStats && input.shape.slice(2).reduce((a, b) => a * b, 1) === 1) {
    throw new TorchError(`Expected more than 1 spatial element when training, got input size torch.Size([${input.shape.join(', ')}])`);
  }
  return T.instanceNorm(input, o.weight ?? null, o.bias ?? null, o.runningMean ?? null, o.runningVar ?? null, useInputStats, o.momentum ?? 0.1, o.eps ?? 1e-5, true);
}

export interface CrossEntropyOptions {
  weight?: Tensor | null;
  ignoreIndex?: number;
  reduction?: 'mean' | 'sum' | 'none';
  labelSmoothing?: number;
}
/**
 * F.cross_entropy(input, target, weight=None, ignore_index=-100, reduction='mean', label_smoothing=0.0):
 * target holds int64 class indices (the input's shape without C) or class probabilities (the input's shape).
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const o = readOptions('F.crossEntropy', options, ['weight', 'ignoreIndex', 'reduction', 'labelSmoothing']);
  const smoothing = o.labelSmoothing ?? 0;
  if (!(smoothing >= 0 && smoothing <= 1)) throw new TorchError(`crossEntropy: label_smoothing must be between 0.0 and 1.0. Got: ${smoothing}`);
  const reduction = reductionCode(o.reduction, 'crossEntropy');
  // Class probabilities: floating point with the input's shape; anything else must be int64 class indices.
  const probabilities = target.dtype !== 'int64' && isFloatingDtype(target.dtype) && sameShape(input, target);
  if (!probabilities && target.dtype !== 'int64') {
    throw new TorchError(`crossEntropy: class-index targets must be int64, got ${target.dtype} (probability targets must be floating point with the input's shape)`);
  }
  return ops.crossEntropy(input, target, o.weight ?? null, reduction, o.ignoreIndex ?? -100, smoothing);
}

/** F.log_softmax(input, dim), or logSoftmax(input, { dim }) as Python's keyword. */
export function logSoftmax(input: Tensor, dim: number | { dim: number }): Tensor;
export function logSoftmax(input: Tensor, ...args: unknown[]): Tensor {
  const [dim] = namedArgs('logSoftmax', ['dim'], args) as [number];
  if (dim === undefined || dim === null) throw new TorchError('logSoftmax: dim is required');
  return T.logSoftmax(input, dim);
}

/** F.softmax(input, dim, dtype=None): dtype casts the input first (e.g. 'float32' for half inputs); softmax(x, { dim: 1 }). */
export function softmax(input: Tensor, dim: number, dtype?: DType): Tensor;
export function softmax(input: Tensor, dim: number, options: { dtype?: DType }): Tensor;
export function softmax(input: Tensor, options: { dim: number; dtype?: DType }): Tensor;
export function softmax(input: Tensor, ...args: unknown[]): Tensor {
  const [dim, dtype] = namedArgs('softmax', ['dim', 'dtype'], args) as [number, DType | undefined];
  if (dim === undefined || dim === null) throw new TorchError('softmax: dim is required');
  return T.softmax(input, dim, dtype ?? null);
}

/** F.softmin(input, dim, dtype=None): softmax of -input; softmin(x, 1) or softmin(x, { dim: 1 }). */
export function softmin(input: Tensor, dim: number, dtype?: DType): Tensor;
export function softmin(input: Tensor, dim: number, options: { dtype?: DType }): Tensor;
export function softmin(input: Tensor, options: { dim: number; dtype?: DType }): Tensor;
export function softmin(input: Tensor, ...args: unknown[]): Tensor {
  const [dim, dtype] = namedArgs('softmin', ['dim', 'dtype'], args) as [number, DType | undefined];
  if (dim === undefined || dim === null) throw new TorchError('softmin: dim is required');
  return T.softmax(input.neg(), dim, dtype ?? null);
}

export interface GumbelSoftmaxOptions {
  /** Temperature (default 1): lower is closer to one-hot. */
  tau?: number;
  /** One-hot samples in the forward pass, with y_soft's gradient (straight-through); default false. */
  hard?: boolean;
  /** Deprecated in PyTorch and without effect: a value other than 1e-10 warns, as there. */
  eps?: number;
  /** The dimension softmax runs over; default -1. */
  dim?: number;
}
/**
 * F.gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1): softmax((logits + g) / tau) along dim for
 * Gumbel(0, 1) noise g = -log(Exponential(1)), drawn as PyTorch draws it (the same values after the same
 * torch.manualSeed). hard: the one-hot of each argmax, y_hard - y_soft.detach() + y_soft, so the gradient
 * is y_soft's.
 */
export function gumbelSoftmax(logits: Tensor, options: GumbelSoftmaxOptions = {}): Tensor {
  const o = readOptions('F.gumbelSoftmax', options, ['tau', 'hard', 'eps', 'dim']);
  checkFields(o, 'F.gumbelSoftmax', { tau: checkNumber, hard: checkBool, eps: checkNumber, dim: checkInt });
  if (o.eps !== undefined && o.eps !== 1e-10) {
    process.emitWarning('F.gumbelSoftmax: `eps` parameter is deprecated and has no effect.', 'TorchWarning');
  }
  const dim = o.dim ?? -1;
  // PyTorch's torch.legacy_contiguous_format: the noise is drawn in row-major order whatever the logits' strides.
  const gumbels = T.emptyLike(logits, { memoryFormat: 'contiguous' }).exponential_().log().neg();
  const ySoft = T.softmax(logits.add(gumbels).div(o.tau ?? 1), dim, null);
  if (!(o.hard ?? false)) return ySoft;
  const index = ySoft.max(dim, { keepdim: true }).indices;
  const yHard = T.zerosLike(logits, { memoryFormat: 'contiguous' }).scatter_(dim, index, 1.0);
  return yHard.sub(ySoft.detach()).add(ySoft);
}

/**
 * F.normalize(input, p=2.0, dim=1, eps=1e-12): input / max(‖input‖_p along dim, eps), as PyTorch computes
 * it (norm with keepdim, clamp_min(eps), expand_as, div); normalize(x, { dim: 0 }).
 */
export function normalize(input: Tensor, p?: number, dim?: number, eps?: number): Tensor;
export function normalize(input: Tensor, options: { p?: number; dim?: number; eps?: number }): Tensor;
export function normalize(input: Tensor, ...args: unknown[]): Tensor {
  const [p, dim, eps] = namedArgs('normalize', ['p', 'dim', 'eps'], args) as [number?, number?, number?];
  const denom = T.norm(input, p ?? 2, [dim ?? 1], true).clampMin(eps ?? 1e-12).expandAs(input);
  return input.div(denom);
}

const gluOp = bindOp<(input: Tensor, dim: number) => Tensor>('F.glu', ['glu']);
/** F.glu(input, dim=-1): the first half of `dim` times the sigmoid of the second half. */
export function glu(input: Tensor, dim?: number | { dim?: number }): Tensor;
export function glu(input: Tensor, ...args: unknown[]): Tensor {
  const [dim] = namedArgs('glu', ['dim'], args) as [number?];
  if (input.dim() === 0) throw new TorchError('glu does not support scalars because halving size must be even');
  return gluOp(input, dim ?? -1);
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
  const o = readOptions('F.maxPool2d', options, ['stride', 'padding', 'dilation', 'ceilMode']);
  check3dOr4d(input, 'maxPool2d');
  return T.maxPool2d(input, kernelSize, o.stride ?? [], o.padding ?? 0, o.dilation ?? 1, o.ceilMode ?? false);
}

export interface DropoutOptions {
  p?: number;
  training?: boolean;
  inplace?: boolean;
}
const DROPOUT_ARGS = ['p', 'training', 'inplace'];
/** dropout and dropout2d (feature: whole channels of [N, C, H, W] or [C, H, W]); in place returns the input. */
function dropoutOp(where: string, input: Tensor, p: number, training: boolean, inplace: boolean, feature: boolean): Tensor {
  if (!(p >= 0 && p <= 1)) throw new TorchError(`${where}: dropout probability has to be between 0 and 1, but got ${p}`);
  if (feature) check3dOr4d(input, where);
  if (feature) return inplace ? T.featureDropout_(input, p, training) : T.featureDropout(input, p, training);
  return inplace ? T.dropout_(input, p, training) : T.dropout(input, p, training);
}
/** F.dropout(input, p=0.5, training=True, inplace=False): zeroes elements with probability p, scales the rest by 1/(1-p). */
export function dropout(input: Tensor, p?: number, training?: boolean, inplace?: boolean): Tensor;
export function dropout(input: Tensor, options: DropoutOptions): Tensor;
export function dropout(input: Tensor, ...args: unknown[]): Tensor {
  const [p = 0.5, training = true, inplace = false] = namedArgs('dropout', DROPOUT_ARGS, args) as [number?, boolean?, boolean?];
  return dropoutOp('dropout', input, p, training, inplace, false);
}

/** F.dropout2d(input, p=0.5, training=True, inplace=False): zeroes whole channels of [N, C, H, W] (or [C, H, W]). */
export function dropout2d(input: Tensor, p?: number, training?: boolean, inplace?: boolean): Tensor;
export function dropout2d(input: Tensor, options: DropoutOptions): Tensor;
export function dropout2d(input: Tensor, ...args: unknown[]): Tensor {
  const [p = 0.5, training = true, inplace = false] = namedArgs('dropout2d', DROPOUT_ARGS, args) as [number?, boolean?, boolean?];
  return dropoutOp('dropout2d', input, p, training, inplace, true);
}

/** F.layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5). */
export function layerNorm(
  input: Tensor,
  normalizedShape: number[],
  options: { weight?: Tensor | null; bias?: Tensor | null; eps?: number } = {},
): Tensor {
  options = readOptions('F.layerNorm', options, ['weight', 'bias', 'eps']);
  return T.layerNorm(input, normalizedShape, options.weight ?? null, options.bias ?? null, options.eps ?? 1e-5);
}

/** F.nll_loss(input, target, weight=None, ignore_index=-100, reduction='mean'): input holds log-probabilities. */
export function nllLoss(
  input: Tensor,
  target: Tensor,
  options: { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction } = {},
): Tensor {
  const o = readOptions('F.nllLoss', options, ['weight', 'ignoreIndex', 'reduction']);
  if (target.dtype !== 'int64') throw new TorchError(`nllLoss: target must be int64 class indices, got ${target.dtype}`);
  return ops.nllLoss(input, target, o.weight ?? null, reductionCode(o.reduction, 'nllLoss'), o.ignoreIndex ?? -100);
}

/** The shapes of a pointwise loss must agree (PyTorch warns and broadcasts; we refuse). */
function checkSameShape(input: Tensor, target: Tensor, where: string, verb = 'differs from'): void {
  if (!sameShape(input, target)) {
    const [a, b] = [input.shape, target.shape];
    const broadcast = verb === 'differs from' ? ' (broadcasting would silently change the loss)' : '';
    throw new TorchError(`${where}: target size [${b.join(', ')}] ${verb} input size [${a.join(', ')}]${broadcast}`);
  }
}

/** F.mse_loss(input, target, reduction='mean'). The shapes must be equal. */
export function mseLoss(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  const o = readOptions('F.mseLoss', options, ['reduction']);
  checkSameShape(input, target, 'mseLoss');
  return ops.mseLoss(input, target, reductionCode(o.reduction, 'mseLoss'));
}

/** F.l1_loss(input, target, reduction='mean'). The shapes must be equal. */
export function l1Loss(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  const o = readOptions('F.l1Loss', options, ['reduction']);
  checkSameShape(input, target, 'l1Loss');
  return ops.l1Loss(input, target, reductionCode(o.reduction, 'l1Loss'));
}

/** F.binary_cross_entropy_with_logits(input, target, weight=None, reduction='mean', pos_weight=None). */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  options: { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction } = {},
): Tensor {
  const o = readOptions('F.binaryCrossEntropyWithLogits', options, ['weight', 'posWeight', 'reduction']);
  checkSameShape(input, target, 'binaryCrossEntropyWithLogits', 'must be the same as');
  return ops.bceWithLogits(input, target, o.weight ?? null, o.posWeight ?? null, reductionCode(o.reduction, 'binaryCrossEntropyWithLogits'));
}

/** F.one_hot(tensor, num_classes=-1): int64 indices to int64 one-hot rows (-1: max + 1 classes). */
export function oneHot(tensor: Tensor, numClasses?: number | { numClasses?: number }): Tensor;
export function oneHot(tensor: Tensor, ...args: unknown[]): Tensor {
  const [numClasses = -1] = namedArgs('oneHot', ['numClasses'], args) as [number?];
  if (tensor.dtype !== 'int64') throw new TorchError(`oneHot: tensor must be int64 class indices, got ${tensor.dtype}`);
  return NF.oneHot(tensor, numClasses);
}

/** F.embedding(input, weight, padding_idx=None): rows of weight; the padding row gets no gradient. */
export function embedding(input: Tensor, weight: Tensor, paddingIdx?: number | null | { paddingIdx?: number | null }): Tensor;
export function embedding(input: Tensor, weight: Tensor, ...args: unknown[]): Tensor {
  const [paddingIdx = null] = namedArgs('embedding', ['paddingIdx'], args) as [number | null | undefined];
  if (input.dtype !== 'int64' && input.dtype !== 'int32') throw new TorchError(`embedding: input must be int64 or int32 indices, got ${input.dtype}`);
  if (weight.ndim !== 2) throw new TorchError(`embedding: weight must be 2-D, got ${weight.ndim}-D`);
  const pad = paddingIdx === null ? -1 : paddingIdx < 0 ? paddingIdx + weight.shape[0] : paddingIdx;
  return T.embedding(weight, input, pad);
}

/** F.gelu(input, approximate='none'), or gelu(input, { approximate: 'tanh' }). */
export function gelu(input: Tensor, approximate?: 'none' | 'tanh' | { approximate?: 'none' | 'tanh' }): Tensor;
export function gelu(input: Tensor, ...args: unknown[]): Tensor {
  const [approximate = 'none'] = namedArgs('gelu', ['approximate'], args) as ['none' | 'tanh' | undefined];
  if (approximate !== 'none' && approximate !== 'tanh') throw new TorchError(`gelu: approximate must be 'none' or 'tanh', got '${approximate}'`);
  return NF.gelu(input, { approximate });
}

/** F.silu(input): x * sigmoid(x). */
export function silu(input: Tensor): Tensor {
  return NF.silu(input);
}

/** F.sigmoid / F.tanh. */
export function sigmoid(input: Tensor): Tensor {
  return input.sigmoid();
}
export function tanh(input: Tensor): Tensor {
  return input.tanh();
}

// ---- Python-level functionals on the generic operator call (lib/ops.ts) ----

export type InterpolateMode = 'nearest' | 'nearest-exact' | 'linear' | 'bilinear' | 'bicubic' | 'trilinear' | 'area';
export interface InterpolateOptions {
  size?: number | number[] | null;
  scaleFactor?: number | number[] | null;
  mode?: InterpolateMode;
  /** linear, bilinear, bicubic and trilinear only; default false. */
  alignCorners?: boolean | null;
  recomputeScaleFactor?: boolean | null;
}
const INTERPOLATE_OPTIONS = ['size', 'scaleFactor', 'mode', 'alignCorners', 'recomputeScaleFactor'];
const LINEAR_MODES: Record<string, number> = { linear: 1, bilinear: 2, bicubic: 2, trilinear: 3 };
const upsample = (name: string, overload: string) => bindOp<(...a: unknown[]) => Tensor>('F.interpolate', [`${name}.${overload}`]);

/** F.interpolate(input, size=None, scale_factor=None, mode='nearest', align_corners=None, recompute_scale_factor=None). */
export function interpolate(input: Tensor, options: InterpolateOptions = {}): Tensor {
  const { size = null, scaleFactor = null, mode = 'nearest', alignCorners = null, recomputeScaleFactor = null } =
    normalizeOptions('interpolate', options, INTERPOLATE_OPTIONS);
  const dim = input.ndim - 2;
  if (dim < 1 || dim > 3) throw new TorchError(`interpolate: expected a 3-D, 4-D or 5-D input, got ${input.ndim}-D`);
  if ((size === null) === (scaleFactor === null)) throw new TorchError('interpolate: give exactly one of size and scaleFactor');
  if (alignCorners !== null && !(mode in LINEAR_MODES)) {
    throw new TorchError(`interpolate: alignCorners only has an effect for linear, bilinear, bicubic and trilinear, not '${mode}'`);
  }
  const perDim = (v: number | number[], what: string): number[] => {
    const xs = Array.isArray(v) ? v : new Array(dim).fill(v);
    if (xs.length !== dim) throw new TorchError(`interpolate: ${what} has ${xs.length} values for ${dim} spatial dimensions`);
    return xs;
  };
  let outputSize = size === null ? null : perDim(size, 'size');
  let scales = scaleFactor === null ? null : perDim(scaleFactor, 'scaleFactor');
  if (scales !== null && (recomputeScaleFactor || mode === 'area')) {
    outputSize = scales.map((s, i) => Math.floor(input.shape[i + 2] * s));
    scales = null;
  }
  const d = `${dim}d`;
  if (mode === 'area') return bindOp<(input: Tensor, outputSize: number[] | null) => Tensor>('F.interpolate', [`adaptive_avg_pool${d}`])(input, outputSize);
  if (mode === 'nearest') return upsample(`upsample_nearest${d}`, 'vec')(input, outputSize, scales);
  if (mode === 'nearest-exact') return upsample(`_upsample_nearest_exact${d}`, 'vec')(input, outputSize, scales);
  if (LINEAR_MODES[mode] !== dim) throw new TorchError(`interpolate: mode '${mode}' needs a ${LINEAR_MODES[mode] + 2}-D input, got ${input.ndim}-D`);
  const op = mode === 'linear' ? 'upsample_linear1d' : mode === 'bilinear' ? 'upsample_bilinear2d' : mode === 'bicubic' ? 'upsample_bicubic2d' : 'upsample_trilinear3d';
  return upsample(op, 'vec')(input, outputSize, alignCorners ?? false, scales);
}

/** F.elu(input, alpha=1.0, inplace=False). */
export function elu(input: Tensor, alpha?: number, inplace?: boolean): Tensor;
export function elu(input: Tensor, options: { alpha?: number; inplace?: boolean }): Tensor;
export function elu(input: Tensor, ...args: unknown[]): Tensor {
  const [alpha = 1.0, inplace = false] = namedArgs('elu', ['alpha', 'inplace'], args) as [number?, boolean?];
  return inplace ? ops.elu_(input, alpha) : ops.elu(input, alpha);
}

/** F.smooth_l1_loss(input, target, reduction='mean', beta=1.0). */
export function smoothL1Loss(input: Tensor, target: Tensor, options: { reduction?: Reduction; beta?: number } = {}): Tensor {
  options = readOptions('F.smoothL1Loss', options, ['reduction', 'beta']);
  return ops.smoothL1Loss(input, target, reductionCode(options.reduction, 'smoothL1Loss'), options.beta ?? 1.0);
}

/** F.huber_loss(input, target, reduction='mean', delta=1.0). */
export function huberLoss(input: Tensor, target: Tensor, options: { reduction?: Reduction; delta?: number } = {}): Tensor {
  options = readOptions('F.huberLoss', options, ['reduction', 'delta']);
  return ops.huberLoss(input, target, reductionCode(options.reduction, 'huberLoss'), options.delta ?? 1.0);
}

/** F.kl_div(input, target, reduction='mean', log_target=False); 'batchmean' divides the sum by the batch size. */
export function klDiv(input: Tensor, target: Tensor, options: { reduction?: Reduction | 'batchmean'; logTarget?: boolean } = {}): Tensor {
  options = readOptions('F.klDiv', options, ['reduction', 'logTarget']);
  const reduction = options.reduction ?? 'mean';
  const code = reductionCode(reduction === 'batchmean' ? 'sum' : reduction, 'klDiv');
  const out = ops.klDiv(input, target, code, { logTarget: options.logTarget ?? false });
  return reduction === 'batchmean' && input.ndim > 0 ? out.div(input.shape[0]) : out;
}

/** F.binary_cross_entropy(input, target, weight=None, reduction='mean'): input holds probabilities. */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options: { weight?: Tensor | null; reduction?: Reduction } = {}): Tensor {
  options = readOptions('F.binaryCrossEntropy', options, ['weight', 'reduction']);
  if (target.shape.join() !== input.shape.join()) {
    throw new TorchError(`binaryCrossEntropy: target size [${target.shape.join(', ')}] differs from input size [${input.shape.join(', ')}]`);
  }
  const weight = options.weight ? options.weight.expand(target.shape) : null;
  return ops.binaryCrossEntropy(input, target, weight, reductionCode(options.reduction, 'binaryCrossEntropy'));
}

export * from './functional_loss';
export * from './functional_spatial';

// torch.nn.functional's aten operators and the torch.* functions it re-exports, generated from PyTorch's
// declarations (lib/generated/nn_functional.ts); the functions above, written by hand, take precedence.
export * from '../generated/nn_functional';
