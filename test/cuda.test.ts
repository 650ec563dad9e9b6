// CUDA checks for a machine with a GPU (skipped elsewhere): the same computations on 'cuda' as on 'cpu',
// the fast path's switches, memory figures from the caching allocator, and a short training run.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, expect, it, onTestFinished } from 'vitest';
import * as torch from '../lib';
import { arr, maxDiff } from './helpers/compare';
import { hasPythonTorch, runPython } from './helpers/python';

const hasCuda = torch.cuda.isAvailable();
if (!hasCuda) console.warn('test/cuda: no CUDA device (or a CPU-only libtorch): skipped');
const maxAbsDiff = (a: torch.Tensor, b: torch.Tensor) => a.cpu().float().sub(b.cpu().float()).abs().max().item() as number;

// TF32 off while CUDA is compared with the CPU at 1e-3, as PyTorch's own tests do: TF32 convolutions and
// matmuls (cuDNN's default on Ampere and newer) keep 10 bits of mantissa, 1.28e-3 off was seen on an H200.
function withoutTf32<T>(fn: () => T): T {
  const { matmul } = torch.backends.cuda;
  const { cudnn } = torch.backends;
  const saved = [matmul.allowTf32, cudnn.allowTf32];
  matmul.allowTf32 = false;
  cudnn.allowTf32 = false;
  try {
    return fn();
  } finally {
    [matmul.allowTf32, cudnn.allowTf32] = saved;
  }
}

describe.skipIf(!hasCuda)('CUDA', () => {
  it('moves tensors both ways and computes what the CPU computes', () => {
    torch.manualSeed(0);
    const a = torch.randn([64, 32]);
    const b = torch.randn([32, 16]);
    const ga = a.to('cuda');
    expect(ga.device).toBe('cuda:0');
    expect(torch.cuda.deviceCount()).toBeGreaterThan(0);
    expect(maxAbsDiff(ga.matmul(b.cuda()).relu().sum(1), a.matmul(b).relu().sum(1))).toBeLessThan(1e-3);
    expect(ga.argmax(1).cpu().equal(a.argmax(1))).toBe(true);
    torch.cuda.synchronize();
  });

  it('ResNet-20 forward, backward and an SGD step on CUDA equal the CPU (TF32 off, as PyTorch\'s own tests compare)', () => {
    // cuDNN's float32 convolutions may use TF32 by default (torch.backends.cudnn.allowTf32): 1.28e-3 off the
    // CPU's on an H200. PyTorch's tests turn it off for CPU comparisons; so does this one.
    const tf32 = torch.backends.cudnn.allowTf32;
    torch.backends.cudnn.allowTf32 = false;
    onTestFinished(() => {
      torch.backends.cudnn.allowTf32 = tf32;
    });
    torch.manualSeed(1);
    const cpu = torch.models.resnet20();
    const gpu = torch.models.resnet20();
    gpu.loadStateDict(cpu.stateDict());
    gpu.to('cuda');
    const x = torch.randn([8, 3, 32, 32]);
    const y = torch.randint(0, 10, [8]);
    const step = (m: torch.models.ResNet, dev: string) => {
      const opt = new torch.optim.SGD(m.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 1e-4 });
      const loss = torch.nn.functional.crossEntropy(m.forward(x.to(dev)), y.to(dev));
      loss.backward();
      opt.step();
      return loss.item() as number;
    };
    expect(Math.abs(step(cpu, 'cpu') - withoutTf32(() => step(gpu, 'cuda')))).toBeLessThan(1e-3);
    const a = cpu.stateDict();
    const b = gpu.stateDict();
    for (const k of Object.keys(a)) expect(maxAbsDiff(b[k], a[k]), k).toBeLessThan(1e-3);
  });

  it('bfloat16 autocast runs convolutions in bf16 on CUDA; channels_last keeps the outputs', () => {
    const m = torch.models.resnet20().to('cuda');
    m.eval();
    const x = torch.randn([4, 3, 32, 32], { device: 'cuda' });
    const ref = torch.noGrad(() => m.forward(x));
    const half = torch.autocast('cuda', () => torch.noGrad(() => m.forward(x)), { dtype: 'bfloat16' });
    expect(half.dtype).toBe('bfloat16');
    expect(maxAbsDiff(half, ref)).toBeLessThan(0.25); // bf16 keeps 8 bits of mantissa
    const [plain, last] = withoutTf32(() => {
      const a = torch.noGrad(() => m.forward(x));
      m.to({ memoryFormat: 'channels_last' });
      return [a, torch.noGrad(() => m.forward(x.contiguous('channels_last')))];
    });
    expect(maxAbsDiff(last, plain)).toBeLessThan(1e-3);
  });

  it('memory() reports the caching allocator, and tidy frees device memory', () => {
    const before = torch.memory().cuda!['cuda:0'].allocatedBytes;
    torch.tidy(() => {
      torch.zeros([1024, 1024], { device: 'cuda' }).add(1);
    });
    torch.cuda.synchronize();
    expect(torch.memory().cuda!['cuda:0'].allocatedBytes).toBe(before);
  });

  it('saves CUDA tensors as PyTorch does and loads them back to the device or the CPU', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cuda-save-')), 't.pth');
    const t = torch.arange(6, undefined, 1, { dtype: 'float32', device: 'cuda' });
    torch.save({ t }, file);
    expect((torch.load(file) as { t: torch.Tensor }).t.device).toBe('cuda:0');
    expect((torch.load(file, { device: 'cpu' }) as { t: torch.Tensor }).t.toArray()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  const root = torch.data.defaultCifar10Root();
  const cifarHere = fs.existsSync(path.join(torch.data.resolveCifar10Folder(root), 'data_batch_1.bin'));
  it.skipIf(!cifarHere)('trainResNet20 on CUDA with the fast path learns on a small subset', async () => {
    const r = await torch.trainResNet20({
      dataRoot: root, device: 'cuda', epochs: 3, limitTrain: 5000, limitTest: 1000, seed: 0,
      progress: 'none', print: () => {}, handleSigint: false,
      checkpointDir: fs.mkdtempSync(path.join(os.tmpdir(), 'cuda-train-')),
    });
    expect(r.finalAccuracy).toBeGreaterThanOrEqual(25);
    expect(r.history[2].trainLoss).toBeLessThan(r.history[0].trainLoss);
  }, 300_000);
});

// The graphed training step (lib/train/step.ts) against the same steps run eagerly.
const graphsReady = hasCuda && torch.optim.fusedSgdAvailable;
const pyCuda = graphsReady && hasPythonTorch() && runPython<boolean>('import torch\nprint(json.dumps(torch.cuda.is_available()))');

describe.skipIf(!graphsReady)('CUDA graphs (TrainStep)', () => {
  const makeNet = () => new torch.nn.Sequential(new torch.nn.Linear(32, 64), new torch.nn.BatchNorm1d(64), new torch.nn.ReLU(), new torch.nn.Linear(64, 10));
  const twins = (seed: number) => {
    torch.manualSeed(seed);
    const a = makeNet();
    const b = makeNet();
    b.loadStateDict(a.stateDict());
    return [a.to('cuda'), b.to('cuda')] as const;
  };
  const sgd = (m: torch.nn.Module) => new torch.optim.SGD(m.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 5e-4, nesterov: true, fused: true });
  const batches = (n: number, size = (_t: number) => 64) =>
    Array.from({ length: n }, (_, t) => ({ x: torch.randn([size(t), 32], { device: 'cuda' }), y: torch.randint(0, 10, [size(t)], { device: 'cuda' }) }));
  const maxStateDiff = (a: torch.nn.Module, b: torch.nn.Module) => {
    const sb = b.stateDict();
    return Math.max(...Object.entries(a.stateDict()).map(([k, v]) => maxAbsDiff(v as torch.Tensor, sb[k] as torch.Tensor)));
  };

  it('fp32: 20 graphed steps (with a smaller batch run eagerly and an lr change) equal 20 eager steps to 1e-5', () => {
    const [a, b] = twins(0);
    const oa = sgd(a);
    const ob = sgd(b);
    const graphed = new torch.TrainStep(a, oa, { cudaGraphs: true });
    const eager = new torch.TrainStep(b, ob, { cudaGraphs: false });
    const data = batches(20, (t) => (t === 12 ? 40 : 64));
    const losses: number[][] = [[], []];
    data.forEach(({ x, y }, t) => {
      if (t === 15) for (const o of [oa, ob]) o.paramGroups[0].lr = 0.01; // the scheduler's write: fill_ before the replay
      losses[0].push(graphed.step(x, y).loss.item() as number);
      losses[1].push(eager.step(x, y).loss.item() as number);
    });
    expect(graphed.captures).toBe(1);
    expect(Math.max(...losses[0].map((l, i) => Math.abs(l - losses[1][i])))).toBeLessThan(1e-5);
    expect(maxStateDiff(a, b)).toBeLessThan(1e-5);
    expect(losses[0][19]).toBeLessThan(losses[0][0]);
    graphed.dispose();
    eager.dispose();
  });

  it('captures again after train()/eval() switches, and still equals the eager steps', () => {
    const [a, b] = twins(1);
    const graphed = new torch.TrainStep(a, sgd(a), { cudaGraphs: true });
    const eager = new torch.TrainStep(b, sgd(b), { cudaGraphs: false });
    const data = batches(24);
    data.forEach(({ x, y }, t) => {
      if (t === 8 || t === 16) for (const m of [a, b]) m.train(t === 16); // eval at 8, train again at 16
      graphed.step(x, y);
      eager.step(x, y);
    });
    expect(graphed.captures).toBe(3);
    expect(maxStateDiff(a, b)).toBeLessThan(1e-5);
    graphed.dispose();
    eager.dispose();
  });

  it('CUDA memory stays flat over 1,000 graphed steps in tidy()', () => {
    const [a] = twins(2);
    const step = new torch.TrainStep(a, sgd(a), { cudaGraphs: true });
    const { x, y } = batches(1)[0];
    const allocated = () => {
      torch.cuda.synchronize();
      return torch.memory().cuda!['cuda:0'].allocatedBytes;
    };
    let at50 = 0;
    for (let i = 0; i < 1000; i++) {
      torch.tidy(() => {
        step.step(x, y);
      });
      if (i === 49) at50 = allocated();
    }
    expect(allocated()).toBe(at50);
    step.dispose();
  });

  it.skipIf(!pyCuda)("bf16: graphed steps equal Python's steps under torch.autocast('cuda', bfloat16) with SGD(fused=True)", () => {
    const [a] = twins(3);
    const init = Object.fromEntries(Object.entries(a.stateDict()).map(([k, v]) => [k, (v as torch.Tensor).cpu().toArray()]));
    const step = new torch.TrainStep(a, sgd(a), { cudaGraphs: true, amp: 'bf16' });
    const data = batches(8);
    const losses = data.map(({ x, y }) => step.step(x, y).loss.item() as number);
    const py = runPython(
      `import torch
m = torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.BatchNorm1d(64), torch.nn.ReLU(), torch.nn.Linear(64, 10)).cuda()
m.load_state_dict({k: torch.tensor(v, dtype=torch.int64 if k.endswith('num_batches_tracked') else torch.float32) for k, v in inp['init'].items()})
opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True, fused=True)
losses = []
for x, y in zip(inp['xs'], inp['ys']):
    x, y = torch.tensor(x, device='cuda'), torch.tensor(y, device='cuda')
    with torch.autocast('cuda', dtype=torch.bfloat16):
        loss = torch.nn.functional.cross_entropy(m(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    losses.append(loss.item())
print(json.dumps({'losses': losses, 'sd': {k: v.cpu().tolist() for k, v in m.state_dict().items()}}))`,
      { init, xs: data.map((d) => d.x.cpu().toArray()), ys: data.map((d) => d.y.cpu().toArray()) },
    );
    expect(Math.max(...losses.map((l, i) => Math.abs(l - py.losses[i])))).toBeLessThan(1e-5);
    for (const [k, v] of Object.entries(a.stateDict())) expect(maxDiff(arr((v as torch.Tensor).cpu()), py.sd[k]), k).toBeLessThan(1e-5);
    step.dispose();
  });
});

describe('torch.cuda.setDevice and currentDevice', () => {
  it.skipIf(hasCuda)('(no CUDA here) refuse with one-line TorchErrors', () => {
    expect(() => torch.cuda.setDevice(0)).toThrow(new torch.TorchError('cuda.setDevice: CUDA is not available'));
    expect(() => torch.cuda.currentDevice()).toThrow(new torch.TorchError('cuda.currentDevice: CUDA is not available'));
  });

  it('refuse a device that is not a CUDA index or cuda:N, and do nothing for a negative index (as PyTorch)', () => {
    expect(() => torch.cuda.setDevice('cpu')).toThrow(new torch.TorchError(`cuda.setDevice: expected a CUDA device index or 'cuda:N', got "cpu"`));
    expect(() => torch.cuda.setDevice(1.5)).toThrow(torch.TorchError);
    expect(() => torch.cuda.setDevice(-1)).not.toThrow();
  });

  it.skipIf(!hasCuda)("(needs CUDA) make 'cuda' mean the device set, and refuse an index past the last device", () => {
    const n = torch.cuda.deviceCount();
    const last = n - 1;
    torch.cuda.setDevice(`cuda:${last}`);
    expect(torch.cuda.currentDevice()).toBe(last);
    expect(torch.zeros([1]).to('cuda').device).toBe(`cuda:${last}`);
    torch.cuda.setDevice(0);
    expect(torch.cuda.currentDevice()).toBe(0);
    expect(torch.zeros([1]).to('cuda').device).toBe('cuda:0');
    expect(() => torch.cuda.setDevice(n)).toThrow(new torch.TorchError(`cuda.setDevice: device index ${n} is out of range: this machine has ${n} CUDA device(s)`));
  });
});
