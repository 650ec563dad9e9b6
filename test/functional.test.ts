// torch/functional.py's compositions: torch.unique / unique_consecutive over aten's _unique2, unique_dim and
// unique_consecutive, and torch.tensordot's dims forms; each compared with Python torch on the same inputs.
import { describe, expect, it } from 'vitest';
import * as torch from '../lib';
import { hasPythonTorch, runPython } from './helpers/python';

const python = hasPythonTorch();
const V = [3, 1, 2, 3, 1, 1, 5, 2];
const M = [[1, 2], [3, 4], [1, 2], [0, 9], [3, 4]];
const list = (t: torch.Tensor | torch.Tensor[]) => (Array.isArray(t) ? t.map((x) => x.toArray()) : t.toArray());

describe.skipIf(!python)('torch.unique, uniqueConsecutive and tensordot against Python torch (skipped without python torch)', () => {
  it('unique: output, inverse, counts and dim as torch.unique returns them', () => {
    const want = runPython<unknown[]>(`
import torch
v = torch.tensor(inp['v']); m = torch.tensor(inp['m'])
def l(r): return [t.tolist() for t in r] if isinstance(r, tuple) else r.tolist()
print(json.dumps([l(torch.unique(v)), l(torch.unique(v, return_inverse=True)), l(torch.unique(v, return_counts=True)),
  l(torch.unique(v, sorted=True, return_inverse=True, return_counts=True)), l(torch.unique(m, dim=0, return_inverse=True, return_counts=True)),
  l(torch.unique(m, dim=1)), l(torch.unique(m))]))
`, { v: V, m: M });
    const v = torch.tensor(V, { dtype: 'int64' });
    const m = torch.tensor(M, { dtype: 'int64' });
    const got = [
      torch.unique(v),
      torch.unique(v, { returnInverse: true }),
      torch.unique(v, { return_counts: true } as torch.UniqueOptions),
      torch.unique(v, true, true, true),
      torch.unique(m, { dim: 0, returnInverse: true, returnCounts: true }),
      torch.unique(m, { dim: 1 }),
      torch.unique(m),
    ].map(list);
    expect(got).toEqual(want);
  });

  it('uniqueConsecutive: runs collapsed, with inverse and counts, and along a dim', () => {
    const want = runPython<unknown[]>(`
import torch
v = torch.tensor(inp['v']); m = torch.tensor(inp['m'])
def l(r): return [t.tolist() for t in r] if isinstance(r, tuple) else r.tolist()
print(json.dumps([l(torch.unique_consecutive(v)), l(torch.unique_consecutive(v, return_inverse=True, return_counts=True)), l(torch.unique_consecutive(m, dim=0))]))
`, { v: [1, 1, 2, 2, 3, 1, 1, 2], m: [[1, 2], [1, 2], [3, 4], [1, 2]] });
    const v = torch.tensor([1, 1, 2, 2, 3, 1, 1, 2], { dtype: 'int64' });
    const m = torch.tensor([[1, 2], [1, 2], [3, 4], [1, 2]], { dtype: 'int64' });
    const got = [torch.uniqueConsecutive(v), torch.uniqueConsecutive(v, { returnInverse: true, returnCounts: true }), torch.uniqueConsecutive(m, { dim: 0 })];
    expect(got.map(list)).toEqual(want);
  });

  it("tensordot: PyTorch's dims forms (int, pair of lists, tensor) and aten's form", () => {
    const A = Array.from({ length: 24 }, (_, i) => (i * 7) % 11 - 5);
    const B = Array.from({ length: 24 }, (_, i) => (i * 5) % 13 - 6);
    const want = runPython<unknown[]>(`
import torch
a = torch.tensor(inp['a'], dtype=torch.float64).view(2, 3, 4); b = torch.tensor(inp['b'], dtype=torch.float64).view(3, 4, 2)
print(json.dumps([torch.tensordot(a, b).tolist(), torch.tensordot(a, b.permute(1, 2, 0), dims=1).tolist(),
  torch.tensordot(a, b, dims=([1, 2], [0, 1])).tolist(), torch.tensordot(a, b, dims=([0], [2])).tolist(),
  torch.tensordot(a, b, dims=torch.tensor([[1, 2], [0, 1]])).tolist(),
  torch.tensordot(a, b, dims=0).shape]))
`, { a: A, b: B });
    const a = torch.tensor(A, { dtype: 'float64' }).view(2, 3, 4);
    const b = torch.tensor(B, { dtype: 'float64' }).view(3, 4, 2);
    const got = [
      torch.tensordot(a, b).toArray(),
      torch.tensordot(a, b.permute(1, 2, 0), { dims: 1 }).toArray(),
      torch.tensordot(a, b, { dims: [[1, 2], [0, 1]] }).toArray(),
      torch.tensordot(a, b, [[0], [2]]).toArray(),
      torch.tensordot(a, b, torch.tensor([[1, 2], [0, 1]], { dtype: 'int64' })).toArray(),
      torch.tensordot(a, b, 0).shape,
    ];
    expect(got).toEqual(want);
    expect(torch.tensordot(a, b, [1, 2], [0, 1]).toArray()).toEqual(want[0]);
  });
});

describe.skipIf(!python)('Tensor.stride and Tensor.unique against Python torch (skipped without python torch)', () => {
  it("stride() and stride(dim) of views give Python's x.stride() and x.stride(d)", () => {
    const want = runPython<unknown[]>(`
import torch
x = torch.zeros(2, 3, 4); p = x.permute(2, 0, 1); s = x[:, ::2, 1:]; e = torch.zeros(3, 1).expand(3, 5)
print(json.dumps([list(x.stride()), list(p.stride()), list(s.stride()), list(e.stride()), p.stride(-1), s.stride(1)]))
`);
    const x = torch.zeros([2, 3, 4]);
    const p = x.permute(2, 0, 1);
    const s = x.i(':', '::2', '1:');
    const e = torch.zeros([3, 1]).expand(3, 5);
    expect([x.stride(), p.stride(), s.stride(), e.stride(), p.stride(-1), s.stride(1)]).toEqual(want);
  });

  it('x.unique(options) is torch.unique(x, options)', () => {
    const want = runPython<unknown[]>(`
import torch
m = torch.tensor(inp)
print(json.dumps([t.tolist() for t in m.unique(dim=1, return_inverse=True)]))
`, [[1, 2, 1], [3, 4, 3]]);
    const [values, inverse] = torch.tensor([[1, 2, 1], [3, 4, 3]], { dtype: 'int64' }).unique({ dim: 1, returnInverse: true });
    expect([values.toArray(), inverse.toArray()]).toEqual(want);
  });
});

describe('unique by hand', () => {
  it('the result is a tensor or a tuple as the flags ask (typed so): [2, 0, 2, 1] gives [0, 1, 2]', () => {
    const x = torch.tensor([2, 0, 2, 1], { dtype: 'int64' });
    const out: torch.Tensor = torch.unique(x);
    const [values, inverse] = torch.unique(x, { returnInverse: true });
    const [, counts] = torch.unique(x, { returnCounts: true });
    const [, inv3, counts3] = torch.uniqueConsecutive(x, { returnInverse: true, returnCounts: true });
    expect([out, values, inverse, counts, inv3, counts3].map((t) => (t.toArray() as number[]).map(Number))).toEqual([
      [0, 1, 2], [0, 1, 2], [2, 0, 2, 1], [1, 1, 2], [0, 1, 2, 3], [1, 1, 1, 1],
    ]);
  });
});

describe('tensordot and unique refuse bad arguments with one-line errors', () => {
  it("negative dims: PyTorch's message", () => {
    const a = torch.ones([2, 2]);
    expect(() => torch.tensordot(a, a, -1)).toThrow(new torch.TorchError('tensordot expects dims >= 0, but got dims=-1'));
    expect(() => torch.tensordot(a, a, { dims: 'x' as unknown as number })).toThrow(/tensordot expects dims to be an int, a pair of dim lists or a tensor/);
    expect(() => torch.tensordot(a, a, { dims: [0, 1] as unknown as [number[], number[]] })).toThrow(/^tensordot: dims as a pair must hold two lists of dims, as \[\[0\], \[1\]\]$/);
    expect(() => torch.unique(a, { returnInverse: 1 as unknown as boolean })).toThrow(torch.TorchError);
    expect(() => torch.unique(a, { dims: 0 } as torch.UniqueOptions)).toThrow(/unknown option 'dims'; did you mean 'dim'\?/);
  });
});
