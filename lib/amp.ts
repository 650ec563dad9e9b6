// torch.autocast and torch.backends.cudnn: the switches of the fast CUDA path, usable on CPU too
// (autocast on CPU runs bfloat16 as PyTorch's torch.autocast('cpu') does).
import { TorchError } from './errors';
import { native } from './native';
import { readOptions } from './utils/option_keys';

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

/** torch.backends: cuda.isBuilt() and cudnn.benchmark (a property), as in PyTorch. */
export const backends = {
  cuda: {
    /** torch.backends.cuda.is_built(): this build was compiled and linked against a CUDA libtorch (a GPU need not be present). */
    isBuilt(): boolean {
      return native.cuda.compiled as boolean;
    },
  },
  cudnn: {
    get benchmark(): boolean {
      return native.cudnnBenchmark();
    },
    set benchmark(value: boolean) {
      native.cudnnBenchmark(Boolean(value));
    },
  },
};
