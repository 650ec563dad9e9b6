// torch.nn.init: every initializer, with PyTorch's fan and gain rules, filling the tensor in place
// without recording autograd. Each draws from the default generator with the same ATen calls in the
// same order as PyTorch's, so after torch.manualSeed(s) the values are Python's for the same seed.
// Python's keyword arguments go in one options object; the leading positional ones stay positional.
import { TorchError } from '../errors';
import { Tensor, noGrad, randperm, tensor } from '../tensor';
import { emptyLike, eye, where } from '../generated/torch';
import { libtorchAtLeast } from '../utils/version';
import { qr } from '../generated/linalg';
import { readOptions } from '../utils/options';
import { namedArgs } from '../kwargs';
import { describeValue } from '../utils/validate';

/**
 * The numeric arguments after the tensor, as Python takes them: by position, by name in a trailing options
 * object (xavier_normal_(w, gain=2) as xavierNormal_(w, { gain: 2 })), or both; `defaults` lists them in
 * order (undefined: required). Anything but a number is a TorchError naming the argument.
 */
function numbers(where: string, defaults: Record<string, number | undefined>, args: readonly unknown[]): number[] {
  const names = Object.keys(defaults);
  const given = namedArgs(where, names, args);
  if (given.length > names.length) throw new TorchError(`${where}: takes at most ${names.length} arguments after the tensor, got ${given.length}`);
  return names.map((name, i) => {
    const v = given[i] ?? defaults[name];
    if (v === undefined) throw new TorchError(`${where}: missing the argument '${name}'`);
    if (typeof v !== 'number' || Number.isNaN(v)) throw new TorchError(`${where}: argument '${name}' must be a number, not ${describeValue(v)}`);
    return v;
  });
}

export type Nonlinearity =
  | 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'conv_transpose1d' | 'conv_transpose2d' | 'conv_transpose3d'
  | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';
export type FanMode = 'fan_in' | 'fan_out';

const LINEAR_FNS = ['linear', 'conv1d', 'conv2d', 'conv3d', 'conv_transpose1d', 'conv_transpose2d', 'conv_transpose3d'];

/** nn.init.calculate_gain(nonlinearity, param=None): the recommended gain for a nonlinearity. */
export function calculateGain(nonlinearity: Nonlinearity, param: number | null = null): number {
  if (LINEAR_FNS.includes(nonlinearity) || nonlinearity === 'sigmoid') return 1;
  if (nonlinearity === 'tanh') return 5 / 3;
  if (nonlinearity === 'relu') return Math.sqrt(2);
  if (nonlinearity === 'selu') return 3 / 4;
  if (nonlinearity === 'leaky_relu') {
    if (param !== null && (typeof param !== 'number' || !Number.isFinite(param))) {
      throw new TorchError(`nn.init.calculateGain: negative_slope ${String(param)} not a valid number`);
    }
    const slope = param ?? 0.01;
    return Math.sqrt(2 / (1 + slope * slope));
  }
  throw new TorchError(`nn.init.calculateGain: unsupported nonlinearity '${String(nonlinearity)}'`);
}

/** _calculate_fan_in_and_fan_out: [fan_in, fan_out] = [size(1), size(0)] times the receptive field (dims 2…). */
export function calculateFanInAndFanOut(tensor: Tensor): [number, number] {
  if (tensor.ndim < 2) {
    throw new TorchError('nn.init: Fan in and fan out can not be computed for tensor with fewer than 2 dimensions');
  }
  const receptive = tensor.shape.slice(2).reduce((a, b) => a * b, 1);
  return [tensor.shape[1] * receptive, tensor.shape[0] * receptive];
}

function correctFan(tensor: Tensor, mode: FanMode): number {
  if (mode !== 'fan_in' && mode !== 'fan_out') {
    throw new TorchError(`nn.init: mode ${String(mode)} not supported, please use one of fan_in, fan_out`);
  }
  const [fanIn, fanOut] = calculateFanInAndFanOut(tensor);
  return mode === 'fan_in' ? fanIn : fanOut;
}

/** nn.init.uniform_(tensor, a=0, b=1). */
export function uniform_(tensor: Tensor, a?: number, b?: number): Tensor;
export function uniform_(tensor: Tensor, options: { a?: number; b?: number }): Tensor;
export function uniform_(tensor: Tensor, ...args: unknown[]): Tensor {
  const [a, b] = numbers('nn.init.uniform_', { a: 0, b: 1 }, args);
  return noGrad(() => tensor.uniform_(a, b));
}

/** nn.init.normal_(tensor, mean=0, std=1). */
export function normal_(tensor: Tensor, mean?: number, std?: number): Tensor;
export function normal_(tensor: Tensor, options: { mean?: number; std?: number }): Tensor;
export function normal_(tensor: Tensor, ...args: unknown[]): Tensor {
  const [mean, std] = numbers('nn.init.normal_', { mean: 0, std: 1 }, args);
  return noGrad(() => tensor.normal_(mean, std));
}

const normCdf = (x: number) => (1 + erf(x / Math.SQRT2)) / 2;

/**
 * nn.init.trunc_normal_(tensor, mean=0, std=1, a=-2, b=2): N(mean, std²) truncated to [a, b], drawn as
 * the PyTorch of this libtorch does: from 2.12 by rejection (PyTorch's #174997), before by the inverse
 * CDF (uniform over the CDF's range, then erfinv), so a seed gives that version's values.
 */
export function truncNormal_(tensor: Tensor, mean?: number, std?: number, a?: number, b?: number): Tensor;
export function truncNormal_(tensor: Tensor, options: { mean?: number; std?: number; a?: number; b?: number }): Tensor;
export function truncNormal_(tensor: Tensor, ...args: unknown[]): Tensor {
  const [mean, std, a, b] = numbers('nn.init.truncNormal_', { mean: 0, std: 1, a: -2, b: 2 }, args);
  if (mean < a - 2 * std || mean > b + 2 * std) {
    process.emitWarning('nn.init.truncNormal_: mean is more than 2 std from [a, b]; the distribution of values may be incorrect', 'TorchWarning');
  }
  if (libtorchAtLeast(2, 12)) return noGrad(() => truncNormalByRejection(tensor, mean, std, a, b));
  const l = normCdf((a - mean) / std);
  const u = normCdf((b - mean) / std);
  return noGrad(() => tensor.uniform_(2 * l - 1, 2 * u - 1).erfinv_().mul_(std * Math.SQRT2).add_(mean).clamp_(a, b));
}

// PyTorch 2.12's _no_grad_trunc_normal_, call for call: redraw N(mean, std²) outside [a, b] when most
// of the mass is inside, else uniform proposals on [a, b] accepted by the density.
function truncNormalByRejection(t: Tensor, mean: number, std: number, a: number, b: number): Tensor {
  const p = normCdf((b - mean) / std) - normCdf((a - mean) / std);
  if (p > 0.3) {
    const lo = tensor([a], { dtype: t.dtype }).item() as number;
    const hi = tensor([b], { dtype: t.dtype }).item() as number;
    let result = t.normal_(mean, std);
    for (;;) {
      const mask = result.lt(lo).logicalOr(result.gt(hi));
      if (!mask.any().item()) break;
      result = where(mask, emptyLike(result).normal_(mean, std), result);
    }
    if (result !== t) t.copy_(result);
    return t;
  }
  const mode = Math.max(a, Math.min(mean, b));
  const logPeak = -0.5 * ((mode - mean) / std) ** 2;
  const logPdfMinusPeak = (x: Tensor) => x.sub_(mean).div_(std).pow_(2).mul_(-0.5).sub_(logPeak);
  const candidates = emptyLike(t);
  const acceptBuf = emptyLike(t);
  t.uniform_(a, b);
  logPdfMinusPeak(candidates.copy_(t));
  let pending: Tensor = acceptBuf.uniform_().log_().gt(candidates);
  if (!pending.any().item()) return t;
  let result = t;
  for (;;) {
    candidates.uniform_(a, b);
    result = where(pending, candidates, result);
    logPdfMinusPeak(candidates);
    pending = where(pending, acceptBuf.uniform_().log_().gt(candidates), pending);
    if (!pending.any().item()) break;
  }
  return t.copy_(result);
}

// Python's math.erf is C's erf; libtorch's float64 erf is the same function.
function erf(x: number): number {
  return tensor([x], { dtype: 'float64' }).erf().item() as number;
}

/** nn.init.constant_(tensor, val). */
export function constant_(tensor: Tensor, val: number): Tensor;
export function constant_(tensor: Tensor, options: { val: number }): Tensor;
export function constant_(tensor: Tensor, ...args: unknown[]): Tensor {
  const [val] = numbers('nn.init.constant_', { val: undefined }, args);
  return noGrad(() => tensor.fill_(val));
}

/** nn.init.ones_(tensor). */
export function ones_(tensor: Tensor): Tensor {
  return constant_(tensor, 1);
}

/** nn.init.zeros_(tensor). */
export function zeros_(tensor: Tensor): Tensor {
  return noGrad(() => tensor.zero_());
}

/** nn.init.eye_(tensor): the identity of a 2-D tensor (ones on the diagonal of a rectangular one). */
export function eye_(tensor: Tensor): Tensor {
  if (tensor.ndim !== 2) throw new TorchError('nn.init.eye_: Only tensors with 2 dimensions are supported');
  return noGrad(() => tensor.copy_(eye(tensor.shape[0], tensor.shape[1], { dtype: tensor.dtype, device: tensor.device })));
}

/**
 * nn.init.dirac_(tensor, groups=1): a 3-, 4- or 5-D convolution weight that passes its input through
 * (the channels of each group), one at the kernel's centre.
 */
export function dirac_(tensor: Tensor, groups?: number | { groups?: number }): Tensor;
export function dirac_(tensor: Tensor, ...args: unknown[]): Tensor {
  const [groups] = numbers('nn.init.dirac_', { groups: 1 }, args);
  const dims = tensor.ndim;
  if (dims < 3 || dims > 5) throw new TorchError('nn.init.dirac_: Only tensors with 3, 4, or 5 dimensions are supported');
  const [out, inp, ...kernel] = tensor.shape;
  if (!Number.isInteger(groups) || groups < 1 || out % groups !== 0) throw new TorchError('nn.init.dirac_: dim 0 must be divisible by groups');
  const perGroup = out / groups;
  const minDim = Math.min(perGroup, inp);
  return noGrad(() => {
    tensor.zero_();
    for (let g = 0; g < groups; g++) {
      for (let d = 0; d < minDim; d++) {
        let cell = tensor.select(0, g * perGroup + d).select(0, d);
        for (const k of kernel) cell = cell.select(0, Math.floor(k / 2));
        cell.fill_(1);
      }
    }
    return tensor;
  });
}

/** nn.init.xavier_uniform_(tensor, gain=1): U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)). */
export function xavierUniform_(tensor: Tensor, gain?: number | { gain?: number }): Tensor;
export function xavierUniform_(tensor: Tensor, ...args: unknown[]): Tensor {
  const [gain] = numbers('nn.init.xavierUniform_', { gain: 1 }, args);
  const [fanIn, fanOut] = calculateFanInAndFanOut(tensor);
  const std = gain * Math.sqrt(2 / (fanIn + fanOut));
  const a = Math.sqrt(3) * std; // PyTorch's order of operations, so the bound is its double
  return uniform_(tensor, -a, a);
}

/** nn.init.xavier_normal_(tensor, gain=1): N(0, std²), std = gain * sqrt(2 / (fan_in + fan_out)). */
export function xavierNormal_(tensor: Tensor, gain?: number | { gain?: number }): Tensor;
export function xavierNormal_(tensor: Tensor, ...args: unknown[]): Tensor {
  const [gain] = numbers('nn.init.xavierNormal_', { gain: 1 }, args);
  const [fanIn, fanOut] = calculateFanInAndFanOut(tensor);
  return normal_(tensor, 0, gain * Math.sqrt(2 / (fanIn + fanOut)));
}

export interface KaimingOptions {
  /** The negative slope of the rectifier after this layer (leaky_relu only); default 0. */
  a?: number;
  /** 'fan_in' (default) keeps the forward pass's variance, 'fan_out' the backward pass's. */
  mode?: FanMode;
  /** Default 'leaky_relu'. */
  nonlinearity?: Nonlinearity;
}

// std = gain / sqrt(fan); a zero-element tensor is left alone (PyTorch warns and returns it).
function kaimingStd(tensor: Tensor, where: string, options: KaimingOptions | number | undefined): number | null {
  const o = typeof options === 'number' ? { a: options } : readOptions(where, options, ['a', 'mode', 'nonlinearity']);
  if (tensor.shape.includes(0)) {
    process.emitWarning(`${where}: Initializing zero-element tensors is a no-op`, 'TorchWarning');
    return null;
  }
  const fan = correctFan(tensor, o.mode ?? 'fan_in');
  return calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0) / Math.sqrt(fan);
}

/**
 * nn.init.kaiming_uniform_(tensor, a=0, mode='fan_in', nonlinearity='leaky_relu'): U(-b, b),
 * b = gain * sqrt(3 / fan). kaimingUniform_(w, { a: Math.sqrt(5) }) is nn.Linear's and nn.Conv2d's init.
 */
export function kaimingUniform_(tensor: Tensor, options?: KaimingOptions | number): Tensor {
  const std = kaimingStd(tensor, 'nn.init.kaimingUniform_', options);
  if (std === null) return tensor;
  const bound = Math.sqrt(3) * std;
  return uniform_(tensor, -bound, bound);
}

/** nn.init.kaiming_normal_(tensor, a=0, mode='fan_in', nonlinearity='leaky_relu'): N(0, std²), std = gain / sqrt(fan). */
export function kaimingNormal_(tensor: Tensor, options?: KaimingOptions | number): Tensor {
  const std = kaimingStd(tensor, 'nn.init.kaimingNormal_', options);
  if (std === null) return tensor;
  return normal_(tensor, 0, std);
}

/**
 * nn.init.orthogonal_(tensor, gain=1): a (semi-)orthogonal matrix from the QR decomposition of a standard
 * normal one (signs fixed by R's diagonal), viewed as the tensor's shape and scaled by gain.
 */
export function orthogonal_(tensor: Tensor, gain?: number | { gain?: number }): Tensor;
export function orthogonal_(tensor: Tensor, ...args: unknown[]): Tensor {
  const [gain] = numbers('nn.init.orthogonal_', { gain: 1 }, args);
  if (tensor.ndim < 2) throw new TorchError('nn.init.orthogonal_: Only tensors with 2 or more dimensions are supported');
  if (tensor.numel() === 0) return tensor;
  const rows = tensor.shape[0];
  const cols = tensor.numel() / rows;
  return noGrad(() => {
    let flat = tensor.newEmpty([rows, cols]).normal_(0, 1);
    if (rows < cols) flat = flat.t();
    let [q, r] = qr(flat) as [Tensor, Tensor];
    q = q.mul(r.diagonal().sign());
    if (rows < cols) q = q.t();
    tensor.viewAs(q).copy_(q);
    return tensor.mul_(gain);
  });
}

/**
 * nn.init.sparse_(tensor, sparsity, std=0.01): a 2-D tensor drawn from N(0, std²) with ceil(sparsity * rows)
 * zeros in each column, at rows chosen by randperm, as PyTorch's.
 */
export function sparse_(tensor: Tensor, sparsity: number, std?: number | { std?: number }): Tensor;
export function sparse_(tensor: Tensor, options: { sparsity: number; std?: number }): Tensor;
export function sparse_(tensor: Tensor, ...args: unknown[]): Tensor {
  const [sparsity, std] = numbers('nn.init.sparse_', { sparsity: undefined, std: 0.01 }, args);
  if (tensor.ndim !== 2) throw new TorchError('nn.init.sparse_: Only tensors with 2 dimensions are supported');
  const [rows, cols] = tensor.shape;
  const numZeros = Math.ceil(sparsity * rows);
  return noGrad(() => {
    tensor.normal_(0, std);
    for (let c = 0; c < cols; c++) {
      const zeroRows = randperm(rows).slice(0, 0, numZeros);
      tensor.select(1, c).indexFill_(0, zeroRows, 0);
    }
    return tensor;
  });
}
