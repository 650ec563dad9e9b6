// Every loop that feeds a model moves the batch to the model first, as `x.to(device)` in a PyTorch loop:
// to its first parameter's device and, for floating inputs, its dtype (class indices and integer inputs
// keep theirs). On the CPU: a float64 model fed float32 batches (and integer inputs) in evaluate, fit,
// TrainStep, predict and classify, against Python's torch running the model on converted inputs. On a
// GPU: a CUDA model fed host batches in the same loops (skipped without one).
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { nn, optim, Tensor, TrainStep } from '../../lib';
import { Nested, arr, maxDiff } from '../helpers/compare';
import { runPython } from '../helpers/python';

const quiet = { progress: 'none' as const, print: () => {}, handleSigint: false, checkpointDir: null };
const identity = (x: Tensor) => x;
const hasCuda = torch.cuda.isAvailable();

class Net extends nn.Module {
  fc1 = new nn.Linear(4, 8);
  fc2 = new nn.Linear(8, 3);
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x).relu());
  }
}

function makeData(seed: number, n: number) {
  torch.manualSeed(seed);
  return { x: torch.randn([n, 4]), y: torch.randint(0, 3, [n], { dtype: 'int64' }) };
}
const loader = (x: Tensor, y: Tensor, batchSize = 8) => new torch.data.DataLoader(new torch.data.TensorDataset(x, y), { batchSize, transform: identity });
const weightsOf = (m: nn.Module) => Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, arr(v as Tensor)]));

// The same Net in Python, in float64, with our initial weights; batches of 8 converted with .double().
const PY_NET = `
import torch
torch.set_num_threads(1)
F = torch.nn.functional
m = torch.nn.Sequential()
m.fc1 = torch.nn.Linear(4, 8)
m.fc2 = torch.nn.Linear(8, 3)
m = m.double()
m.load_state_dict({k: torch.tensor(v, dtype=torch.float64) for k, v in inp['init'].items()})
fwd = lambda x: m.fc2(m.fc1(x).relu())
batches = lambda xs, ys: [(torch.tensor(xs[i:i + 8], dtype=torch.float32).double(), torch.tensor(ys[i:i + 8])) for i in range(0, len(xs), 8)]
`;

beforeAll(() => torch.setNumThreads(1));

describe('a float64 model fed float32 batches (CPU)', () => {
  it('evaluate() converts each batch to float64 and gives the loss and confusion matrix Python computes', async () => {
    torch.manualSeed(0);
    const model = new Net().to('float64');
    const { x, y } = makeData(1, 24);
    const r = await torch.evaluate(model, loader(x, y));
    const py = runPython(
      PY_NET +
        `
losses, conf = [], [[0] * 3 for _ in range(3)]
with torch.no_grad():
    for xb, yb in batches(inp['x'], inp['y']):
        out = fwd(xb)
        losses.append(F.cross_entropy(out, yb).item())
        for t, p in zip(yb.tolist(), out.argmax(1).tolist()): conf[t][p] += 1
print(json.dumps({'loss': sum(losses) / len(losses), 'conf': conf}))`,
      { init: weightsOf(model), x: arr(x), y: arr(y) },
    );
    expect(r.total).toBe(24);
    expect(r.confusion).toEqual(py.conf);
    expect(r.correct).toBe([0, 1, 2].reduce((s, i) => s + py.conf[i][i], 0));
    expect(Math.abs(r.loss - py.loss)).toBeLessThan(1e-12);
  });

  it('evaluate() of a data set of float features batches them as they are (no image transform), as over a loader', async () => {
    torch.manualSeed(0);
    const model = new Net().to('float64');
    const { x, y } = makeData(1, 24);
    const viaLoader = await torch.evaluate(model, loader(x, y));
    const viaSet = await torch.evaluate(model, new torch.data.TensorDataset(x, y), { batchSize: 8 });
    expect(viaSet.confusion).toEqual(viaLoader.confusion);
    expect(viaSet.loss).toBe(viaLoader.loss);
  });

  it('fit() trains on the converted batches as the hand-written float64 loop does (weights to 1e-12)', async () => {
    torch.manualSeed(0);
    const model = new Net().to('float64');
    const init = weightsOf(model);
    const train = makeData(2, 24);
    const test = makeData(3, 16);
    const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const r = await torch.fit(model, { ...quiet, trainLoader: loader(train.x, train.y), testLoader: loader(test.x, test.y), optimizer: opt, epochs: 2 });
    const py = runPython(
      PY_NET +
        `
opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
rec = []
for epoch in range(2):
    losses, correct = [], 0
    for xb, yb in batches(inp['x'], inp['y']):
        out = fwd(xb)
        loss = F.cross_entropy(out, yb)
        opt.zero_grad(); loss.backward(); opt.step()
        losses.append(loss.item()); correct += (out.argmax(1) == yb).sum().item()
    with torch.no_grad():
        tc = sum((fwd(xb).argmax(1) == yb).sum().item() for xb, yb in batches(inp['tx'], inp['ty']))
    rec.append({'trainLoss': sum(losses) / len(losses), 'trainAcc': 100.0 * correct / 24, 'testAcc': 100.0 * tc / 16})
print(json.dumps({'rec': rec, 'sd': {k: v.tolist() for k, v in m.state_dict().items()}}))`,
      { init, x: arr(train.x), y: arr(train.y), tx: arr(test.x), ty: arr(test.y) },
    );
    r.history.forEach((h, e) => {
      expect(Math.abs(h.trainLoss - py.rec[e].trainLoss)).toBeLessThan(1e-12);
      expect(h.trainAcc).toBe(py.rec[e].trainAcc);
      expect(h.testAcc).toBe(py.rec[e].testAcc);
    });
    for (const [k, v] of Object.entries(model.stateDict())) {
      expect((v as Tensor).dtype).toBe('float64');
      expect(maxDiff(arr(v as Tensor), py.sd[k]), k).toBeLessThan(1e-12);
    }
  });

  it('predict() gives float32 probabilities of the float64 forward, as Python on x.double()', () => {
    torch.manualSeed(0);
    const model = new Net().to('float64');
    const { x } = makeData(4, 5);
    const p = torch.predict(model, x);
    const py = runPython(PY_NET + `\nwith torch.no_grad():\n    print(json.dumps(F.softmax(fwd(torch.tensor(inp['x']).double()), 1, dtype=torch.float32).tolist()))`, {
      init: weightsOf(model),
      x: arr(x),
    });
    expect(p.dtype).toBe('float32');
    expect(maxDiff(arr(p), py)).toBeLessThan(1e-7);
  });

  it('classify() preprocesses uint8 images to float32 and feeds the float64 ResNet float64 inputs', async () => {
    torch.manualSeed(5);
    const model = torch.models.resnet20().to('float64').eval();
    const images = [0, 1].map(() => torch.randint(0, 256, [3, 32, 32], { dtype: 'uint8' }));
    const top = await torch.train.classify(model, images, { topk: 3 });
    // The same model on the explicitly converted batch.
    const probs = torch.noGrad(() => torch.nn.functional.softmax(model.forward(torch.train.preprocess(images).to('float64')), 1)).toArray() as number[][];
    top.forEach((row, i) => row.forEach((c) => expect(Math.abs(c.probability - probs[i][c.index])).toBeLessThan(1e-6)));
    expect(top[0].map((c) => c.index)).toEqual(probs[0].map((v, j) => [v, j]).sort((a, b) => b[0] - a[0]).slice(0, 3).map(([, j]) => j));
  });
});

describe('TrainStep is not tied to SGD', () => {
  const STEPS = 6;
  const PY_ADAM = (dtype: string) => `
import torch
torch.set_num_threads(1)
m = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3)).to(${dtype})
m.load_state_dict({k: torch.tensor(v, dtype=${dtype}) for k, v in inp['init'].items()})
opt = torch.optim.Adam(m.parameters(), lr=0.01, betas=(0.8, 0.99), weight_decay=1e-2)
losses = []
for x, y in zip(inp['xs'], inp['ys']):
    loss = torch.nn.functional.cross_entropy(m(torch.tensor(x, dtype=torch.float32).to(${dtype})), torch.tensor(y))
    opt.zero_grad(); loss.backward(); opt.step()
    losses.append(loss.item())
print(json.dumps({'losses': losses, 'sd': {k: v.tolist() for k, v in m.state_dict().items()}}))`;

  for (const dtype of ['float32', 'float64'] as const) {
    it(`with Adam (${dtype} model, float32 batches) trains as Python's Adam over ${STEPS} steps`, () => {
      torch.manualSeed(6);
      const model = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 3)).to(dtype);
      const init = weightsOf(model);
      const xs = Array.from({ length: STEPS }, () => torch.randn([8, 4]));
      const ys = Array.from({ length: STEPS }, () => torch.randint(0, 3, [8]));
      const step = new TrainStep(model, new optim.Adam(model.parameters(), { lr: 0.01, betas: [0.8, 0.99], weightDecay: 1e-2 }));
      expect(step.cudaGraphs).toBe(false);
      expect(step.eagerReason).toMatch(/a CUDA graph needs a model on CUDA, this one is on cpu/);
      const losses = xs.map((x, t) => step.step(x, ys[t]).loss.item() as number);
      const py = runPython(PY_ADAM(dtype === 'float64' ? 'torch.float64' : 'torch.float32'), { init, xs: xs.map(arr), ys: ys.map(arr) });
      const tol = dtype === 'float64' ? 1e-12 : 1e-5;
      expect(maxDiff(losses, py.losses)).toBeLessThan(tol);
      for (const [k, v] of Object.entries(model.stateDict())) expect(maxDiff(arr(v as Tensor), py.sd[k] as Nested), k).toBeLessThan(tol);
      expect(losses[STEPS - 1]).not.toBe(losses[0]);
      step.dispose();
    });
  }
});

describe('integer inputs keep their dtype', () => {
  it('an Embedding model in float64 gets its int64 indices unchanged in evaluate() and TrainStep, as in Python', async () => {
    torch.manualSeed(7);
    const model = new nn.Sequential(new nn.Embedding(10, 4), new nn.Linear(4, 3)).to('float64');
    const init = weightsOf(model);
    const x = torch.randint(0, 10, [16], { dtype: 'int64' });
    const y = torch.randint(0, 3, [16], { dtype: 'int64' });
    const before = await torch.evaluate(model, loader(x, y));
    const step = new TrainStep(model, new optim.SGD(model.parameters(), { lr: 0.5 }));
    step.step(x, y);
    step.dispose();
    const py = runPython(
      `import torch
F = torch.nn.functional
m = torch.nn.Sequential(torch.nn.Embedding(10, 4), torch.nn.Linear(4, 3)).double()
m.load_state_dict({k: torch.tensor(v, dtype=torch.float64) for k, v in inp['init'].items()})
x, y = torch.tensor(inp['x']), torch.tensor(inp['y'])
with torch.no_grad():
    loss = (F.cross_entropy(m(x[:8]), y[:8]).item() + F.cross_entropy(m(x[8:]), y[8:]).item()) / 2
opt = torch.optim.SGD(m.parameters(), lr=0.5)
F.cross_entropy(m(x), y).backward(); opt.step()
print(json.dumps({'loss': loss, 'sd': {k: v.tolist() for k, v in m.state_dict().items()}}))`,
      { init, x: arr(x), y: arr(y) },
    );
    expect(Math.abs(before.loss - py.loss)).toBeLessThan(1e-12);
    for (const [k, v] of Object.entries(model.stateDict())) expect(maxDiff(arr(v as Tensor), py.sd[k]), k).toBeLessThan(1e-12);
  });
});

// A CUDA model and host batches: what a user gets from a CPU DataLoader and model.to('cuda').
describe.skipIf(!hasCuda)('a CUDA model fed CPU batches (needs a GPU)', () => {
  const twins = (seed: number) => {
    torch.manualSeed(seed);
    const cpu = new Net();
    const gpu = new Net();
    gpu.loadStateDict(cpu.stateDict());
    return { cpu, gpu: gpu.to('cuda') };
  };
  const close = (a: nn.Module, b: nn.Module, tol: number) => {
    const sb = b.stateDict();
    for (const [k, v] of Object.entries(a.stateDict())) expect(maxDiff(arr((v as Tensor).cpu()), arr((sb[k] as Tensor).cpu())), k).toBeLessThan(tol);
  };

  it('evaluate() gives what the CPU model gives on the same data', async () => {
    const { cpu, gpu } = twins(10);
    const { x, y } = makeData(11, 40);
    const a = await torch.evaluate(cpu, loader(x, y));
    const b = await torch.evaluate(gpu, loader(x, y));
    expect(b.confusion).toEqual(a.confusion);
    expect(Math.abs(b.loss - a.loss)).toBeLessThan(1e-5);
  });

  it('fit() trains the CUDA model from CPU loaders as the CPU model trains', async () => {
    const { cpu, gpu } = twins(12);
    const train = makeData(13, 32);
    const test = makeData(14, 16);
    const run = (m: Net) =>
      torch.fit(m, { ...quiet, trainLoader: loader(train.x, train.y), testLoader: loader(test.x, test.y), optimizer: new optim.SGD(m.parameters(), { lr: 0.1, momentum: 0.9 }), epochs: 2 });
    const [ra, rb] = [await run(cpu), await run(gpu)];
    expect(rb.history.map((h) => h.testAcc)).toEqual(ra.history.map((h) => h.testAcc));
    close(cpu, gpu, 1e-5);
  });

  it.skipIf(!optim.fusedSgdAvailable)('TrainStep captures a CUDA graph whose static buffers are on the device, fed CPU batches', () => {
    const { cpu, gpu } = twins(15);
    const opts = { lr: 0.1, momentum: 0.9 };
    const graphed = new TrainStep(gpu, new optim.SGD(gpu.parameters(), { ...opts, fused: true }));
    const eager = new TrainStep(cpu, new optim.SGD(cpu.parameters(), opts));
    expect(graphed.cudaGraphs).toBe(true);
    torch.manualSeed(16);
    for (let t = 0; t < 8; t++) {
      const x = torch.randn([16, 4]);
      const y = torch.randint(0, 3, [16]);
      const a = graphed.step(x, y);
      expect(a.output.device).toBe('cuda:0');
      eager.step(x, y);
    }
    expect(graphed.captures).toBe(1);
    close(cpu, gpu, 1e-5);
    graphed.dispose();
    eager.dispose();
  });

  it('TrainStep with Adam on CUDA runs eagerly and says why, and trains as on the CPU', () => {
    const { cpu, gpu } = twins(17);
    const graphedDefault = new TrainStep(gpu, new optim.Adam(gpu.parameters(), { lr: 0.01 }));
    const eager = new TrainStep(cpu, new optim.Adam(cpu.parameters(), { lr: 0.01 }));
    expect(graphedDefault.cudaGraphs).toBe(false);
    expect(graphedDefault.eagerReason).toMatch(/needs SGD\(\{fused: true\}\), got Adam/);
    expect(() => new TrainStep(gpu, new optim.Adam(gpu.parameters()), { cudaGraphs: true })).toThrow(/TrainStep: cudaGraphs needs SGD\(\{fused: true\}\), got Adam/);
    torch.manualSeed(18);
    for (let t = 0; t < 5; t++) {
      const x = torch.randn([16, 4]);
      const y = torch.randint(0, 3, [16]);
      graphedDefault.step(x, y);
      eager.step(x, y);
    }
    // Adam divides by sqrt(v): a gradient's last-bit difference between devices is not damped as in SGD.
    close(cpu, gpu, 1e-4);
  });

  it('predict() and classify() take CPU inputs for a CUDA model', async () => {
    const { cpu, gpu } = twins(19);
    const { x } = makeData(20, 6);
    const p = torch.predict(gpu, x);
    expect(p.device).toBe('cuda:0');
    expect(maxDiff(arr(p.cpu()), arr(torch.predict(cpu, x)))).toBeLessThan(1e-6);
    torch.manualSeed(21);
    const net = torch.models.resnet20().eval();
    const images = [0, 1].map(() => torch.randint(0, 256, [3, 32, 32], { dtype: 'uint8' }));
    net.to('cuda');
    const top = await torch.train.classify(net, images, { topk: 10 }); // CPU images, CUDA model
    // The same CUDA model on the batch moved by hand (no CPU-vs-CUDA comparison: TF32 convolutions).
    const probs = torch.predict(net, torch.train.preprocess(images).to('cuda')).cpu().toArray() as number[][];
    top.forEach((row, i) => row.forEach((c) => expect(Math.abs(c.probability - probs[i][c.index])).toBeLessThan(1e-6)));
  });
});
