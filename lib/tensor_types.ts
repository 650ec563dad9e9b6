// The Tensor type and the scalar and nested-array types around it: a leaf module (it imports only
// types from ./dtype), so lib/native.ts's typed exports name Tensor without importing lib/tensor.ts, which
// imports the addon. lib/generated/tensor_methods.ts and lib/indexing.ts add their methods to this interface.
import type { DType, Device } from './dtype';

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
  /**
   * The accumulated gradient, or null; a new JS handle on the same tensor each read. Assignable as in
   * PyTorch: null drops it, a Tensor of this tensor's dtype, device and size replaces it.
   */
  grad: Tensor | null;
  readonly isDisposed: boolean;
  numel(): number;
  isContiguous(memoryFormat?: MemoryFormat): boolean;

  /** Frees the libtorch tensor now (GPU memory included); further use throws. */
  dispose(): void;
  /** A copy of the data: Float32Array for float32/float16/bfloat16, BigInt64Array for int64, Uint8Array for bool. */
  toTypedArray(): Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array | BigInt64Array;
  /** The data as nested JS arrays of numbers (booleans for bool). */
  toArray(): NestedArray;
  /** Python's x.tolist(): nested arrays of numbers (booleans for bool); a 0-d tensor gives its number. */
  tolist(): NestedArray;
  /** The name of the autograd node that made this tensor (Python's type(x.grad_fn).__name__), or null for a leaf. */
  gradFnName(): string | null;
  /** Python's x.is_leaf: true unless autograd made this tensor (it has a grad_fn). */
  readonly isLeaf: boolean;
  /** x.stride(dim): that dimension's stride in elements; x.stride(): every dimension's (Python's tuple). */
  stride(dim: number): number;
  stride(): number[];
  /** torch.unique(x, …) as a method: x.unique(), x.unique({ returnInverse: true, dim: 0 }) → [output, inverse]. */
  unique<O extends UniqueOptions = {}>(options?: O): UniqueResult<O>;
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
  /** PyTorch's named tuple: destructure as [values, indices] or read .values / .indices. */
  max(dim: number, keepdim?: boolean): [Tensor, Tensor] & { values: Tensor; indices: Tensor };
  max(other: Tensor): Tensor;
  min(): Tensor;
  min(dim: number, keepdim?: boolean): [Tensor, Tensor] & { values: Tensor; indices: Tensor };
  min(other: Tensor): Tensor;
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
  /** x where condition holds, else other: a Tensor or a number (torch.where(condition, x, other)). */
  where(condition: Tensor, other: Tensor | Scalar): Tensor;
  /** Python's x.type(): 'torch.FloatTensor', 'torch.cuda.LongTensor', … */
  type(): string;
  /** x.type(dtype) or x.type('torch.DoubleTensor' | 'torch.cuda.FloatTensor'): x converted (x itself when nothing changes). */
  type(dtype: DType | string): Tensor;
  /** torch.nn.functional.pad: pads from the last dimension backwards, (left, right, top, bottom, …). */
  pad(pads: number[], mode?: 'constant' | 'reflect' | 'replicate' | 'circular', value?: number): Tensor;

  backward(gradient?: Tensor, retainGraph?: boolean): void;
  requiresGrad_(requiresGrad?: boolean): Tensor;
  toString(): string;
  [Symbol.toPrimitive]?: never;
}

/** torch.unique's options (lib/functional.ts). */
export interface UniqueOptions {
  /** Return the unique elements in ascending order (default true). */
  sorted?: boolean;
  returnInverse?: boolean;
  returnCounts?: boolean;
  /** Unique slices along this dimension; default: unique elements of the flattened input. */
  dim?: number | null;
}
// What torch.unique's options ask for decides the result, as in Python: output, (output, inverse), (output, counts) or all three.
export type UniqueResult<O> = O extends { returnInverse: true; returnCounts: true }
  ? [Tensor, Tensor, Tensor]
  : O extends { returnInverse: true } | { returnCounts: true }
    ? [Tensor, Tensor]
    : Tensor;

