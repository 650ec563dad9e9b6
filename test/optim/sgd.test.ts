// optim.SGD against torch.optim.SGD: same parameters, same gradients, 10 steps.
import { describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { optim, Tensor } from '../../lib';
import { Nested, arr, flat, maxDiff } from '../helpers/compare';
import { runPython } from '../helpers/python';
import { CONFIGS, PY_RUN, runOurs, setup } from './sgd_helpers';


const STEPS = 10;
const DROP_AT = 5;

describe('SGD update rule equals torch.optim.SGD', () => {
  for (const [name, ours, theirs] of CONFIGS) {
    it(`${name}: parameters after ${STEPS} steps agree to 1e-6`, () => {
      const { init, grads } = setup(11, STEPS);
      const { params, idle } = runOurs(ours, init, grads, DROP_AT, true);
      const py = runPython(
        PY_RUN + `params, _ = run(inp['opts'], inp['init'], inp['grads'], ${DROP_AT}, idle=True)\nprint(json.dumps([p.tolist() for p in params]))`,
        { opts: theirs, init: init.map(arr), grads: grads.map((gs) => gs.map(arr)) },
      );
      params.forEach((p, i) => expect(maxDiff(arr(p), py[i]), `param ${i}`).toBeLessThan(1e-6));
      // The update is not trivially zero (the comparison could not pass with a no-op step).
      expect(maxDiff(arr(params[0]), arr(init[0]))).toBeGreaterThan(1e-2);
      expect(flat(arr(idle))).toEqual([1, 1]);
    });
  }
});

describe('SGD state dict', () => {
  it('has PyTorch’s layout and values (momentum buffers, snake_case group keys)', () => {
    const { init, grads } = setup(5, STEPS);
    const { opt } = runOurs({ lr: 0.1, momentum: 0.9, weightDecay: 1e-4 }, init, grads, DROP_AT, true);
    const sd = opt.stateDict();
    const py = runPython(
      PY_RUN +
        `_, opt = run(dict(lr=0.1, momentum=0.9, weight_decay=1e-4), inp['init'], inp['grads'], ${DROP_AT}, idle=True)
print(state_json(opt))`,
      { init: init.map(arr), grads: grads.map((gs) => gs.map(arr)) },
    );
    expect(sd.param_groups).toEqual(py.param_groups);
    expect([...sd.state.keys()]).toEqual(Object.keys(py.state).map(Number));
    for (const [k, v] of sd.state) {
      expect(Object.keys(v)).toEqual(['momentum_buffer']);
      expect(maxDiff(arr(v.momentum_buffer as Tensor), py.state[k].momentum_buffer)).toBeLessThan(1e-6);
    }
  });

  it('loadStateDict resumes exactly where the saved optimizer was', () => {
    const { init, grads } = setup(9, STEPS);
    const a = runOurs({ lr: 0.1, momentum: 0.9, nesterov: true }, init, grads.slice(0, 6), DROP_AT, true);
    const params = a.params.map((p) => p.detach().clone().requiresGrad_());
    const b = new optim.SGD([...params, torch.ones([2]).requiresGrad_()], { lr: 1, momentum: 0.5, nesterov: true });
    b.loadStateDict(a.opt.stateDict());
    expect(b.paramGroups[0].lr).toBeCloseTo(0.01, 12);
    expect(b.paramGroups[0].momentum).toBe(0.9);
    for (const gs of grads.slice(6)) {
      for (const [ps, opt] of [[a.params, a.opt], [params, b]] as const) {
        opt.zeroGrad();
        ps.map((p, i) => p.mul(gs[i]).sum()).reduce((x, y) => x.add(y)).backward();
        opt.step();
      }
    }
    params.forEach((p, i) => expect(p.equal(a.params[i].detach())).toBe(true));
  });

  it('rejects a state dict of another shape', () => {
    const opt = new optim.SGD([torch.ones([1]).requiresGrad_()], { lr: 0.1 });
    const other = new optim.SGD([torch.ones([1]).requiresGrad_(), torch.ones([1]).requiresGrad_()], { lr: 0.1 });
    expect(() => opt.loadStateDict(other.stateDict())).toThrow(/doesn't match the size of optimizer's group/);
  });
});

describe('SGD options and groups', () => {
  const p = () => [torch.ones([2]).requiresGrad_()];
  it('rejects invalid options with PyTorch’s messages', () => {
    expect(() => new optim.SGD(p(), { lr: -0.1 })).toThrow(/^Invalid learning rate: -0.1$/);
    expect(() => new optim.SGD(p(), { lr: 0.1, momentum: -0.5 })).toThrow(/Invalid momentum value: -0.5/);
    expect(() => new optim.SGD(p(), { lr: 0.1, weightDecay: -1 })).toThrow(/Invalid weight_decay value: -1/);
    expect(() => new optim.SGD(p(), { lr: 0.1, nesterov: true })).toThrow(/Nesterov momentum requires a momentum and zero dampening/);
    expect(() => new optim.SGD(p(), { lr: 0.1, nesterov: true, momentum: 0.9, dampening: 0.1 })).toThrow(/Nesterov/);
    expect(() => new optim.SGD([], { lr: 0.1 })).toThrow(/optimizer got an empty parameter list/);
    expect(() => new optim.SGD(p(), { lr: -1 })).toThrow(torch.TorchError);
  });

  it('param groups take their own options, the rest from the defaults', () => {
    const a = torch.ones([1]).requiresGrad_();
    const b = torch.ones([1]).requiresGrad_();
    const opt = new optim.SGD([{ params: [a] }, { params: [b], lr: 1 }], { lr: 0.1, momentum: 0.5 });
    expect(opt.paramGroups.map((g) => [g.lr, g.momentum])).toEqual([[0.1, 0.5], [1, 0.5]]);
    a.mul(2).add(b.mul(2)).sum().backward();
    opt.step();
    expect(a.item()).toBeCloseTo(1 - 0.1 * 2, 6);
    expect(b.item()).toBeCloseTo(1 - 1 * 2, 6);
    expect(opt.stateDict().param_groups.map((g) => g.params)).toEqual([[0], [1]]);
    expect(() => opt.addParamGroup({ params: [a] })).toThrow(/more than one parameter group/);
  });

  it('zeroGrad sets gradients to null, or to zero with setToNone: false', () => {
    const x = torch.ones([2]).requiresGrad_();
    const opt = new optim.SGD([x], { lr: 0.1 });
    x.mul(3).sum().backward();
    opt.zeroGrad({ setToNone: false });
    expect(flat(x.grad!.toArray() as Nested)).toEqual([0, 0]);
    opt.zeroGrad();
    expect(x.grad).toBeNull();
  });

  it('keeps its momentum buffers when a step runs inside tidy()', () => {
    const x = torch.ones([2]).requiresGrad_();
    const opt = new optim.SGD([x], { lr: 0.1, momentum: 0.9 });
    for (let i = 0; i < 3; i++) {
      torch.tidy(() => {
        opt.zeroGrad();
        x.mul(2).sum().backward();
        opt.step();
      });
    }
    const buf = opt.state.get(x)!.momentumBuffer as Tensor;
    expect(buf.isDisposed).toBe(false);
    // buf: 2, then 0.9*2+2 = 3.8, then 0.9*3.8+2 = 5.42
    expect(buf.toArray()).toEqual([expect.closeTo(5.42, 5), expect.closeTo(5.42, 5)]);
    expect(x.toArray()).toEqual([expect.closeTo(1 - 0.1 * (2 + 3.8 + 5.42), 5), expect.closeTo(1 - 0.1 * 11.22, 5)]);
  });
});
