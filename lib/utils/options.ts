// The one rule for every options object of the library: a key is either one of the known camelCase
// names or PyTorch's snake_case spelling of one (batch_first → batchFirst); anything else is a
// TorchError naming the key and the closest known one, never a silently ignored option:
//   SGD: unknown option 'nestrov'; did you mean 'nesterov'?
import { TorchError } from '../errors';
import { checkOptions } from './validate';

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
 * Checks an options object at a public entry and returns it with snake_case aliases renamed to their
 * camelCase names. `where` names the entry in messages ('SGD', 'nn.LSTM', 'DataLoader'); undefined
 * means {} (all defaults); a non-object, an unknown key, or a key given in both spellings throws.
 * keepUnknown (param groups only, whose extra keys PyTorch keeps for the user) keeps other keys as given.
 */
export function readOptions<T extends object>(where: string, options: T | undefined | null, known: readonly string[], keepUnknown = false): T {
  const o = checkOptions(options as T | undefined, where) as Record<string, unknown>;
  const knownSet = new Set(known);
  let out: Record<string, unknown> | null = null;
  for (const key of Object.keys(o)) {
    if (knownSet.has(key)) continue;
    const alias = camelCase(key);
    if (alias !== key && knownSet.has(alias)) {
      if (Object.prototype.hasOwnProperty.call(o, alias)) {
        throw new TorchError(`${where}: option '${alias}' given twice, as '${alias}' and as '${key}'`);
      }
      out ??= { ...o };
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

/** The keys an options interface declares, written once as a typed list so the compiler keeps it complete. */
export function optionKeys<T extends object>(keys: { [K in keyof Required<T>]: true }): (keyof T & string)[] {
  return Object.keys(keys) as (keyof T & string)[];
}
