// Python's keyword arguments as one options object, and the one rule for every options object of the
// library: a key is one of the known camelCase names or PyTorch's snake_case spelling of one
// (batch_first → batchFirst); anything else is a TorchError naming the key and the closest known one:
//   SGD: unknown option 'nestrov'; did you mean 'nesterov'?
// A leaf module (errors only), so tensor.ts and utils/options.ts both build on it without a cycle; the
// generic operator call in native/ops.cc applies the same rule to every generated op.
import { TorchError } from './errors';

/** A plain options object: not an array, a Tensor, a typed array or null. */
export function isOptions(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || ArrayBuffer.isView(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * PyTorch's snake_case name → our camelCase one: weight_decay → weightDecay, T_max → tMax (a leading
 * capital, as in PyTorch's T_max and T_0, is lowered); a name without '_' stays as it is.
 */
export function camelCase(key: string): string {
  if (!key.includes('_')) return key;
  const c = key.replace(/_+([a-zA-Z0-9])/g, (_, ch: string) => ch.toUpperCase());
  return c[0].toLowerCase() + c.slice(1);
}

/** Levenshtein distance, case-insensitive (the suggestion for 'Nesterov' is 'nesterov'). */
export function editDistance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}

/** The known name closest to `key` (compared in both spellings), or null when there are none. */
export function closestName(key: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const k of known) {
    const d = Math.min(editDistance(key, k), editDistance(camelCase(key), k));
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best;
}

/**
 * The keys of an options object checked against `known`, snake_case aliases renamed to their camelCase
 * names (a copy only when one is renamed). keepUnknown (param groups only, whose extra keys PyTorch keeps
 * for the user) keeps other keys as given.
 */
export function checkKeys<T extends object>(where: string, o: T, known: readonly string[], keepUnknown = false): T {
  let out: Record<string, unknown> | null = null;
  for (const key of Object.keys(o)) {
    if (known.includes(key)) continue;
    const alias = camelCase(key);
    if (alias !== key && known.includes(alias)) {
      if (Object.prototype.hasOwnProperty.call(o, alias)) {
        throw new TorchError(`${where}: option '${alias}' given twice, as '${alias}' and as '${key}'`);
      }
      out ??= { ...(o as Record<string, unknown>) };
      out[alias] = out[key];
      delete out[key];
      continue;
    }
    if (keepUnknown) continue;
    const near = closestName(key, known);
    throw new TorchError(
      near === null ? `${where}: unknown option '${key}'; it takes no options` : `${where}: unknown option '${key}'; did you mean '${near}'?`,
    );
  }
  return (out ?? o) as T;
}

/** checkKeys for an optional options object: undefined and null mean {}, anything but a plain object is refused. */
export function normalizeOptions<T extends object>(where: string, options: T | undefined, known: readonly string[]): T {
  if (options === undefined || options === null) return {} as T;
  if (!isOptions(options)) throw new TorchError(`${where}: options must be an object`);
  return checkKeys(where, options, known);
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
