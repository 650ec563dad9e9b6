// nn.utils against Python's torch.nn.utils on the same gradients and weights: clip_grad_norm_ (norm
// orders 2, 1, inf; the total norm returned; clipped and unclipped), clip_grad_value_,
// parameters_to_vector / vector_to_parameters, weight_norm (state-dict keys, g and v, forward and
// their gradients) and remove_weight_norm.
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { Tensor, nn } from '../../lib';
import { Nested, arr, maxDiff } from '../helpers/compare';
import { runPython } from '../helpers/python';

const U = nn.utils;

function withGrads(grads: Tensor[]): Tensor[] {
  return grads.map((g) => {
    const p = nn.Parameter(torch.zerosLike(g));
    p.mul(g).sum().backward(); // p.grad = g
    return p;
  });
}

const CLIPS: [number, number][] = [[1.0, 2], [0.5, 1], [0.3, Infinity], [100, 2]];
let grads: Tensor[] = [];
// The layer inputs the Python run used.
let inputs: { x: Nested; xc: Nested } | null = null;
let py: any;

beforeAll(() => {
  torch.manualSeed(21);
  grads = [torch.randn([3, 4]), torch.randn([5]), torch.randn([2, 2, 2])];
  torch.manualSeed(22);
  const lin = new nn.Linear(4, 3);
  const conv = new nn.Conv1d(2, 3, 3);
  inputs = { x: arr(torch.randn([2, 4])), xc: arr(torch.randn([2, 2, 6])) };
  py = runPython(
    `
import torch, torch.nn as nn
from torch.nn.utils import clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters, weight_norm, remove_weight_norm
def with_grads():
    ps = [nn.Parameter(torch.zeros(torch.tensor(g).shape)) for g in inp['grads']]
    for p, g in zip(ps, inp['grads']): p.grad = torch.tensor(g)
    return ps
clips = []
for max_norm, norm_type in inp['clips']:
    ps = with_grads()
    total = clip_grad_norm_(ps, max_norm, norm_type=float('inf') if norm_type is None else norm_type)
    clips.append({'total': total.item(), 'grads': [p.grad.tolist() for p in ps]})
ps = with_grads()
clip_grad_value_(ps, 0.4)
value = [p.grad.tolist() for p in ps]
vec = parameters_to_vector(with_grads()).tolist()
x = torch.tensor(inp['x'])
xc = torch.tensor(inp['xc'])
lin = nn.Linear(4, 3); lin.load_state_dict({k: torch.tensor(v) for k, v in inp['lin'].items()})
conv = nn.Conv1d(2, 3, 3); conv.load_state_dict({k: torch.tensor(v) for k, v in inp['conv'].items()})
weight_norm(lin)
weight_norm(conv, dim=None)
out = {}
for name, m, xi in (('lin', lin, x), ('conv', conv, xc)):
    y = m(xi)
    (y * torch.linspace(0.5, 1.5, y.numel()).view(y.shape)).sum().backward()
    out[name] = {'keys': list(m.state_dict().keys()), 'state': {k: v.tolist() for k, v in m.state_dict().items()},
                 'y': y.tolist(), 'grads': {k: p.grad.tolist() for k, p in m.named_parameters()}}
remove_weight_norm(lin)
out['removed'] = {'keys': list(lin.state_dict().keys()), 'weight': lin.weight.tolist()}
print(json.dumps({'clips': clips, 'value': value, 'vec': vec, 'wn': out}))`,
    {
      grads: grads.map(arr),
      clips: CLIPS.map(([m, n]) => [m, n === Infinity ? null : n]),
      x: inputs.x,
      xc: inputs.xc,
      lin: Object.fromEntries(Object.entries(lin.stateDict()).map(([k, v]) => [k, arr(v as Tensor)])),
      conv: Object.fromEntries(Object.entries(conv.stateDict()).map(([k, v]) => [k, arr(v as Tensor)])),
    },
  );
  Object.assign(py, { lin, conv });
}, 120_000);

describe('nn.utils.clipGradNorm_ / clipGradValue_ equal PyTorch', () => {
  CLIPS.forEach(([maxNorm, normType], i) => {
    it(`clipGradNorm_(params, ${maxNorm}, ${normType}): the total norm returned and the scaled gradients`, () => {
      const ps = withGrads(grads);
      const total = U.clipGradNorm_(ps, maxNorm, normType);
      expect(total.ndim).toBe(0);
      expect(Math.abs((total.item() as number) - py.clips[i].total)).toBeLessThan(1e-5);
      ps.forEach((p, j) => expect(maxDiff(arr(p.grad!), py.clips[i].grads[j])).toBeLessThan(1e-6));
    });
  });

  it('clipGradNorm_ takes one tensor, skips parameters without a gradient, and errorIfNonfinite throws on nan', () => {
    const [p] = withGrads([torch.tensor([3, 4])]);
    const noGrad = nn.Parameter(torch.ones([2]));
    expect(U.clipGradNorm_([p, noGrad], 1).item()).toBeCloseTo(5, 5);
    expect(noGrad.grad).toBeNull();
    expect(U.clipGradNorm_(p, 1).item()).toBeCloseTo(1, 5);
    const [bad] = withGrads([torch.tensor([NaN, 1])]);
    expect(() => U.clipGradNorm_(bad, 1, 2, { errorIfNonfinite: true })).toThrow(/non-finite, so it cannot be clipped/);
    expect(() => U.clipGradNorm_(p, 1, 2, { error_if_nonfinite: true } as never)).not.toThrow();
    expect(() => U.clipGradNorm_(p, 1, 2, { errorIfNonFinite: true } as never)).toThrow("unknown option 'errorIfNonFinite'; did you mean 'errorIfNonfinite'?");
  });

  it('clipGradValue_(params, 0.4) clamps every gradient', () => {
    const ps = withGrads(grads);
    U.clipGradValue_(ps, 0.4);
    ps.forEach((p, j) => expect(maxDiff(arr(p.grad!), py.value[j])).toBe(0));
  });
});

describe('nn.utils.parametersToVector / vectorToParameters', () => {
  it("flatten the parameters in order, as PyTorch's, and write a vector back into them (sharing its storage)", () => {
    const ps = withGrads(grads);
    const vec = U.parametersToVector(ps);
    expect(maxDiff(arr(vec), py.vec)).toBe(0); // zeros: withGrads' parameters
    const v = torch.arange(0, vec.numel()).float();
    U.vectorToParameters(v, ps);
    expect(arr(ps[1])).toEqual([12, 13, 14, 15, 16]);
    expect(ps[2].shape).toEqual([2, 2, 2]);
    v.fill_(7);
    expect((ps[0].sum().item() as number)).toBe(84);
    expect(() => U.vectorToParameters(torch.zeros([3]), ps)).toThrow(/vec has 3 elements/);
  });
});

describe('nn.utils.weightNorm equals PyTorch (hook-style weight_norm)', () => {
  const run = (m: nn.Module & { forward(x: Tensor): Tensor }, x: Nested) => {
    const y = m.forward(torch.tensor(x as number[]));
    y.mul(torch.linspace(0.5, 1.5, y.numel()).view(y.shape)).sum().backward();
    return {
      state: Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, arr(v as Tensor)])),
      y: arr(y),
      grads: Object.fromEntries(m.namedParameters().map(([k, p]) => [k, arr(p.grad!)])),
    };
  };

  it('Linear (dim 0) and Conv1d (dim null): keys weight_g/weight_v, their values, forward and gradients', () => {
    const lin = U.weightNorm(py.lin as nn.Linear);
    const conv = U.weightNorm(py.conv as nn.Conv1d, 'weight', null);
    for (const [name, m, x] of [['lin', lin, py.wn.lin], ['conv', conv, py.wn.conv]] as const) {
      const input = name === 'lin' ? inputs!.x : inputs!.xc;
      const ours = run(m as never, input);
      expect(Object.keys(ours.state)).toEqual(x.keys);
      for (const k of x.keys) expect(maxDiff(ours.state[k], x.state[k])).toBeLessThan(1e-6);
      expect(maxDiff(ours.y, x.y)).toBeLessThan(1e-5);
      for (const k of Object.keys(x.grads)) expect(maxDiff(ours.grads[k], x.grads[k])).toBeLessThan(1e-5);
    }
    U.removeWeightNorm(lin);
    expect(Object.keys(lin.stateDict())).toEqual(py.wn.removed.keys);
    expect(maxDiff(arr(lin.weight), py.wn.removed.weight)).toBeLessThan(1e-6);
    expect(() => U.removeWeightNorm(lin)).toThrow(/weight_norm of 'weight' not found/);
  });
});

describe('nn.utils.spectralNorm equals PyTorch (hook-style spectral_norm)', () => {
  it('Linear and ConvTranspose2d (dim 1): u and v drawn as PyTorch, power iteration in training, σ-normalised forward and gradients', () => {
    torch.manualSeed(40);
    const lin = new nn.Linear(5, 4);
    const deconv = new nn.ConvTranspose2d(3, 2, 3);
    const state = (m: nn.Module) => Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, arr(v as Tensor)]));
    const init = { lin: state(lin), deconv: state(deconv) };
    const x = torch.randn([2, 5]);
    const xd = torch.randn([1, 3, 4, 4]);
    torch.manualSeed(41);
    U.spectralNorm(lin);
    U.spectralNorm(deconv, 'weight', { nPowerIterations: 2 });
    const keys = { lin: Object.keys(lin.stateDict()), deconv: Object.keys(deconv.stateDict()) };
    const run = (m: nn.Module & { forward(x: Tensor): Tensor }, input: Tensor) => {
      m.forward(input); // a first power iteration
      const y = m.forward(input);
      y.mul(torch.linspace(0.5, 1.5, y.numel()).view(y.shape)).sum().backward();
      m.eval();
      const yEval = m.forward(input);
      return { y: arr(y), yEval: arr(yEval), state: state(m), grad: arr(m.namedParameters().find(([k]) => k === 'weight_orig')![1].grad!) };
    };
    const ours = { lin: run(lin, x), deconv: run(deconv, xd) };
    const ref = runPython(
      `
import torch, torch.nn as nn
from torch.nn.utils import spectral_norm
lin = nn.Linear(5, 4); lin.load_state_dict({k: torch.tensor(v) for k, v in inp['init']['lin'].items()})
deconv = nn.ConvTranspose2d(3, 2, 3); deconv.load_state_dict({k: torch.tensor(v) for k, v in inp['init']['deconv'].items()})
torch.manual_seed(41)
spectral_norm(lin)
spectral_norm(deconv, n_power_iterations=2)
out = {}
for name, m, x in (('lin', lin, torch.tensor(inp['x'])), ('deconv', deconv, torch.tensor(inp['xd']))):
    m(x)
    y = m(x)
    (y * torch.linspace(0.5, 1.5, y.numel()).view(y.shape)).sum().backward()
    m.eval()
    out[name] = {'keys': list(m.state_dict().keys()), 'y': y.tolist(), 'yEval': m(x).tolist(),
                 'state': {k: v.tolist() for k, v in m.state_dict().items()}, 'grad': m.weight_orig.grad.tolist()}
print(json.dumps(out))`,
      { init, x: arr(x), xd: arr(xd) },
    );
    for (const name of ['lin', 'deconv'] as const) {
      expect(keys[name]).toEqual(ref[name].keys);
      for (const k of ref[name].keys) expect(maxDiff(ours[name].state[k], ref[name].state[k])).toBeLessThan(1e-5);
      expect(maxDiff(ours[name].y, ref[name].y)).toBeLessThan(1e-5);
      expect(maxDiff(ours[name].yEval, ref[name].yEval)).toBeLessThan(1e-5);
      expect(maxDiff(ours[name].grad, ref[name].grad)).toBeLessThan(1e-5);
    }
    U.removeSpectralNorm(lin);
    expect(Object.keys(lin.stateDict())).toEqual(['bias', 'weight']); // as PyTorch: re-registered last
    expect(() => U.removeSpectralNorm(lin)).toThrow(/spectral_norm of 'weight' not found/);
  });
});
