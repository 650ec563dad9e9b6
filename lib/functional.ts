// torch/functional.py's varargs forms: torch.einsum('ij,kj->ik', a, b), torch.meshgrid(x, y, { indexing }),
// torch.broadcast_tensors(a, b), torch.block_diag(a, b), torch.cartesian_prod(a, b), torch.chain_matmul(a, b, c),
// torch.atleast_2d(a, b): the tensors one by one as Python passes them, or as one array as aten takes them.
import { bindOp } from './ops';
import { isOptions } from './kwargs';
import type { Tensor } from './tensor';

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
