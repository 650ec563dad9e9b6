// The multi-tensor ATen ops torch/optim is written over (torch._foreach_*, torch._fused_sgd_), bound through
// the generic operator call (lib/ops.ts) as lib/generated binds the public names: these are private names,
// which the generator leaves out. One N-API call runs one op over a whole parameter list.
import { bindOp, hasOp } from '../ops';
import type { Tensor } from '../tensor';
import type { List } from './step_lists';

type Alpha = { alpha: number };

// One overload per binding where a list comes first: the generic call converts each list element (an
// unwrap per handle), and a group that tried _foreach_add_.Scalar before .List converted `self` twice.
/** torch._foreach_add_(self, other, alpha=): self += alpha * other, in place. */
export const foreachAdd_: (self: List, other: List, options: Alpha) => void = bindOp('torch._foreach_add_', ['_foreach_add_.List']);
/** torch._foreach_add_(self, scalar): in place. */
export const foreachAddScalar_: (self: List, scalar: number) => void = bindOp('torch._foreach_add_', ['_foreach_add_.Scalar']);
/** torch._foreach_mul_(self, scalar): in place. */
export const foreachMul_: (self: List, scalar: number) => void = bindOp('torch._foreach_mul_', ['_foreach_mul_.Scalar']);
/** torch._foreach_div_(self, scalar): in place. */
export const foreachDiv_: (self: List, scalar: number) => void = bindOp('torch._foreach_div_', ['_foreach_div_.Scalar']);
/** torch._foreach_addcmul_(self, tensor1, tensor2, value): in place. */
export const foreachAddcmul_: (self: List, t1: List, t2: List, value: number) => void = bindOp('torch._foreach_addcmul_', [
  '_foreach_addcmul_.Scalar',
]);
/** torch._foreach_addcdiv_(self, tensor1, tensor2, value): x + value * t1 / t2 in place. */
export const foreachAddcdiv_: (self: List, t1: List, t2: List, value?: number) => void = bindOp('torch._foreach_addcdiv_', [
  '_foreach_addcdiv_.Scalar',
]);
/** torch._foreach_neg(self): -x for each x, new tensors. */
export const foreachNeg: (self: List) => Tensor[] = bindOp('torch._foreach_neg', ['_foreach_neg']);
/** torch._foreach_add(self, other, alpha=): x + alpha * y, new tensors. */
export const foreachAdd: (self: List, other: List, options: Alpha) => Tensor[] = bindOp('torch._foreach_add', ['_foreach_add.List']);
/** torch._foreach_addcmul(self, tensor1, tensor2, value): x + value * t1 * t2, new tensors. */
export const foreachAddcmul: (self: List, t1: List, t2: List, value: number) => Tensor[] = bindOp('torch._foreach_addcmul', [
  '_foreach_addcmul.Scalar',
]);
/** torch._foreach_sqrt(self): new tensors. */
export const foreachSqrt: (self: List) => Tensor[] = bindOp('torch._foreach_sqrt', ['_foreach_sqrt']);
/** torch._foreach_sqrt_(self): in place. */
export const foreachSqrt_: (self: List) => void = bindOp('torch._foreach_sqrt_', ['_foreach_sqrt_']);
/** torch._foreach_maximum_(self, other): in place. */
export const foreachMaximum_: (self: List, other: List) => void = bindOp('torch._foreach_maximum_', ['_foreach_maximum_.List']);
/** torch._foreach_zero_(self): in place. */
export const foreachZero_: (self: List) => void = bindOp('torch._foreach_zero_', ['_foreach_zero_']);
/** torch._foreach_lerp_(self, tensors1, weight): x += weight * (y - x) in place (libtorch 2.x). */
export const foreachLerp_: (self: List, end: List, weight: number) => void = bindOp('torch._foreach_lerp_', ['_foreach_lerp_.Scalar']);

/**
 * avg = decay * avg + (1 - decay) * g in place, rounded as this libtorch's torch/optim does it: 2.x with
 * _foreach_lerp_ (avg += (1 - decay) * (g - avg)), 1.x with a multiply and an add.
 */
export function lerpInto(avgs: List, grads: List, decay: number, lerp: boolean): void {
  if (lerp) {
    foreachLerp_(avgs, grads, 1 - decay);
  } else {
    foreachMul_(avgs, decay);
    foreachAdd_(avgs, grads, { alpha: 1 - decay });
  }
}

/** PyTorch's fused SGD kernel with the learning rate in a device tensor (the tensor_lr overload, libtorch 2.4+). */
export interface FusedSgdOptions {
  weightDecay: number;
  momentum: number;
  lr: Tensor;
  dampening: number;
  nesterov: boolean;
  maximize: boolean;
  isFirstStep: boolean;
  gradScale: Tensor | null;
  foundInf: Tensor | null;
}
/** torch._fused_sgd_(params, grads, momentum_buffer_list, *, weight_decay, momentum, lr, …): in place. */
export const fusedSgd_: (params: List, grads: List, momentumBuffers: List, options: FusedSgdOptions) => void = bindOp(
  'torch._fused_sgd_',
  ['_fused_sgd_.tensor_lr'],
);
/** Whether this libtorch has _fused_sgd_ with a tensor learning rate (2.4 and newer). */
export const hasFusedSgd: boolean = hasOp('_fused_sgd_.tensor_lr');
