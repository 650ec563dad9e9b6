// Command-line flags: util.parseArgs plus checks that turn every bad flag, value or path into one line
// that names the flag (a UsageError, exit code 2), never a stack trace.
import { parseArgs } from 'util';
import { NumberRule, POSITIVE, satisfies } from '../utils/number_rule';

/** A mistake in the command line: printed as one line, exit code 2 (the Unix convention for usage errors). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Shown in --help: the value's name ('N', 'DIR') and what the flag does, with its default. */
  value?: string;
  help: string;
}

export type FlagValues = Record<string, string | boolean | undefined>;

/** Parses argv strictly: an unknown flag, a missing value or a positional argument is a UsageError. */
export function parseFlags(argv: string[], spec: Record<string, FlagSpec>): FlagValues {
  const options = Object.fromEntries(
    Object.entries(spec).map(([name, s]) => [name, s.short === undefined ? { type: s.type } : { type: s.type, short: s.short }]),
  );
  // `--epochs -3`: parseArgs calls a value that starts with '-' ambiguous; a negative number is a value
  // (and then refused by the flag's own check, which says what it expects).
  const args = argv.flatMap((a, i) => {
    const flag = a.startsWith('--') ? spec[a.slice(2)] : undefined;
    if (flag?.type === 'string' && /^-[\d.]/.test(argv[i + 1] ?? '')) return [`${a}=${argv[i + 1]}`];
    return i > 0 && /^-[\d.]/.test(a) && spec[argv[i - 1].slice(2)]?.type === 'string' && argv[i - 1].startsWith('--') ? [] : [a];
  });
  try {
    const { values, positionals } = parseArgs({ args, options, strict: true, allowPositionals: true });
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}' (flags only; see --help)`);
    return values as FlagValues;
  } catch (e) {
    if (e instanceof UsageError || !String((e as { code?: string }).code).startsWith('ERR_PARSE_ARGS')) throw e;
    // parseArgs' messages are already one line; drop its advice about '--' (no positionals here).
    const msg = (e as Error).message.replace(/\. To specify a positional argument.*$/s, '').replace(/\s+/g, ' ');
    throw new UsageError(`${msg} (see --help)`);
  }
}

export function helpText(usage: string, spec: Record<string, FlagSpec>): string {
  const rows = Object.entries(spec).map(([name, s]) => {
    const left = `${s.short ? `-${s.short}, ` : '    '}--${name}${s.value ? ` ${s.value}` : ''}`;
    return `  ${left.padEnd(28)} ${s.help}`;
  });
  return `${usage}\n\n${rows.join('\n')}`;
}

function text(values: FlagValues, name: string): string | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.trim() === '') throw new UsageError(`--${name}: expected a value`);
  return v.trim();
}

/** An integer flag within [min, max]; undefined when absent. */
export function intFlag(values: FlagValues, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = text(values, name);
  if (v === undefined) return undefined;
  const n = /^[+-]?\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`;
    throw new UsageError(`--${name}: expected ${range}, got '${v}'`);
  }
  return n;
}

/**
 * A number flag in the range of its option's rule (the one the API entry it is handed to checks by, see
 * utils/number_rule.ts); undefined when absent. The string must be a finite number (an integer's digits
 * for an integer rule).
 */
export function ruleFlag(values: FlagValues, name: string, rule: NumberRule): number | undefined {
  const v = text(values, name);
  if (v === undefined) return undefined;
  const n = rule.integer && !/^[+-]?\d+$/.test(v) ? NaN : Number(v);
  if (!Number.isFinite(n) || (rule.integer && !Number.isSafeInteger(n)) || !satisfies(n, rule)) throw new UsageError(`--${name}: expected ${rule.expected}, got '${v}'`);
  return n;
}

/** A positive finite number; undefined when absent. */
export function positiveFlag(values: FlagValues, name: string): number | undefined {
  return ruleFlag(values, name, POSITIVE);
}

/** One of a fixed set of words; undefined when absent. */
export function choiceFlag<T extends string>(values: FlagValues, name: string, choices: readonly T[]): T | undefined {
  const v = text(values, name);
  if (v === undefined) return undefined;
  if (!choices.includes(v as T)) throw new UsageError(`--${name}: expected ${choices.join(', ')}; got '${v}'`);
  return v as T;
}

export function stringFlag(values: FlagValues, name: string): string | undefined {
  return text(values, name);
}

const DEVICE = /^(cpu|cuda(:\d+)?)$/;

/** A device name: cpu, cuda or cuda:N; undefined when absent. */
export function deviceFlag(values: FlagValues, name: string): string | undefined {
  const v = text(values, name);
  if (v !== undefined && !DEVICE.test(v)) throw new UsageError(`--${name}: expected cpu, cuda or cuda:N, got '${v}'`);
  return v;
}
