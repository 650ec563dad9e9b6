// CUDA checks for a machine with a GPU (skipped elsewhere): the same computations on 'cuda' as on 'cpu',
// the fast path's switches, memory figures from the caching allocator, and a short training run.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import * as torch from '../lib';

const hasCuda = torch.cuda.isAvailable();
if (!hasCuda) console.warn('test/cuda: no CUDA device (or a CPU-only libtorch): skipped');
const maxAbsDiff = (a: torch.Tensor, b: torch.Tensor) => a.cpu().float().sub(b.cpu().float()).abs().max().item() as number;

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

  it('ResNet-20 forward, backward and an SGD step on CUDA equal the CPU', () => {
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
    expect(Math.abs(step(cpu, 'cpu') - step(gpu, 'cuda'))).toBeLessThan(1e-3);
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
    m.to({ memoryFormat: 'channels_last' });
    expect(maxAbsDiff(torch.noGrad(() => m.forward(x.contiguous('channels_last'))), ref)).toBeLessThan(1e-3);
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

  it('trainResNet20 on CUDA with the fast path learns on a small subset', async () => {
    const root = torch.data.defaultCifar10Root();
    if (!fs.existsSync(path.join(torch.data.resolveCifar10Folder(root), 'data_batch_1.bin'))) return;
    const r = await torch.trainResNet20({
      dataRoot: root, device: 'cuda', epochs: 3, limitTrain: 5000, limitTest: 1000, seed: 0,
      progress: 'none', print: () => {}, handleSigint: false,
      checkpointDir: fs.mkdtempSync(path.join(os.tmpdir(), 'cuda-train-')),
    });
    expect(r.finalAccuracy).toBeGreaterThanOrEqual(25);
    expect(r.history[2].trainLoss).toBeLessThan(r.history[0].trainLoss);
  }, 300_000);
});
