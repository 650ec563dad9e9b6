// A script written as PyTorch code is (varargs sizes, einsum with operands one by one, keyword options,
// named tuples, indexing and index assignment, tolist), beside the Python it was transcribed from: both run
// on the same seed and their results agree.
//
// The nn side of PyTorch's conventions (loss modules, nn.init, nn.utils.clip_grad_norm_) is checked the same
// way in its own file, test/pytorch_style_nn.test.ts, kept apart so each part can change on its own.
import { describe, expect, it } from 'vitest';
import * as torch from '../lib';
import { Tensor } from '../lib';
import { hasPythonTorch, runPython } from './helpers/python';

const havePython = hasPythonTorch();

function ours(): Record<string, Tensor | number | unknown> {
  torch.manualSeed(0);
  const x = torch.randn(8, 4);
  const w = torch.randn(4, 3, { requiresGrad: true });
  const logits = torch.einsum('bi,io->bo', x, w);
  const probs = logits.softmax({ dim: -1 });
  const [top, idx] = probs.max(1);
  const picked = probs.i(torch.arange(8), idx);
  const loss = picked.log().neg().mean();
  loss.backward();
  const y = x.clone();
  y.setIndex(y.lt(-1), -1);
  y.setIndex([':', 0], torch.zeros(8));
  y.setIndex(['1:7:2', '...', -1], 5);
  const ranks = x.argsort({ dim: 0, descending: true });
  const window = x.i('2:6', null, '...').expand(-1, 2, -1).reshape(4, -1);
  const stats = torch.stack([x.mean({ dim: 0 }), x.std({ dim: 0, unbiased: false }), x.amax(0)], { dim: 1 });
  const ones = torch.ones(2, 3, { dtype: 'float64' }).cumsum({ dim: 1 });
  return {
    top, idx, loss, grad: w.grad as Tensor, y, ranks, window, stats, ones,
    positives: x.i(x.gt(0)).numel(),
    corner: x.i(-1, -1).item(),
    list: x.i(':2', '::2').tolist(),
    tuple: [...x.topk(2, { dim: 1, largest: false })],
  };
}

const PYTHON = `
import torch
torch.manual_seed(0)
x = torch.randn(8, 4)
w = torch.randn(4, 3, requires_grad=True)
logits = torch.einsum('bi,io->bo', x, w)
probs = logits.softmax(dim=-1)
top, idx = probs.max(1)
picked = probs[torch.arange(8), idx]
loss = picked.log().neg().mean()
loss.backward()
y = x.clone()
y[y < -1] = -1
y[:, 0] = torch.zeros(8)
y[1:7:2, ..., -1] = 5
ranks = x.argsort(dim=0, descending=True)
window = x[2:6, None, ...].expand(-1, 2, -1).reshape(4, -1)
stats = torch.stack([x.mean(dim=0), x.std(dim=0, unbiased=False), x.amax(0)], dim=1)
ones = torch.ones(2, 3, dtype=torch.float64).cumsum(dim=1)
out = dict(top=top, idx=idx, loss=loss, grad=w.grad, y=y, ranks=ranks, window=window, stats=stats, ones=ones,
           positives=x[x > 0].numel(), corner=x[-1, -1].item(), list=x[:2, ::2].tolist(),
           tuple=list(x.topk(2, dim=1, largest=False)))
def plain(v):
    if isinstance(v, torch.Tensor): return {'shape': list(v.shape), 'dtype': str(v.dtype)[6:], 'values': v.tolist()}
    if isinstance(v, (list, tuple)): return [plain(e) for e in v]
    return v
print(json.dumps({k: plain(v) for k, v in out.items()}))
`;

function plain(v: unknown): unknown {
  if (v instanceof torch.Tensor) return { shape: v.shape, dtype: v.dtype, values: v.tolist() };
  if (Array.isArray(v)) return v.map(plain);
  return v;
}

function close(got: unknown, want: unknown, where: string): void {
  if (typeof want === 'number' && typeof got === 'number') {
    expect(Math.abs(got - want), `${where}: ${got} vs ${want}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want)));
  } else if (Array.isArray(want)) {
    expect((got as unknown[]).length, where).toBe(want.length);
    want.forEach((w, i) => close((got as unknown[])[i], w, `${where}[${i}]`));
  } else if (want !== null && typeof want === 'object') {
    expect(Object.keys(got as object).sort(), where).toEqual(Object.keys(want).sort());
    for (const [k, w] of Object.entries(want)) close((got as Record<string, unknown>)[k], w, `${where}.${k}`);
  } else {
    expect(got, where).toEqual(want);
  }
}

describe.skipIf(!havePython)('a script in PyTorch conventions (requires python3 with torch)', () => {
  it('gives what its Python original gives, value for value', () => {
    const expected = runPython<Record<string, unknown>>(PYTHON);
    const got = Object.fromEntries(Object.entries(ours()).map(([k, v]) => [k, plain(v)]));
    close(got, expected, 'script');
  });
});
