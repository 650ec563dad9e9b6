// TrainStep on the CPU: the step object runs eagerly (forward, loss, backward, the fused tensor-lr SGD
// where the libtorch has it) and trains as Python's torch does the same steps. Its CUDA graph path is
// tested in test/cuda.test.ts.
import { describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { nn, optim, Tensor, TrainStep } from '../../lib';
import { arr, maxDiff } from '../helpers/compare';
import { runPython } from '../helpers/python';

const STEPS = 20;
const makeModel = () => new nn.Sequential(new nn.Linear(6, 8), new nn.BatchNorm1d(8), new nn.ReLU(), new nn.Linear(8, 3));

function data(seed: number) {
  torch.manualSeed(seed);
  const model = makeModel();
  const xs = Array.from({ length: STEPS }, () => torch.randn([16, 6]));
  const ys = Array.from({ length: STEPS }, () => torch.randint(0, 3, [16]));
  return { model, xs, ys };
}
const copyOf = (m: nn.Sequential) => {
  const c = makeModel();
  c.loadStateDict(m.stateDict());
  return c;
};
const sgdOptions = (fused: boolean): optim.SGDOptions => ({ lr: 0.2, momentum: 0.9, weightDecay: 1e-3, nesterov: true, fused });

describe('TrainStep on the CPU', () => {
  it(`trains as PyTorch does over ${STEPS} steps (SGD${optim.fusedSgdAvailable ? '(fused=True)' : ''}, lr ÷ 10 at step 10)`, () => {
    const { model, xs, ys } = data(1);
    const init = Object.fromEntries(Object.entries(model.stateDict()).map(([k, v]) => [k, arr(v as Tensor)]));
    const opt = new optim.SGD(model.parameters(), sgdOptions(optim.fusedSgdAvailable));
    const step = new TrainStep(model, opt);
    expect(step.cudaGraphs).toBe(false);
    const losses: number[] = [];
    xs.forEach((x, t) => {
      if (t === 10) opt.paramGroups[0].lr /= 10;
      losses.push(step.step(x, ys[t]).loss.item() as number);
    });
    const py = runPython(
      `import torch
torch.set_num_threads(1)
m = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
m.load_state_dict({k: torch.tensor(v, dtype=torch.int64 if k.endswith('num_batches_tracked') else torch.float32) for k, v in inp['init'].items()})
kw = dict(lr=0.2, momentum=0.9, weight_decay=1e-3, nesterov=True)
if inp['fused']: kw['fused'] = True
opt = torch.optim.SGD(m.parameters(), **kw)
losses = []
for t, (x, y) in enumerate(zip(inp['xs'], inp['ys'])):
    if t == 10: opt.param_groups[0]['lr'] /= 10
    out = m(torch.tensor(x))
    loss = torch.nn.functional.cross_entropy(out, torch.tensor(y))
    opt.zero_grad()
    loss.backward()
    opt.step()
    losses.append(loss.item())
print(json.dumps({'losses': losses, 'sd': {k: v.tolist() for k, v in m.state_dict().items()}}))`,
      { init, xs: xs.map(arr), ys: ys.map(arr), fused: optim.fusedSgdAvailable },
    );
    // Forward and backward sum in another order than PyTorch's Python path may: 1e-5, not the optimizer's 1e-6.
    expect(maxDiff(losses, py.losses)).toBeLessThan(1e-5);
    for (const [k, v] of Object.entries(model.stateDict())) expect(maxDiff(arr(v as Tensor), py.sd[k]), k).toBeLessThan(1e-5);
    expect(Math.abs(losses[STEPS - 1] - losses[0])).toBeGreaterThan(1e-2); // it trained
    step.dispose();
  });

  it.skipIf(!optim.fusedSgdAvailable)('with the fused SGD equals the same steps with the multi-tensor SGD to 1e-6', () => {
    const { model, xs, ys } = data(2);
    const twin = copyOf(model);
    const a = new TrainStep(model, new optim.SGD(model.parameters(), sgdOptions(true)));
    const b = new TrainStep(twin, new optim.SGD(twin.parameters(), sgdOptions(false)));
    xs.forEach((x, t) => {
      a.step(x, ys[t]);
      b.step(x, ys[t]);
    });
    const sb = twin.stateDict();
    for (const [k, v] of Object.entries(model.stateDict())) expect(maxDiff(arr(v as Tensor), arr(sb[k] as Tensor)), k).toBeLessThan(1e-6);
  });

  it('gives the same parameters as the hand-written loop, and keeps no tensor beyond the last result', () => {
    const { model, xs, ys } = data(3);
    const twin = copyOf(model);
    const opt = new optim.SGD(model.parameters(), sgdOptions(false));
    const opt2 = new optim.SGD(twin.parameters(), sgdOptions(false));
    const step = new TrainStep(model, opt);
    const manual = (x: Tensor, y: Tensor) =>
      torch.tidy(() => {
        const loss = torch.nn.functional.crossEntropy(twin.forward(x), y);
        opt2.zeroGrad();
        loss.backward();
        opt2.step();
      });
    let live = 0;
    xs.forEach((x, t) => {
      step.step(x, ys[t]);
      manual(x, ys[t]);
      if (t === 0) live = torch.memory().liveTensors; // after the first steps made the momentum buffers
    });
    expect(torch.memory().liveTensors).toBe(live);
    const sb = twin.stateDict();
    for (const [k, v] of Object.entries(model.stateDict())) expect((v as Tensor).equal(sb[k] as Tensor), k).toBe(true);
  });

  it('refuses what it cannot do, saying why', () => {
    const { model } = data(4);
    const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
    expect(() => new TrainStep(model, opt, { cudaGraphs: true })).toThrow(/cudaGraphs needs a model on CUDA, this one is on cpu/);
    expect(() => new TrainStep(model, opt, { amp: 'fp16' })).toThrow(/TrainStep: amp 'fp16' needs a scaler/);
  });

  it('with a GradScaler: a step whose gradients hold inf/nan is skipped and the scale backs off', () => {
    const { model, xs, ys } = data(5);
    const weight = () => (model.stateDict()['0.weight'] as Tensor).clone();
    const w0 = weight();
    const scaler = new torch.GradScaler('cpu', { initScale: 1024 });
    const step = new TrainStep(model, new optim.SGD(model.parameters(), { lr: 0.1 }), { scaler });
    const bad = xs[0].clone();
    bad.view(-1).narrow(0, 0, 1).fill_(Infinity); // nan through the batch norm: every gradient is nan
    step.step(bad, ys[0]);
    expect(scaler.getScale()).toBe(512);
    expect(weight().equal(w0)).toBe(true);
    step.step(xs[1], ys[1]);
    expect(scaler.getScale()).toBe(512);
    expect(weight().equal(w0)).toBe(false); // a real step
    step.dispose();
    scaler.dispose();
  });
});
