// trainResNet20: the recipe learns, resuming is exact, options are checked.
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { CIFAR, hasCifar, tmpDir } from './helpers';

// report: false: these tests are about training; test/train/report.test.ts covers the report written at the end.
// An epoch's mean training loss below this is learning: an untrained 10-class model scores ln 10 = 2.30.
const LEARNED = 1.8;
// device 'cpu': these tests mean the CPU (bit-exact resume, one-thread sums); on a GPU machine the trainer's
// default would be CUDA. test/cuda.test.ts trains there.
const quiet = { progress: 'none' as const, print: () => {}, handleSigint: false, report: false, device: 'cpu' };

describe('options', () => {
  it('rejects bad options with a message naming them', () => {
    expect(() => torch.train.resolveOptions({ epochs: 0 })).toThrow(/epochs must be a positive integer/);
    expect(() => torch.train.resolveOptions({ depth: 18 as never })).toThrow(/depth must be 20, 32, 44, 56 or 110/);
    expect(() => torch.train.resolveOptions({ lr: -1 })).toThrow(/lr must be positive/);
    expect(() => torch.train.resolveOptions({ shortcut: 'C' as never })).toThrow(/shortcut must be 'A' or 'B'/);
    expect(() => torch.train.resolveOptions({ amp: 'fp16' as never, device: 'cpu', cudaGraphs: true })).toThrow(/cudaGraphs needs a CUDA device, got 'cpu'/);
    expect(() => torch.train.resolveOptions({ distributed: true, device: 'cpu', cudaGraphs: true })).toThrow(
      /^trainResNet20: cudaGraphs cannot capture a distributed step \(DistributedDataParallel all-reduces the gradients during backward\); pass cudaGraphs: false$/,
    );
    expect(() => torch.train.resolveOptions({ amp: 'fp8' as never })).toThrow(/amp must be 'bf16', 'fp16' or false/);
    if (!torch.cuda.isAvailable()) expect(() => torch.train.resolveOptions({ device: 'cuda' })).toThrow(/CUDA is not available/);
  });

  it('defaults to the seed recipe', () => {
    const o = torch.train.resolveOptions({});
    expect(o.device).toBe(torch.cuda.isAvailable() ? 'cuda' : 'cpu');
    // The fast path's switches follow the device: on for CUDA, off for CPU; so does the test batch.
    const fast = o.device !== 'cpu';
    expect([o.epochs, o.batchSize, o.testBatchSize, o.lr, o.momentum, o.weightDecay, o.schedule, o.shortcut, o.depth]).toEqual([
      200, 128, fast ? 500 : 100, 0.1, 0.9, 1e-4, 'cosine', 'B', 20,
    ]);
    const graphs = fast && torch.optim.fusedSgdAvailable; // CUDA graphs need the fused tensor-lr SGD
    expect([o.channelsLast, o.amp, o.cudnnBenchmark, o.cudaGraphs, o.fusedSgd]).toEqual(fast ? [true, 'bf16', true, graphs, graphs] : [false, false, false, false, false]);
    const c = torch.train.resolveOptions({ device: 'cpu' });
    expect([c.channelsLast, c.amp, c.cudnnBenchmark, c.cudaGraphs, c.fusedSgd, c.testBatchSize]).toEqual([false, false, false, false, false, 100]);
    expect(torch.train.resolveOptions({ device: 'cpu', amp: 'fp16' }).amp).toBe('fp16'); // with a GradScaler
  });
});

describe.skipIf(!hasCifar)('training on CIFAR-10 (CPU)', () => {
  it('smoke: 3 epochs on 2,048 images reach at least 20 % on 500 test images, loss falling', async ({ signal }) => {
    const dir = tmpDir('smoke');
    const lines: string[] = [];
    const r = await torch.trainResNet20({
      ...quiet,
      print: (l) => lines.push(l),
      dataRoot: CIFAR,
      epochs: 3,
      limitTrain: 2048,
      limitTest: 500,
      batchSize: 64,
      seed: 0,
      checkpointDir: dir,
      signal,
    });
    expect(r.parameterCount).toBe(272474);
    expect(lines).toContain('Total number of parameters: 272474');
    expect(lines.some((l) => /^Best accuracy: \d+\.\d\d$/.test(l))).toBe(true);
    expect(r.history).toHaveLength(3);
    expect(r.history[2].trainLoss).toBeLessThan(r.history[0].trainLoss);
    expect(r.finalAccuracy).toBeGreaterThanOrEqual(20);
    expect(r.bestAccuracy).toBe(Math.max(...r.history.map((h) => h.testAcc)));
    // The cosine schedule with T_max = epochs, as PyTorch computes it.
    r.history.forEach((h, e) => expect(h.lr).toBeCloseTo(0.05 * (1 + Math.cos((Math.PI * e) / 3)), 12));
    // JSONL log: one record per epoch, equal to the history.
    const log = fs.readFileSync(path.join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log).toEqual(r.history);
    expect(fs.existsSync(path.join(dir, 'ckpt.pth'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'last.pth'))).toBe(true);
    const best = torch.load(path.join(dir, 'ckpt.pth')) as Record<string, unknown>;
    expect(best.acc).toBeCloseTo(r.bestAccuracy, 10);
    expect(best.epoch).toBe(r.history.findIndex((h) => h.testAcc === r.bestAccuracy));
  }, 300_000);

  it('resume is exact: 4 epochs straight equal 2 + resume + 2', async ({ signal }) => {
    torch.setNumThreads(1); // one thread: the CPU kernels' reductions run in one order both times
    const common = { ...quiet, dataRoot: CIFAR, epochs: 4, limitTrain: 256, limitTest: 100, seed: 7, batchSize: 64, signal };
    const straightDir = tmpDir('straight');
    const straight = await torch.trainResNet20({ ...common, checkpointDir: straightDir });
    const splitDir = tmpDir('split');
    const first = await torch.trainResNet20({ ...common, checkpointDir: splitDir, maxEpochsThisRun: 2 });
    expect(first.stopped).toBe(true);
    expect(first.history).toHaveLength(2);
    // A fresh seed proves the state comes from the checkpoint, not from re-seeding.
    const resumed = await torch.trainResNet20({ ...common, seed: 12345, checkpointDir: splitDir, resume: true });
    expect(resumed.history.map((h) => h.epoch)).toEqual([0, 1, 2, 3]);
    const a = straight.model.stateDict();
    const b = resumed.model.stateDict();
    expect(Object.keys(b)).toEqual(Object.keys(a));
    for (const k of Object.keys(a)) expect(b[k].equal(a[k]), k).toBe(true);
    expect(resumed.history.map((h) => h.testAcc)).toEqual(straight.history.map((h) => h.testAcc));
    expect(resumed.history.map((h) => h.lr)).toEqual(straight.history.map((h) => h.lr));
  }, 300_000);

  it('an interruption in the first epoch resumes exactly from the starting point', async ({ signal }) => {
    torch.setNumThreads(1);
    const common = { ...quiet, dataRoot: CIFAR, epochs: 1, limitTrain: 256, limitTest: 100, seed: 9, batchSize: 64, signal };
    const straight = await torch.trainResNet20({ ...common, checkpointDir: tmpDir('first-straight') });
    const dir = tmpDir('first-split');
    // Ctrl-C as soon as the first epoch starts: the run stops after one step.
    const interrupted = await torch.trainResNet20({
      ...common,
      checkpointDir: dir,
      handleSigint: true,
      print: (line) => {
        if (line.includes('Epoch: 0')) setImmediate(() => process.emit('SIGINT'));
      },
    });
    expect(interrupted.stopped).toBe(true);
    expect(interrupted.history).toEqual([]);
    expect((torch.load(path.join(dir, 'last.pth')) as Record<string, unknown>).epoch).toBe(-1);
    const resumed = await torch.trainResNet20({ ...common, seed: 99, checkpointDir: dir, resume: true });
    const a = straight.model.stateDict();
    const b = resumed.model.stateDict();
    for (const k of Object.keys(a)) expect(b[k].equal(a[k]), k).toBe(true);
  }, 120_000);

  it('learns with channels_last and bfloat16 autocast switched on (CPU): the training loss falls well below chance', async ({ signal }) => {
    // 128 images without augmentation, 16 epochs of 4 steps: enough to fit them; chance is ln 10 = 2.30.
    const r = await torch.trainResNet20({
      ...quiet, dataRoot: CIFAR, epochs: 16, limitTrain: 128, limitTest: 100, batchSize: 32, augment: false, seed: 2, signal,
      channelsLast: true, amp: 'bf16', checkpointDir: tmpDir('fast'),
    });
    const losses = r.history.map((h) => h.trainLoss);
    expect(losses[15]).toBeLessThan(losses[0]);
    expect(losses[15]).toBeLessThan(LEARNED);
    expect(r.model.parameters()[0].isContiguous('channels_last')).toBe(true);
    expect(r.model.parameters()[0].dtype).toBe('float32'); // autocast keeps float32 master weights
    expect(torch.isAutocastEnabled('cpu')).toBe(false);
  }, 120_000);

  it('frees the data set and its batches when training ends: only the returned model stays', async ({ signal }) => {
    const before = torch.memory();
    const r = await torch.trainResNet20({ ...quiet, dataRoot: CIFAR, epochs: 1, limitTrain: 128, limitTest: 100, checkpointDir: tmpDir('mem'), signal });
    const after = torch.memory();
    const modelHandles = r.model.parameters().length + r.model.buffers().length;
    expect(after.liveTensors - before.liveTensors).toBeLessThanOrEqual(modelHandles);
    // CIFAR-10 alone is 184 MB of uint8: what is left is the model (about 1 MB), not the data.
    expect((after.devices.cpu?.bytes ?? 0) - (before.devices.cpu?.bytes ?? 0)).toBeLessThan(4 * 1024 * 1024);
  }, 120_000);

  it('log.jsonl holds each finished epoch exactly once after a kill on either side of writing last.pth', async () => {
    const common = { ...quiet, dataRoot: CIFAR, epochs: 3, limitTrain: 128, limitTest: 100, seed: 3, batchSize: 64 };
    const dir = tmpDir('log');
    const log = path.join(dir, 'log.jsonl');
    const read = () => fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as torch.train.EpochRecord);
    const first = await torch.trainResNet20({ ...common, checkpointDir: dir, maxEpochsThisRun: 2 });
    expect(read()).toEqual(first.history);
    // What kills can leave, all at once: epoch 1 missing (killed after last.pth held it, before its
    // record was appended), a record of epoch 2 that last.pth does not hold (the old order: appended
    // before last.pth was written), and a line cut short. The resumed run's log holds 0, 1, 2 once each.
    fs.writeFileSync(log, [JSON.stringify(first.history[0]), JSON.stringify({ ...first.history[1], epoch: 2 }), '{"epoch":2,"lr":0.0'].join('\n'));
    const resumed = await torch.trainResNet20({ ...common, checkpointDir: dir, resume: true });
    expect(read().map((r) => r.epoch)).toEqual([0, 1, 2]);
    expect(read()).toEqual(resumed.history);
    expect(read().slice(0, 2)).toEqual(first.history);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 300_000);

  it('an aborted signal stops the run after the current step: AbortError, last.pth at the last finished epoch, nothing runs on', async () => {
    const dir = tmpDir('abort');
    const controller = new AbortController();
    const run = torch.trainResNet20({
      ...quiet, dataRoot: CIFAR, epochs: 3, limitTrain: 256, limitTest: 100, batchSize: 64, seed: 4, checkpointDir: dir,
      signal: controller.signal,
      // Abort during the second epoch's training phase.
      print: (line) => {
        if (line.includes('Epoch: 1')) setImmediate(() => controller.abort(new Error('test over')));
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError', cause: { message: 'test over' } });
    const last = torch.load(path.join(dir, 'last.pth')) as Record<string, unknown>;
    expect(last.epoch).toBe(0);
    const logAfterAbort = fs.readFileSync(path.join(dir, 'log.jsonl'), 'utf8');
    expect(logAfterAbort.trim().split('\n')).toHaveLength(1);
    // Nothing goes on training in the background: the checkpoint and log stay as they were.
    const mtime = fs.statSync(path.join(dir, 'last.pth')).mtimeMs;
    await new Promise((r) => setTimeout(r, 500));
    expect(fs.statSync(path.join(dir, 'last.pth')).mtimeMs).toBe(mtime);
    expect(fs.readFileSync(path.join(dir, 'log.jsonl'), 'utf8')).toBe(logAfterAbort);
    await expect(torch.trainResNet20({ ...quiet, dataRoot: CIFAR, signal: AbortSignal.abort(), checkpointDir: tmpDir('pre') })).rejects.toMatchObject({
      name: 'AbortError',
    });
  }, 120_000);

  it('puts torch.backends.cudnn.benchmark back when training ends, and when it fails', async ({ signal }) => {
    const { cudnn } = torch.backends;
    cudnn.benchmark = false;
    const seen: boolean[] = [];
    const common = { ...quiet, dataRoot: CIFAR, epochs: 1, limitTrain: 64, limitTest: 100, batchSize: 64, cudnnBenchmark: true };
    await torch.trainResNet20({ ...common, checkpointDir: tmpDir('benchmark'), signal, print: () => seen.push(cudnn.benchmark) });
    expect(seen.at(-1)).toBe(true); // switched on for the run
    expect(cudnn.benchmark).toBe(false);
    const controller = new AbortController();
    const failing = torch.trainResNet20({
      ...common,
      checkpointDir: tmpDir('benchmark-abort'),
      signal: controller.signal,
      print: (line) => {
        if (line.includes('Epoch: 0')) setImmediate(() => controller.abort(new Error('stop')));
      },
    });
    await expect(failing).rejects.toMatchObject({ name: 'AbortError' });
    expect(cudnn.benchmark).toBe(false);
  }, 120_000);

  it('refuses to resume from a folder without checkpoints', async () => {
    await expect(torch.trainResNet20({ ...quiet, dataRoot: CIFAR, resume: true, checkpointDir: tmpDir('empty') })).rejects.toThrow(
      /no checkpoint in .* \(looked for last\.pth and ckpt\.pth\)/,
    );
  });
});
