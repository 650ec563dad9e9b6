// PyTorch's repr (lib/tensor_str.ts): String(x), console.log(x) and util.inspect(x) print what Python's
// repr(x) prints for the same tensor: 4 decimals, integer-valued floats with a '.', scientific notation,
// summaries of tensors over 1000 elements, line wrapping at 80 columns, and the dtype, grad_fn and
// requires_grad suffixes; and, after torch.setPrintoptions (lib/print_options.ts), what Python prints after
// torch.set_printoptions with the same options.
import * as util from 'util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
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

/** Our options object as Python's keyword arguments (sciMode → sci_mode). */
const pyKwargs = (o: torch.SetPrintOptions) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k === 'sciMode' ? 'sci_mode' : k, v]));

interface OptionCase { name: string; opts: torch.SetPrintOptions; py: string; ts: () => Tensor }
const OPTION_CASES: OptionCase[] = [
  { name: 'precision 2', opts: { precision: 2 }, py: 'torch.tensor([[0.1234, -1.2], [3.0, 4.5]])', ts: () => torch.tensor([[0.1234, -1.2], [3.0, 4.5]]) },
  { name: 'precision 2, ties to even', opts: { precision: 2 }, py: 'torch.tensor([0.125, 0.375, -0.625, 2.5])', ts: () => torch.tensor([0.125, 0.375, -0.625, 2.5]) },
  { name: 'precision 8', opts: { precision: 8 }, py: 'torch.linspace(-1, 1, 7)', ts: () => torch.linspace(-1, 1, 7) },
  { name: 'precision 8, float64', opts: { precision: 8 }, py: 'torch.tensor([1/3, 2/3, -7.0], dtype=torch.float64)', ts: () => torch.tensor([1 / 3, 2 / 3, -7], { dtype: 'float64' }) },
  { name: 'precision 8, scientific by magnitude', opts: { precision: 8 }, py: 'torch.tensor([1e-5, 1., 1e10])', ts: () => torch.tensor([1e-5, 1, 1e10]) },
  { name: 'precision 0', opts: { precision: 0 }, py: 'torch.tensor([0.5, 1.5, 2.25, -3.75])', ts: () => torch.tensor([0.5, 1.5, 2.25, -3.75]) },
  { name: 'precision 20 (exact decimals of the float)', opts: { precision: 20 }, py: 'torch.tensor([0.1, 1/3])', ts: () => torch.tensor([0.1, 1 / 3]) },
  { name: 'threshold 5 summarises 10 elements', opts: { threshold: 5 }, py: 'torch.arange(10)', ts: () => torch.arange(10) },
  { name: 'threshold 10 keeps 10 elements', opts: { threshold: 10 }, py: 'torch.arange(10)', ts: () => torch.arange(10) },
  { name: 'threshold 20, 2-d floats', opts: { threshold: 20 }, py: 'torch.arange(64.).view(8, 8) / 3', ts: () => torch.arange(64, { dtype: 'float32' }).view(8, 8).div(3) },
  { name: 'edgeitems 1, threshold 5, 2-d', opts: { edgeitems: 1, threshold: 5 }, py: 'torch.arange(100).view(10, 10)', ts: () => torch.arange(100).view(10, 10) },
  { name: 'edgeitems 1, threshold 10, 3-d', opts: { edgeitems: 1, threshold: 10 }, py: 'torch.arange(120.).view(4, 5, 6) * 1.5', ts: () => torch.arange(120, { dtype: 'float32' }).view(4, 5, 6).mul(1.5) },
  { name: 'edgeitems 1 over 1000 elements', opts: { edgeitems: 1 }, py: 'torch.arange(2000)', ts: () => torch.arange(2000) },
  { name: 'linewidth 40', opts: { linewidth: 40 }, py: 'torch.linspace(0, 1, 30)', ts: () => torch.linspace(0, 1, 30) },
  { name: 'linewidth 40, 2-d', opts: { linewidth: 40 }, py: 'torch.arange(40.).view(2, 20) / 7', ts: () => torch.arange(40, { dtype: 'float32' }).view(2, 20).div(7) },
  {
    name: 'linewidth 40 wraps the suffixes',
    opts: { linewidth: 40 },
    py: 'torch.linspace(0, 1, 12, dtype=torch.float64, requires_grad=True).view(3, 4).sum(1)',
    ts: () => torch.linspace(0, 1, 12, { dtype: 'float64', requiresGrad: true }).view(3, 4).sum(1),
  },
  { name: 'linewidth 40, summarised', opts: { linewidth: 40, threshold: 50 }, py: 'torch.arange(200)', ts: () => torch.arange(200) },
  { name: 'sciMode true', opts: { sciMode: true }, py: 'torch.tensor([0.1234, -1.2, 3.0])', ts: () => torch.tensor([0.1234, -1.2, 3.0]) },
  { name: 'sciMode true, integer-valued floats', opts: { sciMode: true }, py: 'torch.tensor([[1., 2.], [-30., 400.]])', ts: () => torch.tensor([[1, 2], [-30, 400]]) },
  { name: 'sciMode true, precision 2', opts: { sciMode: true, precision: 2 }, py: 'torch.tensor([0.5, float("nan"), -float("inf")])', ts: () => torch.tensor([0.5, NaN, -Infinity]) },
  { name: 'sciMode true, all zeros stay fixed', opts: { sciMode: true }, py: 'torch.zeros(3)', ts: () => torch.zeros(3) },
  { name: 'sciMode true, int64 unaffected', opts: { sciMode: true }, py: 'torch.arange(4)', ts: () => torch.arange(4) },
  { name: 'sciMode false', opts: { sciMode: false }, py: 'torch.tensor([1e-5, 1., 1e10])', ts: () => torch.tensor([1e-5, 1, 1e10]) },
  { name: 'sciMode false, integer-valued floats', opts: { sciMode: false }, py: 'torch.tensor([1., 2000.])', ts: () => torch.tensor([1, 2000]) },
  { name: 'sciMode false, small values', opts: { sciMode: false }, py: 'torch.tensor([[1e-6, 0.5], [2.0, -3e-5]])', ts: () => torch.tensor([[1e-6, 0.5], [2.0, -3e-5]]) },
  { name: "profile 'full' never summarises", opts: { profile: 'full' }, py: 'torch.arange(2000)', ts: () => torch.arange(2000) },
  { name: "profile 'full', 2-d floats", opts: { profile: 'full' }, py: 'torch.arange(1200.).view(30, 40) / 7', ts: () => torch.arange(1200, { dtype: 'float32' }).view(30, 40).div(7) },
  { name: "profile 'short'", opts: { profile: 'short' }, py: 'torch.tensor([[0.1234, -1.2], [3.0, 4.5]])', ts: () => torch.tensor([[0.1234, -1.2], [3.0, 4.5]]) },
  { name: "profile 'short', summarised", opts: { profile: 'short' }, py: 'torch.arange(2000.).view(4, 500) / 7', ts: () => torch.arange(2000, { dtype: 'float32' }).view(4, 500).div(7) },
  { name: "profile 'short' with precision 3 over it", opts: { profile: 'short', precision: 3 }, py: 'torch.arange(2000.).view(4, 500) / 7', ts: () => torch.arange(2000, { dtype: 'float32' }).view(4, 500).div(7) },
  { name: "profile 'default' undoes the others", opts: { profile: 'default' }, py: 'torch.arange(2000.).view(4, 500) / 7', ts: () => torch.arange(2000, { dtype: 'float32' }).view(4, 500).div(7) },
];

/** Python's PRINT_OPTS as JSON (inf as the string 'inf', which JSON has no number for). */
const PY_OPTS = "{k: ('inf' if v == float('inf') else v) for k, v in ((k, getattr(torch._tensor_str.PRINT_OPTS, k)) for k in ['precision', 'threshold', 'edgeitems', 'linewidth', 'sci_mode'])}";
const ourOpts = () => {
  const o = torch.getPrintoptions();
  return { precision: o.precision, threshold: o.threshold === Infinity ? 'inf' : o.threshold, edgeitems: o.edgeitems, linewidth: o.linewidth, sci_mode: o.sciMode };
};

describe.skipIf(!havePython)("setPrintoptions as Python's set_printoptions (requires python3 with torch)", () => {
  let expected: { repr: string; opts: unknown }[] = [];
  beforeAll(() => {
    expected = runPython(`import torch
out = []
for c in inp:
    torch.set_printoptions(**c['opts'])
    out.append({'repr': repr(eval(c['py'])), 'opts': ${PY_OPTS}})
    torch.set_printoptions(profile='default')
print(json.dumps(out))`, OPTION_CASES.map((c) => ({ py: c.py, opts: pyKwargs(c.opts) })));
  });
  afterEach(() => torch.setPrintoptions({ profile: 'default' }));

  OPTION_CASES.forEach((c, i) => {
    it(`${c.name}: ${c.py}`, () => {
      torch.setPrintoptions(c.opts);
      expect(String(c.ts())).toBe(expected[i].repr);
      expect(ourOpts()).toEqual(expected[i].opts);
    });
  });

  it('options persist across reprs and calls until reset; each call without sciMode sets it back to null, as in Python', () => {
    const steps: torch.SetPrintOptions[] = [{ linewidth: 40 }, { precision: 2 }, { sciMode: true }, { edgeitems: 1, threshold: 5 }, { precision: 3 }, { profile: 'default' }];
    const py = runPython<{ reprs: string[]; opts: unknown }[]>(`import torch
out = []
for o in inp:
    torch.set_printoptions(**o)
    out.append({'reprs': [repr(torch.linspace(0, 1, 30)), str(torch.tensor([1e-5, 1., 1e10]))], 'opts': ${PY_OPTS}})
torch.set_printoptions(profile='default')
print(json.dumps(out))`, steps.map(pyKwargs));
    const ours = steps.map((o) => {
      torch.setPrintoptions(o);
      return { reprs: [String(torch.linspace(0, 1, 30)), `${torch.tensor([1e-5, 1, 1e10])}`], opts: ourOpts() };
    });
    expect(ours).toEqual(py);
    expect(util.inspect(torch.linspace(0, 1, 30))).toBe(py[py.length - 1].reprs[0]);
  });
});

describe('setPrintoptions and getPrintoptions', () => {
  afterEach(() => torch.setPrintoptions({ profile: 'default' }));

  it("start at PyTorch's defaults, and profile 'default' returns to them", () => {
    const defaults = { precision: 4, threshold: 1000, edgeitems: 3, linewidth: 80, sciMode: null };
    expect(torch.getPrintoptions()).toEqual(defaults);
    torch.setPrintoptions({ precision: 7, threshold: 3, edgeitems: 2, linewidth: 50, sciMode: false });
    expect(torch.getPrintoptions()).toEqual({ precision: 7, threshold: 3, edgeitems: 2, linewidth: 50, sciMode: false });
    torch.setPrintoptions({ profile: 'default' });
    expect(torch.getPrintoptions()).toEqual(defaults);
    expect(String(torch.tensor([1.12345]))).toBe('tensor([1.1235])');
  });

  it("profile 'full' prints every one of 200000 floats (more than a spread call takes)", () => {
    torch.setPrintoptions({ profile: 'full' });
    const text = String(torch.arange(200000, { dtype: 'float32' }).div(8).add(1000));
    expect(text).not.toContain('...');
    expect(text.split(/,\s+/).length).toBe(200000);
    expect(text.startsWith('tensor([ 1000.0000,  1000.1250,  1000.2500,')).toBe(true);
    expect(text.endsWith(' 25999.7500, 25999.8750])')).toBe(true);
  });

  it("takes Python's spelling sci_mode, and getPrintoptions returns a copy", () => {
    torch.setPrintoptions({ sci_mode: true } as torch.SetPrintOptions);
    expect(torch.getPrintoptions().sciMode).toBe(true);
    const copy = torch.getPrintoptions();
    copy.precision = 1;
    expect(torch.getPrintoptions().precision).toBe(4);
    expect(String(torch.tensor([0.5, 2]))).toBe('tensor([5.0000e-01, 2.0000e+00])');
  });

  it('refuses an unknown option or a bad value with a TorchError naming it, and changes nothing then', () => {
    torch.setPrintoptions({ precision: 6 });
    const bad: [unknown, RegExp][] = [
      [{ precison: 2 }, /^torch\.setPrintoptions: unknown option 'precison'; did you mean 'precision'\?$/],
      [{ precision: 2.5 }, /argument 'precision' must be an integer, not number 2\.5/],
      [{ precision: -1 }, /argument 'precision' must be at least 0, got -1/],
      [{ precision: 100 }, /argument 'precision' must be at most 99, got 100/],
      [{ threshold: '5' }, /argument 'threshold' must be a number, not the string '5'/],
      [{ threshold: NaN }, /argument 'threshold' must be at least 0, got NaN/],
      [{ edgeitems: 0 }, /argument 'edgeitems' must be at least 1, got 0/],
      [{ linewidth: 40.5 }, /argument 'linewidth' must be an integer, not number 40\.5/],
      [{ sciMode: 'auto' }, /argument 'sciMode' must be a boolean or null, not the string 'auto'/],
      [{ profile: 'long', precision: 2 }, /argument 'profile' must be one of 'default', 'short', 'full', not the string 'long'/],
      [{ precision: 2, linewidth: -3 }, /argument 'linewidth' must be at least 0, got -3/],
      [null, /argument 'options' must be an object, not null/],
    ];
    for (const [options, message] of bad) {
      expect(() => torch.setPrintoptions(options as torch.SetPrintOptions)).toThrow(torch.TorchError);
      expect(() => torch.setPrintoptions(options as torch.SetPrintOptions)).toThrow(message);
    }
    expect(torch.getPrintoptions()).toEqual({ precision: 6, threshold: 1000, edgeitems: 3, linewidth: 80, sciMode: null });
  });
});
