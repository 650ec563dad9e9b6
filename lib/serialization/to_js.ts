// Unpickled Python values -> the JS values torch.load returns (see load()'s comment).
import type { DType } from '../dtype';
import type { Tensor } from '../tensor';
import { PyGlobal, PyOrderedDict } from './pickle';
import { PendingTensor } from './tensor_table';

/** torch.<dtype> globals (a dtype saved as a value, e.g. in a config) -> our dtype names. */
export const TORCH_DTYPES: Record<string, DType> = {
  float32: 'float32', float: 'float32', float64: 'float64', double: 'float64', float16: 'float16', half: 'float16',
  bfloat16: 'bfloat16', int64: 'int64', long: 'int64', int32: 'int32', int: 'int32', int16: 'int16',
  short: 'int16', int8: 'int8', uint8: 'uint8', bool: 'bool',
};

/** Keys that JS objects would move to the front (array indices: '0', '17', not '01'), so such dicts stay Maps. */
function isIndexLike(k: string): boolean {
  const n = k.length;
  if (n === 0 || n > 10 || (k.charCodeAt(0) === 0x30 && n > 1)) return false;
  for (let i = 0; i < n; i++) {
    const c = k.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return Number(k) < 2 ** 32 - 1;
}

/** A dict that becomes a plain object: every key a string that an object keeps in order and that is not `_metadata`. */
function isPlainKeyed(m: Map<unknown, unknown>): boolean {
  for (const k of m.keys()) if (typeof k !== 'string' || isIndexLike(k) || k === '_metadata') return false;
  return true;
}

/** o[k] = v as an own data property, whatever k is ('__proto__' too). */
function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/**
 * Unpickled values -> JS values; `tensors` are the tensors made for the pickle's PendingTensors. Iterative:
 * each container is made when first met and filled from a work list, so nesting depth costs heap, not stack
 * (a pickle nested 100,000 deep converts); a container met twice (a shared reference) converts once.
 */
export function toJs(root: unknown, tensors: readonly Tensor[]): unknown {
  const seen = new Map<object, unknown>();
  const work: (() => void)[] = [];
  const convert = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return v;
    if (v instanceof PendingTensor) return tensors[v.index];
    if (seen.has(v)) return seen.get(v);
    // A dtype saved as a value becomes its name; any other allowed global (a storage type) its qualified name.
    if (v instanceof PyGlobal) return (v.module === 'torch' && TORCH_DTYPES[v.name]) || v.qualified;
    if (Array.isArray(v)) {
      seen.set(v, v);
      work.push(() => {
        for (let i = 0; i < v.length; i++) v[i] = convert(v[i]);
      });
      return v;
    }
    if (!(v instanceof Map)) return v;
    // One shape whatever wrote the file: a dict or an OrderedDict (Python's state_dict(), ours) with string
    // keys is a plain object; an OrderedDict's `_metadata` a hidden property that save() writes back.
    const meta = v instanceof PyOrderedDict ? v.attributes?.get('_metadata') : undefined;
    const hide = (target: object) => {
      if (meta !== undefined) Object.defineProperty(target, '_metadata', { value: convert(meta), enumerable: false, writable: true, configurable: true });
    };
    if (isPlainKeyed(v)) {
      const o: Record<string, unknown> = {};
      seen.set(v, o);
      work.push(() => {
        for (const [k, x] of v) setOwn(o, k as string, convert(x));
        hide(o);
      });
      return o;
    }
    const m = new Map<unknown, unknown>();
    seen.set(v, m);
    work.push(() => {
      for (const [k, x] of v) m.set(convert(k), convert(x));
      hide(m);
    });
    return m;
  };
  const out = convert(root);
  for (let job = work.pop(); job; job = work.pop()) job();
  return out;
}
