// nn.functional ops and reductions against Python torch on the same inputs: forward values and the
// gradients of sum(out * w) for a fixed random w, in one Python run for the whole file; and gumbelSoftmax,
// whose noise both draw from the same seed.
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { Tensor, nn } from '../../lib';
import { Nested, arr, maxDiff } from '../helpers/compare';
import { hasPythonTorch, runPython } from '../helpers/python';

const F = nn.functional;

interface Case {
  name: string;
  /** Inputs: the first is differentiated (when float). */
  inputs: () => Tensor[];
  ours: (...xs: Tensor[]) => Tensor;
  /** Python expression over x0, x1, …; F is torch.nn.functional. */
  py: string;
}

const r = (...shape: number[]) => () => [torch.randn(shape)];
const CASES: Case[] = [
  { name: 'softmax dim 1', inputs: () => [torch.randn([3, 5])], ours: (x) => F.softmax(x, 1), py: 'F.softmax(x0, 1)' },
  { name: 'softmax dim 0, float64', inputs: () => [torch.randn([4, 2])], ours: (x) => F.softmax(x, 0, 'float64'), py: 'F.softmax(x0, 0, dtype=torch.float64)' },
  { name: 'softmin dim 1', inputs: () => [torch.randn([3, 5])], ours: (x) => F.softmin(x, 1), py: 'F.softmin(x0, 1)' },
  { name: 'softmin { dim: 0, dtype }', inputs: () => [torch.randn([4, 2])], ours: (x) => F.softmin(x, { dim: 0, dtype: 'float64' }), py: 'F.softmin(x0, 0, dtype=torch.float64)' },
  { name: 'normalize defaults (p 2, dim 1)', inputs: () => [torch.randn([3, 4, 2])], ours: (x) => F.normalize(x), py: 'F.normalize(x0)' },
  { name: 'normalize p 1, dim 0, eps', inputs: () => [torch.randn([3, 4])], ours: (x) => F.normalize(x, { p: 1, dim: 0, eps: 1e-3 }), py: 'F.normalize(x0, p=1, dim=0, eps=1e-3)' },
  { name: 'normalize a zero row (eps holds)', inputs: () => [torch.tensor([[0, 0, 0], [1, -2, 2]])], ours: (x) => F.normalize(x, 3, -1), py: 'F.normalize(x0, 3, -1)' },
  { name: 'unfold 2', inputs: () => [torch.randn([2, 3, 4, 5])], ours: (x) => F.unfold(x, 2), py: 'F.unfold(x0, 2)' },
  { name: 'unfold [2, 3], padding 1, stride 2', inputs: () => [torch.randn([1, 2, 5, 6])], ours: (x) => F.unfold(x, [2, 3], { padding: 1, stride: 2 }), py: 'F.unfold(x0, (2, 3), padding=1, stride=2)' },
  { name: 'fold [4, 4] from 2×2 patches', inputs: () => [torch.randn([2, 12, 9])], ours: (x) => F.fold(x, [4, 4], 2), py: 'F.fold(x0, (4, 4), 2)' },
  { name: 'fold dilation 2, stride 2', inputs: () => [torch.randn([1, 4, 4])], ours: (x) => F.fold(x, 5, 2, { dilation: 2, stride: 2 }), py: 'F.fold(x0, 5, 2, dilation=2, stride=2)' },
  { name: 'affineGrid 2-D', inputs: () => [torch.randn([2, 2, 3])], ours: (t) => F.affineGrid(t, [2, 3, 4, 5]), py: 'F.affine_grid(x0, (2, 3, 4, 5), align_corners=False)' },
  { name: 'affineGrid 3-D, alignCorners', inputs: () => [torch.randn([1, 3, 4])], ours: (t) => F.affineGrid(t, [1, 1, 2, 3, 4], { alignCorners: true }), py: 'F.affine_grid(x0, (1, 1, 2, 3, 4), align_corners=True)' },
  {
    name: 'gridSample bilinear zeros',
    inputs: () => [torch.randn([1, 2, 4, 5]), torch.rand([1, 3, 3, 2]).mul(2.4).sub(1.2)],
    ours: (x, g) => F.gridSample(x, g),
    py: 'F.grid_sample(x0, x1, align_corners=False)',
  },
  {
    name: 'gridSample bicubic border alignCorners',
    inputs: () => [torch.randn([2, 1, 4, 4]), torch.rand([2, 2, 3, 2]).mul(2.4).sub(1.2)],
    ours: (x, g) => F.gridSample(x, g, { mode: 'bicubic', paddingMode: 'border', alignCorners: true }),
    py: "F.grid_sample(x0, x1, mode='bicubic', padding_mode='border', align_corners=True)",
  },
  { name: 'instanceNorm', inputs: () => [torch.randn([2, 3, 4, 5])], ours: (x) => F.instanceNorm(x), py: 'F.instance_norm(x0)' },
  {
    name: 'instanceNorm with weight, bias, eps',
    inputs: () => [torch.randn([2, 3, 6]), torch.randn([3]), torch.randn([3])],
    ours: (x, w, b) => F.instanceNorm(x, { weight: w, bias: b, eps: 1e-3 }),
    py: 'F.instance_norm(x0, weight=x1, bias=x2, eps=1e-3)',
  },
  {
    name: 'instanceNorm from running stats (useInputStats false)',
    inputs: () => [torch.randn([2, 3, 4]), torch.randn([3]), torch.rand([3]).add(0.5)],
    ours: (x, m, v) => F.instanceNorm(x, { runningMean: m, runningVar: v, useInputStats: false }),
    py: 'F.instance_norm(x0, running_mean=x1, running_var=x2, use_input_stats=False)',
  },
  { name: 'glu default dim -1', inputs: () => [torch.randn([3, 6])], ours: (x) => F.glu(x), py: 'F.glu(x0)' },
  { name: 'glu dim 1', inputs: () => [torch.randn([2, 4, 3])], ours: (x) => F.glu(x, { dim: 1 }), py: 'F.glu(x0, dim=1)' },
  { name: 'logSoftmax dim -1', inputs: () => [torch.randn([2, 3, 4])], ours: (x) => F.logSoftmax(x, -1), py: 'F.log_softmax(x0, -1)' },
  { name: 'maxPool2d 2', inputs: () => [torch.randn([2, 3, 6, 6])], ours: (x) => F.maxPool2d(x, 2), py: 'F.max_pool2d(x0, 2)' },
  {
    name: 'maxPool2d 3, stride 2, padding 1, ceil',
    inputs: () => [torch.randn([1, 2, 7, 7])],
    ours: (x) => F.maxPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }),
    py: 'F.max_pool2d(x0, 3, stride=2, padding=1, ceil_mode=True)',
  },
  { name: 'adaptiveAvgPool2d [2, 3]', inputs: () => [torch.randn([2, 3, 7, 5])], ours: (x) => F.adaptiveAvgPool2d(x, [2, 3]), py: 'F.adaptive_avg_pool2d(x0, (2, 3))' },
  {
    name: 'layerNorm with weight and bias',
    inputs: () => [torch.randn([3, 4, 5]), torch.randn([4, 5]), torch.randn([4, 5])],
    ours: (x, w, b) => F.layerNorm(x, [4, 5], { weight: w, bias: b, eps: 1e-3 }),
    py: 'F.layer_norm(x0, (4, 5), x1, x2, eps=1e-3)',
  },
  {
    name: 'nllLoss with weight and ignoreIndex',
    inputs: () => [F.logSoftmax(torch.randn([6, 4]), 1), torch.tensor([0, 3, 1, 2, 2, 1], { dtype: 'int64' }), torch.tensor([1, 2, 0.5, 1])],
    ours: (x, t, w) => F.nllLoss(x, t, { weight: w, ignoreIndex: 2 }),
    py: 'F.nll_loss(x0, x1, weight=x2, ignore_index=2)',
  },
  {
    name: 'nllLoss, reduction none, [N, C, d]',
    inputs: () => [F.logSoftmax(torch.randn([2, 3, 4]), 1), torch.tensor([[0, 1, 2, 1], [2, 2, 0, 1]], { dtype: 'int64' })],
    ours: (x, t) => F.nllLoss(x, t, { reduction: 'none' }),
    py: "F.nll_loss(x0, x1, reduction='none')",
  },
  { name: 'mseLoss', inputs: () => [torch.randn([4, 3]), torch.randn([4, 3])], ours: (x, t) => F.mseLoss(x, t), py: 'F.mse_loss(x0, x1)' },
  { name: 'mseLoss sum', inputs: () => [torch.randn([5]), torch.randn([5])], ours: (x, t) => F.mseLoss(x, t, { reduction: 'sum' }), py: "F.mse_loss(x0, x1, reduction='sum')" },
  { name: 'l1Loss', inputs: () => [torch.randn([4, 3]), torch.randn([4, 3])], ours: (x, t) => F.l1Loss(x, t), py: 'F.l1_loss(x0, x1)' },
  { name: 'l1Loss none', inputs: () => [torch.randn([2, 3]), torch.randn([2, 3])], ours: (x, t) => F.l1Loss(x, t, { reduction: 'none' }), py: "F.l1_loss(x0, x1, reduction='none')" },
  {
    name: 'binaryCrossEntropyWithLogits with posWeight and weight',
    inputs: () => [torch.randn([4, 3]), torch.rand([4, 3]), torch.tensor([1, 2, 3]), torch.rand([4, 3])],
    ours: (x, t, pw, w) => F.binaryCrossEntropyWithLogits(x, t, { posWeight: pw, weight: w }),
    py: 'F.binary_cross_entropy_with_logits(x0, x1, weight=x3, pos_weight=x2)',
  },
  { name: 'gelu', inputs: r(3, 4), ours: (x) => F.gelu(x), py: 'F.gelu(x0)' },
  { name: 'gelu tanh', inputs: r(3, 4), ours: (x) => F.gelu(x, 'tanh'), py: "F.gelu(x0, approximate='tanh')" },
  { name: 'silu', inputs: r(3, 4), ours: (x) => F.silu(x), py: 'F.silu(x0)' },
  {
    name: 'embedding with paddingIdx (weight gradient)',
    inputs: () => [torch.randn([5, 3]), torch.tensor([[0, 2, 4], [2, 2, 1]], { dtype: 'int64' })],
    ours: (w, idx) => F.embedding(idx, w, 2),
    py: 'F.embedding(x1, x0, padding_idx=2)',
  },
  // Reductions with dim and keepdim.
  { name: 'sum dims [0, 2] keepdim', inputs: r(2, 3, 4), ours: (x) => x.sum([0, 2], true), py: 'x0.sum((0, 2), keepdim=True)' },
  { name: 'mean dim -1', inputs: r(2, 3, 4), ours: (x) => x.mean(-1), py: 'x0.mean(-1)' },
  { name: 'max dim 1 keepdim (values)', inputs: r(3, 4), ours: (x) => x.max(1, true).values, py: 'x0.max(1, keepdim=True).values' },
  { name: 'min dim 0 (values)', inputs: r(3, 4), ours: (x) => x.min(0).values, py: 'x0.min(0).values' },
  { name: 'std dim 1 unbiased', inputs: r(3, 5), ours: (x) => x.std(1), py: 'x0.std(1)' },
  { name: 'std dims [0, 1] biased keepdim', inputs: r(3, 5, 2), ours: (x) => x.std([0, 1], false, true), py: 'x0.std((0, 1), unbiased=False, keepdim=True)' },
  { name: 'var dim 0', inputs: r(4, 3), ours: (x) => x.var(0), py: 'x0.var(0)' },
  { name: 'var all', inputs: r(4, 3), ours: (x) => x.var(), py: 'x0.var()' },
  { name: 'amax dims [1, 2]', inputs: r(2, 3, 4), ours: (x) => x.amax([1, 2]), py: 'x0.amax((1, 2))' },
  { name: 'amin dim 0 keepdim', inputs: r(2, 3), ours: (x) => x.amin(0, true), py: 'x0.amin(0, keepdim=True)' },
  { name: 'logsumexp dim 1', inputs: r(3, 4), ours: (x) => x.logsumexp(1), py: 'x0.logsumexp(1)' },
  { name: 'prod dim 1 keepdim', inputs: r(3, 4), ours: (x) => x.prod(1, true), py: 'x0.prod(1, keepdim=True)' },
];

// Integer-valued results, compared exactly (no gradient).
const EXACT: { name: string; ours: () => Tensor; py: string }[] = [
  { name: 'oneHot', ours: () => F.oneHot(torch.tensor([0, 3, 1], { dtype: 'int64' })), py: 'F.one_hot(torch.tensor([0, 3, 1]))' },
  { name: 'oneHot numClasses 5', ours: () => F.oneHot(torch.tensor([[0, 3], [1, 1]], { dtype: 'int64' }), 5), py: 'F.one_hot(torch.tensor([[0, 3], [1, 1]]), 5)' },
  { name: 'argmin dim 1 keepdim', ours: () => torch.tensor([[3, 1, 2], [0, 5, -1]]).argmin(1, true), py: 'torch.tensor([[3., 1, 2], [0, 5, -1]]).argmin(1, keepdim=True)' },
  { name: 'all dim 0', ours: () => torch.tensor([[true, false], [true, true]]).all(0), py: 'torch.tensor([[True, False], [True, True]]).all(0)' },
  { name: 'any dim 1 keepdim', ours: () => torch.tensor([[false, false], [true, false]]).any(1, true), py: 'torch.tensor([[False, False], [True, False]]).any(1, keepdim=True)' },
];

interface Prepared {
  inputs: Nested[];
  dtypes: string[];
  out: Nested;
  grad: Nested | null;
  w: Nested;
}

let prepared: Prepared[] = [];
let py: { out: Nested; grad: Nested | null }[] = [];
let pyExact: Nested[] = [];


describe.skipIf(!hasPythonTorch())('functional ops and reductions equal PyTorch (forward and gradient; requires python3 with torch)', () => {
  beforeAll(() => {
    torch.manualSeed(42);
    prepared = CASES.map((c) => {
      const xs = c.inputs();
      const x0 = xs[0].detach().requiresGrad_(true);
      const out = c.ours(x0, ...xs.slice(1));
      const w = torch.randn(out.shape);
      out.mul(w).sum().backward();
      return { inputs: xs.map(arr), dtypes: xs.map((x) => x.dtype), out: arr(out), grad: x0.grad ? arr(x0.grad) : null, w: arr(w) };
    });
    const res = runPython(
      `
import torch
import torch.nn.functional as F
exprs, exact = inp['exprs'], inp['exact']
out = []
for e, c in zip(exprs, inp['cases']):
    xs = [torch.tensor(v, dtype=getattr(torch, d)) for v, d in zip(c['inputs'], c['dtypes'])]
    xs[0].requires_grad_(True)
    env = {'torch': torch, 'F': F, **{f'x{i}': x for i, x in enumerate(xs)}}
    y = eval(e, env)
    (y * torch.tensor(c['w'], dtype=y.dtype)).sum().backward()
    out.append({'out': y.tolist(), 'grad': xs[0].grad.tolist() if xs[0].grad is not None else None})
print(json.dumps({'cases': out, 'exact': [eval(e, {'torch': torch, 'F': F}).tolist() for e in exact]}))`,
      { exprs: CASES.map((c) => c.py), cases: prepared, exact: EXACT.map((e) => e.py) },
    );
    py = res.cases;
    pyExact = res.exact;
  }, 120_000);

  CASES.forEach((c, i) => {
    it(`${c.name}`, () => {
      expect(maxDiff(prepared[i].out, py[i].out)).toBeLessThan(1e-5);
      expect(prepared[i].grad === null).toBe(py[i].grad === null);
      if (py[i].grad !== null) expect(maxDiff(prepared[i].grad!, py[i].grad!)).toBeLessThan(1e-5);
    });
  });
  EXACT.forEach((c, i) => {
    it(`${c.name} (exact)`, () => {
      expect(arr(c.ours()).valueOf()).toEqual(pyExact[i]);
    });
  });
});

describe('dropout', () => {
  it.skipIf(!hasPythonTorch())("draws the same mask as PyTorch's CPU generator for the same seed, scales by 1/(1-p), and is the identity when not training (requires python3 with torch)", () => {
    const x = torch.ones([4, 6]);
    torch.manualSeed(5);
    const a = F.dropout(x, 0.3);
    torch.manualSeed(5);
    const b = F.dropout2d(torch.ones([2, 5, 3, 3]), 0.4);
    const pyOut = runPython(`
import torch
import torch.nn.functional as F
torch.manual_seed(5); a = F.dropout(torch.ones(4, 6), 0.3)
torch.manual_seed(5); b = F.dropout2d(torch.ones(2, 5, 3, 3), 0.4)
print(json.dumps([a.tolist(), b.tolist()]))`);
    expect(maxDiff(arr(a), pyOut[0])).toBeLessThan(1e-6);
    expect(maxDiff(arr(b), pyOut[1])).toBeLessThan(1e-6);
    // Kept elements are scaled; whole channels go together in dropout2d.
    for (const v of (a.toArray() as number[][]).flat()) expect([0, 1 / 0.7].some((k) => Math.abs(v - k) < 1e-6)).toBe(true);
    for (const channel of (b.toArray() as number[][][][]).flat()) expect(new Set(channel.flat()).size).toBe(1);
    expect(F.dropout(x, 0.5, false).equal(x)).toBe(true);
    expect(() => F.dropout(x, 1.5)).toThrow(/dropout: dropout probability has to be between 0 and 1, but got 1\.5/);
  });
});

describe('bad input gets a message that says what and where', () => {
  it('names the op and the problem', () => {
    expect(() => F.mseLoss(torch.zeros([3]), torch.zeros([3, 1]))).toThrow(/mseLoss: target size \[3, 1\] differs from input size \[3\]/);
    expect(() => F.nllLoss(torch.zeros([2, 3]), torch.zeros([2]))).toThrow(/nllLoss: target must be int64 class indices, got float32/);
    expect(() => F.maxPool2d(torch.zeros([4]), 2)).toThrow(/maxPool2d: expected a 3-D or 4-D input, got 1-D/);
    expect(() => F.oneHot(torch.zeros([2]))).toThrow(/oneHot: tensor must be int64 class indices/);
    expect(() => F.softmax(torch.zeros([2, 2]), 5)).toThrow(/softmax\(\): .*(out of range|range)/i);
    expect(() => F.mseLoss(torch.zeros([3]), torch.zeros([3]), { reduction: 'avg' as never })).toThrow(/reduction must be 'mean', 'sum' or 'none', got 'avg'/);
  });
});

describe('softmin, normalize, glu, affineGrid and gridSample errors', () => {
  it("instanceNorm's, affineGrid's and gridSample's checks in Python's words", () => {
    expect(() => F.instanceNorm(torch.randn([2, 3, 1, 1]))).toThrow(new torch.TorchError('Expected more than 1 spatial element when training, got input size torch.Size([2, 3, 1, 1])'));
    expect(() => F.affineGrid(torch.randn([1, 2, 3]), [1, 1, 2, 3, 4])).toThrow(new torch.TorchError('Expected a batch of 3D affine matrices of shape Nx3x4 for size [1, 1, 2, 3, 4]. Got torch.Size([1, 2, 3]).'));
    expect(() => F.affineGrid(torch.zeros([1, 2, 3], { dtype: 'int64' }), [1, 1, 2, 2])).toThrow('Expected theta to have floating point type, but got int64');
    expect(() => F.gridSample(torch.randn([1, 1, 2, 2]), torch.zeros([1, 1, 1, 2]), { mode: 'area' as 'nearest' })).toThrow(
      "nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: 'area'");
  });

  it("glu of a scalar and softmin without dim: PyTorch's one-line messages", () => {
    expect(() => F.glu(torch.tensor(1))).toThrow(new torch.TorchError('glu does not support scalars because halving size must be even'));
    expect(() => F.softmin(torch.ones([2]), {} as { dim: number })).toThrow(new torch.TorchError('softmin: dim is required'));
    expect(() => F.normalize(torch.ones([2, 2]), { q: 1 } as unknown as { p: number })).toThrow(/normalize: unknown option 'q'; did you mean 'p'\?/);
  });
});

interface GumbelCase { tau: number; hard: boolean; dim: number; transpose: boolean; seed: number }
const GUMBEL_CASES: GumbelCase[] = [0.5, 1].flatMap((tau) => [false, true].flatMap((hard) => [0, -1].map((dim) => ({ tau, hard, dim, transpose: false }))))
  .concat([{ tau: 0.5, hard: true, dim: 0, transpose: true }, { tau: 1, hard: false, dim: -1, transpose: true }])
  .map((c, i) => ({ ...c, seed: 100 + i }));
const gumbelName = (c: GumbelCase) => `tau ${c.tau}, hard ${c.hard}, dim ${c.dim}${c.transpose ? ', transposed (non-contiguous) logits' : ''}`;

describe.skipIf(!hasPythonTorch())("gumbelSoftmax equals F.gumbel_softmax after the same torch.manual_seed (requires python3 with torch)", () => {
  let ours: { out: Nested; grad: Nested }[] = [];
  let py: { out: Nested; grad: Nested }[] = [];
  let inputs: { logits: Nested; w: Nested }[] = [];

  beforeAll(() => {
    torch.manualSeed(7);
    inputs = GUMBEL_CASES.map(() => ({ logits: arr(torch.randn([4, 5]).mul(2)), w: arr(torch.randn([4, 5])) }));
    ours = GUMBEL_CASES.map((c, i) => {
      const base = torch.tensor(inputs[i].logits as number[][]).requiresGrad_(true);
      const logits = c.transpose ? base.t() : base;
      const w = torch.tensor(inputs[i].w as number[][]);
      torch.manualSeed(c.seed);
      const y = F.gumbelSoftmax(logits, { tau: c.tau, hard: c.hard, dim: c.dim });
      y.mul(c.transpose ? w.t() : w).sum().backward();
      return { out: arr(y), grad: arr(base.grad!) };
    });
    py = runPython(`
import torch
import torch.nn.functional as F
out = []
for c, x in zip(inp['cases'], inp['inputs']):
    base = torch.tensor(x['logits']).requires_grad_(True)
    w = torch.tensor(x['w'])
    logits, w = (base.t(), w.t()) if c['transpose'] else (base, w)
    torch.manual_seed(c['seed'])
    y = F.gumbel_softmax(logits, tau=c['tau'], hard=c['hard'], dim=c['dim'])
    (y * w).sum().backward()
    out.append({'out': y.tolist(), 'grad': base.grad.tolist()})
print(json.dumps(out))`, { cases: GUMBEL_CASES, inputs });
  });

  GUMBEL_CASES.forEach((c, i) => {
    it(`${gumbelName(c)}: the same sample and the same gradient of sum(y * w)`, () => {
      // Probabilities (or one-hots) in [0, 1]: float32 resolves 1.2e-7 there.
      expect(maxDiff(ours[i].out, py[i].out)).toBeLessThan(1e-6);
      expect(maxDiff(ours[i].grad, py[i].grad)).toBeLessThan(1e-6);
    });
  });
});

describe('gumbelSoftmax', () => {
  it('soft samples sum to 1 along dim; hard ones are the one-hot of their argmax, with the soft gradient', () => {
    const logits = torch.randn([3, 6]);
    torch.manualSeed(11);
    const soft = F.gumbelSoftmax(logits, { tau: 0.5, dim: 0 });
    expect(maxDiff(arr(soft.sum(0)), Array(6).fill(1))).toBeLessThan(1e-6);
    torch.manualSeed(11);
    const x = logits.clone().requiresGrad_(true);
    const hard = F.gumbelSoftmax(x, { tau: 0.5, hard: true, dim: 0 });
    const oneHot = F.oneHot(soft.argmax(0), 3).t();
    expect(maxDiff(arr(hard), arr(oneHot))).toBeLessThan(1e-6);
    const w = torch.randn([3, 6]);
    hard.mul(w).sum().backward();
    const y = soft.detach().requiresGrad_(true);
    // d(y_soft)/d(logits) = (diag(y) - y y^T) / tau along dim: the gradient of the soft sample.
    const expected = y.mul(w.sub(y.mul(w).sum(0, { keepdim: true }))).div(0.5);
    expect(maxDiff(arr(x.grad!), arr(expected))).toBeLessThan(1e-5);
  });

  it('draws new noise each call and the same after the same seed', () => {
    const logits = torch.zeros([2, 4]);
    torch.manualSeed(3);
    const a = F.gumbelSoftmax(logits);
    const b = F.gumbelSoftmax(logits);
    torch.manualSeed(3);
    expect(F.gumbelSoftmax(logits).equal(a)).toBe(true);
    expect(a.equal(b)).toBe(false);
  });

  it("checks its options: unknown keys and bad values name the option; eps warns as PyTorch's", async () => {
    const x = torch.zeros([2, 3]);
    expect(() => F.gumbelSoftmax(x, { tua: 0.5 } as never)).toThrow(new torch.TorchError("F.gumbelSoftmax: unknown option 'tua'; did you mean 'tau'?"));
    expect(() => F.gumbelSoftmax(x, { hard: 1 } as never)).toThrow(new torch.TorchError("F.gumbelSoftmax(): argument 'hard' must be a boolean, not number 1"));
    expect(() => F.gumbelSoftmax(x, { tau: '1' } as never)).toThrow(new torch.TorchError("F.gumbelSoftmax(): argument 'tau' must be a number, not the string '1'"));
    expect(() => F.gumbelSoftmax(x, { dim: 0.5 })).toThrow(new torch.TorchError("F.gumbelSoftmax(): argument 'dim' must be an integer, not number 0.5"));
    const warnings: string[] = [];
    const listen = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', listen);
    try {
      F.gumbelSoftmax(x, { eps: 1e-10 });
      F.gumbelSoftmax(x, { eps: 1e-5 });
      await new Promise((resolve) => setImmediate(resolve)); // process.emitWarning delivers on a later tick
    } finally {
      process.off('warning', listen);
    }
    expect(warnings).toEqual(['TorchWarning: F.gumbelSoftmax: `eps` parameter is deprecated and has no effect.']);
  });
});
