// Memory management. The garbage collector frees dropped tensors (V8 is told libtorch's CPU and CUDA bytes, and
// finalizers run inside the collection), so PyTorch-style code stays bounded; tidy(fn) and dispose() free at
// once and deterministically: tidy frees every tensor made inside fn except those it returns or keep()s.
// A tensor made inside tidy() costs no finalizer (the scope frees it); one that leaves every scope (returned
// to the top level, keep()) gets its finalizer then.
import { TorchError } from './errors';
import { native } from './native';
import { Tensor, isTensor } from './tensor';
import type { MemoryInfo } from './native_types';

function collect(value: unknown, out: Tensor[], seen: Set<unknown>, depth = 0): void {
  if (value === null || typeof value !== 'object' || seen.has(value) || depth > 8) return;
  seen.add(value);
  if (isTensor(value)) {
    out.push(value);
  } else if (Array.isArray(value)) {
    for (const v of value) collect(v, out, seen, depth + 1);
  } else if (value instanceof Map) {
    for (const v of value.values()) collect(v, out, seen, depth + 1);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, out, seen, depth + 1);
  }
}

/** Runs fn; afterwards disposes every tensor it created except those in its result (arrays and plain objects are searched). */
export function tidy<T>(fn: () => T): T {
  const depth: number = native.startScope();
  let result: T;
  try {
    result = fn();
  } catch (e) {
    native.endScope(depth, []);
    throw e;
  }
  if (result instanceof Promise) {
    native.endScope(depth, []);
    throw new TorchError('tidy: fn must be synchronous (it returned a Promise)');
  }
  const keepList: Tensor[] = [];
  collect(result, keepList, new Set());
  native.endScope(depth, keepList);
  return result;
}

/** Exempts a tensor from every enclosing tidy(). */
export function keep<T extends Tensor>(t: T): T {
  return native.keep(t);
}

/** Disposes every tensor found in the argument (a tensor, arrays or plain objects of them). */
export function dispose(value: unknown): void {
  const list: Tensor[] = [];
  collect(value, list, new Set());
  for (const t of list) t.dispose();
}

export type { DeviceUsage, MemoryInfo } from './native_types';

export function memory(): MemoryInfo {
  return native.memory();
}
