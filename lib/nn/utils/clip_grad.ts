// torch.nn.utils.clip_grad_norm_ / clip_grad_value_: PyTorch's arithmetic (the norm of the per-tensor
// norms, the coefficient max_norm / (total + 1e-6) clamped at 1, applied as a tensor so no value is read
// back to the host), in place on each gradient, under no_grad.
import { TorchError } from '../../errors';
import { Tensor, isTensor, noGrad, tensor } from '../../tensor';
import { vectorNorm } from '../../generated/linalg';
import { stack } from '../../generated/torch';
import { readOptions } from '../../utils/options';

export type Parameters = Tensor | Iterable<Tensor>;

function gradsOf(parameters: Parameters, where: string): Tensor[] {
  if (parameters === null || typeof parameters !== 'object') throw new TorchError(`${where}: parameters must be a Tensor or an iterable of Tensors`);
  const list = isTensor(parameters) ? [parameters] : [...parameters];
  for (const p of list) if (!isTensor(p)) throw new TorchError(`${where}: parameters must be Tensors`);
  return list.map((p) => p.grad).filter((g): g is Tensor => g !== null && g !== undefined);
}

export interface ClipGradNormOptions {
  /** Throw when the total norm is nan or ±inf (default false: the gradients are scaled by it anyway). */
  errorIfNonfinite?: boolean;
  /** PyTorch's choice of the multi-tensor kernels; the result is the same either way. */
  foreach?: boolean | null;
}

/**
 * nn.utils.clip_grad_norm_(parameters, max_norm, norm_type=2, error_if_nonfinite=False, foreach=None):
 * scales the gradients so that their total norm (of order normType, Infinity for the max) is at most
 * maxNorm; returns the total norm before clipping, a 0-d tensor.
 */
export function clipGradNorm_(parameters: Parameters, maxNorm: number, normType = 2, options: ClipGradNormOptions = {}): Tensor {
  const o = readOptions('nn.utils.clipGradNorm_', options, ['errorIfNonfinite', 'foreach']);
  const grads = gradsOf(parameters, 'nn.utils.clipGradNorm_');
  if (grads.length === 0) return tensor(0);
  return noGrad(() => {
    const device = grads[0].device;
    const norms = grads.map((g) => vectorNorm(g.detach(), normType).to(device));
    const total = norms.length === 1 && normType === Infinity ? norms[0] : vectorNorm(stack(norms), normType);
    if (o.errorIfNonfinite && !total.isfinite().item()) {
      throw new TorchError(
        `nn.utils.clipGradNorm_: The total norm of order ${normType} for gradients from \`parameters\` is non-finite, so it cannot be clipped. ` +
          'To disable this error and scale the gradients by the non-finite norm anyway, set errorIfNonfinite: false',
      );
    }
    const coef = total.add(1e-6).reciprocal().mul(maxNorm).clamp(null, 1.0);
    for (const g of grads) g.detach().mul_(coef.to(g.device));
    return total;
  });
}

/** nn.utils.clip_grad_value_(parameters, clip_value, foreach=None): clamps each gradient to [-clipValue, clipValue]. */
export function clipGradValue_(parameters: Parameters, clipValue: number, options: { foreach?: boolean | null } = {}): void {
  readOptions('nn.utils.clipGradValue_', options, ['foreach']);
  const grads = gradsOf(parameters, 'nn.utils.clipGradValue_');
  noGrad(() => grads.forEach((g) => g.clamp_(-clipValue, clipValue)));
}
