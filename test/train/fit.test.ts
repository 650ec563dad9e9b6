// train.fit on small models and in-memory data (no CIFAR-10 needed): the loop does what a hand-written
// PyTorch loop does, records and checkpoints what it says, resumes exactly, and calls its callbacks.
import * as fs from 'fs';
import * as path from 'path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { nn, optim, Tensor } from '../../lib';
import { Nested, arr, maxDiff } from '../helpers/compare';
import { runPython } from '../helpers/python';
import { tmpDir } from './helpers';

const quiet = { progress: 'none' as const, print: () => {}, handleSigint: false };
const identity = (x: Tensor) => x;

class Net extends nn.Module {
  fc1 = new nn.Linear(4, 8);
  fc2 = new nn.Linear(8, 3);
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x).relu());
  }
}

function makeData(seed: number, n: number, classes = 3) {
  torch.manualSeed(seed);
  const x = torch.randn([n, 4]);
  const y = torch.randint(0, classes, [n], { dtype: 'int64' });
  return { x, y };
}

const loader = (x: Tensor, y: Tensor, options: torch.data.DataLoaderOptions = {}) =>
  new torch.data.DataLoader(new torch.data.TensorDataset(x, y), { batchSize: 8, transform: identity, ...options });

beforeAll(() => torch.setNumThreads(1));

describe('fit against a hand-written PyTorch loop', () => {
  it('3 epochs of SGD with momentum and a cosine schedule give PyTorch’s weights, losses and accuracies', async () => {
    const train = makeData(1, 24);
    const test = makeData(2, 16);
    torch.manualSeed(0);
    const model = new Net();
    const init = Object.fromEntries(Object.entries(model.stateDict()).map(([k, v]) => [k, arr(v)]));
    const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 1e-3 });
    const r = await torch.fit(model, {
      ...quiet,
      trainLoader: loader(train.x, train.y),
      testLoader: loader(test.x, test.y, { batchSize: 5 }),
      optimizer: opt,
      scheduler: new optim.CosineAnnealingLR(opt, { tMax: 3 }),
      epochs: 3,
      checkpointDir: null,
    });
    const py = runPython(
      `
import torch
import torch.nn.functional as F
T = torch.tensor
model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
model.load_state_dict({k.replace('fc1', '0').replace('fc2', '2'): T(v) for k, v in inp['init'].items()})
X, Y, TX, TY = T(inp['x']), T(inp['y']), T(inp['tx']), T(inp['ty'])
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=3)
hist = []
for epoch in range(3):
    lr = opt.param_groups[0]['lr']
    model.train(); losses = []; correct = 0
    for b in range(0, 24, 8):
        out = model(X[b:b+8]); loss = F.cross_entropy(out, Y[b:b+8])
        opt.zero_grad(); loss.backward(); opt.step()
        losses.append(loss.item()); correct += (out.argmax(1) == Y[b:b+8]).sum().item()
    model.eval(); tl = []; tc = 0
    with torch.no_grad():
        for b in range(0, 16, 5):
            out = model(TX[b:b+5]); tl.append(F.cross_entropy(out, TY[b:b+5]).item()); tc += (out.argmax(1) == TY[b:b+5]).sum().item()
    sched.step()
    hist.append({'lr': lr, 'trainLoss': sum(losses) / len(losses), 'trainAcc': 100 * correct / 24,
                 'testLoss': sum(tl) / len(tl), 'testAcc': 100 * tc / 16})
print(json.dumps({'hist': hist, 'w': [model[2].weight.tolist(), model[0].bias.tolist()]}))`,
      { init, x: arr(train.x), y: arr(train.y), tx: arr(test.x), ty: arr(test.y) },
    );
    expect(r.history.map((h) => h.epoch)).toEqual([0, 1, 2]);
    r.history.forEach((h, e) => {
      const p = py.hist[e];
      expect(h.lr).toBeCloseTo(p.lr, 12);
      expect(Math.abs(h.trainLoss - p.trainLoss)).toBeLessThan(1e-6);
      expect(Math.abs(h.testLoss! - p.testLoss)).toBeLessThan(1e-6);
      expect(h.trainAcc).toBe(p.trainAcc);
      expect(h.testAcc).toBe(p.testAcc);
    });
    expect(maxDiff(arr(model.fc2.weight), py.w[0] as Nested)).toBeLessThan(1e-6);
    expect(maxDiff(arr(model.fc1.bias!), py.w[1] as Nested)).toBeLessThan(1e-6);
    expect(r.monitor).toBe('testAcc');
    expect(r.best).toBe(Math.max(...r.history.map((h) => h.testAcc!)));
  }, 60_000);
});

describe('fit on a regression model', () => {
  it('records losses and metrics but no accuracy, and keeps the lowest test loss in ckpt.pth', async () => {
    torch.manualSeed(3);
    const x = torch.randn([32, 4]);
    const w = torch.tensor([[1], [-2], [0.5], [3]]);
    const y = x.matmul(w).add(0.1);
    const model = new (class extends nn.Module {
      fc = new nn.Linear(4, 1);
      forward(t: Tensor) {
        return this.fc.forward(t);
      }
    })();
    const dir = tmpDir('fit-reg');
    const mse = (out: Tensor, t: Tensor) => out.sub(t).square().mean();
    const r = await torch.fit(model, {
      ...quiet,
      trainLoader: loader(x, y, { shuffle: true, seed: 5 }),
      testLoader: loader(x, y),
      optimizer: new optim.SGD(model.parameters(), { lr: 0.05 }),
      epochs: 4,
      lossFn: mse,
      metrics: { mae: (out, t) => out.sub(t).abs().mean() },
      checkpointDir: dir,
    });
    expect(r.monitor).toBe('testLoss');
    for (const h of r.history) {
      expect(h.trainAcc).toBeUndefined();
      expect(h.testAcc).toBeUndefined();
      expect(Object.keys(h.metrics!)).toEqual(['train_mae', 'test_mae']);
    }
    expect(r.history[3].testLoss!).toBeLessThan(r.history[0].testLoss!);
    // The last test pass ran with the final weights: its loss and metric are the model's on the set.
    const out = torch.noGrad(() => model.forward(x));
    expect(r.history[3].testLoss!).toBeCloseTo(mse(out, y).item() as number, 5);
    expect(r.history[3].metrics!.test_mae).toBeCloseTo(out.sub(y).abs().mean().item() as number, 5);
    expect(r.best).toBe(Math.min(...r.history.map((h) => h.testLoss!)));
    const best = torch.load(path.join(dir, 'ckpt.pth')) as Record<string, unknown>;
    expect(Object.keys(best)).toEqual(['net', 'testLoss', 'epoch']);
    expect(best.testLoss).toBeCloseTo(r.best, 10);
    const last = torch.load(path.join(dir, 'last.pth')) as Record<string, unknown>;
    expect(last.monitor).toBe('testLoss');
    const log = fs.readFileSync(path.join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log).toEqual(r.history);
  }, 60_000);
});

describe('fit: resume, callbacks, schedules, options', () => {
  const run = async (dir: string, { seed, ...extra }: Partial<torch.train.FitOptions> & { seed: number }) => {
    const train = makeData(10, 40);
    torch.manualSeed(seed);
    const model = new Net();
    const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const r = await torch.fit(model, {
      ...quiet,
      trainLoader: loader(train.x, train.y, { shuffle: true, seed }),
      testLoader: loader(train.x, train.y),
      optimizer: opt,
      scheduler: new optim.CosineAnnealingLR(opt, { tMax: 4 }),
      epochs: 4,
      checkpointDir: dir,
      ...extra,
    });
    return { r, model };
  };

  it('resume is exact: 4 epochs straight equal 1 + resume + 3, with shuffling and momentum', async () => {
    const straight = await run(tmpDir('fit-straight'), { seed: 4 });
    const dir = tmpDir('fit-split');
    const first = await run(dir, { seed: 4, maxEpochsThisRun: 1 });
    expect(first.r.stopped).toBe(true);
    // Another seed: everything that matters must come from last.pth.
    const resumed = await run(dir, { seed: 77, resume: true });
    expect(resumed.r.history.map((h) => h.epoch)).toEqual([0, 1, 2, 3]);
    const a = straight.model.stateDict();
    const b = resumed.model.stateDict();
    for (const k of Object.keys(a)) expect(b[k].equal(a[k]), k).toBe(true);
    expect(resumed.r.history.map((h) => [h.lr, h.trainLoss, h.testAcc])).toEqual(straight.r.history.map((h) => [h.lr, h.trainLoss, h.testAcc]));
  }, 60_000);

  it("a GradScaler's state goes into last.pth with PyTorch's keys, and resume continues it exactly", async () => {
    const scaler = () => new torch.GradScaler('cpu', { initScale: 256, growthInterval: 2 });
    const straight = await run(tmpDir('fit-scaler-straight'), { seed: 5, scaler: scaler() });
    const dir = tmpDir('fit-scaler-split');
    await run(dir, { seed: 5, scaler: scaler(), maxEpochsThisRun: 1 });
    const saved = torch.load<{ scaler: Record<string, number> }>(path.join(dir, 'last.pth')).scaler;
    // 5 clean steps of one epoch, growth every 2nd: 256 → 1024, one step counted towards the next growth.
    expect(saved).toEqual({ scale: 1024, growth_factor: 2, backoff_factor: 0.5, growth_interval: 2, _growth_tracker: 1 });
    const s2 = scaler();
    const resumed = await run(dir, { seed: 5, resume: true, scaler: s2 });
    expect(s2.getScale()).toBe(2 ** 8 * 2 ** 10); // 20 clean steps in all: 10 growths
    const a = straight.model.stateDict();
    const b = resumed.model.stateDict();
    for (const k of Object.keys(a)) expect(b[k].equal(a[k]), k).toBe(true);
  }, 60_000);

  it('calls callbacks in order, and stop() in onEpochEnd ends the run early', async () => {
    const events: string[] = [];
    const { r } = await run(tmpDir('fit-cb'), {
      seed: 1,
      callbacks: [
        {
          onEpochBegin: (e) => void events.push(`begin ${e}`),
          onBatchEnd: (step, loss) => void events.push(`batch ${step} ${loss.shape.length}`),
          onEpochEnd: (rec, ctx) => {
            events.push(`end ${rec.epoch}`);
            if (rec.epoch === 1) ctx.stop();
          },
        },
      ],
    });
    const epoch = (e: number) => [`begin ${e}`, ...[1, 2, 3, 4, 5].map((s) => `batch ${s} 0`), `end ${e}`];
    expect(events).toEqual([...epoch(0), ...epoch(1)]);
    expect(r.history).toHaveLength(2);
    expect(r.stopped).toBe(true);
  }, 60_000);

  it("schedulerStep 'batch' steps the schedule after every optimizer step", async () => {
    const train = makeData(10, 40);
    const model = new Net();
    const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
    const r = await torch.fit(model, {
      ...quiet,
      trainLoader: loader(train.x, train.y), // 5 batches an epoch
      optimizer: opt,
      scheduler: new optim.CosineAnnealingLR(opt, { tMax: 15 }),
      schedulerStep: 'batch',
      epochs: 3,
      checkpointDir: null,
    });
    r.history.forEach((h, e) => expect(h.lr).toBeCloseTo(0.05 * (1 + Math.cos((Math.PI * 5 * e) / 15)), 12));
    expect(r.monitor).toBe('trainAcc'); // no test loader
  }, 60_000);

  it('ReduceLROnPlateau is stepped with the epoch’s test loss, OneCycleLR after every batch', async () => {
    const train = makeData(10, 40);
    const model = new Net();
    const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
    // A loss that cannot improve: the plateau halves the rate after every epoch past the first.
    const flatLoss = (out: Tensor) => out.sum().mul(0).add(1);
    const r = await torch.fit(model, {
      ...quiet,
      trainLoader: loader(train.x, train.y),
      testLoader: loader(train.x, train.y),
      optimizer: opt,
      scheduler: new optim.ReduceLROnPlateau(opt, { patience: 0, factor: 0.5 }),
      epochs: 4,
      lossFn: flatLoss,
      checkpointDir: null,
    });
    expect(r.history.map((h) => h.lr)).toEqual([0.1, 0.1, 0.05, 0.025]);
    const opt2 = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const cycle = new optim.OneCycleLR(opt2, { maxLr: 0.5, epochs: 2, stepsPerEpoch: 5 });
    await torch.fit(model, { ...quiet, trainLoader: loader(train.x, train.y), optimizer: opt2, scheduler: cycle, epochs: 2, checkpointDir: null });
    expect(cycle.lastEpoch).toBe(10); // stepped once per batch, by itself
  }, 60_000);

  it('rejects bad options with a message naming them', async () => {
    const model = new Net();
    const train = makeData(0, 8);
    const base = { trainLoader: loader(train.x, train.y), optimizer: new optim.SGD(model.parameters()), epochs: 1 };
    await expect(torch.fit(model, { ...base, epochs: 0 })).rejects.toThrow(/fit: epochs must be a positive integer, got 0/);
    await expect(torch.fit(model, { ...base, trainLoader: [] as never })).rejects.toThrow(/fit: trainLoader must be a DataLoader/);
    await expect(torch.fit(model, { ...base, optimizer: undefined as never })).rejects.toThrow(/fit: optimizer is required/);
    await expect(torch.fit(model, { ...base, monitor: 'acc' as never })).rejects.toThrow(/fit: monitor must be/);
    await expect(torch.fit(model, { ...base, amp: 'fp16' })).rejects.toThrow(/fit: amp 'fp16' needs a scaler/);
    await expect(torch.fit(model, { ...base, ...quiet, monitor: 'testAcc', checkpointDir: null })).rejects.toThrow(
      /fit: monitor 'testAcc' has no value/,
    );
  });
});

describe('predict', () => {
  it("gives PyTorch's softmax probabilities in eval mode and restores the training mode", () => {
    torch.manualSeed(6);
    const model = new Net();
    const x = torch.randn([5, 4]);
    const p = torch.predict(model, x);
    expect(model.training).toBe(true);
    expect(p.requiresGrad).toBe(false);
    const py = runPython(
      `
import torch
T = torch.tensor
W = {k: T(v) for k, v in inp['sd'].items()}
h = torch.relu(T(inp['x']) @ W['fc1.weight'].T + W['fc1.bias'])
print(json.dumps(torch.softmax(h @ W['fc2.weight'].T + W['fc2.bias'], 1).tolist()))`,
      { sd: Object.fromEntries(Object.entries(model.stateDict()).map(([k, v]) => [k, arr(v)])), x: arr(x) },
    );
    expect(maxDiff(arr(p), py)).toBeLessThan(1e-6);
    expect(() => torch.predict(new (class extends nn.Module { forward = (t: Tensor) => t.sum(1) })(), x)).toThrow(
      /predict: expected outputs of shape \[N, classes, \.\.\.\], got \[5\]/,
    );
  });
});
