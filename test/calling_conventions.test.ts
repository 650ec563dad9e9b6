// PyTorch's calling conventions (lib/tensor.ts factories, lib/ops.ts keyword routes, native/ops.cc options,
// lib/functional.ts): sizes as varargs, keyword arguments as one options object under PyTorch's names
// (camelCase, or Python's own snake_case), named tuples that destructure, tolist(), einsum's varargs and
// instanceof Tensor; values compared with Python torch on the same inputs.
import { describe, expect, it } from 'vitest';
import * as torch from '../lib';
import { Tensor, TorchError, nn } from '../lib';
import { hasPythonTorch, runPython } from './helpers/python';

const havePython = hasPythonTorch();
const F = nn.functional;

// a = arange(12).view(3, 4) / 3 - 1.7 (no ties for max/min/sort), b = a permuted; img a small image.
const a = () => torch.arange(12, { dtype: 'float32' }).view(3, 4).div(3).sub(1.7).mul(torch.tensor([1, -1, 1, -1]));
const b = () => torch.arange(20, { dtype: 'float32' }).view(5, 4).cos();
const img = () => torch.arange(18, { dtype: 'float32' }).view(1, 2, 3, 3);

interface Case { py: string; ts: () => Tensor | Tensor[] }
const CASES: Case[] = [
  { py: 'torch.zeros(2, 3)', ts: () => torch.zeros(2, 3) },
  { py: 'torch.ones(2, 3, dtype=torch.float64)', ts: () => torch.ones(2, 3, { dtype: 'float64' }) },
  { py: 'torch.ones([2, 3], dtype=torch.int32)', ts: () => torch.ones([2, 3], { dtype: 'int32' }) },
  { py: 'torch.full([2, 3], 7)', ts: () => torch.full([2, 3], 7, { dtype: 'int64' }) },
  { py: 'torch.full((2,), 0.5, dtype=torch.float64)', ts: () => torch.full([2], 0.5, { dtype: 'float64' }) },
  { py: 'torch.empty(4, 2).shape and zeros', ts: () => torch.empty(4, 2).zero_() },
  { py: 'torch.manual_seed(0); torch.randn(2, 3)', ts: () => (torch.manualSeed(0), torch.randn(2, 3)) },
  { py: 'torch.manual_seed(0); torch.rand(3, 2, dtype=torch.float64)', ts: () => (torch.manualSeed(0), torch.rand(3, 2, { dtype: 'float64' })) },
  { py: 'torch.manual_seed(1); torch.randint(10, (2, 3))', ts: () => (torch.manualSeed(1), torch.randint(10, [2, 3])) },
  { py: 'torch.manual_seed(1); torch.randint(3, 10, (4,))', ts: () => (torch.manualSeed(1), torch.randint(3, 10, [4])) },
  { py: 'torch.arange(5, dtype=torch.float64)', ts: () => torch.arange(5, { dtype: 'float64' }) },
  { py: 'a.view(2, 6)', ts: () => a().view(2, 6) },
  { py: 'a.reshape(2, -1)', ts: () => a().reshape(2, -1) },
  { py: 'a.permute(1, 0)', ts: () => a().permute(1, 0) },
  { py: 'a.repeat(2, 1)', ts: () => a().repeat(2, 1) },
  { py: 'a[:1].expand(3, -1)', ts: () => a().i(':1').expand(3, -1) },
  { py: 'a.flip(0, 1)', ts: () => a().flip(0, 1) },
  { py: 'a.tile(1, 2)', ts: () => a().tile(1, 2) },
  { py: 'a.new_zeros(2, 3)', ts: () => a().newZeros(2, 3) },
  { py: 'a.new_ones(2, 3, dtype=torch.float64)', ts: () => a().newOnes(2, 3, { dtype: 'float64' }) },
  { py: 'a.sum(dim=1, keepdim=True)', ts: () => a().sum({ dim: 1, keepdim: true }) },
  { py: 'a.sum(1, keepdim=True)', ts: () => a().sum(1, { keepdim: true }) },
  { py: 'a.sum(0, dtype=torch.float64)', ts: () => a().sum(0, { dtype: 'float64' }) },
  { py: 'a.mean(dim=[0, 1], keepdim=True)', ts: () => a().mean({ dim: [0, 1], keepdim: true }) },
  { py: 'a.std(dim=1, unbiased=False)', ts: () => a().std({ dim: 1, unbiased: false }) },
  { py: 'a.argmax(dim=1, keepdim=True)', ts: () => a().argmax({ dim: 1, keepdim: true }) },
  { py: 'a.add(b[:3], alpha=2)', ts: () => a().add(b().i(':3'), { alpha: 2 }) },
  { py: 'a.div(3, rounding_mode="floor")', ts: () => a().div(3, { roundingMode: 'floor' }) },
  { py: 'a.div(3, rounding_mode="trunc")  # the snake_case key', ts: () => (a().div as (...x: unknown[]) => Tensor)(3, { rounding_mode: 'trunc' }) },
  { py: 'torch.sum(a, dim=0)', ts: () => torch.sum(a(), { dim: 0 }) },
  { py: 'torch.cat([a, b], dim=0)', ts: () => torch.cat([a(), b()], { dim: 0 }) },
  { py: 'torch.stack([a, a], dim=1)', ts: () => torch.stack([a(), a()], { dim: 1 }) },
  { py: 'torch.softmax(a, dim=-1)', ts: () => torch.softmax(a(), { dim: -1 }) },
  { py: 'a.softmax(dim=0)', ts: () => a().softmax({ dim: 0 }) },
  { py: 'torch.linspace(0, 1, steps=5)', ts: () => torch.linspace(0, 1, { steps: 5 }) },
  { py: 'a.max(1)', ts: () => [...a().max(1)] },
  { py: 'a.max(1).values, a.max(1).indices', ts: () => [a().max(1).values, a().max(1).indices] },
  { py: 'a.max(dim=0, keepdim=True)', ts: () => [...a().max({ dim: 0, keepdim: true })] },
  { py: 'a.max(b[1:4])', ts: () => a().max(b().i('1:4')) },
  { py: 'a.min(0)', ts: () => [...a().min(0)] },
  { py: 'torch.max(a, 1)', ts: () => [...torch.max(a(), 1)] },
  { py: 'a.median(1)', ts: () => [...a().median(1)] },
  { py: 'a.mode(0)', ts: () => [...a().round().mode(0)].slice(0, 1) },
  { py: 'a.kthvalue(2, 1)', ts: () => [...a().kthvalue(2, 1)] },
  { py: 'a.sort(dim=0, descending=True)', ts: () => [...a().sort({ dim: 0, descending: true })] },
  { py: 'a.topk(2)', ts: () => [...a().topk(2)] },
  { py: 'a.aminmax(dim=1)', ts: () => [a().aminmax({ dim: 1 }).min, a().aminmax({ dim: 1 }).max] },
  { py: "torch.einsum('ij,kj->ik', a, b)", ts: () => torch.einsum('ij,kj->ik', a(), b()) },
  { py: "torch.einsum('ij,kj->ik', [a, b])", ts: () => torch.einsum('ij,kj->ik', [a(), b()]) },
  { py: "torch.einsum('ii', b[:4])", ts: () => torch.einsum('ii', b().i(':4')) },
  { py: "torch.meshgrid(a[0], a[1], indexing='xy')", ts: () => torch.meshgrid(a().i(0), a().i(1), { indexing: 'xy' }) },
  { py: 'torch.broadcast_tensors(a, a[0])', ts: () => torch.broadcastTensors(a(), a().i(0)) },
  { py: 'torch.block_diag(a[:2, :2], a[2:, 2:])', ts: () => torch.blockDiag(a().i(':2, :2'), a().i('2:, 2:')) },
  { py: "F.interpolate(img, scale_factor=2, mode='bilinear')", ts: () => F.interpolate(img(), { scale_factor: 2, mode: 'bilinear' } as never) },
  { py: "F.interpolate(img, size=[4, 5], mode='nearest')", ts: () => F.interpolate(img(), { size: [4, 5], mode: 'nearest' }) },
  { py: 'F.avg_pool2d(img, 2, stride=1)', ts: () => F.avgPool2d(img(), 2, { stride: 1 }) },
  { py: 'F.softplus(a, beta=2)', ts: () => F.softplus(a(), { beta: 2 }) },
  { py: 'F.hardtanh(a, min_val=-0.5)', ts: () => F.hardtanh(a(), { min_val: -0.5 } as never) },
  { py: "F.gelu(a, approximate='tanh')", ts: () => F.gelu(a(), { approximate: 'tanh' }) },
  { py: 'F.dropout(a, p=0.5, training=False)', ts: () => F.dropout(a(), { p: 0.5, training: false }) },
  { py: 'F.softmax(a, dim=1)', ts: () => F.softmax(a(), { dim: 1 }) },
  { py: 'F.softmax(a, 0, dtype=torch.float64)', ts: () => F.softmax(a(), 0, { dtype: 'float64' }) },
  { py: 'F.relu(a, inplace=False)', ts: () => F.relu(a(), { inplace: false }) },
  { py: 'F.elu(a, alpha=0.5)', ts: () => F.elu(a(), { alpha: 0.5 }) },
  { py: 'F.linear(a, b, bias=b[:, 0])', ts: () => F.linear(a(), b(), { bias: b().i(':', 0) }) },
  { py: 'F.one_hot(torch.tensor([0, 2]), num_classes=4)', ts: () => F.oneHot(torch.tensor([0, 2], { dtype: 'int64' }), { numClasses: 4 }) },
  { py: 'F.embedding(torch.tensor([1, 0]), b, padding_idx=0)', ts: () => F.embedding(torch.tensor([1, 0], { dtype: 'int64' }), b(), { paddingIdx: 0 }) },
  { py: 'F.conv2d(img, img.view(2, 1, 3, 3)[:, :, :2, :2].repeat(1, 2, 1, 1), padding=1, stride=2)', ts: () => F.conv2d(img(), img().view(2, 1, 3, 3).i(':, :, :2, :2').repeat(1, 2, 1, 1), { padding: 1, stride: 2 }) },
  { py: 'F.conv2d(img, img.view(2, 1, 3, 3).repeat(1, 2, 1, 1), bias=torch.tensor([1., -1.]), padding=1)', ts: () => F.conv2d(img(), img().view(2, 1, 3, 3).repeat(1, 2, 1, 1), { bias: torch.tensor([1, -1]), padding: 1 }) },
  { py: 'F.log_softmax(a, dim=0)', ts: () => F.logSoftmax(a(), { dim: 0 }) },
];

const PY_SETUP = `
import torch
import torch.nn.functional as F
def a(): return (torch.arange(12.).view(3, 4) / 3 - 1.7) * torch.tensor([1., -1., 1., -1.])
def b(): return torch.arange(20.).view(5, 4).cos()
img = torch.arange(18.).view(1, 2, 3, 3)
def run(src):
    src = src.split('  #')[0]
    if src == 'torch.empty(4, 2).shape and zeros': return torch.zeros(4, 2)
    if src == 'a.mode(0)': return [a().round().mode(0).values]
    env = {'torch': torch, 'F': F, 'a': a(), 'b': b(), 'img': img}
    *pre, last = src.split('; ')
    for s in pre: exec(s, env)
    v = eval(last, env)
    return list(v) if isinstance(v, tuple) else v
def out(v):
    if isinstance(v, (list, tuple)): return [out(x) for x in v]
    return {'shape': list(v.shape), 'dtype': str(v.dtype).replace('torch.', ''), 'values': v.tolist()}
`;

const described = (v: Tensor | Tensor[]): unknown =>
  Array.isArray(v) ? v.map(described) : { shape: v.shape, dtype: v.dtype, values: v.tolist() };

function close(got: unknown, want: unknown, path: string): void {
  if (typeof want === 'number' && typeof got === 'number') {
    expect(Math.abs(got - want), `${path}: ${got} vs ${want}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want)));
  } else if (Array.isArray(want)) {
    expect(Array.isArray(got) && got.length, path).toBe(want.length);
    want.forEach((w, i) => close((got as unknown[])[i], w, `${path}[${i}]`));
  } else if (want !== null && typeof want === 'object') {
    for (const [k, w] of Object.entries(want)) close((got as Record<string, unknown>)[k], w, `${path}.${k}`);
  } else {
    expect(got, path).toEqual(want);
  }
}

describe.skipIf(!havePython)('PyTorch calling conventions (requires python3 with torch)', () => {
  it('each call of the table gives what Python gives: shape, dtype and values', () => {
    const expected = runPython<unknown[]>(`${PY_SETUP}\nprint(json.dumps([out(run(s)) for s in inp]))`, CASES.map((c) => c.py));
    CASES.forEach((c, i) => close(described(c.ts()), expected[i], c.py));
  });
});

describe('PyTorch calling conventions', () => {
  it('named tuples destructure as [values, indices] and carry .values and .indices', () => {
    const [values, indices] = a().max(1);
    const r = a().max(1);
    expect(values.equal(r.values) && indices.equal(r.indices)).toBe(true);
    expect(r.length).toBe(2);
    const [lo, hi] = a().aminmax();
    expect(lo.item()).toBeLessThan(hi.item());
  });

  it('tolist() gives nested numbers, booleans, and a plain number for a 0-d tensor', () => {
    expect(torch.tensor([[1, 2], [3, 4]], { dtype: 'int64' }).tolist()).toEqual([[1, 2], [3, 4]]);
    expect(torch.tensor([true, false]).tolist()).toEqual([true, false]);
    expect(torch.tensor(2.5).tolist()).toBe(2.5);
  });

  it('instanceof torch.Tensor tells tensors from other values', () => {
    const v: unknown = torch.zeros(1);
    expect(v instanceof torch.Tensor).toBe(true);
    expect([1] instanceof torch.Tensor).toBe(false);
    expect(() => new (torch.Tensor as unknown as new () => Tensor)()).toThrow(/not constructible/);
  });

  it('an unknown option is a TorchError naming it and the closest known one', () => {
    const cases: [() => unknown, string][] = [
      [() => a().sum({ keepDim: true } as never), "Tensor.sum(): unknown option 'keepDim'; did you mean 'keepdim'?"],
      [() => a().topk(2, { larget: false } as never), "Tensor.topk(): unknown option 'larget'; did you mean 'largest'?"],
      [() => torch.zeros(2, 3, { dtyp: 'float64' } as never), "zeros: unknown option 'dtyp'; did you mean 'dtype'?"],
      [() => torch.cat([a(), a()], { axis: 1 } as never), "cat: unknown option 'axis'; did you mean 'dim'?"],
      [() => torch.linspace(0, 1, { step: 5 } as never), "torch.linspace(): unknown option 'step'; did you mean 'steps'?"],
      [() => F.interpolate(img(), { scale: 2 } as never), "interpolate: unknown option 'scale'; did you mean 'size'?"],
      [() => (a().abs as (...x: unknown[]) => Tensor)({ out: 1 }), "Tensor.abs(): unknown option 'out'; it takes no options"],
      [() => a().to({ dtyp: 'float64' } as never), "Tensor.to: unknown option 'dtyp'; did you mean 'dtype'?"],
      [() => torch.tensor([1, 2], { requiresgrad: true } as never), "tensor: unknown option 'requiresgrad'; did you mean 'requiresGrad'?"],
      [() => F.softmax(a(), { dims: 1 } as never), "softmax: unknown option 'dims'; did you mean 'dim'?"],
      [() => F.conv2d(img(), torch.ones(1, 2, 1, 1), { paddingMode: 'zeros' } as never), "conv2d: unknown option 'paddingMode'; did you mean 'padding'?"],
    ];
    for (const [call, message] of cases) {
      expect(call).toThrow(TorchError);
      expect(call).toThrow(message);
    }
  });

  it("an option given under both names, or a size that is not integers, is refused", () => {
    expect(() => a().sum({ keepdim: true, keep_dim: true } as never)).toThrow(/unknown option 'keep_dim'/);
    expect(() => (a().div as (...x: unknown[]) => Tensor)(2, { roundingMode: 'floor', rounding_mode: 'floor' })).toThrow(/option 'roundingMode' given twice/);
    expect(() => torch.zeros(2, 'a' as never)).toThrow(/zeros: size must be integers or one array of integers; argument 1 is a string/);
    expect(() => (torch.zeros as () => Tensor)()).toThrow(/zeros: missing the size/);
  });

  it('snake_case keys are the same options as camelCase ones, factories included', () => {
    const t = torch.ones(2, { requires_grad: true } as never);
    expect(t.requiresGrad).toBe(true);
    expect(torch.linspace(0, 1, 3, { requires_grad: true } as never).requiresGrad).toBe(true);
    expect(a().sum({ dim: 0, keepdim: true }).shape).toEqual([1, 4]);
    expect(a().to({ dtype: 'float64', non_blocking: false } as never).dtype).toBe('float64');
    expect(torch.tensor([1, 2], { requires_grad: true } as never).requiresGrad).toBe(true);
  });
});
