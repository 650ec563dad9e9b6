// torch.backends and the determinism and matmul-precision switches: PyTorch's names and defaults, each bound
// to libtorch's process-wide flag (at::globalContext(), native/backends.cc). The flags exist in every build,
// CPU-only ones included, as in PyTorch; they change what CUDA, cuBLAS and cuDNN kernels may do.
import { TorchError } from './errors';
import { camelCase, closestName, normalizeOptions } from './kwargs';
import { native } from './native';

export type Float32MatmulPrecision = 'highest' | 'high' | 'medium';
const PRECISIONS: readonly string[] = ['highest', 'high', 'medium'];

/** A boolean flag as a property: reads libtorch's value, writes it (PyTorch's setters refuse non-booleans too). */
function flag(name: string, access: (value?: boolean) => boolean): PropertyDescriptor {
  return {
    enumerable: true,
    get: () => access(),
    set: (value: unknown) => {
      if (typeof value !== 'boolean') throw new TorchError(`${name} must be a boolean, got ${typeof value}`);
      access(value);
    },
  };
}

const b = () => native.backends;

/**
 * A switch namespace as PyTorch's modules are: Python's spelling (allow_tf32) reads and writes the camelCase
 * flag, and assigning a name it does not have is a TorchError with the closest one, never a new property
 * that silently changes nothing (torch.backends.cudnn.benchmrk = true).
 */
function switches<T extends object>(where: string, target: T): T {
  const known = () => Object.keys(Object.getOwnPropertyDescriptors(target));
  const resolve = (key: string | symbol): string | symbol => (typeof key === 'string' && !(key in target) ? camelCase(key) : key);
  return new Proxy(target, {
    get: (t, key) => Reflect.get(t, resolve(key)),
    set: (t, key, value) => {
      const name = resolve(key);
      if (typeof name === 'string' && !(name in t)) {
        const near = closestName(name, known());
        throw new TorchError(`${where} has no switch '${String(key)}'${near ? `; did you mean '${near}'?` : ''}`);
      }
      return Reflect.set(t, name, value);
    },
    defineProperty: (_t, key) => {
      throw new TorchError(`${where}: cannot define '${String(key)}'`);
    },
  });
}

export interface Backends {
  cuda: {
    /** torch.backends.cuda.is_built(): this build was compiled and linked against a CUDA libtorch (a GPU need not be present). */
    isBuilt(): boolean;
    matmul: {
      /** torch.backends.cuda.matmul.allow_tf32: float32 matmuls on CUDA may use TF32 tensor cores (default false, as PyTorch ≥ 1.12). */
      allowTf32: boolean;
    };
  };
  cudnn: {
    /** torch.backends.cudnn.is_available(). */
    isAvailable(): boolean;
    /** torch.backends.cudnn.enabled (default true): whether cuDNN may be used at all. */
    enabled: boolean;
    /** torch.backends.cudnn.benchmark (default false): time cuDNN's algorithms once per input shape and keep the fastest. */
    benchmark: boolean;
    /** torch.backends.cudnn.deterministic (default false): only deterministic cuDNN algorithms. */
    deterministic: boolean;
    /** torch.backends.cudnn.allow_tf32 (default true): float32 convolutions on cuDNN may use TF32. */
    allowTf32: boolean;
  };
}

/** torch.backends: cuda.isBuilt(), cuda.matmul.allowTf32 and cudnn's flags, as properties as in PyTorch. */
export const backends: Backends = {
  cuda: {
    isBuilt: () => native.cuda.compiled,
    matmul: switches('torch.backends.cuda.matmul', Object.defineProperties({} as Backends['cuda']['matmul'], {
      allowTf32: flag('torch.backends.cuda.matmul.allowTf32', (v) => b().matmulAllowTf32(v)),
    })),
  },
  cudnn: switches('torch.backends.cudnn', Object.defineProperties({ isAvailable: () => native.cuda.cudnnIsAvailable() } as Backends['cudnn'], {
    enabled: flag('torch.backends.cudnn.enabled', (v) => b().cudnnEnabled(v)),
    benchmark: flag('torch.backends.cudnn.benchmark', (v) => b().cudnnBenchmark(v)),
    deterministic: flag('torch.backends.cudnn.deterministic', (v) => b().cudnnDeterministic(v)),
    allowTf32: flag('torch.backends.cudnn.allowTf32', (v) => b().cudnnAllowTf32(v)),
  })),
};

/**
 * torch.use_deterministic_algorithms(mode, warn_only=...): operations without a deterministic implementation
 * throw (or, with warnOnly, warn) instead of running nondeterministically. Default: off.
 */
export function useDeterministicAlgorithms(mode: boolean, options: { warnOnly?: boolean } = {}): void {
  if (typeof mode !== 'boolean') throw new TorchError(`useDeterministicAlgorithms: mode must be a boolean, got ${typeof mode}`);
  const warnOnly = normalizeOptions('useDeterministicAlgorithms', options, ['warnOnly']).warnOnly ?? false;
  if (typeof warnOnly !== 'boolean') throw new TorchError(`useDeterministicAlgorithms: warnOnly must be a boolean, got ${typeof warnOnly}`);
  native.backends.useDeterministicAlgorithms(mode, warnOnly);
}

/** torch.are_deterministic_algorithms_enabled(). */
export function areDeterministicAlgorithmsEnabled(): boolean {
  return native.backends.deterministicAlgorithms();
}

/** torch.is_deterministic_algorithms_warn_only_enabled(). */
export function isDeterministicAlgorithmsWarnOnlyEnabled(): boolean {
  return native.backends.deterministicAlgorithmsWarnOnly();
}

/**
 * torch.set_float32_matmul_precision: 'highest' (default: float32 matmuls in float32), 'high' (TF32, or two
 * bfloat16 products) or 'medium' (bfloat16). 'high' and 'medium' also turn cuda.matmul.allowTf32 on, as in
 * PyTorch. An unknown name is a TorchError (PyTorch warns and ignores it).
 */
export function setFloat32MatmulPrecision(precision: Float32MatmulPrecision): void {
  if (!PRECISIONS.includes(precision)) {
    throw new TorchError(`setFloat32MatmulPrecision: precision must be 'highest', 'high' or 'medium', got ${JSON.stringify(precision)}`);
  }
  native.backends.float32MatmulPrecision(precision);
}

/** torch.get_float32_matmul_precision(). */
export function getFloat32MatmulPrecision(): Float32MatmulPrecision {
  return native.backends.float32MatmulPrecision();
}
