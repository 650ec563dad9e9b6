// The tensor API against Python torch (same libtorch 1.13) and hand-worked values.
import { describe, expect, it } from 'vitest';
import * as torch from '../lib';
import { runPython } from './helpers/python';

const close = (a: number[], b: number[], tol = 1e-6) => {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThanOrEqual(tol));
};
const flat = (t: torch.Tensor) => Array.from(t.toTypedArray() as Float32Array, Number);

describe('creation', () => {
  it('infers shape and dtype from nested arrays and TypedArrays', () => {
    const a = torch.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(a.shape).toEqual([2, 3]);
    expect(a.dtype).toBe('float32');
    expect(a.device).toBe('cpu');
    expect(a.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(torch.tensor([true, false]).dtype).toBe('bool');
    expect(torch.tensor([true, false]).toArray()).toEqual([true, false]);
    expect(torch.tensor(new Int32Array([1, 2])).dtype).toBe('int32');
    expect(torch.tensor(new BigInt64Array([5n, -7n])).toArray()).toEqual([5, -7]);
    expect(torch.tensor(new Uint8Array([1, 2, 3, 4]), { shape: [2, 2] }).shape).toEqual([2, 2]);
    expect(torch.tensor(3.5).shape).toEqual([]);
    expect(torch.tensor(3.5).item()).toBe(3.5);
  });

  it('converts between all dtypes', () => {
    for (const dtype of torch.DTYPES) {
      const t = torch.tensor([0, 1, 2], { dtype });
      expect(t.dtype).toBe(dtype);
      expect(t.toArray()).toEqual(dtype === 'bool' ? [false, true, true] : [0, 1, 2]);
    }
    expect(torch.tensor([1.5, -2.25], { dtype: 'float16' }).toArray()).toEqual([1.5, -2.25]);
    expect(torch.tensor([2.7, -2.7]).to('int64').toArray()).toEqual([2, -2]);
  });

  it('builds zeros, ones, full, empty and arange like torch', () => {
    expect(torch.zeros([2, 2]).toArray()).toEqual([[0, 0], [0, 0]]);
    expect(torch.ones(3, { dtype: 'int32' }).toArray()).toEqual([1, 1, 1]);
    expect(torch.full([2], 7).dtype).toBe('int64');
    expect(torch.full([2], 0.5).toArray()).toEqual([0.5, 0.5]);
    expect(torch.empty([4, 5]).shape).toEqual([4, 5]);
    expect(torch.arange(5).toArray()).toEqual([0, 1, 2, 3, 4]);
    expect(torch.arange(5).dtype).toBe('int64');
    expect(torch.arange(1, 2, 0.25).toArray()).toEqual([1, 1.25, 1.5, 1.75]);
  });

  it('draws the same random numbers as Python torch for the same seed', () => {
    torch.manualSeed(1234);
    const r = flat(torch.rand([5]));
    const n = flat(torch.randn([5]));
    const i = torch.randint(0, 10, [6]).toArray() as number[];
    const py = runPython(`
import torch
torch.manual_seed(1234)
print(json.dumps([torch.rand(5).tolist(), torch.randn(5).tolist(), torch.randint(0, 10, (6,)).tolist()]))`);
    close(r, py[0]);
    close(n, py[1]);
    expect(i).toEqual(py[2]);
  });

  it('isLeaf is Python\'s is_leaf: false only for what autograd made', () => {
    const x = torch.randn([3], { requiresGrad: true });
    const y = x.mul(2);
    const cases = [torch.randn([3]), x, y, y.detach(), torch.randn([3]).mul(2), y.sum()];
    const py = runPython(`
import torch
x = torch.randn(3, requires_grad=True)
y = x * 2
print(json.dumps([t.is_leaf for t in [torch.randn(3), x, y, y.detach(), torch.randn(3) * 2, y.sum()]]))`);
    expect(cases.map((t) => t.isLeaf)).toEqual(py);
    expect(py).toEqual([true, true, false, true, true, false]);
  });

  it('saves and restores the generator state like torch.get_rng_state', () => {
    torch.manualSeed(3);
    const state = torch.getRngState();
    const first = torch.rand([4]).toArray();
    torch.setRngState(state);
    expect(torch.rand([4]).toArray()).toEqual(first);
    const py = runPython('import torch\ntorch.manual_seed(3)\nprint(json.dumps(torch.get_rng_state().tolist()))');
    expect(Array.from(state.toTypedArray() as Uint8Array)).toEqual(py);
    expect(() => torch.getRngState('tpu')).toThrow(torch.TorchError);
  });

  it('rejects ragged arrays, bad shapes and unknown dtypes with TorchError', () => {
    expect(() => torch.tensor([[1, 2], [3]])).toThrow(/ragged/);
    expect(() => torch.tensor(new Float32Array(5), { shape: [2, 2] })).toThrow(/4 elements but the data has 5/);
    expect(() => torch.zeros([2], { dtype: 'float128' as never })).toThrow(/torch\.zeros\(\): argument 'dtype' must be a dtype name such as 'float32', not string 'float128'/);
    expect(() => torch.zeros([2], { device: 'tpu' })).toThrow(/invalid device 'tpu'/);
    expect(() => torch.zeros([2], { device: 'tpu' })).toThrow(torch.TorchError);
  });
});

describe('ops equal Python torch on the same inputs', () => {
  it('arithmetic, reductions, shapes and indexing', () => {
    torch.manualSeed(0);
    const a = torch.randn([3, 4]);
    const b = torch.randn([4, 2]);
    const inp = { a: a.toArray(), b: b.toArray() };
    const ours = {
      matmul: a.matmul(b).toArray(),
      add: a.add(b.transpose(0, 1).sum(0).narrow(0, 0, 1), 2).toArray(),
      sub: a.sub(0.5).toArray(),
      mul: a.mul(a).toArray(),
      div: a.div(2).toArray(),
      sum: a.sum().item(),
      sum1: a.sum(1).toArray(),
      mean0: a.mean(0, true).toArray(),
      max: a.max().item(),
      maxdim: (() => { const m = a.max(1); return [m.values.toArray(), m.indices.toArray()]; })(),
      argmax: a.argmax(1).toArray(),
      relu: a.relu().toArray(),
      flip: a.flip(0, 1).toArray(),
      permute: a.view(3, 2, 2).permute(2, 0, 1).contiguous().toArray(),
      pad: a.pad([1, 2, 0, 1]).toArray(),
      reflect: a.view(1, 3, 4).pad([2, 1], 'reflect').toArray(),
      slice: a.slice(1, 1, 4, 2).toArray(),
      select: a.select(0, 2).toArray(),
      indexSelect: a.indexSelect(1, torch.tensor([3, 0], { dtype: 'int64' })).toArray(),
      cat: torch.cat([a, a.mul(2)], 1).toArray(),
      stack: torch.stack([a, a], 0).shape,
      eq: a.gt(0).toArray(),
      flatten: a.view(3, 2, 2).flatten(1).toArray(),
      exp: a.exp().toArray(),
      bincount: torch.tensor([3, 1, 1, 0], { dtype: 'int64' }).bincount(6).toArray(),
    };
    const py = runPython(`
import torch
import torch.nn.functional as F
a = torch.tensor(inp['a']); b = torch.tensor(inp['b'])
m = a.max(1)
out = dict(matmul=(a @ b).tolist(), add=torch.add(a, b.t().sum(0)[0:1], alpha=2).tolist(), sub=(a - 0.5).tolist(),
  mul=(a * a).tolist(), div=(a / 2).tolist(), sum=a.sum().item(), sum1=a.sum(1).tolist(),
  mean0=a.mean(0, keepdim=True).tolist(), max=a.max().item(), maxdim=[m.values.tolist(), m.indices.tolist()],
  argmax=a.argmax(1).tolist(), relu=a.relu().tolist(), flip=a.flip(0, 1).tolist(),
  permute=a.view(3, 2, 2).permute(2, 0, 1).contiguous().tolist(), pad=F.pad(a, (1, 2, 0, 1)).tolist(),
  reflect=F.pad(a.view(1, 3, 4), (2, 1), mode='reflect').tolist(), slice=a[:, 1:4:2].tolist(),
  select=a[2].tolist(), indexSelect=a.index_select(1, torch.tensor([3, 0])).tolist(),
  cat=torch.cat([a, a * 2], 1).tolist(), stack=list(torch.stack([a, a], 0).shape), eq=(a > 0).tolist(),
  flatten=a.view(3, 2, 2).flatten(1).tolist(), exp=a.exp().tolist(),
  bincount=torch.tensor([3, 1, 1, 0]).bincount(minlength=6).tolist())
print(json.dumps(out))`, inp);
    for (const key of Object.keys(py)) {
      const o = JSON.stringify((ours as Record<string, unknown>)[key]);
      const p = JSON.stringify(py[key]);
      if (o === p) continue;
      const of = (JSON.parse(o) as unknown[]).flat?.(Infinity) as number[] ?? [JSON.parse(o)];
      const pf = (JSON.parse(p) as unknown[]).flat?.(Infinity) as number[] ?? [JSON.parse(p)];
      close(of.map(Number), pf.map(Number), 1e-5);
    }
  });

  it('keeps integer tensors integral with integer scalars, as Python ints do', () => {
    const t = torch.tensor([1, 2, 3], { dtype: 'int64' });
    expect(t.add(1).dtype).toBe('int64');
    expect(t.mul(2).toArray()).toEqual([2, 4, 6]);
    expect(t.add(0.5).dtype).toBe('float32');
    expect(t.div(2).toArray()).toEqual([0.5, 1, 1.5]);
  });

  it('in-place ops return the same tensor and change it', () => {
    const t = torch.tensor([1, 2]);
    const r = t.add_(torch.tensor([10, 20]), 2);
    expect(r).toBe(t);
    expect(t.toArray()).toEqual([21, 42]);
    t.mul_(0.5).sub_(1);
    expect(t.toArray()).toEqual([9.5, 20]);
    t.zero_();
    expect(t.toArray()).toEqual([0, 0]);
  });

  it('views share memory with their base', () => {
    const t = torch.zeros([2, 3]);
    t.select(0, 1).fill_(4);
    expect(t.toArray()).toEqual([[0, 0, 0], [4, 4, 4]]);
  });
});

describe('autograd', () => {
  it('computes gradients by backward(), as worked by hand', () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    expect(x.requiresGrad).toBe(true);
    // y = sum(x^2 + 3x) -> dy/dx = 2x + 3
    x.mul(x).add(x.mul(3)).sum().backward();
    expect(x.grad!.toArray()).toEqual([5, 7, 9]);
    // gradients accumulate like PyTorch
    x.sum().backward();
    expect(x.grad!.toArray()).toEqual([6, 8, 10]);
  });

  it('records nothing inside noGrad', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    const y = torch.noGrad(() => x.mul(2));
    expect(y.requiresGrad).toBe(false);
    expect(torch.isGradEnabled()).toBe(true);
    expect(() => y.sum().backward()).toThrow(torch.TorchError);
  });
});

describe('errors are TorchErrors with clean messages, never crashes', () => {
  it('wrong shapes', () => {
    const a = torch.ones([2, 3]);
    let err: unknown;
    try {
      a.matmul(torch.ones([2, 3]));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(torch.TorchError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/^Tensor\.matmul\(\): mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x3\)/);
    expect(msg).not.toMatch(/Exception raised from|frame #|\.cpp/);
    expect(() => a.view(4, 2)).toThrow(/shape '\[4, 2\]' is invalid for input of size 6/);
    expect(() => a.add(torch.ones([4]))).toThrow(torch.TorchError);
    // libtorch's own messages are named by the op or function they came from (the one entry wrapper)
    expect(() => a.add(torch.ones([4]))).toThrow(/^Tensor\.add\(\): The size of tensor a \(3\) must match the size of tensor b \(4\)/);
    expect(() => torch.arange(0, 10, -1)).toThrow(/^torch\.arange\(\): .*inconsistent with step sign/);
  });

  it('wrong argument types and devices', () => {
    const a = torch.ones([2]);
    expect(() => a.add('x' as never)).toThrow(/^Tensor\.add\(\): no overload accepts \(string\)/);
    expect(() => a.narrow(0, 0.5, 1)).toThrow(/^Tensor\.narrow\(\): no overload accepts \(number, number, number\)[^]*argument 'start' must be an integer \((Sym)?[Ii]nt\), not 0\.5/);
    expect(() => a.item()).toThrow(/only a tensor with one element/);
    expect(() => a.view(1e300)).toThrow(/^Tensor\.view\(\): no overload accepts \(number\)[^]*argument 'dtype' must be a dtype name such as 'float32', not 1e\+300/);
    expect(() => torch.randint(0, 2 ** 64, [2])).toThrow(/^torch\.randint\(\): no overload accepts[^]*argument 'high' must be an integer \(\w+\), not 1\.84467e\+19/);
    if (!torch.cuda.isAvailable()) expect(() => a.to('cuda')).toThrow(torch.TorchError);
  });

  it('an integer argument given a huge, fractional or NaN number says which argument and what is wrong, as PyTorch refuses them', () => {
    // PyTorch: x.view(1e300), x.view(1.5), x.view(nan) -> "view() received an invalid combination of arguments - got
    // (float)"; x.view(2, 1e300) -> "argument 'size' must be tuple of SymInts, but found element of type float at pos 2".
    const a = torch.ones([2]);
    const size = (what: string) =>
      new RegExp(`^Tensor\\.view\\(\\): no overload accepts \\(number(, number)?\\)[^]*argument 'size' must be an array of integers \\(SymInt\\[\\]\\), not an array whose element ${what}`);
    expect(() => a.view(1e300)).toThrow(size('0 is 1e\\+300 \\(out of the int64 range\\)'));
    expect(() => a.view(1.5)).toThrow(size('0 is 1\\.5 \\(not a whole number\\)'));
    expect(() => a.view(NaN)).toThrow(size('0 is NaN \\(not a number\\)'));
    expect(() => a.view(2, 1e300)).toThrow(size('1 is 1e\\+300 \\(out of the int64 range\\)'));
    expect(() => a.view([2, -Infinity])).toThrow(/not an array whose element 1 is -Infinity \(out of the int64 range\)/);
    expect(() => a.narrow(0, 0.5, 1)).toThrow(/argument 'start' must be an integer \(\w+\), not 0\.5 \(not a whole number\)/);
    expect(() => torch.ones(1e300)).toThrow(/^torch\.ones\(\): argument 'size' must be an array of integers \(SymInt\[\]\), not an array whose element 0 is 1e\+300 \(out of the int64 range\)$/);
  });

  it.skipIf(torch.cuda.compiled)('CUDA on a CPU-only libtorch: one line, as PyTorch, from factories, to() and modules alike', () => {
    const line = "device: Torch not compiled with CUDA enabled (device 'cuda' on a CPU-only libtorch)";
    const message = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(torch.TorchError);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(message(() => torch.zeros([2], { device: 'cuda' }))).toBe(line);
    expect(message(() => torch.randn([2, 2], { device: 'cuda', dtype: 'float16' }))).toBe(line);
    expect(message(() => torch.ones([2]).to('cuda'))).toBe(line);
    expect(message(() => new torch.nn.Linear(2, 2).to('cuda'))).toBe(line);
    expect(message(() => torch.ones([2]).to('cuda:1'))).toBe(line.replace("'cuda'", "'cuda:1'"));
  });

  it('disposed tensors', () => {
    const a = torch.ones([2]);
    a.dispose();
    expect(a.isDisposed).toBe(true);
    expect(() => a.add(1)).toThrow(/has been disposed/);
    expect(() => torch.ones([2]).add(a)).toThrow(/^Tensor\.add\(\): argument 'other': the Tensor has been disposed/);
    expect(String(a)).toBe('tensor(<disposed>)');
  });
});

describe('cuda queries', () => {
  it('answer without a GPU', () => {
    expect(typeof torch.cuda.isAvailable()).toBe('boolean');
    if (!torch.cuda.isAvailable()) {
      expect(torch.cuda.deviceCount()).toBe(0);
      expect(() => torch.cuda.synchronize()).toThrow(/CUDA is not available/);
    }
  });
});

describe('stable handles', () => {
  it('.grad returns the same handle while the gradient is the same tensor, a new one after it is replaced', () => {
    const w = torch.ones([3], { requiresGrad: true });
    w.mul(w).sum().backward();
    const g = w.grad!;
    expect(w.grad).toBe(g);
    w.mul(2).sum().backward(); // accumulates in place into the same tensor
    expect(w.grad).toBe(g);
    expect(g.toArray()).toEqual([4, 4, 4]); // 2w + 2, worked by hand
    g.dispose();
    const again = w.grad!; // the handle was disposed: a fresh one on the same gradient
    expect(again).not.toBe(g);
    expect(again.toArray()).toEqual([4, 4, 4]);
    // zeroGrad (setToNone by default) drops the gradient; the next backward makes a new tensor
    new torch.optim.SGD([w], { lr: 0.1 }).zeroGrad();
    expect(w.grad).toBeNull();
    w.sum().backward();
    expect(w.grad).not.toBe(again);
    expect(w.grad!.toArray()).toEqual([1, 1, 1]);
  });
});

describe("x.type() and x.where(condition, number), as Python's", () => {
  it('type() names the legacy tensor type; type(dtype or name) converts, and a bad name is refused', () => {
    const dtypes = ['float32', 'float64', 'float16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool'] as const;
    const py = runPython<{ names: string[]; converted: { value: number[]; dtype: string }[] }>(`
import torch
names = [torch.zeros(2, dtype=getattr(torch, d)).type() for d in inp]
x = torch.tensor([1.5, -2.0])
conv = [x.type(torch.float64), x.type('torch.IntTensor'), x.type('torch.LongTensor'), x.type(torch.bool)]
print(json.dumps({'names': names, 'converted': [{'value': c.tolist(), 'dtype': str(c.dtype).replace('torch.', '')} for c in conv]}))`, dtypes);
    expect(dtypes.map((d) => torch.zeros([2], { dtype: d }).type())).toEqual(py.names);
    const x = torch.tensor([1.5, -2]);
    const ours = [x.type('float64'), x.type('torch.IntTensor'), x.type('torch.LongTensor'), x.type('bool')];
    expect(ours.map((c) => ({ value: c.toArray(), dtype: c.dtype }))).toEqual(py.converted);
    expect(() => x.type('torch.FooTensor')).toThrow("type: invalid type: 'torch.FooTensor'");
  });

  // PyTorch 2.x's method takes a number (1.13's method refused it, its torch.where did not): compared with
  // torch.where(condition, x, other), which both versions take.
  it('where(condition, number) takes the number as torch.where does, with its type promotion', () => {
    const py = runPython<{ value: number[]; dtype: string }[]>(`
import torch
c = torch.tensor([True, False])
w = lambda x, o: torch.where(c, x, o)
rs = [w(torch.tensor([1.0, 2.0]), 0), w(torch.tensor([1, 2]), 0), w(torch.tensor([1, 2]), 0.5), w(torch.tensor([1.0, 2.0]), torch.tensor([7.0, 8.0]))]
print(json.dumps([{'value': r.tolist(), 'dtype': str(r.dtype).replace('torch.', '')} for r in rs]))`);
    const c = torch.tensor([true, false], { dtype: 'bool' });
    const longs = torch.tensor([1, 2], { dtype: 'int64' });
    const rs = [torch.tensor([1, 2]).where(c, 0), longs.where(c, 0), longs.where(c, 0.5), torch.tensor([1, 2]).where(c, torch.tensor([7, 8]))];
    expect(rs.map((r) => ({ value: r.toArray(), dtype: r.dtype }))).toEqual(py);
  });
});
