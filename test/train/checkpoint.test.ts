// Checkpoints both ways with Python torch: Python evaluates our ckpt.pth in the seed's own ResNet20 and
// gets our accuracy; we load a checkpoint written by the seed's Python code and get Python's logits.
import * as path from 'path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { SEED_MODEL } from '../helpers/seed_model';
import { runPython } from '../helpers/python';
import { CIFAR, hasCifar, tmpDir } from './helpers';

// report: false: these tests are about training; test/train/report.test.ts covers the report written at the end.
// device 'cpu': Python recomputes our accuracy to 10 digits on the CPU; on a GPU machine the trainer's default is CUDA.
const quiet = { progress: 'none' as const, print: () => {}, handleSigint: false, report: false, device: 'cpu' };

// The seed's test pipeline over the first n images of test_batch.bin (ToTensor + Normalize).
const PY_TEST_DATA = `
import numpy as np
def test_images(folder, n):
    raw = np.fromfile(folder + '/test_batch.bin', dtype=np.uint8).reshape(-1, 3073)[:n]
    x = torch.from_numpy(raw[:, 1:].reshape(-1, 3, 32, 32).astype(np.float32) / 255.0)
    mean = torch.tensor([0.4914, 0.4822, 0.4465]).view(1, 3, 1, 1)
    std = torch.tensor([0.2023, 0.1994, 0.2010]).view(1, 3, 1, 1)
    return (x - mean) / std, torch.from_numpy(raw[:, 0].astype(np.int64))
`;

beforeAll(() => torch.setNumThreads(1));

describe.skipIf(!hasCifar)('checkpoints PyTorch can read, and PyTorch checkpoints we can read', () => {
  it("Python's torch.load(ckpt.pth)['net'] loads into the seed's ResNet20 and gives our test accuracy", async ({ signal }) => {
    const dir = tmpDir('ckpt');
    const r = await torch.trainResNet20({ ...quiet, dataRoot: CIFAR, epochs: 1, limitTrain: 1024, limitTest: 500, seed: 3, checkpointDir: dir, signal });
    const folder = torch.data.resolveCifar10Folder(CIFAR);
    const ours = await torch.evaluate(r.model, new torch.data.CIFAR10({ root: CIFAR, train: false }), { batchSize: 100 });
    const py = runPython(
      SEED_MODEL +
        PY_TEST_DATA +
        `
ckpt = torch.load(inp['file'], map_location='cpu')
net = ResNet20()
net.load_state_dict(ckpt['net'])
net.eval()
x, y = test_images(inp['folder'], 500)
with torch.no_grad():
    pred = net(x).argmax(1)
print(json.dumps({'acc': 100.0 * (pred == y).sum().item() / 500, 'saved_acc': ckpt['acc'], 'epoch': ckpt['epoch'],
                  'last_keys': sorted(torch.load(inp['last'], map_location='cpu').keys())}))`,
      { file: path.join(dir, 'ckpt.pth'), last: path.join(dir, 'last.pth'), folder },
    );
    expect(py.saved_acc).toBeCloseTo(r.bestAccuracy, 10);
    expect(py.acc).toBeCloseTo(r.finalAccuracy, 10);
    expect(py.epoch).toBe(0);
    expect(py.last_keys).toEqual(['acc', 'best_acc', 'config', 'epoch', 'history', 'net', 'optimizer', 'rng_state', 'scheduler']);
    // evaluate() over the full test set agrees with itself per class and overall.
    expect(ours.total).toBe(10000);
    expect(ours.confusion.flat().reduce((a, b) => a + b, 0)).toBe(10000);
    expect(ours.correct).toBe(ours.confusion.reduce((s, row, i) => s + row[i], 0));
    expect(ours.perClassAccuracy.reduce((a, b) => a + b, 0) / 10).toBeCloseTo(ours.accuracy, 10); // 1,000 per class
  }, 300_000);

  it("last.pth loads in Python (weights_only=True on 2.x), and Python's SGD and scheduler take its states", async ({ signal }) => {
    const dir = tmpDir('last');
    await torch.trainResNet20({
      ...quiet, dataRoot: CIFAR, epochs: 3, maxEpochsThisRun: 1, limitTrain: 128, limitTest: 100, batchSize: 64, seed: 5,
      warmupEpochs: 1, checkpointDir: dir, signal,
    });
    const py = runPython(
      SEED_MODEL +
        `
# PyTorch 2.x's restricted unpickler (its default since 2.6): no code runs. 1.13's first version of it
# does not read floats (pickle's BINFLOAT), so there the plain load checks the rest.
two = int(torch.__version__.split('.')[0]) >= 2
last = torch.load(inp['file'], weights_only=True, map_location='cpu') if two else torch.load(inp['file'], map_location='cpu')
net = ResNet20()
net.load_state_dict(last['net'])
opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, end_factor=1.0, total_iters=1)
cos = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=2)
sched = torch.optim.lr_scheduler.SequentialLR(opt, [warm, cos], milestones=[1])
opt.load_state_dict(last['optimizer'])
sched.load_state_dict(last['scheduler'])
params = list(net.parameters())
g = torch.Generator(); g.set_state(last['rng_state']['cpu'])
print(json.dumps({'epoch': last['epoch'], 'lr': opt.param_groups[0]['lr'], 'last_lr': sched.get_last_lr(),
  'with_buffer': sum(1 for p in params if 'momentum_buffer' in opt.state[p]), 'params': len(params),
  'buf0': opt.state[params[0]]['momentum_buffer'].flatten()[:5].tolist(), 'history': len(last['history']),
  'rng_ok': g.get_state().equal(last['rng_state']['cpu'])}))`,
      { file: path.join(dir, 'last.pth') },
    );
    expect(py.epoch).toBe(0);
    expect(py.history).toBe(1);
    expect(py.with_buffer).toBe(py.params);
    expect(py.rng_ok).toBe(true);
    // The warm-up epoch is over: the cosine schedule starts at the base rate.
    expect(py.lr).toBeCloseTo(0.1, 12);
    expect(py.last_lr[0]).toBeCloseTo(0.1, 12);
    const opt = torch.load(path.join(dir, 'last.pth')) as { optimizer: { state: Map<number, { momentum_buffer: torch.Tensor }> } };
    const ours = (opt.optimizer.state.get(0)!.momentum_buffer.flatten().toArray() as number[]).slice(0, 5);
    ours.forEach((v, i) => expect(v).toBe(py.buf0[i]));
  }, 120_000);

  it("a checkpoint written by the seed's Python code (with and without `module.`) gives Python's logits", () => {
    const dir = tmpDir('pyckpt');
    const folder = torch.data.resolveCifar10Folder(CIFAR);
    const py = runPython(
      SEED_MODEL +
        PY_TEST_DATA +
        `
torch.manual_seed(0)
net = ResNet20()
opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
x, y = test_images(inp['folder'], 16)
for _ in range(3):  # a few steps so that batch-norm statistics are not the defaults
    opt.zero_grad(); torch.nn.functional.cross_entropy(net(x), y).backward(); opt.step()
torch.save({'net': net.state_dict(), 'acc': 12.5, 'epoch': 4}, inp['dir'] + '/ckpt.pth')
torch.save({'net': torch.nn.DataParallel(net).state_dict(), 'acc': 12.5, 'epoch': 4}, inp['dir'] + '/dp.pth')
net.eval()
with torch.no_grad():
    print(json.dumps(net(x[:8]).tolist()))`,
      { dir, folder },
    );
    const test = new torch.data.CIFAR10({ root: CIFAR, train: false });
    const x = torch.data.cifar10TestTransform()(test.data.narrow(0, 0, 8));
    for (const file of ['ckpt.pth', 'dp.pth']) {
      const ckpt = torch.load(path.join(dir, file)) as Record<string, unknown>;
      expect(ckpt.epoch).toBe(4);
      const model = torch.models.resnet20();
      model.loadStateDict(ckpt.net as torch.nn.StateDict);
      model.eval();
      const logits = torch.noGrad(() => model.forward(x)).toArray() as number[][];
      logits.flat().forEach((v, i) => expect(Math.abs(v - (py as number[][]).flat()[i])).toBeLessThan(1e-4));
    }
  }, 120_000);
});
