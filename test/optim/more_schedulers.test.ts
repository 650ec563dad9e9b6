// StepLR, ExponentialLR, OneCycleLR and ReduceLROnPlateau against torch.optim.lr_scheduler: the rates
// (and OneCycleLR's momenta) step by step, and state dicts both ways. One Python run for the file.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { optim } from '../../lib';
import { runPython } from '../helpers/python';

const METRICS = [1.0, 0.9, 0.95, 0.91, 0.905, 0.95, 0.8, 0.85, 0.86, 0.87, 0.88, 0.7, 0.71, 0.72, 0.73, 0.74];

interface Spec {
  name: string;
  /** Python: the optimizer and scheduler over `opt`'s params; OPT and SCHED are formatted in. */
  pyOpt: string;
  pySched: string;
  ours: () => { opt: optim.Optimizer; sched: { step(m?: number): void; getLastLr(): number[]; stateDict(): unknown; loadStateDict(s: never): void } };
  n: number;
  metric?: boolean;
  /** The momentum recorded each step: 'momentum', 'beta1' or none. */
  momentum?: 'momentum' | 'beta1';
}

const param = () => [torch.zeros([1]).requiresGrad_()];
const SPECS: Spec[] = [
  {
    name: 'StepLR(stepSize 3, gamma 0.5)',
    pyOpt: 'torch.optim.SGD(P, lr=0.1)',
    pySched: 'L.StepLR(opt, 3, gamma=0.5)',
    ours: () => {
      const opt = new optim.SGD(param(), { lr: 0.1 });
      return { opt, sched: new optim.StepLR(opt, { stepSize: 3, gamma: 0.5 }) };
    },
    n: 10,
  },
  {
    name: 'ExponentialLR(gamma 0.9)',
    pyOpt: 'torch.optim.Adam(P, lr=0.01)',
    pySched: 'L.ExponentialLR(opt, 0.9)',
    ours: () => {
      const opt = new optim.Adam(param(), { lr: 0.01 });
      return { opt, sched: new optim.ExponentialLR(opt, { gamma: 0.9 }) };
    },
    n: 10,
  },
  {
    name: 'OneCycleLR(cos) over SGD momentum',
    pyOpt: 'torch.optim.SGD(P, lr=0.1, momentum=0.9)',
    pySched: 'L.OneCycleLR(opt, max_lr=0.5, total_steps=20)',
    ours: () => {
      const opt = new optim.SGD(param(), { lr: 0.1, momentum: 0.9 });
      return { opt, sched: new optim.OneCycleLR(opt, { maxLr: 0.5, totalSteps: 20 }) };
    },
    n: 19,
    momentum: 'momentum',
  },
  {
    name: "OneCycleLR(linear, three phases, epochs × stepsPerEpoch) over Adam's beta1",
    pyOpt: 'torch.optim.AdamW(P, lr=0.001)',
    pySched: "L.OneCycleLR(opt, max_lr=0.01, epochs=4, steps_per_epoch=6, pct_start=0.25, anneal_strategy='linear', three_phase=True, div_factor=10, final_div_factor=100)",
    ours: () => {
      const opt = new optim.AdamW(param(), { lr: 0.001 });
      const sched = new optim.OneCycleLR(opt, { maxLr: 0.01, epochs: 4, stepsPerEpoch: 6, pctStart: 0.25, annealStrategy: 'linear', threePhase: true, divFactor: 10, finalDivFactor: 100 });
      return { opt, sched };
    },
    n: 23,
    momentum: 'beta1',
  },
  {
    name: 'ReduceLROnPlateau(min, rel, patience 2, cooldown 1)',
    pyOpt: 'torch.optim.SGD(P, lr=0.1)',
    pySched: 'L.ReduceLROnPlateau(opt, patience=2, cooldown=1, factor=0.5, min_lr=0.01)',
    ours: () => {
      const opt = new optim.SGD(param(), { lr: 0.1 });
      return { opt, sched: new optim.ReduceLROnPlateau(opt, { patience: 2, cooldown: 1, factor: 0.5, minLr: 0.01 }) };
    },
    n: METRICS.length,
    metric: true,
  },
  {
    name: 'ReduceLROnPlateau(max, abs threshold 0.05, patience 1)',
    pyOpt: 'torch.optim.SGD(P, lr=0.1)',
    pySched: "L.ReduceLROnPlateau(opt, mode='max', threshold_mode='abs', threshold=0.05, patience=1)",
    ours: () => {
      const opt = new optim.SGD(param(), { lr: 0.1 });
      return { opt, sched: new optim.ReduceLROnPlateau(opt, { mode: 'max', thresholdMode: 'abs', threshold: 0.05, patience: 1 }) };
    },
    n: METRICS.length,
    metric: true,
  },
];

const HALF = 5; // state dicts are saved after this many steps

function momentumOf(opt: optim.Optimizer, kind: Spec['momentum']): number | null {
  const g = opt.paramGroups[0];
  if (kind === 'momentum') return g.momentum as number;
  if (kind === 'beta1') return (g.betas as number[])[0];
  return null;
}

function record(spec: Spec, from = 0, made = spec.ours()) {
  const { opt, sched } = made;
  const lrs = [sched.getLastLr()[0]];
  const moms = [momentumOf(opt, spec.momentum)];
  for (let t = from; t < spec.n; t++) {
    if (spec.metric) sched.step(METRICS[t]);
    else sched.step();
    lrs.push(sched.getLastLr()[0]);
    moms.push(momentumOf(opt, spec.momentum));
  }
  return { lrs, moms, opt, sched };
}

let py: { lrs: number[]; moms: (number | null)[]; resumed: number[] }[];
let dir: string;
let ourFiles: string[];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libtorch-node-sched-'));
  // Our state after HALF steps, for Python to resume from.
  ourFiles = SPECS.map((spec, i) => {
    const { opt, sched } = spec.ours();
    for (let t = 0; t < HALF; t++) (spec.metric ? sched.step(METRICS[t]) : sched.step());
    const file = path.join(dir, `ours${i}.pth`);
    torch.save({ scheduler: sched.stateDict() as never, optimizer: opt.stateDict() }, file);
    return file;
  });
  py = runPython(
    `
import torch, warnings
warnings.simplefilter('ignore')
L = torch.optim.lr_scheduler
def mom(opt, kind):
    g = opt.param_groups[0]
    return g['momentum'] if kind == 'momentum' else g['betas'][0] if kind == 'beta1' else None
def make(s):
    P = [torch.zeros(1, requires_grad=True)]
    opt = eval(s['opt'], {'torch': torch, 'P': P})
    return opt, eval(s['sched'], {'L': L, 'opt': opt})
def run(s, opt, sched, start):
    lrs, moms = [opt.param_groups[0]['lr']], [mom(opt, s['momentum'])]
    for t in range(start, s['n']):
        opt.step()
        sched.step(inp['metrics'][t]) if s['metric'] else sched.step()
        lrs.append(opt.param_groups[0]['lr']); moms.append(mom(opt, s['momentum']))
    return lrs, moms
out = []
for i, s in enumerate(inp['specs']):
    opt, sched = make(s)
    lrs, moms = run(s, opt, sched, 0)
    # A fresh pair loads our state after HALF steps and runs the rest.
    opt2, sched2 = make(s)
    ck = torch.load(inp['files'][i])
    opt2.load_state_dict(ck['optimizer']); sched2.load_state_dict(ck['scheduler'])
    resumed, _ = run(s, opt2, sched2, inp['half'])
    torch.save({'scheduler': sched.state_dict() if 'OneCycle' not in s['sched'] or hasattr(sched, '_anneal_func_type') else None}, inp['dir'] + f'/py{i}.pth')
    out.append({'lrs': lrs, 'moms': moms, 'resumed': resumed})
print(json.dumps(out))`,
    {
      specs: SPECS.map((s) => ({ opt: s.pyOpt, sched: s.pySched, n: s.n, metric: !!s.metric, momentum: s.momentum ?? null })),
      metrics: METRICS,
      files: ourFiles,
      half: HALF,
      dir,
    },
  );
}, 120_000);

describe('schedules equal torch.optim.lr_scheduler step by step', () => {
  SPECS.forEach((spec, i) => {
    it(`${spec.name}: rates${spec.momentum ? ' and momenta' : ''}`, () => {
      const ours = record(spec);
      expect(ours.lrs.length).toBe(py[i].lrs.length);
      ours.lrs.forEach((lr, t) => expect(lr, `step ${t}`).toBeCloseTo(py[i].lrs[t], 12));
      ours.moms.forEach((m, t) => (m === null ? expect(py[i].moms[t]).toBeNull() : expect(m, `step ${t}`).toBeCloseTo(py[i].moms[t]!, 12)));
      expect(new Set(ours.lrs.map((x) => x.toFixed(10))).size).toBeGreaterThan(2); // the schedule moves
    });

    it(`${spec.name}: PyTorch resumes from our state dict after ${HALF} steps`, () => {
      const ours = record(spec);
      py[i].resumed.forEach((lr, t) => expect(lr, `step ${HALF + t}`).toBeCloseTo(ours.lrs[HALF + t], 12));
    });

    // PyTorch 1.x's OneCycleLR state holds a bound method (the scheduler object itself): not loadable by design.
    const boundMethod = torch.libtorchVersion.startsWith('1.') && spec.name.startsWith('OneCycleLR');
    it.skipIf(boundMethod)(`${spec.name}: PyTorch's state dict loads into ours`, () => {
      const file = path.join(dir, `py${i}.pth`);
      const saved = (torch.load(file) as { scheduler: Record<string, unknown> }).scheduler;
      const fresh = spec.ours();
      fresh.sched.loadStateDict(saved as never);
      const straight = record(spec);
      expect(fresh.sched.getLastLr()[0]).toBeCloseTo(straight.lrs[spec.n], 12);
      expect((fresh.sched.stateDict() as Record<string, unknown>).last_epoch).toBe(saved.last_epoch);
    });
  });
});

describe('scheduler options', () => {
  it('rejects what PyTorch rejects', () => {
    const opt = new optim.SGD(param(), { lr: 0.1 });
    expect(() => new optim.StepLR(opt, { stepSize: 0 })).toThrow(/step_size must be a positive integer/);
    expect(() => new optim.OneCycleLR(opt, { maxLr: 1 })).toThrow(/You must define either total_steps OR \(epochs AND steps_per_epoch\)/);
    expect(() => new optim.OneCycleLR(new optim.SGD(param(), { lr: 0.1 }), { maxLr: 1, totalSteps: 5, pctStart: 2 })).toThrow(/pct_start/);
    expect(() => new optim.ReduceLROnPlateau(opt, { factor: 1 })).toThrow(/Factor should be < 1.0/);
    const one = new optim.OneCycleLR(new optim.SGD(param(), { lr: 0.1, momentum: 0.9 }), { maxLr: 1, totalSteps: 2 });
    one.step();
    one.step();
    expect(() => one.step()).toThrow(/Tried to step 3 times. The specified number of total steps is 2/);
    expect(() => new optim.ReduceLROnPlateau(opt).step()).toThrow(/a metric value is required/);
  });
});
