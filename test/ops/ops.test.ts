// The generic operator call (lib/ops.ts, native/ops.cc) and the surface generated from PyTorch's
// declarations (lib/generated/): values and gradients equal Python torch's on the same inputs.
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { Tensor, nn } from '../../lib';
import { Nested, arr, maxDiff } from '../helpers/compare';
import { runPython } from '../helpers/python';
import { bindOp, hasOp } from '../../lib/ops';
import { native } from '../../lib/native';
import * as generated from '../../lib/generated/torch';

const F = nn.functional;

interface Case {
  name: string;
  /** Inputs, made from the seeded generator; the first float one is differentiated when `grad` is set. */
  inputs: () => Tensor[];
  ours: (...xs: Tensor[]) => Tensor | Tensor[];
  /** Python expression over x0, x1, …; F is torch.nn.functional. */
  py: string;
  grad?: boolean;
}

const idx = (rows: number[][]) => torch.tensor(rows, { dtype: 'int64' });
const CASES: Case[] = [
  { name: 'x.chunk(3, 1) (a list return)', inputs: () => [torch.randn([2, 7])], ours: (x) => x.chunk(3, 1), py: 'list(x0.chunk(3, 1))', grad: true },
  { name: 'x.split(2) and torch.split', inputs: () => [torch.randn([5, 2])], ours: (x) => [...x.split(2), ...torch.split(x, 3, 1)], py: 'list(x0.split(2)) + list(torch.split(x0, 3, 1))' },
  { name: 'x.topk(3) (a named tuple: values, indices)', inputs: () => [torch.randn([4, 6])], ours: (x) => { const r = x.topk(3); return [r.values, r.indices, r[0]]; }, py: '[*x0.topk(3), x0.topk(3).values]', grad: true },
  { name: 'optional positional arguments given by name: x.sort({dim: 0, descending: true})', inputs: () => [torch.randn([3, 5])], ours: (x) => [...x.sort({ dim: 0, descending: true }), (torch.cumsum as (...a: unknown[]) => Tensor)(x, { dim: 1 })], py: 'list(x0.sort(dim=0, descending=True)) + [torch.cumsum(x0, dim=1)]' },
  { name: 'x.sort(1, true) positionally', inputs: () => [torch.randn([3, 5])], ours: (x) => x.sort(1, true), py: 'list(x0.sort(1, True))' },
  { name: 'x.cumsum(1) and its gradient', inputs: () => [torch.randn([3, 4])], ours: (x) => x.cumsum(1), py: 'x0.cumsum(1)', grad: true },
  { name: 'cumsum with the keyword-only dtype', inputs: () => [torch.randn([3, 4])], ours: (x) => torch.cumsum(x, 0, { dtype: 'float64' }), py: 'torch.cumsum(x0, 0, dtype=torch.float64)' },
  { name: "torch.einsum('ij,jk->ik') (a Tensor[] argument)", inputs: () => [torch.randn([2, 3]), torch.randn([3, 4])], ours: (a, b) => torch.einsum('ij,jk->ik', [a, b]), py: "torch.einsum('ij,jk->ik', [x0, x1])", grad: true },
  { name: 'x.bmm(y)', inputs: () => [torch.randn([2, 3, 4]), torch.randn([2, 4, 5])], ours: (a, b) => a.bmm(b), py: 'x0.bmm(x1)', grad: true },
  {
    name: 'x.scatter_(dim, index, src) and scatter_(dim, index, value)',
    inputs: () => [torch.randn([2, 4]), torch.randn([2, 4])],
    ours: (x, src) => [x.clone().scatter_(1, idx([[3, 0], [1, 2]]), src), x.clone().scatter_(0, idx([[1, 0, 1, 0]]), 2.5)],
    py: '[x0.clone().scatter_(1, torch.tensor([[3, 0], [1, 2]]), x1), x0.clone().scatter_(0, torch.tensor([[1, 0, 1, 0]]), 2.5)]',
  },
  { name: 'x.norm(), x.norm(3, 1) and torch.linalg.norm', inputs: () => [torch.randn([3, 4])], ours: (x) => [x.norm(), x.norm(3, 1), torch.linalg.norm(x)], py: '[x0.norm(), x0.norm(3, 1), torch.linalg.norm(x0)]' },
  { name: 'x.sin() and its gradient (autograd through the dispatcher)', inputs: () => [torch.randn([5])], ours: (x) => x.sin(), py: 'x0.sin()', grad: true },
  { name: 'torch.linspace(-1, 2, 7) and with dtype', inputs: () => [], ours: () => [torch.linspace(-1, 2, 7), torch.linspace(0, 1, 3, { dtype: 'float64' })], py: '[torch.linspace(-1, 2, 7), torch.linspace(0, 1, 3, dtype=torch.float64)]' },
  { name: 'torch.eye(3) and torch.eye(2, 4)', inputs: () => [], ours: () => [torch.eye(3), torch.eye(2, 4)], py: '[torch.eye(3), torch.eye(2, 4)]' },
  { name: 'F.interpolate nearest, scale 2', inputs: () => [torch.randn([1, 2, 3, 3])], ours: (x) => F.interpolate(x, { scaleFactor: 2 }), py: 'F.interpolate(x0, scale_factor=2)', grad: true },
  { name: 'F.interpolate bilinear, size, alignCorners', inputs: () => [torch.randn([2, 1, 4, 5])], ours: (x) => F.interpolate(x, { size: [7, 3], mode: 'bilinear', alignCorners: true }), py: "F.interpolate(x0, size=(7, 3), mode='bilinear', align_corners=True)", grad: true },
  { name: 'F.interpolate linear and area', inputs: () => [torch.randn([1, 2, 6])], ours: (x) => [F.interpolate(x, { scaleFactor: 1.5, mode: 'linear' }), F.interpolate(x, { size: 4, mode: 'area' })], py: "[F.interpolate(x0, scale_factor=1.5, mode='linear'), F.interpolate(x0, size=4, mode='area')]" },
  {
    name: 'F.convTranspose2d with stride, padding, outputPadding and groups',
    inputs: () => [torch.randn([2, 4, 5, 5]), torch.randn([4, 3, 3, 3]), torch.randn([6])],
    ours: (x, w, b) => F.convTranspose2d(x, w, b, 2, 1, 1, 2),
    py: 'F.conv_transpose2d(x0, x1, x2, 2, 1, 1, 2)',
    grad: true,
  },
  { name: 'a tuple return: torch.kthvalue', inputs: () => [torch.randn([3, 5])], ours: (x) => torch.kthvalue(x, 2, 1), py: 'list(torch.kthvalue(x0, 2, 1))' },
  { name: 'an optional argument: torch.clamp(x, null, 0.5)', inputs: () => [torch.randn([6])], ours: (x) => torch.clamp(x, null, 0.5), py: 'torch.clamp(x0, None, 0.5)', grad: true },
  { name: 'a keyword-only argument: torch.add(x, y, {alpha: 2})', inputs: () => [torch.randn([3]), torch.randn([3])], ours: (a, b) => torch.add(a, b, { alpha: 2 }), py: 'torch.add(x0, x1, alpha=2)', grad: true },
  {
    name: 'Scalar and Tensor overloads: torch.add(x, 2), torch.pow(2, x), torch.pow(x, x)',
    inputs: () => [torch.rand([4])],
    ours: (x) => [torch.add(x, 2), torch.pow(2, x), torch.pow(x, x), torch.remainder(5, torch.tensor([3, 4]))],
    py: '[torch.add(x0, 2), torch.pow(2, x0), torch.pow(x0, x0), torch.remainder(5, torch.tensor([3., 4.]))]',
  },
  { name: 'int lists, also as varargs: x.tile(2, 1), x.movedim(0, 1), x.roll(1, 0)', inputs: () => [torch.randn([4, 3])], ours: (x) => [x.tile(2, 1), x.movedim(0, 1), x.roll(1, 0)], py: '[x0.tile(2, 1), x0.movedim(0, 1), x0.roll(1, 0)]' },
];

interface Prepared {
  inputs: Nested[];
  dtypes: string[];
  out: Nested[];
  grad: Nested | null;
  w: Nested[];
}

const asList = (r: Tensor | Tensor[]) => (Array.isArray(r) ? r : [r]);
let prepared: Prepared[] = [];
let py: { out: Nested[]; grad: Nested | null }[] = [];

beforeAll(() => {
  torch.manualSeed(7);
  prepared = CASES.map((c) => {
    const xs = c.inputs();
    if (c.grad) xs[0] = xs[0].detach().requiresGrad_(true);
    const outs = asList(c.ours(...xs));
    const ws = outs.map((o) => (o.dtype === 'float32' ? torch.randn(o.shape) : torch.zeros(o.shape)));
    if (c.grad) outs.map((o, i) => (o.dtype === 'float32' ? o.mul(ws[i]).sum() : null)).filter((l) => l).reduce((a, b) => a!.add(b!))!.backward();
    return {
      inputs: xs.map(arr),
      dtypes: xs.map((x) => x.dtype),
      out: outs.map(arr),
      grad: c.grad ? arr(xs[0].grad!) : null,
      w: ws.map(arr),
    };
  });
  py = runPython(
    `
import torch
import torch.nn.functional as F
out = []
for e, c, g in zip(inp['exprs'], inp['cases'], inp['grads']):
    xs = [torch.tensor(v, dtype=getattr(torch, d)) for v, d in zip(c['inputs'], c['dtypes'])]
    if g: xs[0].requires_grad_(True)
    ys = eval(e, {'torch': torch, 'F': F, **{f'x{i}': x for i, x in enumerate(xs)}})
    ys = ys if isinstance(ys, list) else [ys]
    if g:
        sum((y * torch.tensor(w, dtype=y.dtype)).sum() for y, w in zip(ys, c['w']) if y.dtype == torch.float32).backward()
    out.append({'out': [y.tolist() for y in ys], 'grad': xs[0].grad.tolist() if g else None})
print(json.dumps(out))`,
    { exprs: CASES.map((c) => c.py), cases: prepared, grads: CASES.map((c) => !!c.grad) },
  );
}, 120_000);

describe('generated ops equal PyTorch (values, and gradients where marked)', () => {
  CASES.forEach((c, i) => {
    it(c.name, () => {
      expect(prepared[i].out.length).toBe(py[i].out.length);
      prepared[i].out.forEach((o, k) => expect(maxDiff(o, py[i].out[k])).toBeLessThan(1e-5));
      if (c.grad) expect(maxDiff(prepared[i].grad!, py[i].grad!)).toBeLessThan(1e-5);
    });
  });
});

describe('the generic call behaves as a PyTorch call', () => {
  it('in-place ops return the same handle, as x.add_(y) returns x', () => {
    const x = torch.zeros([2, 3]);
    expect(x.scatter_(1, idx([[0], [2]]), 1)).toBe(x);
    expect(x.sin_()).toBe(x);
    expect(torch.sin_(x)).toBe(x);
  });

  it('a function whose one positional argument is an int list takes the integers as varargs, as torch.zeros(2, 3)', () => {
    expect(generated.zeros(2, 3).shape).toEqual([2, 3]);
    expect(generated.zeros([4], { dtype: 'int64' }).dtype).toBe('int64');
    expect(torch.ones([2, 2]).tile(2).shape).toEqual([2, 4]);
  });

  it('factories take requiresGrad as PyTorch factories take requires_grad', () => {
    expect(torch.linspace(0, 1, 3, { requiresGrad: true }).requiresGrad).toBe(true);
    expect(torch.eye(2).requiresGrad).toBe(false);
  });

  it('returns numbers and booleans for scalar results; Python attributes that are operators are getters (x.T)', () => {
    const x = torch.tensor([1, 2, 3]);
    expect(x.isFloatingPoint()).toBe(true);
    expect(torch.isNonzero(torch.tensor([2]))).toBe(true);
    expect(torch.isSameSize(x, torch.ones([3]))).toBe(true);
    expect(torch.tensor([[1, 2], [3, 4]]).T.toArray()).toEqual([[1, 3], [2, 4]]);
  });
});

describe('bad calls are TorchErrors that name the op, the argument and the expected type', () => {
  it('a wrong type for a one-overload op names the argument', () => {
    const x = torch.randn([4]);
    expect(() => x.chunk('2' as never)).toThrow(torch.TorchError);
    expect(() => x.chunk('2' as never)).toThrow(/^Tensor\.chunk\(\): argument 'chunks' must be an integer \((int|SymInt)\), not string '2'$/);
    expect(() => torch.linspace(0, 1, 2.5 as never)).toThrow(/torch\.linspace\(\)[^]*'steps' must be an integer/);
  });

  it('no fitting overload lists the candidates with the reason each refused', () => {
    expect(() => torch.add(torch.ones([1]), 'a' as never)).toThrow(
      /torch\.add\(\): no overload accepts \(Tensor, string\); expected one of:\n.*other: Tensor.*'other' must be a Tensor, not string 'a'/,
    );
  });

  it("an unknown option or too many arguments is refused, and libtorch's own errors are prefixed with the op", () => {
    expect(() => torch.cumsum(torch.ones([2]), 0, { dtipe: 'float64' } as never)).toThrow("torch.cumsum(): unknown option 'dtipe'; did you mean 'dtype'?");
    expect(() => torch.ones([3]).sort(0, { dim: 0 } as never)).toThrow(/got multiple values for argument 'dim'/);
    expect(() => (torch.ones([2]).chunk as (...a: number[]) => Tensor[])(1, 0, 5)).toThrow(/at most 3 positional arguments but 4 were given/);
    expect(() => torch.bmm(torch.ones([2, 3]), torch.ones([3, 2]))).toThrow(/^torch\.bmm\(\): .*3D/);
  });

  it('an operator this libtorch lacks is a one-line error naming it and the version', () => {
    const missing = bindOp<() => Tensor>('torch.noSuchOp', ['no_such_op']);
    expect(() => missing()).toThrow(/^torch\.noSuchOp\(\): aten::no_such_op is not in this libtorch \(\d+\.\d+\.\d+[^)]*\)$/);
    expect(hasOp('add.Tensor')).toBe(true);
    expect(hasOp('no_such_op')).toBe(false);
  });
});

describe("a number for a Tensor argument of add, sub, mul, div is a wrapped number, as Python's parser makes it", () => {
  // Each: ours, and the same call in Python; x is float32 [1.5, -2] with requires_grad, i an int32 [3, 4].
  const calls: [string, (x: Tensor, i: Tensor) => Tensor, string][] = [
    ['x.mul(2)', (x) => x.mul(2), 'x.mul(2)'],
    ['x.add(1)', (x) => x.add(1), 'x.add(1)'],
    ['x.sub(0.5)', (x) => x.sub(0.5), 'x.sub(0.5)'],
    ['x.div(4)', (x) => x.div(4), 'x.div(4)'],
    ['torch.mul(3, x)', (x) => (torch.mul as (a: unknown, b: unknown) => Tensor)(3, x), 'torch.mul(3, x)'],
    ['torch.add(2, x, {alpha: 3})', (x) => (torch.add as (a: unknown, b: unknown, o: unknown) => Tensor)(2, x, { alpha: 3 }), 'torch.add(2, x, alpha=3)'],
    ['i.mul(2) keeps int32', (_x, i) => i.mul(2), 'i.mul(2)'],
    ['i.mul(2.5) promotes to float32', (_x, i) => i.mul(2.5), 'i.mul(2.5)'],
    ['i.add(true)', (_x, i) => i.add(true as never), 'i.add(True)'],
    ['x.div(2, {roundingMode: "floor"})', (x) => (x.div as (o: unknown, k: unknown) => Tensor)(2, { roundingMode: 'floor' }), "x.div(2, rounding_mode='floor')"],
  ];
  let py: { value: number[]; dtype: string; gradFn: string | null }[];
  beforeAll(() => {
    py = runPython(
      `
import torch
x = torch.tensor([1.5, -2.0], requires_grad=True)
i = torch.tensor([3, 4], dtype=torch.int32)
out = []
for e in inp:
    y = eval(e)
    out.append({'value': y.tolist(), 'dtype': str(y.dtype).replace('torch.', ''), 'gradFn': type(y.grad_fn).__name__ if y.grad_fn else None})
print(json.dumps(out))`,
      calls.map((c) => c[2]),
    );
  }, 120_000);

  calls.forEach(([name, ours], k) => {
    it(`${name}: value, dtype and grad_fn as Python's`, () => {
      const x = torch.tensor([1.5, -2], { requiresGrad: true });
      const i = torch.tensor([3, 4], { dtype: 'int32' });
      const y = ours(x, i);
      expect(y.toArray()).toEqual(py[k].value);
      expect(y.dtype).toBe(py[k].dtype);
      expect(y.gradFnName()).toBe(py[k].gradFn);
    });
  });
});

describe("the op wrapper (lib/ops.ts) that reads tokens in JS", () => {
  it("a Proxy argument whose trap calls another op still binds the call's own tensors", () => {
    const x = torch.tensor([10, 20]);
    const y = torch.tensor([1, 2]);
    let trapCalls = 0;
    const proxied = new Proxy(y, {
      get(target, key) {
        trapCalls++;
        // Another op in the middle of the outer call's token writing: it leaves its own tokens in the words.
        torch.tensor([100, 200]).mul(torch.tensor([3, 3])).dispose();
        return Reflect.get(target, key);
      },
    });
    expect(x.add(proxied).toArray()).toEqual([11, 22]);
    expect(torch.sub(x, proxied).toArray()).toEqual([9, 18]);
    expect(trapCalls).toBeGreaterThan(0);
  });

  it('a result comes back as a Tensor object of the one class, inside tidy() and out, and an op called directly gets one too', () => {
    const a = torch.ones([2]);
    const b = torch.tensor([1, 2]);
    const outside = a.add(b);
    torch.tidy(() => {
      const inside = a.add(b);
      expect(inside).toBeInstanceOf(Tensor);
      expect(Object.getPrototypeOf(inside)).toBe(Object.getPrototypeOf(outside));
    });
    // The op without its wrapper (nothing left in the shared words for it) returns an object, never a token.
    const raw = native.ops.bind('torch.add', ['add.Tensor'], false);
    const missing = bindOp<(x: Tensor, y: Tensor) => Tensor>('torch.noSuchOp', ['no_such_op']);
    expect(() => missing(b, b)).toThrow(/no_such_op/);
    const direct = raw(a, b) as Tensor;
    expect(direct).toBeInstanceOf(Tensor);
    expect(direct.toArray()).toEqual([2, 3]);
    expect(outside.toArray()).toEqual([2, 3]);
  });

  it('dispose() frees by token, is idempotent, and refuses a value that is no Tensor', () => {
    const ones = torch.ones([3]);
    const before = torch.memory().liveTensors;
    const t = ones.mul(2);
    expect(torch.memory().liveTensors).toBe(before + 1);
    t.dispose();
    t.dispose();
    expect(t.isDisposed).toBe(true);
    expect(torch.memory().liveTensors).toBe(before);
    expect(() => Tensor.prototype.dispose.call({} as Tensor)).toThrow('dispose: called on a value that is not its object');
  });
});

describe('memory', () => {
  it('a loop of generic ops inside tidy leaves no live tensors behind', () => {
    const base = torch.memory().liveTensors;
    const x = torch.randn([8, 8]);
    for (let i = 0; i < 2000; i++) {
      torch.tidy(() => {
        const parts = x.chunk(4, 0);
        const s = torch.einsum('ij,kj->ik', [parts[0], parts[1]]).cumsum(1).topk(2);
        return s.values.sin().norm();
      }).dispose();
    }
    expect(torch.memory().liveTensors).toBe(base + 1);
    x.dispose();
  });
});
