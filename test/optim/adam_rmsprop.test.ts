// optim.Adam, AdamW and RMSprop against torch.optim on the same parameters and gradients: the update
// rule over 20 steps (1e-6), the state dict's layout, and state dicts both ways through torch.save.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { Tensor, optim } from '../../lib';
import { Nested, arr, flat, maxDiff } from '../helpers/compare';
import { runPython } from '../helpers/python';

const SHAPES = [[4, 3], [3], [2, 2, 2]];
const STEPS = 20;
type Kind = 'Adam' | 'AdamW' | 'RMSprop';

const make = (kind: Kind, params: Tensor[], opts: Record<string, unknown>): optim.Optimizer =>
  kind === 'Adam' ? new optim.Adam(params, opts) : kind === 'AdamW' ? new optim.AdamW(params, opts) : new optim.RMSprop(params, opts);

const CONFIGS: [Kind, string, Record<string, unknown>, Record<string, unknown>][] = [
  ['Adam', 'defaults', { lr: 0.01 }, { lr: 0.01 }],
  ['Adam', 'weight decay + amsgrad', { lr: 0.01, weightDecay: 0.1, amsgrad: true, betas: [0.8, 0.99] }, { lr: 0.01, weight_decay: 0.1, amsgrad: true, betas: [0.8, 0.99] }],
  ['Adam', 'maximize, eps 1e-3', { lr: 0.02, maximize: true, eps: 1e-3 }, { lr: 0.02, maximize: true, eps: 1e-3 }],
  ['AdamW', 'defaults (weight decay 1e-2)', { lr: 0.01 }, { lr: 0.01 }],
  ['AdamW', 'amsgrad + maximize + weight decay 0.3', { lr: 0.01, amsgrad: true, maximize: true, weightDecay: 0.3 }, { lr: 0.01, amsgrad: true, maximize: true, weight_decay: 0.3 }],
  ['RMSprop', 'defaults', { lr: 0.01 }, { lr: 0.01 }],
  ['RMSprop', 'momentum + centered + weight decay', { lr: 0.01, momentum: 0.9, centered: true, weightDecay: 0.05, alpha: 0.9 }, { lr: 0.01, momentum: 0.9, centered: true, weight_decay: 0.05, alpha: 0.9 }],
  ['RMSprop', 'maximize', { lr: 0.005, maximize: true }, { lr: 0.005, maximize: true }],
];

function setup() {
  torch.manualSeed(11);
  const init = SHAPES.map((s) => torch.randn(s));
  const grads = Array.from({ length: STEPS }, () => SHAPES.map((s) => torch.randn(s)));
  return { init, grads };
}

// Steps from..to-1, where the gradient of param i at step t is grads[t][i]; lr drops to lr/10 at step 10.
function steps(opt: optim.Optimizer, params: Tensor[], grads: Tensor[][], from: number, to: number) {
  for (let t = from; t < to; t++) {
    if (t === 10) opt.paramGroups[0].lr = opt.paramGroups[0].lr / 10;
    opt.zeroGrad();
    params.map((p, i) => p.mul(grads[t][i]).sum()).reduce((a, b) => a.add(b)).backward();
    opt.step();
  }
}

const PY_RUN = `
import torch
T = torch.tensor
def steps(opt, params, grads, start, end):
    for t in range(start, end):
        if t == 10: opt.param_groups[0]['lr'] /= 10
        opt.zero_grad()
        for p, g in zip(params, grads[t]): p.grad = T(g)
        opt.step()
def fresh(init):
    return [T(x).requires_grad_() for x in init]
def plain(sd):
    return {'param_groups': sd['param_groups'],
            'state': {k: {kk: (vv.tolist() if torch.is_tensor(vv) else vv) for kk, vv in v.items()} for k, v in sd['state'].items()}}
`;

let data: ReturnType<typeof setup>;
let py: { params: Nested[][]; sd: { param_groups: Record<string, unknown>[]; state: Record<string, Record<string, unknown>> }[] };
let dir: string;

beforeAll(() => {
  data = setup();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libtorch-node-adam-'));
  py = runPython(
    PY_RUN +
      `
out = {'params': [], 'sd': []}
for c, (kind, opts) in enumerate(inp['configs']):
    params = fresh(inp['init'])
    idle = torch.ones(2, requires_grad=True)
    opt = getattr(torch.optim, kind)(params + [idle], **opts)
    steps(opt, params, inp['grads'], 0, 20)
    out['params'].append([p.tolist() for p in params] + [idle.tolist()])
    out['sd'].append(plain(opt.state_dict()))
    # The first 10 steps of this run, saved for the loading test.
    params = fresh(inp['init'])
    opt = getattr(torch.optim, kind)(params + [torch.ones(2, requires_grad=True)], **opts)
    steps(opt, params, inp['grads'], 0, 10)
    torch.save({'params': [p.detach() for p in params], 'optimizer': opt.state_dict()}, inp['dir'] + '/' + kind + str(c) + '.pth')
print(json.dumps(out))`,
    { configs: CONFIGS.map(([k, , , p]) => [k, p]), init: data.init.map(arr), grads: data.grads.map((gs) => gs.map(arr)), dir },
  );
}, 120_000);

describe('update rules equal torch.optim over 20 steps', () => {
  CONFIGS.forEach(([kind, name, ours], c) => {
    it(`${kind} ${name}: parameters agree to 1e-6; a parameter without gradient gets no state and no update`, () => {
      const params = data.init.map((t) => t.clone().requiresGrad_());
      const idle = torch.ones([2]).requiresGrad_();
      const opt = make(kind, [...params, idle], ours);
      steps(opt, params, data.grads, 0, STEPS);
      params.forEach((p, i) => expect(maxDiff(arr(p), py.params[c][i]), `param ${i}`).toBeLessThan(1e-6));
      expect(maxDiff(arr(params[0]), arr(data.init[0]))).toBeGreaterThan(1e-2); // not a no-op
      expect(flat(arr(idle))).toEqual([1, 1]);
      expect(opt.state.has(idle)).toBe(false);
      // The state dict: PyTorch's group keys and values, and its state entries.
      const sd = opt.stateDict();
      const pysd = py.sd[c];
      expect(sd.param_groups.map((g) => ({ ...g, betas: g.betas }))).toEqual(pysd.param_groups);
      expect([...sd.state.keys()]).toEqual(Object.keys(pysd.state).map(Number));
      for (const [k, entry] of sd.state) {
        expect(Object.keys(entry).sort()).toEqual(Object.keys(pysd.state[k]).sort());
        for (const [name2, v] of Object.entries(entry)) {
          const theirs = pysd.state[k][name2];
          if (name2 === 'step') expect(torch.isTensor(v) ? v.item() : v).toBe(theirs);
          else expect(maxDiff(arr(v as Tensor), theirs as Nested), `${k}.${name2}`).toBeLessThan(1e-6);
        }
      }
      opt.dispose();
    });
  });
});

describe('state dicts both ways through torch.save / torch.load', () => {
  CONFIGS.forEach(([kind, name, ours], c) => {
    it(`${kind} ${name}: PyTorch's state after 10 steps loads into ours and the next 10 steps give PyTorch's result`, () => {
      const ckpt = torch.load(path.join(dir, `${kind}${c}.pth`)) as { params: Tensor[]; optimizer: optim.OptimizerStateDict };
      const params = ckpt.params.map((p) => p.clone().requiresGrad_());
      const opt = make(kind, [...params, torch.ones([2]).requiresGrad_()], { lr: 123 });
      opt.loadStateDict(ckpt.optimizer);
      torch.dispose([...ckpt.params]);
      expect(opt.paramGroups[0].lr).toBeCloseTo(ours.lr as number, 12);
      steps(opt, params, data.grads, 10, STEPS);
      params.forEach((p, i) => expect(maxDiff(arr(p), py.params[c][i]), `param ${i}`).toBeLessThan(1e-6));
    });
  });

  it("Python's optimizers load our state after 10 steps and finish with our parameters", () => {
    const results = CONFIGS.map(([kind, , ours], c) => {
      const params = data.init.map((t) => t.clone().requiresGrad_());
      const opt = make(kind, [...params, torch.ones([2]).requiresGrad_()], ours);
      steps(opt, params, data.grads, 0, 10);
      const file = path.join(dir, `ours${c}.pth`);
      torch.save({ params: params.map((p) => p.detach()), optimizer: opt.stateDict() }, file);
      steps(opt, params, data.grads, 10, STEPS);
      return { file, params: params.map(arr) };
    });
    const theirs = runPython(
      PY_RUN +
        `
out = []
for (kind, opts), file in zip(inp['configs'], inp['files']):
    ck = torch.load(file)
    params = [p.clone().requires_grad_() for p in ck['params']]
    opt = getattr(torch.optim, kind)(params + [torch.ones(2, requires_grad=True)], lr=123)
    opt.load_state_dict(ck['optimizer'])
    steps(opt, params, inp['grads'], 10, 20)
    out.append([p.tolist() for p in params])
print(json.dumps(out))`,
      { configs: CONFIGS.map(([k, , , p]) => [k, p]), files: results.map((r) => r.file), grads: data.grads.map((gs) => gs.map(arr)) },
    );
    results.forEach((r, c) => r.params.forEach((p, i) => expect(maxDiff(p, theirs[c][i]), `${CONFIGS[c][0]} ${CONFIGS[c][1]} param ${i}`).toBeLessThan(1e-6)));
  }, 120_000);
});

describe('options', () => {
  const p = () => [torch.ones([2]).requiresGrad_()];
  it('rejects invalid hyper-parameters with PyTorch’s messages', () => {
    expect(() => new optim.Adam(p(), { lr: -1 })).toThrow(/^Invalid learning rate: -1$/);
    expect(() => new optim.Adam(p(), { betas: [1, 0.9] })).toThrow(/Invalid beta parameter at index 0: 1/);
    expect(() => new optim.AdamW(p(), { betas: [0.9, -0.1] })).toThrow(/Invalid beta parameter at index 1: -0.1/);
    expect(() => new optim.AdamW(p(), { eps: -1 })).toThrow(/Invalid epsilon value: -1/);
    expect(() => new optim.RMSprop(p(), { alpha: -1 })).toThrow(/Invalid alpha value: -1/);
    expect(() => new optim.RMSprop(p(), { momentum: -1 })).toThrow(/Invalid momentum value: -1/);
  });
  it('has PyTorch’s defaults', () => {
    const g = (o: optim.Optimizer) => o.stateDict().param_groups[0];
    expect(g(new optim.Adam(p()))).toMatchObject({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: false, maximize: false });
    expect(g(new optim.AdamW(p()))).toMatchObject({ lr: 1e-3, weight_decay: 1e-2 });
    expect(g(new optim.RMSprop(p()))).toMatchObject({ lr: 1e-2, alpha: 0.99, eps: 1e-8, momentum: 0, centered: false });
  });
});
