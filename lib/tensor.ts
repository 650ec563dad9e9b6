// The Tensor type. The class itself is native (native/tensor.cc): every op is one N-API call with
// no JS wrapper object in between. This file gives it TypeScript types and adds the methods that
// are plain JS (toArray, float(), cpu(), Symbol.dispose …), then the factories of `torch`.
import { DType, Device, TensorOptions, DTYPES } from './dtype';
import { TorchError } from './errors';
import { native } from './native';
import { disposeHandle, installMethods, installProperties } from './ops';
import { METHODS, PROPERTIES } from './generated/tensor_methods';
import { TENSOR_ADAPTERS } from './tensor_methods';
import * as ops from './generated/torch';
import { isOptions, normalizeOptions } from './kwargs';
import { tensorRepr } from './tensor_str';
import { installIndexing } from './indexing';
import type * as types from './tensor_types';
import type { Scalar, NestedArray, MemoryFormat } from './tensor_types';

export type { Scalar, TensorLike, NestedArray, MemoryFormat, BoolTensor } from './tensor_types';
/** The Tensor interface (lib/tensor_types.ts); the class of the same name is below. */
export type Tensor = types.Tensor;

/** The class, for `x instanceof torch.Tensor` (abstract: make tensors with tensor(), zeros(), …). */
type TensorClass = (abstract new (...args: never[]) => Tensor) & { readonly prototype: Tensor };

/** The native Tensor class (not constructible: use tensor(), zeros(), …); `x instanceof torch.Tensor` narrows. */
export const Tensor: TensorClass = native.Tensor as unknown as TensorClass;

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
  tolist(this: Tensor): NestedArray {
    return this.toArray();
  },
  toString(this: Tensor) {
    return tensorRepr(this);
  },
});
// The methods whose calling form is not their schema's (x.to('cuda'), x.backward()), then every other Tensor
// method PyTorch declares, as it is, through the generic operator call (lib/generated/).
for (const [name, fn] of Object.entries(TENSOR_ADAPTERS)) {
  Object.defineProperty(proto, name, { value: fn, writable: true, configurable: true, enumerable: false });
}
installMethods(proto, METHODS);
installProperties(proto, PROPERTIES);
installIndexing(proto);
// dispose() reads the token in JS, as every op's wrapper does (lib/ops.ts); the native method stays for the
// message a value that is no Tensor gets.
const nativeDispose = proto.dispose as (this: unknown) => void;
proto.dispose = function dispose(this: Tensor): void {
  disposeHandle(this, nativeDispose);
};
proto[disposeSymbol] = function (this: Tensor) {
  this.dispose();
};
// Python's x.is_leaf: a tensor autograd made has a grad_fn; every other one (no grad, a user's parameter, a
// detach()) is a leaf.
Object.defineProperty(proto, 'isLeaf', {
  get(this: Tensor) {
    return this.gradFnName() === null;
  },
  configurable: true,
  enumerable: false,
});
Object.defineProperty(proto, Symbol.for('nodejs.util.inspect.custom'), {
  value(this: Tensor) {
    return this.toString();
  },
});

// ---- Factories: torch.tensor, zeros, ones, … ----

/** The keyword arguments of PyTorch's factories (dtype=, device=, requires_grad=). */
const FACTORY_OPTIONS = ['dtype', 'device', 'requiresGrad'];

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
 * torch.tensor: from a number, nested arrays or a TypedArray (copied). Numbers take the default dtype
 * (getDefaultDtype(): float32 unless setDefaultDtype changed it), integers too, as JS has no separate integer
 * literal (pass {dtype: 'int64'}); booleans give bool, a TypedArray its own type.
 */
export function tensor(data: NestedArray | Typed, options: TensorOptions & { shape?: number[] } = {}): Tensor {
  const { shape, ...opts } = normalizeOptions('tensor', options, [...FACTORY_OPTIONS, 'shape']);
  if (ArrayBuffer.isView(data)) {
    const typed = data as Typed;
    return native.fromTypedArray(typed, shape ?? [typed.length], opts);
  }
  const { flat, shape: inferred } = flatten(data as NestedArray, 'tensor');
  const isBool = flat.length > 0 && flat.every((v) => typeof v === 'boolean');
  if (!isBool && flat.some((v) => typeof v === 'boolean')) throw new TorchError('tensor: mixes booleans and numbers');
  const values = isBool ? Uint8Array.from(flat as boolean[], (b) => (b ? 1 : 0)) : Float64Array.from(flat as number[]);
  const dtype = opts.dtype ?? (isBool ? 'bool' : getDefaultDtype());
  return native.fromTypedArray(values, shape ?? inferred, { ...opts, dtype });
}

/** A size as PyTorch takes it: one array (or integer), or the integers themselves, then an options object. */
export type SizeArgs =
  | [size: number[] | number, options?: TensorOptions]
  | number[]
  | [...size: number[], options: TensorOptions];

/** Splits a trailing options object (PyTorch's keyword arguments) off the arguments. */
function popOptions(where: string, args: unknown[]): { rest: unknown[]; options: TensorOptions } {
  const last = args[args.length - 1];
  if (args.length > 0 && isOptions(last)) {
    return { rest: args.slice(0, -1), options: normalizeOptions(where, last as TensorOptions, FACTORY_OPTIONS) };
  }
  return { rest: args, options: {} };
}

function isIntegerArg(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/** torch.zeros(2, 3), zeros([2, 3]), zeros(2, 3, { dtype }): the size and the options. */
function sizeArgs(where: string, args: unknown[]): { size: number[]; options: TensorOptions } {
  const { rest, options } = popOptions(where, args);
  if (rest.length === 1 && Array.isArray(rest[0])) return { size: rest[0] as number[], options };
  if (rest.length === 0) throw new TorchError(`${where}: missing the size (integers or an array of integers)`);
  const bad = rest.findIndex((v) => !isIntegerArg(v));
  if (bad >= 0) {
    throw new TorchError(`${where}: size must be integers or one array of integers; argument ${bad} is ${describe(rest[bad])}`);
  }
  return { size: rest as number[], options };
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  return typeof v === 'number' ? `${v}` : `a ${typeof v}`;
}

function checkShape(shape: unknown, where: string): number[] {
  const s = typeof shape === 'number' ? [shape] : shape;
  if (!Array.isArray(s)) throw new TorchError(`${where}: shape must be an array of integers`);
  return s;
}

/** torch.zeros(*size, dtype=…, device=…, requires_grad=…): zeros(2, 3), zeros([2, 3]), zeros(2, 3, { dtype }). */
export function zeros(...args: SizeArgs): Tensor {
  const { size, options } = sizeArgs('zeros', args);
  return ops.zeros(size, options);
}
/** torch.ones(*size, …), as zeros. */
export function ones(...args: SizeArgs): Tensor {
  const { size, options } = sizeArgs('ones', args);
  return ops.ones(size, options);
}
/** torch.empty(*size, …), as zeros: the values are whatever the memory held. */
export function empty(...args: SizeArgs): Tensor {
  const { size, options } = sizeArgs('empty', args);
  return ops.empty(size, options);
}
/** torch.full(size, fill_value, …): full([2, 3], 7), full(4, 0.5, { dtype: 'float64' }). */
export function full(size: number[] | number, fillValue: Scalar, options?: TensorOptions): Tensor {
  return ops.full(checkShape(size, 'full'), fillValue, normalizeOptions('full', options, FACTORY_OPTIONS));
}
/** torch.rand(*size, …): uniform on [0, 1); rand(2, 3) or rand([2, 3]). */
export function rand(...args: SizeArgs): Tensor {
  const { size, options } = sizeArgs('rand', args);
  return ops.rand(size, options);
}
/** torch.randn(*size, …): standard normal; randn(2, 3) or randn([2, 3]). */
export function randn(...args: SizeArgs): Tensor {
  const { size, options } = sizeArgs('randn', args);
  return ops.randn(size, options);
}
/** torch.randint(high, size) or randint(low, high, size), then options; int64 by default. */
export function randint(high: number, size: number[] | number, options?: TensorOptions): Tensor;
export function randint(low: number, high: number, size: number[] | number, options?: TensorOptions): Tensor;
export function randint(...args: unknown[]): Tensor {
  const { rest, options } = popOptions('randint', args);
  const [low, high, size] = Array.isArray(rest[1]) || rest.length === 2 ? [0, rest[0], rest[1]] : rest;
  if (!isIntegerArg(low) || !isIntegerArg(high)) throw new TorchError('randint: low and high must be integers');
  if (high <= low) throw new TorchError('randint: high must be greater than low');
  return ops.randint(low, high, checkShape(size, 'randint'), options);
}
/** torch.randperm(n, …): a random permutation of 0 … n-1 (int64). */
export function randperm(n: number, options?: TensorOptions): Tensor {
  return ops.randperm(n, normalizeOptions('randperm', options, FACTORY_OPTIONS));
}
/** torch.arange(end) or arange(start, end, step=1), then options: int64 when all are integers, the default dtype otherwise. */
export function arange(end: number, options?: TensorOptions): Tensor;
export function arange(start: number, end: number, options?: TensorOptions): Tensor;
export function arange(start: number, end: number | undefined, step?: number, options?: TensorOptions): Tensor;
export function arange(...args: unknown[]): Tensor {
  const { rest, options } = popOptions('arange', args);
  const [a, b, c] = rest;
  if (rest.length > 3 || typeof a !== 'number' || ![b, c].every((v) => v === undefined || typeof v === 'number')) {
    throw new TorchError('arange: expected (end), (start, end) or (start, end, step) numbers, then options');
  }
  const [start, end] = b === undefined ? [0, a] : [a, b as number];
  return ops.arange(start, end, (c as number | undefined) ?? 1, options);
}
/** The dim of cat/stack: an integer, or { dim } as Python's keyword. */
function dimArg(where: string, dim: number | { dim?: number } | undefined): number {
  if (dim === undefined) return 0;
  if (typeof dim === 'number') return dim;
  return normalizeOptions(where, dim, ['dim']).dim ?? 0;
}
/** torch.cat(tensors, dim=0): cat([a, b], 1) or cat([a, b], { dim: 1 }). */
export function cat(tensors: Tensor[], dim?: number | { dim?: number }): Tensor {
  return ops.cat(tensors, dimArg('cat', dim));
}
/** torch.stack(tensors, dim=0): stack([a, b], 1) or stack([a, b], { dim: 1 }). */
export function stack(tensors: Tensor[], dim?: number | { dim?: number }): Tensor {
  return ops.stack(tensors, dimArg('stack', dim));
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

export { noGrad, enableGrad, isGradEnabled, setGradEnabled, inferenceMode, isInferenceModeEnabled } from './autograd/grad_mode';
/** torch.get_num_threads / set_num_threads (intra-op threads on CPU). */
export function getNumThreads(): number {
  return native.numThreads();
}
export function setNumThreads(n: number): void {
  native.numThreads(n);
}

/**
 * torch.get_default_dtype(): the floating dtype that a factory (zeros, ones, randn, full and arange with
 * float values …), tensor() of JS numbers and the parameters of nn modules take when no dtype is given;
 * 'float32' until setDefaultDtype changes it.
 */
export function getDefaultDtype(): DType {
  return native.getDefaultDtype();
}
/**
 * torch.set_default_dtype(dtype): 'float32', 'float64', 'float16' or 'bfloat16'; any other dtype is a
 * TorchError, as PyTorch accepts only floating-point types. libtorch keeps the default in one process-wide
 * variable, not per thread: every thread of the process (worker_threads included) sees the change.
 */
export function setDefaultDtype(dtype: DType): void {
  native.setDefaultDtype(dtype);
}
export { libtorchVersion } from './utils/version';

export { DTYPES };
