// Argument checks for the public API's constructors and entry points: a bad argument becomes a
// TorchError that names the function and the argument when it is given, not an internal TypeError
// (or a silent default) later. The wording follows PyTorch's argument parser:
//   SGD(): argument 'lr' must be a number, not the string '0.1'
import * as fs from 'fs';
import { TorchError } from '../errors';
import { isTensor, type Tensor } from '../tensor';

/** How a value reads in a message: `the string 'x'`, `3`, `null`, `an array`, `a Map` … */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return `the string '${v.length > 40 ? v.slice(0, 40) + '…' : v}'`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return `${typeof v} ${String(v)}`;
  if (typeof v === 'function') return 'a function';
  if (isTensor(v)) return 'a Tensor';
  if (Array.isArray(v)) return 'an array';
  const name = (v as object).constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'an object';
}

/** Python's repr of a simple value, as PyTorch's "but got batch_size=0" messages print it. */
export function reprValue(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v === null || v === undefined) return 'None';
  return describeValue(v);
}

function fail(fn: string, name: string, what: string, v: unknown): never {
  throw new TorchError(`${fn}(): argument '${name}' must be ${what}, not ${describeValue(v)}`);
}

/** A finite or infinite number (NaN passes: the caller's range check words that, as PyTorch's does). */
export function checkNumber(v: unknown, fn: string, name: string): number {
  if (typeof v !== 'number') fail(fn, name, 'a number', v);
  return v as number;
}

export function checkInt(v: unknown, fn: string, name: string, min = -Infinity): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(fn, name, 'an integer', v);
  if ((v as number) < min) throw new TorchError(`${fn}(): argument '${name}' must be at least ${min}, got ${v}`);
  return v as number;
}

export function checkBool(v: unknown, fn: string, name: string): boolean {
  if (typeof v !== 'boolean') fail(fn, name, 'a boolean', v);
  return v as boolean;
}

export function checkString(v: unknown, fn: string, name: string): string {
  if (typeof v !== 'string') fail(fn, name, 'a string', v);
  return v as string;
}

export function checkTensor(v: unknown, fn: string, name: string): Tensor {
  if (!isTensor(v)) fail(fn, name, 'a Tensor', v);
  return v as Tensor;
}

/** One of a fixed set of names (enums such as memory formats or a ResNet's shortcut type). */
export function checkOneOf<T extends string>(v: unknown, allowed: readonly T[], fn: string, name: string): T {
  if (typeof v !== 'string' || !allowed.includes(v as T)) {
    const list = allowed.map((a) => `'${a}'`);
    fail(fn, name, list.length === 2 ? `${list[0]} or ${list[1]}` : `one of ${list.join(', ')}`, v);
  }
  return v as T;
}

/** An options bag: undefined means {} (all defaults); anything else must be a plain object. */
export function checkOptions<T extends object>(v: T | undefined | null, fn: string, name = 'options'): T {
  if (v === undefined) return {} as T;
  if (v === null || typeof v !== 'object' || Array.isArray(v) || isTensor(v)) fail(fn, name, 'an object', v);
  return v;
}

/** Each key present (not undefined) in `o` is checked by its checker; absent keys keep their defaults. */
export function checkFields(o: object, fn: string, checks: Record<string, (v: unknown, fn: string, name: string) => unknown>): void {
  for (const [key, check] of Object.entries(checks)) {
    const v = (o as Record<string, unknown>)[key];
    if (v !== undefined) check(v, fn, key);
  }
}

/**
 * A path a loader is about to read: a TorchError "<fn>: no such file '<file>'" or "is not a file" now,
 * instead of the native reader's message later. `directories` admits a folder (an unpacked package).
 */
export function checkReadablePath(file: string, fn: string, directories = false): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new TorchError(`${fn}: no such file '${file}'`);
  }
  if (!stat.isFile() && !(directories && stat.isDirectory())) throw new TorchError(`${fn}: '${file}' is not a file`);
}
