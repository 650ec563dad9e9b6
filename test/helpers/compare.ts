// Comparing our tensors with the nested lists Python prints.
import { expect } from 'vitest';
import type { Tensor } from '../../lib';

export type Nested = number | Nested[];
export const flat = (x: Nested): number[] => (Array.isArray(x) ? x.flatMap(flat) : [x]);
export const arr = (t: Tensor) => t.toArray() as Nested;

/** The largest absolute difference; fails the test if the sizes differ. */
export function maxDiff(a: Nested, b: Nested): number {
  const fa = flat(a);
  const fb = flat(b);
  expect(fa.length).toBe(fb.length);
  let m = 0;
  for (let i = 0; i < fa.length; i++) m = Math.max(m, Math.abs(fa[i] - fb[i]));
  return m;
}
