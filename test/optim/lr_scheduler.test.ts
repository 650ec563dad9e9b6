// Learning-rate schedules against torch.optim.lr_scheduler, step by step.
import { describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { optim } from '../../lib';
import { runPython } from '../helpers/python';

const sgd = (lr = 0.1) => new optim.SGD([torch.zeros([1]).requiresGrad_()], { lr, momentum: 0.9, weightDecay: 1e-4 });

// Python side: builds the named schedule, records get_last_lr()[0] after each of `n` steps, and the state dict.
const PY = `
import torch, warnings
warnings.simplefilter('ignore')
L = torch.optim.lr_scheduler
opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=inp['lr'], momentum=0.9, weight_decay=1e-4)
kind = inp['kind']
if kind == 'cosine': s = L.CosineAnnealingLR(opt, T_max=inp['T'], eta_min=inp.get('etaMin', 0))
elif kind == 'multistep': s = L.MultiStepLR(opt, milestones=inp['milestones'], gamma=0.1)
elif kind == 'linear': s = L.LinearLR(opt, start_factor=0.25, end_factor=0.9, total_iters=7)
elif kind == 'warmup':
    w = L.LinearLR(opt, start_factor=0.1, total_iters=5)
    c = L.CosineAnnealingLR(opt, T_max=inp['T'] - 5)
    s = L.SequentialLR(opt, [w, c], milestones=[5])
lrs = [s.get_last_lr()[0]]
for _ in range(inp['n']):
    opt.step(); s.step(); lrs.append(s.get_last_lr()[0])
print(json.dumps({'lrs': lrs, 'state': s.state_dict(), 'group_lr': opt.param_groups[0]['lr']}))
`;

function record(s: { step(): void; getLastLr(): number[] }, opt: optim.SGD, n: number): number[] {
  const lrs = [s.getLastLr()[0]];
  for (let i = 0; i < n; i++) {
    opt.step();
    s.step();
    lrs.push(s.getLastLr()[0]);
  }
  return lrs;
}

function expectClose(ours: number[], theirs: number[], tol: number): void {
  expect(ours.length).toBe(theirs.length);
  const worst = Math.max(...ours.map((v, i) => Math.abs(v - theirs[i])));
  expect(worst).toBeLessThan(tol);
}

describe('CosineAnnealingLR', () => {
  it('equals PyTorch over 200 epochs to 1e-9, and the closed form too', () => {
    const opt = sgd(0.1);
    const s = new optim.lrScheduler.CosineAnnealingLR(opt, { tMax: 200 });
    const ours = record(s, opt, 200);
    const py = runPython(PY, { kind: 'cosine', lr: 0.1, T: 200, n: 200 });
    expectClose(ours, py.lrs, 1e-9);
    const closed = ours.map((_, t) => (0.1 * (1 + Math.cos((Math.PI * t) / 200))) / 2);
    expectClose(ours, closed, 1e-9);
    expect(ours[100]).toBeCloseTo(0.05, 9);
    expect(opt.paramGroups[0].lr).toBe(ours[200]);
    expect(s.stateDict()).toEqual(py.state);
  });

  it('with etaMin and past T_max (the recursive form’s restart branch) equals PyTorch', () => {
    const opt = sgd(0.2);
    const s = new optim.CosineAnnealingLR(opt, { tMax: 10, etaMin: 0.01 });
    const py = runPython(PY, { kind: 'cosine', lr: 0.2, T: 10, etaMin: 0.01, n: 35 });
    expectClose(record(s, opt, 35), py.lrs, 1e-9);
  });

  it('resumes from its state dict', () => {
    const opt = sgd(0.1);
    const s = new optim.CosineAnnealingLR(opt, { tMax: 50 });
    const full = record(s, opt, 50);
    const opt2 = sgd(0.1);
    const a = new optim.CosineAnnealingLR(opt2, { tMax: 50 });
    record(a, opt2, 20);
    const saved = { opt: opt2.stateDict(), sched: a.stateDict() };
    const opt3 = sgd(0.1);
    const b = new optim.CosineAnnealingLR(opt3, { tMax: 50 });
    opt3.loadStateDict(saved.opt);
    b.loadStateDict(saved.sched);
    expect(b.lastEpoch).toBe(20);
    expectClose(record(b, opt3, 30), full.slice(20), 1e-12);
  });
});

describe('MultiStepLR', () => {
  it('the paper’s iteration schedule: ÷10 at 32k and 48k of 64k, as PyTorch', () => {
    const opt = sgd(0.1);
    const s = new optim.lrScheduler.MultiStepLR(opt, { milestones: [32000, 48000] });
    const ours = record(s, opt, 64000);
    const py = runPython(PY, { kind: 'multistep', lr: 0.1, milestones: [32000, 48000], n: 64000 });
    expectClose(ours, py.lrs, 1e-12);
    expect(ours[31999]).toBe(0.1);
    expect(ours[32000]).toBeCloseTo(0.01, 15);
    expect(ours[48000]).toBeCloseTo(0.001, 15);
    // JSON turns Python's integer keys into strings; python_roundtrip.test.ts checks the real types.
    const sd = s.stateDict();
    expect({ ...sd, milestones: Object.fromEntries(sd.milestones as Map<number, number>) }).toEqual(py.state);
  });

  it('a repeated milestone multiplies twice', () => {
    const opt = sgd(1);
    const s = new optim.MultiStepLR(opt, { milestones: [3, 3, 5], gamma: 0.5 });
    expect(record(s, opt, 6)).toEqual([1, 1, 1, 0.25, 0.25, 0.125, 0.125]);
  });
});

describe('LinearLR and SequentialLR', () => {
  it('LinearLR equals PyTorch', () => {
    const opt = sgd(0.1);
    const s = new optim.LinearLR(opt, { startFactor: 0.25, endFactor: 0.9, totalIters: 7 });
    const py = runPython(PY, { kind: 'linear', lr: 0.1, n: 12 });
    expectClose(record(s, opt, 12), py.lrs, 1e-12);
    expect(s.stateDict()).toEqual(py.state);
  });

  it('5-epoch linear warm-up then cosine (SequentialLR) equals PyTorch over 200 epochs', () => {
    const opt = sgd(0.1);
    const warm = new optim.LinearLR(opt, { startFactor: 0.1, totalIters: 5 });
    const cos = new optim.CosineAnnealingLR(opt, { tMax: 195 });
    const s = new optim.SequentialLR(opt, { schedulers: [warm, cos], milestones: [5] });
    const ours = record(s, opt, 200);
    const py = runPython(PY, { kind: 'warmup', lr: 0.1, T: 200, n: 200 });
    expectClose(ours, py.lrs, 1e-9);
    expect(ours[0]).toBeCloseTo(0.01, 12);
    expect(ours[5]).toBeCloseTo(0.1, 12);
    expect(s.stateDict()).toEqual(py.state);
    expect(opt.stateDict().param_groups[0].initial_lr).toBe(0.1);
  });

  it('validates like PyTorch', () => {
    const opt = sgd();
    expect(() => new optim.LinearLR(opt, { startFactor: 0 })).toThrow(/Starting multiplicative factor expected to be greater than 0/);
    expect(() => new optim.LinearLR(opt, { endFactor: 1.5 })).toThrow(/Ending multiplicative factor expected to be between 0 and 1/);
    const a = new optim.LinearLR(opt);
    expect(() => new optim.SequentialLR(opt, { schedulers: [a], milestones: [3] })).toThrow(/one more than the number of milestone points/);
    expect(() => new optim.CosineAnnealingLR(sgd(), { tMax: 10, lastEpoch: 5 })).toThrow(/initial_lr/);
  });
});
