// torch.autocast: mixed precision for the fast CUDA path, usable on CPU too
// (autocast on CPU runs bfloat16 as PyTorch's torch.autocast('cpu') does).
import { TorchError } from './errors';
import { native } from './native';
import { readOptions } from './utils/options';

export type AutocastDevice = 'cpu' | 'cuda';

/**
 * torch.autocast(deviceType, dtype): runs fn with eligible ops (convolutions, matmuls) in the lower
 * precision and the rest in float32. fn must be synchronous; run backward() outside, as in PyTorch.
 */
export function autocast<T>(
  deviceType: AutocastDevice,
  fn: () => T,
  options: { dtype?: 'bfloat16' | 'float16'; enabled?: boolean } = {},
): T {
  options = readOptions('autocast', options, ['dtype', 'enabled']);
  const dtype = options.dtype ?? (deviceType === 'cpu' ? 'bfloat16' : 'float16');
  const previous = native.amp.enter(deviceType, options.enabled ?? true, dtype);
  try {
    const result = fn();
    if (result instanceof Promise) throw new TorchError('autocast: fn must be synchronous (it returned a Promise)');
    return result;
  } finally {
    native.amp.exit(deviceType, previous);
  }
}

export function isAutocastEnabled(deviceType: AutocastDevice = 'cuda'): boolean {
  return native.amp.isEnabled(deviceType);
}

// torch.backends moved to backends.ts; re-exported for the modules that import it from here.
export { backends } from './backends';
