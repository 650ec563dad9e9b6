// PyTorch's repr (lib/tensor_str.ts): String(x), console.log(x) and util.inspect(x) print what Python's
// repr(x) prints for the same tensor: 4 decimals, integer-valued floats with a '.', scientific notation,
// summaries of tensors over 1000 elements, line wrapping at 80 columns, and the dtype, grad_fn and
// requires_grad suffixes.
import * as util from 'util';
import { describe, expect, it } from 'vitest';
import * as torch from '../lib';
import { Tensor } from '../lib';
import { formatExp, formatFixed } from '../lib/tensor_str';
import { hasPythonTorch, runPython } from './helpers/python';

const havePython = hasPythonTorch();

interface Case { py: string; ts: () => Tensor }
const CASES: Case[] = [
  { py: 'torch.tensor([[0.1234, -1.2], [3.0, 4.5]])', ts: () => torch.tensor([[0.1234, -1.2], [3.0, 4.5]]) },
  { py: 'torch.tensor([1., 2., 3.])', ts: () => torch.tensor([1, 2, 3]) },
  { py: 'torch.tensor([-0., 0., 10.])', ts: () => torch.tensor([-0, 0, 10]) },
  { py: 'torch.tensor([0.03125, 0.09375, 1.5, 2.5, -0.15625])', ts: () => torch.tensor([0.03125, 0.09375, 1.5, 2.5, -0.15625]) },
  { py: 'torch.tensor([1e-5, 1., 1e10])', ts: () => torch.tensor([1e-5, 1, 1e10]) },
  { py: 'torch.tensor([1., 2000.])', ts: () => torch.tensor([1, 2000]) },
  { py: 'torch.tensor([float("nan"), float("inf"), -1.5])', ts: () => torch.tensor([NaN, Infinity, -1.5]) },
  { py: 'torch.tensor([float("nan"), 2.])', ts: () => torch.tensor([NaN, 2]) },
  { py: 'torch.tensor(3.5)', ts: () => torch.tensor(3.5) },
  { py: 'torch.tensor(7)', ts: () => torch.tensor(7, { dtype: 'int64' }) },
  { py: 'torch.arange(-5, 20).view(5, 5)', ts: () => torch.arange(-5, 20).view(5, 5) },
  { py: 'torch.arange(6, dtype=torch.int32)', ts: () => torch.arange(6, { dtype: 'int32' }) },
  { py: 'torch.arange(6, dtype=torch.uint8).view(2, 3)', ts: () => torch.arange(6, { dtype: 'uint8' }).view(2, 3) },
  { py: 'torch.tensor([[True, False], [False, True]])', ts: () => torch.tensor([[true, false], [false, true]]) },
  { py: 'torch.linspace(-1, 1, 5, dtype=torch.float64)', ts: () => torch.linspace(-1, 1, 5, { dtype: 'float64' }) },
  { py: 'torch.linspace(-1, 1, 5).half()', ts: () => torch.linspace(-1, 1, 5).half() },
  { py: 'torch.linspace(0, 1, 30)', ts: () => torch.linspace(0, 1, 30) },
  { py: 'torch.arange(10000.).view(100, 100) / 7', ts: () => torch.arange(10000, { dtype: 'float32' }).view(100, 100).div(7) },
  { py: 'torch.arange(2000)', ts: () => torch.arange(2000) },
  { py: 'torch.arange(2000.).view(10, 10, 20) * 1e-3', ts: () => torch.arange(2000, { dtype: 'float32' }).view(10, 10, 20).mul(1e-3) },
  { py: 'torch.arange(2000.).view(4, 500).exp()', ts: () => torch.arange(2000, { dtype: 'float32' }).view(4, 500).exp() },
  { py: 'torch.zeros(2, 2, 2, 2)', ts: () => torch.zeros(2, 2, 2, 2) },
  { py: 'torch.zeros(0)', ts: () => torch.zeros(0) },
  { py: 'torch.zeros(0, 3)', ts: () => torch.zeros(0, 3) },
  { py: 'torch.zeros(0, dtype=torch.int64)', ts: () => torch.zeros(0, { dtype: 'int64' }) },
  { py: 'torch.ones(2, requires_grad=True)', ts: () => torch.ones(2, { requiresGrad: true }) },
  { py: 'torch.ones(2, requires_grad=True) + torch.ones(2)', ts: () => torch.ones(2, { requiresGrad: true }).add(torch.ones(2)) },
  { py: 'torch.linspace(0, 1, 12, dtype=torch.float64, requires_grad=True).view(3, 4).sum(1)', ts: () => torch.linspace(0, 1, 12, { dtype: 'float64', requiresGrad: true }).view(3, 4).sum(1) },
];

describe.skipIf(!havePython)("repr as Python's (requires python3 with torch)", () => {
  it('String(x) is repr(x) for every tensor of the table', () => {
    const expected = runPython<string[]>('import torch\nprint(json.dumps([repr(eval(e)) for e in inp]))', CASES.map((c) => c.py));
    CASES.forEach((c, i) => {
      expect({ expr: c.py, repr: String(c.ts()) }).toEqual({ expr: c.py, repr: expected[i] });
    });
  });
});

describe('repr', () => {
  it('console.log and util.inspect print the repr', () => {
    const t = torch.tensor([[1.5, -2], [0.25, 4]]);
    expect(util.inspect(t)).toBe('tensor([[ 1.5000, -2.0000],\n        [ 0.2500,  4.0000]])');
    expect(`${t}`).toBe(util.inspect(t));
  });

  it("rounds exact ties to even as Python's format does", () => {
    expect(formatFixed(0.03125, 4)).toBe('0.0312');
    expect(formatFixed(0.09375, 4)).toBe('0.0938');
    expect(formatFixed(-0.15625, 4)).toBe('-0.1562');
    expect(formatFixed(2.5, 0)).toBe('2');
    expect(formatFixed(-0, 4)).toBe('-0.0000');
    expect(formatExp(1.03125, 4)).toBe('1.0312e+00');
    expect(formatExp(12345678901, 4)).toBe('1.2346e+10');
    expect(formatExp(1e-5, 4)).toBe('1.0000e-05');
  });

  it('a disposed tensor says so instead of throwing', () => {
    const t = torch.zeros(2);
    t.dispose();
    expect(String(t)).toBe('tensor(<disposed>)');
  });
});
