// The one rule for every options object of the library: a key is either one of the known camelCase
// names or PyTorch's snake_case spelling of one (batch_first → batchFirst); anything else is a
// TorchError naming the key and the closest known one, never a silently ignored option:
//   SGD: unknown option 'nestrov'; did you mean 'nesterov'?
import { checkKeys } from '../kwargs';
import { checkOptions } from './validate';

export { camelCase, editDistance, closestName } from '../kwargs';

/**
 * Checks an options object at a public entry and returns it with snake_case aliases renamed to their
 * camelCase names. `where` names the entry in messages ('SGD', 'nn.LSTM', 'DataLoader'); undefined
 * means {} (all defaults); a non-object, an unknown key, or a key given in both spellings throws.
 * keepUnknown (param groups only, whose extra keys PyTorch keeps for the user) keeps other keys as given.
 */
export function readOptions<T extends object>(where: string, options: T | undefined | null, known: readonly string[], keepUnknown = false): T {
  const o = checkOptions(options as T | undefined, where);
  return checkKeys(where, o as T, known, keepUnknown);
}

/** The keys an options interface declares, written once as a typed list so the compiler keeps it complete. */
export function optionKeys<T extends object>(keys: { [K in keyof Required<T>]: true }): (keyof T & string)[] {
  return Object.keys(keys) as (keyof T & string)[];
}
