// Python's keyword arguments as one options object: what counts as one, the snake_case spelling PyTorch
// uses mapped to the camelCase this library documents, and an unknown key refused with the closest known
// one (the generic operator call in native/ops.cc does the same for every generated op).
import { TorchError } from './errors';

/** A plain options object: not an array, a Tensor, a typed array or null. */
export function isOptions(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || ArrayBuffer.isView(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** 'scale_factor' → 'scaleFactor' (a camelCase key is unchanged). */
export function camelKey(key: string): string {
  return key.replace(/(?!^)_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function editDistance(a: string, b: string): number {
  const x = a.toLowerCase(), y = b.toLowerCase();
  let row = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const next = [i];
    for (let j = 1; j <= y.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[y.length];
}

/** The known key closest to `key` (case-insensitive edit distance), or undefined when there is none. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(key, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best;
}

/**
 * The options with PyTorch's snake_case keys renamed to camelCase; a key that is neither a known name nor
 * one's snake_case form is a TorchError naming it and the closest known key.
 */
export function normalizeOptions<T extends object>(where: string, options: T | undefined, known: readonly string[]): T {
  if (options === undefined || options === null) return {} as T;
  if (!isOptions(options)) throw new TorchError(`${where}: options must be an object`);
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(options)) {
    const camel = camelKey(key);
    if (!known.includes(camel)) {
      const near = closestKey(camel, known);
      throw new TorchError(`${where}: unknown option '${key}'${near ? `; did you mean '${near}'?` : '; it takes no options'}`);
    }
    if (camel === key) continue;
    if (camel in options) throw new TorchError(`${where}: option '${camel}' given twice (also as '${key}')`);
    out ??= { ...(options as Record<string, unknown>) };
    out[camel] = out[key];
    delete out[key];
  }
  return (out ?? options) as T;
}

/**
 * Python's f(input, a, b=…) called as f(x, a, b), f(x, { a, b }) or f(x, a, { b }): the arguments after
 * input by position, a trailing options object filling them by name (PyTorch's or camelCase). A name given
 * both ways, or an unknown one, is a TorchError.
 */
export function namedArgs(where: string, names: readonly string[], args: readonly unknown[]): unknown[] {
  const last = args[args.length - 1];
  if (args.length === 0 || !isOptions(last)) return [...args];
  const positional = args.slice(0, -1);
  const options = normalizeOptions(where, last, names) as Record<string, unknown>;
  const out = [...positional];
  names.forEach((name, i) => {
    if (!(name in options)) return;
    if (i < positional.length && positional[i] !== undefined) throw new TorchError(`${where}: got multiple values for '${name}'`);
    out[i] = options[name];
  });
  return out;
}
