// torch/functional.py's varargs forms: torch.einsum('ij,kj->ik', a, b), torch.meshgrid(x, y, { indexing }),
// torch.broadcast_tensors(a, b), torch.block_diag(a, b), torch.cartesian_prod(a, b), torch.chain_matmul(a, b, c),
// torch.atleast_2d(a, b): the tensors one by one as Python passes them, or as one array as aten takes them.
import { bindOp } from './ops';
import { TorchError } from './errors';
import { isOptions, namedArgs } from './kwargs';
import { native } from './native';
import type { Tensor, UniqueOptions, UniqueResult } from './tensor_types';

// lib/tensor.ts's isTensor, without importing tensor.ts at run time (its Tensor methods import this file).
const isTensor = (x: unknown): x is Tensor => x instanceof (native.Tensor as new () => Tensor);

type Fn = (...args: unknown[]) => unknown;

/** The operands as one array: f(a, b, c) and f([a, b, c]) are the same call; a trailing options object stays last. */
function gather(args: unknown[]): unknown[] {
  const options = args.length > 0 && isOptions(args[args.length - 1]) ? [args[args.length - 1]] : [];
  const operands = options.length ? args.slice(0, -1) : args;
  if (operands.length === 1 && Array.isArray(operands[0])) return [operands[0], ...options];
  return [operands, ...options];
}

const einsumOp = bindOp<Fn>('torch.einsum', ['einsum']);
/** torch.einsum(equation, *operands): einsum('ij,kj->ik', a, b), or einsum('ij,kj->ik', [a, b]). */
export function einsum(equation: string, ...operands: Tensor[]): Tensor;
export function einsum(equation: string, operands: Tensor[], options?: { path?: number[] | null }): Tensor;
export function einsum(equation: string, ...rest: unknown[]): Tensor {
  return einsumOp(equation, ...gather(rest)) as Tensor;
}

const meshgridOp = bindOp<Fn>('torch.meshgrid', ['meshgrid', 'meshgrid.indexing']);
/** torch.meshgrid(*tensors, indexing='ij'): meshgrid(x, y, { indexing: 'xy' }) or meshgrid([x, y]). */
export function meshgrid(...tensors: Tensor[]): Tensor[];
export function meshgrid(...args: [...Tensor[], { indexing?: 'ij' | 'xy' }]): Tensor[];
export function meshgrid(tensors: Tensor[], options?: { indexing?: 'ij' | 'xy' }): Tensor[];
export function meshgrid(...args: unknown[]): Tensor[] {
  return meshgridOp(...gather(args)) as Tensor[];
}

function varargs<R>(display: string, overload: string) {
  const op = bindOp<Fn>(display, [overload]);
  function call(...tensors: Tensor[]): R;
  function call(tensors: Tensor[]): R;
  function call(...args: unknown[]): R {
    return op(...gather(args)) as R;
  }
  return call;
}

/** torch.broadcast_tensors(*tensors). */
export const broadcastTensors = varargs<Tensor[]>('torch.broadcastTensors', 'broadcast_tensors');
/** torch.block_diag(*tensors). */
export const blockDiag = varargs<Tensor>('torch.blockDiag', 'block_diag');
/** torch.cartesian_prod(*tensors). */
export const cartesianProd = varargs<Tensor>('torch.cartesianProd', 'cartesian_prod');
/** torch.chain_matmul(*matrices) (deprecated in PyTorch for torch.linalg.multi_dot). */
export const chainMatmul = varargs<Tensor>('torch.chainMatmul', 'chain_matmul');

// ---- torch.unique, torch.unique_consecutive (torch/functional.py's _unique_impl over aten's _unique2 / unique_dim) ----

type Three = [Tensor, Tensor, Tensor];
const unique2Op = bindOp<(input: Tensor, sorted: boolean, returnInverse: boolean, returnCounts: boolean) => Three>('torch.unique', ['_unique2']);
const uniqueDimOp = bindOp<(input: Tensor, dim: number, sorted: boolean, returnInverse: boolean, returnCounts: boolean) => Three>('torch.unique', ['unique_dim']);
const uniqueConsecutiveOp = bindOp<(input: Tensor, returnInverse: boolean, returnCounts: boolean, dim: number | null) => Three>(
  'torch.uniqueConsecutive', ['unique_consecutive']);

type UniqueConsecutiveOptions = Omit<UniqueOptions, 'sorted'>;

/** Python's return: output alone, or a tuple with the inverse and/or counts asked for; the rest is freed. */
function uniqueResult(where: string, [output, inverse, counts]: Three, o: UniqueOptions): Tensor | Tensor[] {
  for (const flag of ['returnInverse', 'returnCounts'] as const) {
    if (o[flag] !== undefined && typeof o[flag] !== 'boolean') throw new TorchError(`${where}: ${flag} must be a boolean, got ${String(o[flag])}`);
  }
  if (!o.returnInverse) inverse.dispose();
  if (!o.returnCounts) counts.dispose();
  if (o.returnInverse && o.returnCounts) return [output, inverse, counts];
  if (o.returnInverse) return [output, inverse];
  if (o.returnCounts) return [output, counts];
  return output;
}

/**
 * torch.unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None): unique(x),
 * unique(x, { returnInverse: true }) → [output, inverse], unique(x, { dim: 0, returnCounts: true }).
 */
export function unique<O extends UniqueOptions = {}>(input: Tensor, options?: O): UniqueResult<O>;
export function unique(input: Tensor, sorted?: boolean, returnInverse?: boolean, returnCounts?: boolean, dim?: number | null): Tensor | Tensor[];
export function unique(input: Tensor, ...args: unknown[]): Tensor | Tensor[] {
  const [sorted, returnInverse, returnCounts, dim] = namedArgs('torch.unique', ['sorted', 'returnInverse', 'returnCounts', 'dim'], args) as [
    boolean?, boolean?, boolean?, (number | null)?];
  const o: UniqueOptions = { sorted: sorted ?? true, returnInverse: returnInverse ?? false, returnCounts: returnCounts ?? false, dim };
  const raw = dim === undefined || dim === null
    ? unique2Op(input, o.sorted!, o.returnInverse!, o.returnCounts!)
    : uniqueDimOp(input, dim, o.sorted!, o.returnInverse!, o.returnCounts!);
  return uniqueResult('torch.unique', raw, o);
}

/** torch.unique_consecutive(input, return_inverse=False, return_counts=False, dim=None): collapses runs of equal elements. */
export function uniqueConsecutive<O extends UniqueConsecutiveOptions = {}>(input: Tensor, options?: O): UniqueResult<O>;
export function uniqueConsecutive(input: Tensor, ...args: unknown[]): Tensor | Tensor[] {
  const [returnInverse, returnCounts, dim] = namedArgs('torch.uniqueConsecutive', ['returnInverse', 'returnCounts', 'dim'], args) as [
    boolean?, boolean?, (number | null)?];
  const o: UniqueOptions = { returnInverse: returnInverse ?? false, returnCounts: returnCounts ?? false, dim };
  return uniqueResult('torch.uniqueConsecutive', uniqueConsecutiveOp(input, o.returnInverse!, o.returnCounts!, dim ?? null), o);
}

// ---- torch.tensordot (torch/functional.py's dims forms over aten's tensordot) ----

const tensordotOp = bindOp<(a: Tensor, b: Tensor, dimsA: number[], dimsB: number[]) => Tensor>('torch.tensordot', ['tensordot']);
type TensordotDims = number | [number[], number[]] | Tensor;

// dims as Python reads it: n (the last n of a with the first n of b), a pair of dim lists (or ints), or a tensor of either.
function tensordotDims(dims: TensordotDims): [number[], number[]] {
  const fromCount = (n: number): [number[], number[]] => {
    if (!Number.isInteger(n) || n < 0) throw new TorchError(`tensordot expects dims >= 0, but got dims=${n}`);
    return [Array.from({ length: n }, (_, i) => i - n), Array.from({ length: n }, (_, i) => i)];
  };
  if (typeof dims === 'number') return fromCount(dims);
  if (Array.isArray(dims) && dims.length === 2) {
    // As Python: each half is a list of dims (dims=(0, 2) is a TypeError there too).
    if (!Array.isArray(dims[0]) || !Array.isArray(dims[1])) {
      throw new TorchError(`tensordot: dims as a pair must hold two lists of dims, as [[${dims[0]}], [${dims[1]}]]`);
    }
    return [dims[0], dims[1]];
  }
  if (isTensor(dims)) {
    if (dims.numel() === 1) return fromCount(Number(dims.item()));
    if (dims.shape[0] !== 2) throw new TorchError(`tensordot: a dims tensor must have 2 rows (dims of a, dims of b), got shape [${dims.shape.join(', ')}]`);
    const [a, b] = dims.toArray() as number[][];
    return [a.map(Number), b.map(Number)];
  }
  throw new TorchError('tensordot expects dims to be an int, a pair of dim lists or a tensor');
}

/**
 * torch.tensordot(a, b, dims=2): tensordot(a, b, 1), tensordot(a, b, { dims: [[1, 0], [0, 1]] }),
 * tensordot(a, b, [[1], [0]]); aten's form tensordot(a, b, dimsA, dimsB) also works.
 */
export function tensordot(a: Tensor, b: Tensor, dims?: TensordotDims | { dims?: TensordotDims }): Tensor;
export function tensordot(a: Tensor, b: Tensor, dimsA: number[], dimsB: number[]): Tensor;
export function tensordot(a: Tensor, b: Tensor, ...args: unknown[]): Tensor {
  if (args.length === 2 && Array.isArray(args[0]) && Array.isArray(args[1])) return tensordotOp(a, b, args[0] as number[], args[1] as number[]);
  const [dims] = namedArgs('torch.tensordot', ['dims'], args) as [TensordotDims?];
  const [dimsA, dimsB] = tensordotDims(dims ?? 2);
  return tensordotOp(a, b, dimsA, dimsB);
}
