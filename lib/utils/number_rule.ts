// The range of a numeric option, written once and read by each entry that takes the option: the API
// entry checks the number it is given (a TorchError that names the entry and the option), the command
// line the string it parses (a usage error that names the flag), so both say the same thing in their
// own words and cannot drift apart. A leaf module: the CLI reads it without the training code.
import { TorchError } from '../errors';

export interface NumberRule {
  integer: boolean;
  /** The smallest value allowed; excluded when `above`. */
  min: number;
  above: boolean;
  /** How an API message words the rule: 'epochs must be <must>'. */
  must: string;
  /** How a command-line message words it: '--epochs: expected <expected>'. */
  expected: string;
}

export const POSITIVE_INT: NumberRule = { integer: true, min: 1, above: false, must: 'a positive integer', expected: 'an integer ≥ 1' };
export const POSITIVE: NumberRule = { integer: false, min: 0, above: true, must: 'positive', expected: 'a positive number' };
export const POSITIVE_SECONDS: NumberRule = { ...POSITIVE, must: 'a positive number of seconds' };

/** Whether v is a number in the rule's range (an infinite one passes a rule without an upper end, as in PyTorch). */
export function satisfies(v: unknown, rule: NumberRule): v is number {
  if (typeof v !== 'number' || Number.isNaN(v) || (rule.integer && !Number.isInteger(v))) return false;
  return rule.above ? v > rule.min : v >= rule.min;
}

/** At an API entry: `where: name must be <rule>, got v` for a given value out of range; undefined passes (the default). */
export function checkRule(where: string, name: string, v: unknown, rule: NumberRule): void {
  if (v !== undefined && !satisfies(v, rule)) throw new TorchError(`${where}: ${name} must be ${rule.must}, got ${v}`);
}
