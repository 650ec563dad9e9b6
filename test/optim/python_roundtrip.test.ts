// Optimizer and scheduler state dicts through real .pth files, both ways: JSON would turn the integer
// keys into strings and hide exactly the bugs these catch (Python silently drops string-keyed state).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { optim } from '../../lib';
import { arr, maxDiff } from '../helpers/compare';
import { runPython } from '../helpers/python';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'optim-roundtrip-'));

function sgdWithMomentum() {
  torch.manualSeed(4);
  const params = [torch.randn([3, 2], { requiresGrad: true }), torch.randn([2], { requiresGrad: true })];
  const opt = new optim.SGD(params, { lr: 0.1, momentum: 0.9, weightDecay: 1e-4 });
  for (let i = 0; i < 2; i++) {
    opt.zeroGrad();
    params[0].mul(params[0]).sum().add(params[1].sum().mul(3)).backward();
    opt.step();
  }
  return { params, opt };
}

describe('optimizer state dict through torch.save/torch.load', () => {
  it("Python's SGD.load_state_dict takes ours: every parameter has its momentum buffer", () => {
    const { params, opt } = sgdWithMomentum();
    const file = path.join(tmp(), 'opt.pth');
    torch.save({ optimizer: opt.stateDict() }, file);
    const py = runPython(
      `
import torch
sd = torch.load(inp['file'])['optimizer']
ps = [torch.zeros(3, 2, requires_grad=True), torch.zeros(2, requires_grad=True)]
opt = torch.optim.SGD(ps, lr=0.5, momentum=0.9, weight_decay=1e-4)
opt.load_state_dict(sd)
print(json.dumps({'keys': [type(k).__name__ for k in sd['state']], 'in_state': [p in opt.state for p in ps],
                  'bufs': [opt.state[p]['momentum_buffer'].tolist() for p in ps if p in opt.state],
                  'lr': opt.param_groups[0]['lr']}))`,
      { file },
    );
    expect(py.keys).toEqual(['int', 'int']);
    expect(py.in_state).toEqual([true, true]);
    expect(py.lr).toBe(0.1);
    params.forEach((p, i) => {
      const buf = opt.state.get(p)!.momentumBuffer as torch.Tensor;
      expect(maxDiff(arr(buf), py.bufs[i])).toBe(0);
    });
  });

  it("PyTorch's SGD state dict loads into ours and the next steps agree", () => {
    const dir = tmp();
    const py = runPython(
      `
import torch
torch.manual_seed(0)
ps = [torch.randn(3, 2, requires_grad=True), torch.randn(2, requires_grad=True)]
opt = torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True)
def step():
    opt.zero_grad(); ((ps[0] ** 2).sum() + 3 * ps[1].sum()).backward(); opt.step()
step(); step()
torch.save({'params': [p.detach() for p in ps], 'optimizer': opt.state_dict()}, inp['dir'] + '/py.pth')
step(); step()
print(json.dumps([p.tolist() for p in ps]))`,
      { dir },
    );
    const ckpt = torch.load(path.join(dir, 'py.pth')) as { params: torch.Tensor[]; optimizer: optim.OptimizerStateDict };
    const params = ckpt.params.map((p) => p.clone().requiresGrad_(true));
    const opt = new optim.SGD(params, { lr: 1, momentum: 0.9, nesterov: true });
    opt.loadStateDict(ckpt.optimizer);
    for (let i = 0; i < 2; i++) {
      opt.zeroGrad();
      params[0].mul(params[0]).sum().add(params[1].sum().mul(3)).backward();
      opt.step();
    }
    params.forEach((p, i) => expect(maxDiff(arr(p), py[i])).toBeLessThan(1e-6));
  });
});

describe('MultiStepLR state dict through torch.save/torch.load', () => {
  it("Python's scheduler loaded from ours decays at the milestone", () => {
    const p = torch.zeros([1], { requiresGrad: true });
    const opt = new optim.SGD([p], { lr: 1 });
    const sched = new optim.MultiStepLR(opt, { milestones: [2, 4], gamma: 0.1 });
    sched.step(); // epoch 1
    const file = path.join(tmp(), 'sched.pth');
    torch.save({ scheduler: sched.stateDict(), lr: opt.paramGroups[0].lr }, file);
    const py = runPython(
      `
import torch
ck = torch.load(inp['file'])
p = torch.zeros(1, requires_grad=True)
opt = torch.optim.SGD([p], lr=1.0)
s = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[100], gamma=0.5)
s.load_state_dict(ck['scheduler'])
for g in opt.param_groups: g['lr'] = ck['lr']
lrs = []
for _ in range(4):
    s.step(); lrs.append(opt.param_groups[0]['lr'])
print(json.dumps({'lrs': lrs, 'keys': [type(k).__name__ for k in ck['scheduler']['milestones']]}))`,
      { file },
    );
    expect(py.keys).toEqual(['int', 'int']);
    const ours: number[] = [];
    for (let i = 0; i < 4; i++) {
      sched.step();
      ours.push(opt.paramGroups[0].lr);
    }
    expect(py.lrs).toEqual(ours);
    expect(ours[0]).toBeCloseTo(0.1, 12); // epoch 2: the first milestone
    expect(ours[2]).toBeCloseTo(0.01, 12); // epoch 4: the second
  });

  it("PyTorch's MultiStepLR state (a Counter) loads into ours", () => {
    const dir = tmp();
    runPython(
      `
import torch
p = torch.zeros(1, requires_grad=True)
opt = torch.optim.SGD([p], lr=1.0)
s = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[3, 3, 5], gamma=0.5)
s.step()
torch.save(s.state_dict(), inp['dir'] + '/s.pth')
print(json.dumps(None))`,
      { dir },
    );
    const state = torch.load(path.join(dir, 's.pth')) as Record<string, unknown>;
    const p = torch.zeros([1], { requiresGrad: true });
    const opt = new optim.SGD([p], { lr: 1 });
    const sched = new optim.MultiStepLR(opt, { milestones: [100] });
    sched.loadStateDict(state);
    expect([...sched.milestones]).toEqual([[3, 2], [5, 1]]);
    expect(sched.gamma).toBe(0.5);
  });
});
