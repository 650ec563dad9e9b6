// What the layer files share: PyTorch's factory kwargs, the n-tuple arguments (torch/nn/modules/utils.py's
// _pair, _ntuple) and the Python spellings their extra_repr writes.
import { TorchError } from '../../errors';
import type { DType } from '../../dtype';

export type Pair = number | [number, number];
export const FACTORY = ['device', 'dtype'] as const;

/** PyTorch's factory kwargs: where the new parameters live. */
export interface FactoryOptions {
  device?: string;
  dtype?: DType;
}

export function pair(x: Pair): [number, number] {
  return typeof x === 'number' ? [x, x] : [x[0], x[1]];
}

export type Tuple = number | number[];
export const tuple = (v: Tuple, n: number, what: string): number[] => {
  const xs = typeof v === 'number' ? new Array(n).fill(v) : [...v];
  if (xs.length !== n) throw new TorchError(`${what}: expected ${n} values, got ${xs.length}`);
  return xs;
};
export const pyBool = (b: boolean) => (b ? 'True' : 'False');
export const pyTuple = (xs: number[]) => `(${xs.join(', ')}${xs.length === 1 ? ',' : ''})`;

/** A float as Python's repr writes it where JS differs (1e-05, not 0.00001). */
export function pyFloat(v: number): string {
  if (v === 0 || Math.abs(v) >= 1e-4) return String(v);
  const [m, e] = v.toExponential().split('e');
  return `${m}e${e[0]}${e.slice(1).padStart(2, '0')}`;
}
