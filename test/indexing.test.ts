// Python's indexing (lib/indexing.ts): x.i(…), x.index([…]) and x.setIndex(…, v) against Python torch's
// x[…] and x[…] = v on the same tensors, for a table of index expressions: integers (negative too), slices
// with steps, '...', None, boolean masks, integer tensors and lists, and their mixes.
import { describe, expect, it } from 'vitest';
import * as torch from '../lib';
import { Slice, Tensor } from '../lib';
import { hasPythonTorch, runPython } from './helpers/python';

const havePython = hasPythonTorch();

// x = arange(24).view(2, 3, 4) as float32; m a (2, 3) mask; r a 1-d mask over x's last dimension; k an int64 index.
const x = () => torch.arange(24, { dtype: 'float32' }).view(2, 3, 4);
const m = () => torch.tensor([[true, false, true], [false, true, true]]);
const r = () => torch.tensor([true, false, false, true]);
const k = () => torch.tensor([2, 0, 2], { dtype: 'int64' });

interface Read { py: string; ts: (x: Tensor) => Tensor }
const READS: Read[] = [
  { py: 'x[0]', ts: (x) => x.i(0) },
  { py: 'x[-1]', ts: (x) => x.i(-1) },
  { py: 'x[1, 2]', ts: (x) => x.i(1, 2) },
  { py: 'x[1, -1, -2]', ts: (x) => x.index([1, -1, -2]) },
  { py: 'x[:, 1:3]', ts: (x) => x.i(':', '1:3') },
  { py: 'x[:, 1:3] (one string)', ts: (x) => x.i(':, 1:3') },
  { py: 'x[..., ::2]', ts: (x) => x.i('...', Slice(null, null, 2)) },
  { py: 'x[..., 1::2]', ts: (x) => x.i('..., 1::2') },
  { py: 'x[:, -2:]', ts: (x) => x.index([Slice(), Slice(-2)]) },
  { py: 'x[0, 5:1]', ts: (x) => x.i(0, '5:1') },
  { py: 'x[:, None]', ts: (x) => x.i(':', null) },
  { py: 'x[None, ..., None]', ts: (x) => x.i(null, '...', null) },
  { py: 'x[..., 0]', ts: (x) => x.i('...', 0) },
  { py: 'x[1, ...]', ts: (x) => x.i(1, '...') },
  { py: 'x[...]', ts: (x) => x.i('...') },
  { py: 'x[m]', ts: (x) => x.i(m()) },
  { py: 'x[..., r]', ts: (x) => x.i('...', r()) },
  { py: 'x[0, :, r]', ts: (x) => x.i(0, ':', r()) },
  { py: 'x[x > 10]', ts: (x) => x.i(x.gt(10)) },
  { py: 'x[:, k]', ts: (x) => x.i(':', k()) },
  { py: 'x[1, k, 1:]', ts: (x) => x.i(1, k(), '1:') },
  { py: 'x[[1, 0]]', ts: (x) => x.i([1, 0]) },
  { py: 'x[:, [0, 2], [1, 3]]', ts: (x) => x.i(':', [0, 2], [1, 3]) },
  { py: 'x[k[1:] - 1, :, k[:2]]', ts: (x) => x.i(k().i('1:').sub(1), ':', k().i(':2')) },
  { py: 'x[torch.tensor(1)]', ts: (x) => x.i(torch.tensor(1, { dtype: 'int64' })) },
  { py: 'x[None, 1, None, 2:, [0, 3]]', ts: (x) => x.i(null, 1, null, '2:', [0, 3]) },
  { py: 'x[True]', ts: (x) => x.i(true) },
];

interface Write { py: string; ts: (y: Tensor) => Tensor }
const WRITES: Write[] = [
  { py: 'y[0] = 7', ts: (y) => y.setIndex(0, 7) },
  { py: 'y[-1, 1:] = -1', ts: (y) => y.setIndex([-1, '1:'], -1) },
  { py: 'y[..., ::2] = 0.5', ts: (y) => y.setIndex(['...', Slice(null, null, 2)], 0.5) },
  { py: 'y[:, 1] = torch.tensor([[10., 20., 30., 40.]])', ts: (y) => y.setIndex([':', 1], torch.tensor([[10, 20, 30, 40]])) },
  { py: 'y[m] = 0', ts: (y) => y.setIndex(m(), 0) },
  { py: 'y[y > 20] = -5', ts: (y) => y.setIndex(y.gt(20), -5) },
  { py: 'y[:, k] = torch.arange(12.).view(2, 3, 2)[..., :1]', ts: (y) => y.setIndex([':', k()], torch.arange(12, { dtype: 'float32' }).view(2, 3, 2).i('..., :1')) },
  { py: 'y[[0, 1], [2, 0]] = torch.tensor([1., 2., 3., 4.])', ts: (y) => y.setIndex([[0, 1], [2, 0]], torch.tensor([1, 2, 3, 4])) },
  { py: 'y[None, 1, ..., 3] = 9', ts: (y) => y.setIndex([null, 1, '...', 3], 9) },
];

const PY_SETUP = `
import torch
x = torch.arange(24.).view(2, 3, 4)
m = torch.tensor([[True, False, True], [False, True, True]])
r = torch.tensor([True, False, False, True])
k = torch.tensor([2, 0, 2])
`;

describe.skipIf(!havePython)('indexing as Python (requires python3 with torch)', () => {
  it('reads: every expression of the table gives Python\'s values and shape', () => {
    const exprs = READS.map((c) => c.py.replace(/ \(.*\)$/, ''));
    const expected = runPython<{ shape: number[]; values: unknown }[]>(`${PY_SETUP}
out = []
for e in inp:
    v = eval(e)
    out.append({'shape': list(v.shape), 'values': v.tolist()})
print(json.dumps(out))`, exprs);
    READS.forEach((c, i) => {
      const got = c.ts(x());
      expect({ expr: c.py, shape: got.shape, values: got.tolist() }).toEqual({ expr: c.py, ...expected[i] });
    });
  });

  it('writes: every assignment of the table changes the tensor as Python\'s does, and returns it', () => {
    const expected = runPython<unknown[]>(`${PY_SETUP}
out = []
for s in inp:
    y = x.clone()
    exec(s)
    out.append(y.tolist())
print(json.dumps(out))`, WRITES.map((c) => c.py));
    WRITES.forEach((c, i) => {
      const y = x();
      expect(c.ts(y)).toBe(y);
      expect({ stmt: c.py, values: y.tolist() }).toEqual({ stmt: c.py, values: expected[i] });
    });
  });
});

describe('indexing', () => {
  it('basic indexing gives views: writing through x.i(0) changes x', () => {
    const t = x();
    t.i(0, '1:').fill_(-1);
    expect(t.i(0, 1, 0).item()).toBe(-1);
    expect(t.i(0, 0, 0).item()).toBe(0);
  });

  it('keeps autograd: the gradient of x.i(mask).sum() is the mask', () => {
    const t = x().requiresGrad_();
    t.i(m()).sum().backward();
    expect((t.grad as Tensor).i(0).tolist()).toEqual([[1, 1, 1, 1], [0, 0, 0, 0], [1, 1, 1, 1]]);
  });

  it("a 2-d mask followed by more items indexes as PyTorch 2.x does (1.13 refuses it): x[m, 1:3]", () => {
    // m picks (0, 0), (0, 2), (1, 1), (1, 2); x[i, j] is [4 (3i + j), …, 4 (3i + j) + 3].
    expect(x().i(m(), '1:3').tolist()).toEqual([[1, 2], [9, 10], [17, 18], [21, 22]]);
    expect(x().i(m(), 3).tolist()).toEqual([3, 11, 19, 23]);
  });

  it('refuses bad indices with one line naming them', () => {
    expect(() => x().i(2)).toThrow(/^Tensor\.i: index 2 is out of bounds for dimension 0 with size 2$/);
    expect(() => x().i(0, 0, 0, 0)).toThrow(/too many indices for tensor of dimension 3/);
    expect(() => x().i('...', 0, '...')).toThrow(/single ellipsis/);
    expect(() => x().i('::-1')).toThrow(/slice step must be positive, got -1/);
    expect(() => x().i('a:b')).toThrow(/'a' is not an integer/);
    expect(() => x().i(torch.tensor([0.5]))).toThrow(/must be long, int, byte or bool tensors, not float32/);
    expect(() => x().i(1.5)).toThrow(/index 1.5 is not an integer/);
  });
});
