// The SGD comparisons' common setup (sgd.test.ts, sgd_fused.test.ts): random parameters and per-step
// gradients, the same steps run by our SGD and by Python's torch.optim.SGD, and the configurations tried.
import * as torch from '../../lib';
import { optim, Tensor } from '../../lib';

export const SHAPES = [[4, 3], [3], [2, 2, 2]];

export const CONFIGS: [string, optim.SGDOptions, Record<string, unknown>][] = [
  ['plain', { lr: 0.1 }, { lr: 0.1 }],
  ['momentum + weight decay', { lr: 0.1, momentum: 0.9, weightDecay: 0.01 }, { lr: 0.1, momentum: 0.9, weight_decay: 0.01 }],
  ['nesterov + weight decay', { lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true }, { lr: 0.1, momentum: 0.9, weight_decay: 0.01, nesterov: true }],
  ['dampening', { lr: 0.05, momentum: 0.8, dampening: 0.3 }, { lr: 0.05, momentum: 0.8, dampening: 0.3 }],
  ['maximize', { lr: 0.1, momentum: 0.9, weightDecay: 0.001, maximize: true }, { lr: 0.1, momentum: 0.9, weight_decay: 0.001, maximize: true }],
];

/** Seeded initial parameters and `steps` steps' gradients. */
export function setup(seed: number, steps: number) {
  torch.manualSeed(seed);
  const init = SHAPES.map((s) => torch.randn(s));
  const grads = Array.from({ length: steps }, () => SHAPES.map((s) => torch.randn(s)));
  return { init, grads };
}

/**
 * SGD steps where the gradient of param i at step t is grads[t][i] (backward of sum(p * g)); lr ÷ 10
 * from step `dropAt`. With `idle`, one more parameter that never gets a gradient (it must stay ones).
 */
export function runOurs(opts: optim.SGDOptions, init: Tensor[], grads: Tensor[][], dropAt: number, idle = false) {
  const params = init.map((t) => t.clone().requiresGrad_());
  const still = torch.ones([2]).requiresGrad_();
  const opt = new optim.SGD(idle ? [...params, still] : params, opts);
  grads.forEach((gs, t) => {
    if (t === dropAt) opt.paramGroups[0].lr /= 10;
    opt.zeroGrad();
    params.map((p, i) => p.mul(gs[i]).sum()).reduce((a, b) => a.add(b)).backward();
    opt.step();
  });
  return { params, idle: still, opt };
}

/** Python's same steps: run(opts, init, grads, drop_at, idle) → (params, opt). */
export const PY_RUN = `
import torch
T = torch.tensor
def run(opts, init, grads, drop_at, idle=False):
    params = [T(x).requires_grad_() for x in init]
    opt = torch.optim.SGD(params + ([torch.ones(2, requires_grad=True)] if idle else []), **opts)
    for t, gs in enumerate(grads):
        if t == drop_at: opt.param_groups[0]['lr'] /= 10
        opt.zero_grad()
        for p, g in zip(params, gs): p.grad = T(g)
        opt.step()
    return params, opt
def state_json(opt):
    sd = opt.state_dict()
    return json.dumps({'param_groups': sd['param_groups'], 'state': {k: {kk: vv.tolist() for kk, vv in v.items()} for k, v in sd['state'].items()}})
`;
