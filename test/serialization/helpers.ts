// Shared by the serialization tests: a temp folder, and the same tensor report on both sides
// (integers as strings so int64 survives JSON, floats as exact doubles) so results compare with toEqual.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Tensor } from '../../lib';

export function tempDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `torch-node-${tag}-`));
}

export interface TensorReport {
  dtype: string;
  shape: number[];
  requiresGrad: boolean;
  data: (string | number | boolean)[];
}

export function report(t: Tensor): TensorReport {
  const a = t.toTypedArray() as ArrayLike<number | bigint>;
  const isInt = ['int64', 'int32', 'int16', 'int8', 'uint8'].includes(t.dtype);
  const data = Array.from(a, (v) => (isInt ? String(v) : t.dtype === 'bool' ? v !== 0 : Number(v)));
  return { dtype: t.dtype, shape: t.shape, requiresGrad: t.requiresGrad, data };
}

/** Python's side of report(); paste into scripts. */
export const PY_REPORT = `
import torch
def report(t):
    name = str(t.dtype).replace('torch.', '')
    flat = t.detach().reshape(-1)
    if name in ('int64', 'int32', 'int16', 'int8', 'uint8'):
        data = [str(v) for v in flat.tolist()]
    elif name == 'bool':
        data = flat.tolist()
    else:
        data = flat.double().tolist()
    return {'dtype': name, 'shape': list(t.shape), 'requiresGrad': t.requires_grad, 'data': data}
`;
