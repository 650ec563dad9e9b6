// The Tensor type. The class itself is native (native/tensor.cc): every op is one N-API call with
// no JS wrapper object in between. This file gives it TypeScript types and adds the methods that
// are plain JS (toArray, float(), cpu(), Symbol.dispose …), then the factories of `torch`.
import { DType, Device, TensorOptions, DTYPES } from './dtype';
import { TorchError } from './errors';
import { native } from './native';
import { installMethods, installProperties } from './ops';
import { METHODS, PROPERTIES } from './generated/tensor_methods';

export type Scalar = number | boolean;
export type TensorLike = Tensor | Scalar;
export type NestedArray = Scalar | NestedArray[];
export type MemoryFormat = 'contiguous' | 'channels_last';
/** A Tensor known to hold booleans (what comparisons return): its item() is a boolean. */
export type BoolTensor = Tensor & { readonly dtype: 'bool' };

export interface Tensor {
  readonly shape: number[];
  readonly dtype: DType;
  readonly device: string;
  readonly ndim: number;
  requiresGrad: boolean;
  /** The accumulated gradient, or null; a new JS handle on the same tensor each read. */
  readonly grad: Tensor | null;
  readonly isDisposed: boolean;
  numel(): number;
  isContiguous(memoryFormat?: MemoryFormat): boolean;

  /** Frees the libtorch tensor now (GPU memory included); further use throws. */
  dispose(): void;
  /** A copy of the data: Float32Array for float32/float16/bfloat16, BigInt64Array for int64, Uint8Array for bool. */
  toTypedArray(): Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array | BigInt64Array;
  /** The data as nested JS arrays of numbers (booleans for bool). */
  toArray(): NestedArray;
  /**
   * The value of a one-element tensor (a host-device sync on CUDA): a boolean for a bool tensor, a number
   * otherwise (int64 beyond 2^53 rounds). Typed `boolean` on the BoolTensors that comparisons, logicalNot()
   * and bool() return, `number` on any other Tensor.
   */
  item(this: BoolTensor): boolean;
  item(): number;

  to(target: Device | DType | string | { device?: string; dtype?: DType; nonBlocking?: boolean; copy?: boolean; memoryFormat?: MemoryFormat }): Tensor;
  cpu(): Tensor;
  cuda(index?: number): Tensor;
  float(): Tensor;
  double(): Tensor;
  half(): Tensor;
  long(): Tensor;
  int(): Tensor;
  bool(): BoolTensor;
  contiguous(memoryFormat?: MemoryFormat): Tensor;
  clone(): Tensor;
  detach(): Tensor;
  size(dim?: number): number | number[];
  dim(): number;

  add(other: TensorLike, alpha?: number): Tensor;
  sub(other: TensorLike, alpha?: number): Tensor;
  mul(other: TensorLike): Tensor;
  div(other: TensorLike): Tensor;
  pow(exponent: TensorLike): Tensor;
  remainder(other: TensorLike): Tensor;
  maximum(other: TensorLike): Tensor;
  minimum(other: TensorLike): Tensor;
  add_(other: TensorLike, alpha?: number): Tensor;
  sub_(other: TensorLike, alpha?: number): Tensor;
  mul_(other: TensorLike): Tensor;
  div_(other: TensorLike): Tensor;
  copy_(src: TensorLike): Tensor;
  fill_(value: TensorLike): Tensor;
  zero_(): Tensor;
  neg_(): Tensor;
  relu_(): Tensor;
  eq(other: TensorLike): BoolTensor;
  ne(other: TensorLike): BoolTensor;
  lt(other: TensorLike): BoolTensor;
  le(other: TensorLike): BoolTensor;
  gt(other: TensorLike): BoolTensor;
  ge(other: TensorLike): BoolTensor;
  equal(other: Tensor): boolean;
  allclose(other: Tensor, rtol?: number, atol?: number): boolean;
  matmul(other: Tensor): Tensor;

  neg(): Tensor;
  abs(): Tensor;
  exp(): Tensor;
  log(): Tensor;
  sqrt(): Tensor;
  sigmoid(): Tensor;
  tanh(): Tensor;
  relu(): Tensor;
  logicalNot(): BoolTensor;
  clamp(min?: number | null, max?: number | null): Tensor;

  sum(dim?: number | number[], keepdim?: boolean): Tensor;
  mean(dim?: number | number[], keepdim?: boolean): Tensor;
  max(): Tensor;
  max(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  min(): Tensor;
  min(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  argmax(dim?: number, keepdim?: boolean): Tensor;
  /** std(dim?, unbiased=true, keepdim=false), PyTorch's positional form; no dim reduces all. */
  std(dim?: number | number[] | null, unbiased?: boolean, keepdim?: boolean): Tensor;
  var(dim?: number | number[] | null, unbiased?: boolean, keepdim?: boolean): Tensor;
  /** torch.bincount of a 1-D int64 tensor, at least minlength bins. */
  bincount(minlength?: number): Tensor;

  view(...shape: number[] | [number[]]): Tensor;
  /** x.view(dtype): the same bytes as another dtype of the same or a dividing element size (torch's x.view(torch.int32)). */
  view(dtype: DType): Tensor;
  /** torch.as_strided: a view of this tensor's storage with the given sizes, strides and storage offset. */
  asStrided(size: number[], stride: number[], storageOffset?: number): Tensor;
  reshape(...shape: number[] | [number[]]): Tensor;
  permute(...dims: number[] | [number[]]): Tensor;
  expand(...shape: number[] | [number[]]): Tensor;
  flatten(startDim?: number, endDim?: number): Tensor;
  squeeze(dim?: number): Tensor;
  unsqueeze(dim: number): Tensor;
  transpose(dim0: number, dim1: number): Tensor;
  narrow(dim: number, start: number, length: number): Tensor;
  slice(dim: number, start?: number | null, end?: number | null, step?: number): Tensor;
  select(dim: number, index: number): Tensor;
  maskedFill(mask: Tensor, value: Scalar): Tensor;
  /** x.where(cond, y) is torch.where(cond, x, y). */
  where(condition: Tensor, other: Tensor): Tensor;
  /** torch.nn.functional.pad: pads from the last dimension backwards, (left, right, top, bottom, …). */
  pad(pads: number[], mode?: 'constant' | 'reflect' | 'replicate' | 'circular', value?: number): Tensor;

  backward(gradient?: Tensor, retainGraph?: boolean): void;
  requiresGrad_(requiresGrad?: boolean): Tensor;
  toString(): string;
  [Symbol.toPrimitive]?: never;
}

interface TensorClass {
  prototype: Tensor;
}

/** The native Tensor class (not constructible: use tensor(), zeros(), …). */
export const Tensor: TensorClass = native.Tensor;

/** Symbol.dispose where the runtime has it, so `using t = …` frees a tensor at the end of a block. */
export const disposeSymbol: symbol =
  (Symbol as unknown as { dispose?: symbol }).dispose ?? Symbol.for('Symbol.dispose');

export function isTensor(x: unknown): x is Tensor {
  return x instanceof (native.Tensor as new () => Tensor);
}

function nest(flat: ArrayLike<number | bigint>, shape: number[], bool: boolean): NestedArray {
  const conv = (v: number | bigint): Scalar => (bool ? v !== 0 : Number(v));
  if (shape.length === 0) return conv(flat[0]);
  let offset = 0;
  const build = (d: number): NestedArray[] => {
    const out: NestedArray[] = [];
    for (let i = 0; i < shape[d]; i++) {
      if (d === shape.length - 1) out.push(conv(flat[offset++]));
      else out.push(build(d + 1));
    }
    return out;
  };
  return build(0);
}

const proto = native.Tensor.prototype as Tensor & Record<string | symbol, unknown>;
Object.assign(proto, {
  toArray(this: Tensor): NestedArray {
    return nest(this.toTypedArray() as ArrayLike<number | bigint>, this.shape, this.dtype === 'bool');
  },
  cpu(this: Tensor) {
    return this.to('cpu');
  },
  cuda(this: Tensor, index?: number) {
    return this.to(index === undefined ? 'cuda' : `cuda:${index}`);
  },
  float(this: Tensor) {
    return this.to('float32');
  },
  double(this: Tensor) {
    return this.to('float64');
  },
  half(this: Tensor) {
    return this.to('float16');
  },
  long(this: Tensor) {
    return this.to('int64');
  },
  int(this: Tensor) {
    return this.to('int32');
  },
  bool(this: Tensor) {
    return this.to('bool');
  },
  size(this: Tensor, dim?: number) {
    const shape = this.shape;
    if (dim === undefined) return shape;
    const d = dim < 0 ? dim + shape.length : dim;
    if (d < 0 || d >= shape.length) throw new TorchError(`size: dimension ${dim} out of range for ${shape.length} dims`);
    return shape[d];
  },
  dim(this: Tensor) {
    return this.ndim;
  },
  toString(this: Tensor) {
    if (this.isDisposed) return 'Tensor(disposed)';
    const head = `Tensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype}, device=${this.device}`;
    if (this.numel() > 100) return head + ')';
    return `${head}, data=${JSON.stringify(this.toArray())})`;
  },
});
// Every other Tensor method PyTorch declares, through the generic operator call (lib/generated/).
installMethods(proto, METHODS);
installProperties(proto, PROPERTIES);
proto[disposeSymbol] = function (this: Tensor) {
  this.dispose();
};
Object.defineProperty(proto, Symbol.for('nodejs.util.inspect.custom'), {
  value(this: Tensor) {
    return this.toString();
  },
});

// ---- Factories: torch.tensor, zeros, ones, … ----

type Typed = Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array | BigInt64Array;

function flatten(data: NestedArray, where: string): { flat: Scalar[]; shape: number[] } {
  const shape: number[] = [];
  let probe: NestedArray = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const flat: Scalar[] = [];
  const walk = (x: NestedArray, d: number): void => {
    if (d === shape.length) {
      if (typeof x !== 'number' && typeof x !== 'boolean') {
        throw new TorchError(`${where}: expected numbers or booleans, got ${typeof x}`);
      }
      flat.push(x);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[d]) {
      throw new TorchError(`${where}: ragged nested array: expected length ${shape[d]} at depth ${d}`);
    }
    for (const y of x) walk(y, d + 1);
  };
  walk(data, 0);
  return { flat, shape };
}

/**
 * torch.tensor: from a number, nested arrays or a TypedArray (copied). Numbers default to float32
 * (JS has no separate integer literal; pass {dtype: 'int64'}), booleans to bool, a TypedArray to its own type.
 */
export function tensor(data: NestedArray | Typed, options: TensorOptions & { shape?: number[] } = {}): Tensor {
  const { shape, ...opts } = options;
  if (ArrayBuffer.isView(data)) {
    const typed = data as Typed;
    return native.fromTypedArray(typed, shape ?? [typed.length], opts);
  }
  const { flat, shape: inferred } = flatten(data as NestedArray, 'tensor');
  const isBool = flat.length > 0 && flat.every((v) => typeof v === 'boolean');
  if (!isBool && flat.some((v) => typeof v === 'boolean')) throw new TorchError('tensor: mixes booleans and numbers');
  const values = isBool ? Uint8Array.from(flat as boolean[], (b) => (b ? 1 : 0)) : Float64Array.from(flat as number[]);
  const dtype = opts.dtype ?? (isBool ? 'bool' : 'float32');
  return native.fromTypedArray(values, shape ?? inferred, { ...opts, dtype });
}

function checkShape(shape: number[] | number, where: string): number[] {
  const s = typeof shape === 'number' ? [shape] : shape;
  if (!Array.isArray(s)) throw new TorchError(`${where}: shape must be an array of integers`);
  return s;
}

export function zeros(shape: number[] | number, options?: TensorOptions): Tensor {
  return native.zeros(checkShape(shape, 'zeros'), options);
}
export function ones(shape: number[] | number, options?: TensorOptions): Tensor {
  return native.ones(checkShape(shape, 'ones'), options);
}
export function empty(shape: number[] | number, options?: TensorOptions): Tensor {
  return native.empty(checkShape(shape, 'empty'), options);
}
export function full(shape: number[] | number, value: Scalar, options?: TensorOptions): Tensor {
  return native.full(checkShape(shape, 'full'), value, options);
}
/** torch.rand: uniform on [0, 1). */
export function rand(shape: number[] | number, options?: TensorOptions): Tensor {
  return native.rand(checkShape(shape, 'rand'), options);
}
/** torch.randn: standard normal. */
export function randn(shape: number[] | number, options?: TensorOptions): Tensor {
  return native.randn(checkShape(shape, 'randn'), options);
}
/** torch.randint(low, high, shape): int64 by default. */
export function randint(low: number, high: number, shape: number[] | number, options?: TensorOptions): Tensor {
  return native.randint(low, high, checkShape(shape, 'randint'), options);
}
export function randperm(n: number, options?: TensorOptions): Tensor {
  return native.randperm(n, options);
}
/** torch.arange(end) or arange(start, end, step): int64 when all are integers, float32 otherwise. */
export function arange(start: number, end?: number, step = 1, options?: TensorOptions): Tensor {
  if (end === undefined) return native.arange(0, start, step, options);
  return native.arange(start, end, step, options);
}
export function cat(tensors: Tensor[], dim = 0): Tensor {
  return native.cat(tensors, dim);
}
export function stack(tensors: Tensor[], dim = 0): Tensor {
  return native.stack(tensors, dim);
}
/** torch.manual_seed: seeds the CPU and every CUDA generator. */
export function manualSeed(seed: number): void {
  native.manualSeed(seed);
}

/** torch.get_rng_state() ('cpu') or torch.cuda.get_rng_state(device): the generator state as a uint8 tensor. */
export function getRngState(device = 'cpu'): Tensor {
  return native.getRngState(device);
}
/** Restores a state from getRngState(). */
export function setRngState(state: Tensor, device = 'cpu'): void {
  native.setRngState(state, device);
}

/** torch.no_grad(): runs fn with autograd recording off (fn must be synchronous). */
export function noGrad<T>(fn: () => T): T {
  const previous = native.setGradEnabled(false);
  try {
    return fn();
  } finally {
    native.setGradEnabled(previous);
  }
}
export function isGradEnabled(): boolean {
  return native.isGradEnabled();
}
export function setGradEnabled(enabled: boolean): boolean {
  return native.setGradEnabled(enabled);
}
/** torch.get_num_threads / set_num_threads (intra-op threads on CPU). */
export function getNumThreads(): number {
  return native.numThreads();
}
export function setNumThreads(n: number): void {
  native.numThreads(n);
}
export { libtorchVersion } from './utils/version';

export { DTYPES };
