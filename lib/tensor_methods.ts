// The Tensor methods whose calling form is not their operator's schema, each a small adapter over one
// generated (generic) operator call (lib/ops.ts): PyTorch's Python binds these by hand too (x.to('cuda'),
// x.contiguous(), x.backward(), x.requires_grad_(), x.where(cond, y)), or they are this library's own
// forms (x.slice, x.pad, x.maximum(2)). Every other method is installed from lib/generated/ as it is.
import { bindOp } from './ops';
import { DTYPES, type DType } from './dtype';
import { TorchError } from './errors';
import { isOptions, normalizeOptions } from './kwargs';
import { native } from './native';
import type { Tensor, TensorLike, MemoryFormat } from './tensor_types';
import { unique } from './functional';

interface ToOptions {
  device?: string;
  dtype?: DType;
  nonBlocking?: boolean;
  copy?: boolean;
  memoryFormat?: MemoryFormat;
}
const TO_OPTIONS = ['device', 'dtype', 'nonBlocking', 'copy', 'memoryFormat'];
const toDtype = bindOp<(self: Tensor, dtype: DType) => Tensor>('Tensor.to', ['to.dtype']);
const toDevice = bindOp<(self: Tensor, device: string, dtype: DType) => Tensor>('Tensor.to', ['to.device']);
const toOptions = bindOp<(self: Tensor, options: ToOptions) => Tensor>('Tensor.to', ['to.dtype_layout']);
const contiguousOp = bindOp<(this: Tensor, options?: { memoryFormat: MemoryFormat }) => Tensor>('Tensor.contiguous', ['contiguous'], true);
const sliceOp = bindOp<Tensor['slice']>('Tensor.slice', ['slice.Tensor'], true);
const copyOp = bindOp<(this: Tensor, src: Tensor) => Tensor>('Tensor.copy_', ['copy_'], true);
const requiresGradOp = bindOp<(this: Tensor, requiresGrad: boolean) => Tensor>('Tensor.requiresGrad_', ['requires_grad_'], true);
const backwardOp = bindOp<(self: Tensor, inputs: Tensor[], gradient: Tensor | null, retainGraph: boolean | null, createGraph: boolean) => void>(
  'Tensor.backward', ['_backward']);
const padOp = bindOp<(self: Tensor, pad: number[], mode: string, value: number | null) => Tensor>('Tensor.pad', ['pad']);
const whereOp = bindOp<(condition: Tensor, self: Tensor, other: TensorLike) => Tensor>('Tensor.where', ['where.self', 'where.ScalarOther']);

/** Python's legacy tensor type names (x.type()), by dtype. */
const TYPE_NAMES: Record<DType, string> = {
  float32: 'FloatTensor', float64: 'DoubleTensor', float16: 'HalfTensor', bfloat16: 'BFloat16Tensor', int64: 'LongTensor',
  int32: 'IntTensor', int16: 'ShortTensor', int8: 'CharTensor', uint8: 'ByteTensor', bool: 'BoolTensor',
};

/** x.type(target): a dtype keeps the device; a type name ('torch.cuda.FloatTensor') sets both, as Python's. */
function typeTo(self: Tensor, target: string): Tensor {
  if ((DTYPES as readonly string[]).includes(target)) return toDtype(self, target as DType);
  const m = /^torch\.(cuda\.)?(\w+)$/.exec(target);
  const dtype = m ? DTYPES.find((d) => TYPE_NAMES[d] === m[2]) : undefined;
  if (!m || !dtype) throw new TorchError(`type: invalid type: '${target}'`);
  const device = m[1] ? (self.device.startsWith('cuda') ? self.device : 'cuda') : 'cpu';
  return self.to({ device, dtype });
}
const scalarTensor = bindOp<(value: number | boolean, options: { dtype: DType; device: string }) => Tensor>('torch.scalarTensor', ['scalar_tensor']);
const maximumOp = bindOp<(this: Tensor, other: Tensor) => Tensor>('Tensor.maximum', ['maximum'], true);
const minimumOp = bindOp<(this: Tensor, other: Tensor) => Tensor>('Tensor.minimum', ['minimum'], true);
const strideOp = bindOp<(self: Tensor, dim: number) => number>('Tensor.stride', ['stride.int']);
const bincountOp = bindOp<(this: Tensor, weights?: Tensor | null, minlength?: number) => Tensor>('Tensor.bincount', ['bincount'], true);
const PAD_MODES = ['constant', 'reflect', 'replicate', 'circular'];

type WithAlpha = (this: Tensor, other: TensorLike, options?: { alpha: number }) => Tensor;
/** add/sub(other, alpha): this library's positional alpha, PyTorch's keyword-only `alpha=` (x.add(y, { alpha })). */
function withAlpha(name: string, overloads: string[]): (this: Tensor, other: TensorLike, alpha?: number | { alpha?: number }) => Tensor {
  const op = bindOp<WithAlpha>(`Tensor.${name}`, overloads, true);
  return {
    [name](this: Tensor, other: TensorLike, alpha?: number | { alpha?: number }): Tensor {
      // No trailing `undefined`: a call with only positional Tensor/Scalar arguments takes the generic call's fast path.
      if (alpha === undefined) return op.call(this, other);
      return typeof alpha === 'number' ? op.call(this, other, { alpha }) : op.call(this, other, alpha as { alpha: number });
    },
  }[name];
}

const isTensorValue = (v: unknown): v is Tensor => v instanceof (native.Tensor as new () => Tensor);
/** A number operand as a 0-d tensor of self's dtype and device (PyTorch's wrapped number). */
const operand = (self: Tensor, other: TensorLike): Tensor =>
  isTensorValue(other) ? other : scalarTensor(other as number | boolean, { dtype: self.dtype, device: self.device });

export const TENSOR_ADAPTERS = {
  add: withAlpha('add', ['add.Tensor', 'add.Scalar']),
  sub: withAlpha('sub', ['sub.Tensor', 'sub.Scalar']),
  add_: withAlpha('add_', ['add_.Tensor', 'add_.Scalar']),
  sub_: withAlpha('sub_', ['sub_.Tensor', 'sub_.Scalar']),
  /** to('cuda'), to('float16'), to({ device, dtype, nonBlocking, copy, memoryFormat }). */
  to(this: Tensor, target: string | ToOptions): Tensor {
    if (typeof target === 'string') {
      return (DTYPES as readonly string[]).includes(target) ? toDtype(this, target as DType) : toDevice(this, target, this.dtype);
    }
    if (isOptions(target)) return toOptions(this, normalizeOptions('Tensor.to', target, TO_OPTIONS));
    throw new TorchError("to: expected a device ('cpu', 'cuda', 'cuda:N'), a dtype, or {device, dtype}");
  },
  contiguous(this: Tensor, memoryFormat?: MemoryFormat): Tensor {
    return memoryFormat === undefined ? contiguousOp.call(this) : contiguousOp.call(this, { memoryFormat });
  },
  slice: sliceOp,
  /** copy_(src): a number fills, as the hand-written method always allowed. */
  copy_(this: Tensor, src: TensorLike): Tensor {
    return isTensorValue(src) ? copyOp.call(this, src) : this.fill_(src as number);
  },
  requiresGrad_(this: Tensor, requiresGrad = true): Tensor {
    return requiresGradOp.call(this, requiresGrad);
  },
  /** backward(gradient=None, retain_graph=None, create_graph=False): aten::_backward, as Tensor.backward in C++. */
  backward(this: Tensor, gradient?: Tensor | null, retainGraph?: boolean | null, createGraph = false): void {
    backwardOp(this, [], gradient ?? null, retainGraph ?? null, createGraph);
  },
  /** pad(pads, mode='constant', value=0): F.pad; the value only for constant padding. */
  pad(this: Tensor, pads: number[], mode = 'constant', value = 0): Tensor {
    if (!PAD_MODES.includes(mode)) throw new TorchError(`pad: unknown mode '${mode}' (expected constant, reflect, replicate or circular)`);
    return padOp(this, pads, mode, mode === 'constant' ? value : null);
  },
  /** x.where(condition, y): x where condition holds, else y (torch.where(condition, x, y)). */
  where(this: Tensor, condition: Tensor, other: TensorLike): Tensor {
    return whereOp(condition, this, other);
  },
  type(this: Tensor, dtype?: string): string | Tensor {
    if (dtype === undefined) return `torch.${this.device.startsWith('cuda') ? 'cuda.' : ''}${TYPE_NAMES[this.dtype]}`;
    if (typeof dtype !== 'string') throw new TorchError(`type: expected a dtype or a type name, not ${typeof dtype}`);
    return typeTo(this, dtype);
  },
  maximum(this: Tensor, other: TensorLike): Tensor {
    return maximumOp.call(this, operand(this, other));
  },
  minimum(this: Tensor, other: TensorLike): Tensor {
    return minimumOp.call(this, operand(this, other));
  },
  /** bincount(minlength) as well as Python's bincount(weights=None, minlength=0). */
  bincount(this: Tensor, ...args: [minlength?: number] | [weights?: Tensor | null, minlength?: number]): Tensor {
    return typeof args[0] === 'number' ? bincountOp.call(this, null, args[0]) : bincountOp.apply(this, args as [Tensor | null, number]);
  },
  /** stride(dim): that dimension's stride in elements (aten::stride.int); stride(): every dimension's, as Python's tuple. */
  stride(this: Tensor, dim?: number): number | number[] {
    if (dim === undefined) return Array.from({ length: this.ndim }, (_, d) => strideOp(this, d));
    return strideOp(this, dim);
  },
  /** torch.unique as a method: x.unique(), x.unique({ returnInverse: true }) → [output, inverse]. */
  unique(this: Tensor, ...args: unknown[]): Tensor | Tensor[] {
    return (unique as (input: Tensor, ...rest: unknown[]) => Tensor | Tensor[])(this, ...args);
  },
};
