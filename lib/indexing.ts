// Python's indexing, x[0, 1:3, None, ..., mask], in the closest form TypeScript allows: x.i(0, '1:3', null,
// '...', mask) or libtorch's x.index([0, Slice(1, 3), null, '...', mask]); assignment x[idx] = v is
// x.setIndex(idx, v). The same steps as PyTorch (torch/csrc/autograd/python_variable_indexing.cpp and
// ATen's TensorIndexing.h, applySlicing): integers select, slices slice, null adds a dimension, '...' skips
// the dimensions not named, and the tensors (integer or boolean) are recorded for one advanced index at the
// end (aten::index; aten::index_put_ to assign). Basic indexing gives views, advanced indexing copies.
import { TorchError } from './errors';
import { native } from './native';
import { bindOp } from './ops';
import { full } from './generated/torch';
import type { NestedArray, Scalar, Tensor } from './tensor_types';

const SLICE = Symbol('Slice');

/** Python's slice(start, stop, step) (libtorch's Slice): null or undefined takes the default. */
export interface Slice {
  readonly start: number | null;
  readonly stop: number | null;
  readonly step: number | null;
  readonly [SLICE]: true;
}

/** Slice(1, 3) is Python's 1:3, Slice(null, null, 2) is ::2, Slice() is ':'. */
export function Slice(start: number | null = null, stop: number | null = null, step: number | null = null): Slice {
  return { start, stop, step, [SLICE]: true };
}

/** Python's `...` in an index. */
export const Ellipsis = '...';

/**
 * One item of an index: an integer, a Slice or a string in Python's slice syntax ('1:3', '::2', ':', '-1',
 * '...', 'None'; commas separate several: ':, 1:3'), null for None (a new dimension of size 1), a boolean,
 * an integer or boolean Tensor, or a (nested) array of integers or booleans as Python's lists.
 */
export type TensorIndex = number | boolean | null | string | Slice | Tensor | NestedArray;

type Item = { kind: 'int'; value: number } | { kind: 'slice'; slice: Slice } | { kind: 'none' } |
  { kind: 'ellipsis' } | { kind: 'tensor'; tensor: Tensor } | { kind: 'bool'; value: boolean };

const index = bindOp<(this: Tensor, indices: (Tensor | null)[]) => Tensor>('Tensor.index', ['index.Tensor'], true);
const alias = bindOp<(this: Tensor) => Tensor>('Tensor.alias', ['alias'], true);
const indexPut_ = bindOp<(this: Tensor, indices: (Tensor | null)[], values: Tensor) => Tensor>(
  'Tensor.setIndex', ['index_put_'], true);

const isTensorValue = (v: unknown): v is Tensor => v instanceof (native.Tensor as unknown as new () => Tensor);

function parseInteger(text: string, where: string): number {
  if (!/^[+-]?\d+$/.test(text)) throw new TorchError(`${where}: '${text}' is not an integer, a slice, '...' or 'None'`);
  return Number(text);
}

/** One comma-free piece of Python's index syntax: '1:3', '::2', '-1', '...', 'None'. */
function parsePiece(text: string, where: string): Item {
  const s = text.trim();
  if (s === '...') return { kind: 'ellipsis' };
  if (s === 'None') return { kind: 'none' };
  if (s === 'True' || s === 'False') return { kind: 'bool', value: s === 'True' };
  if (!s.includes(':')) return { kind: 'int', value: parseInteger(s, where) };
  const parts = s.split(':');
  if (parts.length > 3) throw new TorchError(`${where}: '${s}' is not a slice (start:stop:step)`);
  const [start, stop, step] = parts.map((p) => (p.trim() === '' ? null : parseInteger(p.trim(), where)));
  return { kind: 'slice', slice: Slice(start, stop ?? null, step ?? null) };
}

function toItems(indices: TensorIndex[], where: string): Item[] {
  const items: Item[] = [];
  for (const v of indices) {
    if (typeof v === 'string') items.push(...v.split(',').map((p) => parsePiece(p, where)));
    else if (typeof v === 'number') {
      if (!Number.isInteger(v)) throw new TorchError(`${where}: index ${v} is not an integer`);
      items.push({ kind: 'int', value: v });
    } else if (typeof v === 'boolean') items.push({ kind: 'bool', value: v });
    else if (v === null || v === undefined) items.push({ kind: 'none' });
    else if (isTensorValue(v)) items.push(tensorItem(v));
    else if (Array.isArray(v)) items.push({ kind: 'tensor', tensor: listTensor(v, where) });
    else if ((v as Slice)[SLICE]) items.push({ kind: 'slice', slice: v as Slice });
    else throw new TorchError(`${where}: an index must be an integer, a Slice, a string, null, a boolean, a Tensor or an array`);
  }
  return items;
}

/** A 0-d integer tensor indexes as its integer, as in PyTorch; other tensors are advanced indices. */
function tensorItem(t: Tensor): Item {
  const integral = ['int64', 'int32', 'int16', 'int8'].includes(t.dtype);
  if (t.ndim === 0 && integral && t.device === 'cpu') return { kind: 'int', value: t.item() };
  if (!integral && t.dtype !== 'bool' && t.dtype !== 'uint8') {
    throw new TorchError(`index: tensors used as indices must be long, int, byte or bool tensors, not ${t.dtype}`);
  }
  return { kind: 'tensor', tensor: t };
}

/** Python's x[[0, 2]] / x[[True, False]]: a list is an int64 (or bool) tensor index. */
function listTensor(v: NestedArray[], where: string): Tensor {
  const flat = (v as unknown[]).flat(Infinity);
  if (flat.length > 0 && flat.every((e) => typeof e === 'boolean')) {
    return native.fromTypedArray(Uint8Array.from(flat as boolean[], (b) => (b ? 1 : 0)), shapeOf(v), { dtype: 'bool' });
  }
  if (!flat.every((e) => typeof e === 'number' && Number.isInteger(e))) {
    throw new TorchError(`${where}: a list index must hold integers or booleans`);
  }
  return native.fromTypedArray(Float64Array.from(flat as number[]), shapeOf(v), { dtype: 'int64' });
}

function shapeOf(v: unknown): number[] {
  const shape: number[] = [];
  for (let p = v; Array.isArray(p); p = p[0]) shape.push(p.length);
  return shape;
}

/** How many of self's dimensions the items name (an ellipsis stands for the rest). */
function specifiedDims(items: Item[]): number {
  let n = 0;
  for (const it of items) {
    if (it.kind === 'int' || it.kind === 'slice') n++;
    else if (it.kind === 'tensor') n += it.tensor.dtype === 'bool' || it.tensor.dtype === 'uint8' ? it.tensor.ndim : 1;
  }
  return n;
}

/** applySlicing: the view after the integers, slices, nulls and ellipsis; the tensors by dimension. */
function applySlicing(self: Tensor, items: Item[], where: string): { result: Tensor; tensors: (Tensor | null)[] } {
  const specified = specifiedDims(items);
  if (specified > self.ndim) throw new TorchError(`${where}: too many indices for tensor of dimension ${self.ndim}`);
  if (items.filter((it) => it.kind === 'ellipsis').length > 1) throw new TorchError(`${where}: an index can only have a single ellipsis ('...')`);
  let result = self;
  let dim = 0;
  // aten::index's list: one entry per index tensor, null for each dimension before it that none indexes; a
  // boolean mask takes one entry and covers its ndim dimensions (PyTorch 2.x; 1.13 advanced one dimension).
  const tensors: (Tensor | null)[] = [];
  let covered = 0;
  const record = (t: Tensor, dims: number) => {
    for (; covered < dim; covered++) tensors.push(null);
    tensors.push(t);
    dim += dims;
    covered = dim;
  };
  for (const it of items) {
    if (it.kind === 'int') {
      const size = result.shape[dim];
      if (it.value < -size || it.value >= size) {
        throw new TorchError(`${where}: index ${it.value} is out of bounds for dimension ${dim} with size ${size}`);
      }
      result = result.select(dim, it.value);
    } else if (it.kind === 'slice') {
      const { start, stop, step } = it.slice;
      if (step !== null && step <= 0) throw new TorchError(`${where}: slice step must be positive, got ${step}`);
      result = result.slice(dim, start, stop, step ?? 1);
      dim++;
    } else if (it.kind === 'none') {
      result = result.unsqueeze(dim);
      dim++;
    } else if (it.kind === 'ellipsis') {
      dim += self.ndim - specified;
    } else if (it.kind === 'bool') {
      // PyTorch: a new dimension of size 1, indexed by [0] for true and by nothing for false.
      result = result.unsqueeze(dim);
      record(native.fromTypedArray(new Float64Array(it.value ? [0] : []), [it.value ? 1 : 0], { dtype: 'int64' }), 1);
    } else {
      const t = it.tensor.dtype === 'uint8' ? it.tensor.bool() : it.tensor;
      record(t, t.dtype === 'bool' ? t.ndim : 1);
    }
  }
  return { result, tensors };
}

/** Python's x[indices]: a view for integers, slices, null and '...'; a copy when a tensor or list is among them. */
export function getIndex(self: Tensor, indices: TensorIndex[], where = 'index'): Tensor {
  const { result, tensors } = applySlicing(self, toItems(indices, where), where);
  if (tensors.length === 0) return result === self ? alias.call(self) : result;
  return index.call(result, tensors);
}

/** The value as a tensor of self's dtype and device (Python: x[idx] = 1.5), with leading 1s dropped. */
function valueTensor(self: Tensor, value: Tensor | Scalar): Tensor {
  if (!isTensorValue(value)) return full([], value, { dtype: self.dtype, device: self.device });
  let shape = value.shape;
  while (shape.length > 0 && shape[0] === 1) shape = shape.slice(1);
  return shape.length === value.ndim ? value : value.view(shape);
}

/** Python's x[indices] = value, in place: returns x. */
export function setIndex(self: Tensor, indices: TensorIndex[], value: Tensor | Scalar, where = 'setIndex'): Tensor {
  const { result, tensors } = applySlicing(self, toItems(indices, where), where);
  const v = valueTensor(self, value);
  if (tensors.length === 0) result.copy_(v);
  else indexPut_.call(result, tensors, v);
  return self;
}

declare module './tensor_types' {
  interface Tensor {
    /**
     * Python's x[i, j, …] (tch-rs's .i()): x.i(0) is x[0], x.i(':', '1:3') or x.i(':, 1:3') is x[:, 1:3],
     * x.i(null) is x[None], x.i('...', 0) is x[..., 0], x.i(mask) is x[mask], x.i(idx) is x[idx].
     */
    i(...indices: TensorIndex[]): Tensor;
    /** libtorch's x.index({…}): the items as one array, x.index([0, Slice(1, 3), null, '...']). */
    index(indices: TensorIndex[]): Tensor;
    /** Python's x[indices] = value, in place (returns x): x.setIndex([0, ':'], 1), x.setIndex(mask, 0). */
    setIndex(indices: TensorIndex | TensorIndex[], value: Tensor | Scalar): Tensor;
  }
}

export function installIndexing(proto: object): void {
  Object.assign(proto, {
    i(this: Tensor, ...indices: TensorIndex[]): Tensor {
      return getIndex(this, indices, 'Tensor.i');
    },
    index(this: Tensor, indices: TensorIndex[]): Tensor {
      if (!Array.isArray(indices)) throw new TorchError('Tensor.index: expected an array of indices (x.index([0, Slice(1, 3)]))');
      return getIndex(this, indices, 'Tensor.index');
    },
    setIndex(this: Tensor, indices: TensorIndex | TensorIndex[], value: Tensor | Scalar): Tensor {
      return setIndex(this, Array.isArray(indices) ? indices : [indices], value, 'Tensor.setIndex');
    },
  });
}
