// trainResNet20(): the seed's recipe (kuangliu/pytorch-cifar main.py) as one call, with its flaws fixed:
// full-state checkpoints that resume exactly, atomic writes, no host-device sync per step.
import * as fs from 'fs';
import * as path from 'path';
import { autocast, backends } from '../amp';
import { cuda } from '../cuda';
import * as data from '../data';
import { TorchError } from '../errors';
import { dispose, keep, tidy } from '../memory';
import * as models from '../models';
import { crossEntropy } from '../nn/functional';
import * as optim from '../optim';
import { Tensor, getRngState, manualSeed, noGrad, setNumThreads, setRngState, zeros } from '../tensor';
import { throwIfAborted } from '../utils/abort';
import { BEST_FILE, TrainState, loadForResume, saveBest, saveLast } from './checkpoint';
import { PhaseStats, ProgressMode, createProgress } from './progress';
import { report } from './report';
import { writeRunInfo } from './run_info';
import { TensorBoardHook } from './tensorboard_hook';

export interface TrainOptions {
  /** CIFAR-10 folder (`cifar-10-batches-bin`) or its parent; default $CIFAR10_ROOT or ../shared/cifar10. */
  dataRoot?: string;
  /** Fetch the official tarball when the files are absent. */
  download?: boolean;
  /** 'cuda' when available, else 'cpu'. */
  device?: string;
  epochs?: number;
  batchSize?: number;
  testBatchSize?: number;
  lr?: number;
  momentum?: number;
  weightDecay?: number;
  nesterov?: boolean;
  /** 'cosine' (the seed: T_max = epochs), 'multistep' (the paper: ÷10 at 50 % and 75 % of the epochs) or 'constant'. */
  schedule?: 'cosine' | 'multistep' | 'constant';
  /** Epochs of linear warm-up from lr/10 before the schedule (0: none, as the seed). */
  warmupEpochs?: number;
  /** 20, 32, 44, 56 or 110. */
  depth?: 20 | 32 | 44 | 56 | 110;
  /** 'B' (projection, as the seed) or 'A' (the paper's zero-padded identity). */
  shortcut?: 'A' | 'B';
  labelSmoothing?: number;
  /** Random crop + flip on the training set (the seed's transforms). */
  augment?: boolean;
  /** Seeds model initialisation, shuffling and augmentation: the same seed gives the same run. */
  seed?: number;
  /** Where ckpt.pth (best), last.pth (full state) and log.jsonl go. */
  checkpointDir?: string;
  /** Continue from last.pth (or the seed's ckpt.pth, weights only) in checkpointDir. */
  resume?: boolean;
  /** Train on the first N training images only (quick runs). */
  limitTrain?: number;
  /** Test on the first N test images only. */
  limitTest?: number;
  /** JSONL file each epoch's record is appended to; default <checkpointDir>/log.jsonl, null for none. */
  logFile?: string | null;
  /** 'auto': a bar on a TTY, one line per phase otherwise. */
  progress?: ProgressMode;
  /** Lines such as "Total number of parameters" and per-epoch accuracy; default console.log. */
  print?: (line: string) => void;
  /** Stop after this many epochs of this call (for resumable runs split across calls). */
  maxEpochsThisRun?: number;
  /** Handle SIGINT: stop after the current step, make sure last.pth exists, return. Default true. */
  handleSigint?: boolean;
  /** channels_last memory format for the model and its inputs (default: on for CUDA, off on CPU). */
  channelsLast?: boolean;
  /** Automatic mixed precision for forward and loss: 'bf16', 'fp16' or false (default: 'bf16' on CUDA, off on CPU). */
  amp?: 'bf16' | 'fp16' | false;
  /** torch.backends.cudnn.benchmark (default: on for CUDA). */
  cudnnBenchmark?: boolean;
  /** CPU intra-op threads (torch.set_num_threads); default: libtorch's own choice, as in PyTorch. */
  numThreads?: number;
  /** Write report.html (and its charts) into checkpointDir when training ends; default true. */
  report?: boolean;
  /** TensorBoard event files: true for <checkpointDir>/tensorboard, or a folder; default off. */
  tensorboard?: boolean | string;
  /** With tensorboard: also the training loss every N optimizer steps (reads the loss, a host-device sync). */
  tensorboardEvery?: number;
  /**
   * Cancels the run, as Node's own APIs take a `signal`: training stops after the current step (last.pth
   * keeps the last finished epoch, as with Ctrl-C) and the promise rejects with an `AbortError`.
   */
  signal?: AbortSignal;
}

export interface EpochRecord {
  epoch: number;
  lr: number;
  trainLoss: number;
  trainAcc: number;
  testLoss: number;
  testAcc: number;
  /** Training phase only. */
  trainSeconds: number;
  /** Training and testing. */
  seconds: number;
}

export interface TrainResult {
  parameterCount: number;
  bestAccuracy: number;
  finalAccuracy: number;
  history: EpochRecord[];
  /** True when SIGINT (or maxEpochsThisRun) stopped the run before the last epoch. */
  stopped: boolean;
  model: models.ResNet;
}

type Optional = 'dataRoot' | 'seed' | 'limitTrain' | 'limitTest' | 'logFile' | 'maxEpochsThisRun' | 'numThreads' | 'signal' | 'tensorboardEvery';
type Resolved = Required<Omit<TrainOptions, Optional>> & Pick<TrainOptions, Optional>;

const DEPTHS = { 20: models.resnet20, 32: models.resnet32, 44: models.resnet44, 56: models.resnet56, 110: models.resnet110 };

export function resolveOptions(options: TrainOptions = {}): Resolved {
  const device = options.device ?? (cuda.isAvailable() ? 'cuda' : 'cpu');
  const onCuda = device.startsWith('cuda');
  const o: Resolved = {
    download: false,
    device,
    // The fast CUDA path; each switch can be turned off. On CPU they default to off.
    channelsLast: onCuda,
    amp: onCuda ? 'bf16' : false,
    cudnnBenchmark: onCuda,
    epochs: 200,
    batchSize: 128,
    testBatchSize: 100,
    lr: 0.1,
    momentum: 0.9,
    weightDecay: 1e-4,
    nesterov: false,
    schedule: 'cosine',
    warmupEpochs: 0,
    depth: 20,
    shortcut: 'B',
    labelSmoothing: 0,
    augment: true,
    checkpointDir: 'checkpoint',
    resume: false,
    progress: 'auto',
    print: (line: string) => console.log(line),
    handleSigint: true,
    report: true,
    tensorboard: false,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  } as Resolved;
  const positiveInt = (name: keyof TrainOptions, v: unknown) => {
    if (v !== undefined && (!Number.isInteger(v) || (v as number) <= 0)) {
      throw new TorchError(`trainResNet20: ${name} must be a positive integer, got ${v}`);
    }
  };
  for (const k of ['epochs', 'batchSize', 'testBatchSize', 'limitTrain', 'limitTest', 'maxEpochsThisRun', 'numThreads', 'tensorboardEvery'] as const) {
    positiveInt(k, o[k]);
  }
  if (!(o.lr > 0)) throw new TorchError(`trainResNet20: lr must be positive, got ${o.lr}`);
  if (!(o.depth in DEPTHS)) throw new TorchError(`trainResNet20: depth must be 20, 32, 44, 56 or 110, got ${o.depth}`);
  if (o.shortcut !== 'A' && o.shortcut !== 'B') throw new TorchError(`trainResNet20: shortcut must be 'A' or 'B', got ${o.shortcut}`);
  if (!['cosine', 'multistep', 'constant'].includes(o.schedule)) {
    throw new TorchError(`trainResNet20: schedule must be cosine, multistep or constant, got ${o.schedule}`);
  }
  if (o.amp !== false && o.amp !== 'bf16' && o.amp !== 'fp16') throw new TorchError(`trainResNet20: amp must be 'bf16', 'fp16' or false, got ${o.amp}`);
  if (o.amp === 'fp16') {
    // float16 needs a gradient scaler, which this library does not have yet; bfloat16 does not.
    throw new TorchError("trainResNet20: amp 'fp16' needs a gradient scaler, not implemented yet; use 'bf16'");
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
    throw new TorchError('trainResNet20: signal must be an AbortSignal');
  }
  if (o.device.startsWith('cuda') && !cuda.isAvailable()) {
    throw new TorchError(`trainResNet20: device '${o.device}' requested but CUDA is not available in this build/machine`);
  }
  return o;
}

function limit(ds: data.TensorDatasetLike, n: number | undefined): data.TensorDatasetLike {
  if (n === undefined || n >= ds.data.shape[0]) return ds;
  return new data.TensorDataset(keep(ds.data.narrow(0, 0, n)), keep(ds.targets.narrow(0, 0, n)));
}

function makeScheduler(o: Resolved, opt: optim.SGD): optim.LRScheduler | optim.SequentialLR {
  const main =
    o.schedule === 'cosine'
      ? new optim.CosineAnnealingLR(opt, { tMax: o.epochs - o.warmupEpochs })
      : o.schedule === 'multistep'
        ? new optim.MultiStepLR(opt, { milestones: [Math.floor(o.epochs * 0.5), Math.floor(o.epochs * 0.75)].map((m) => m - o.warmupEpochs), gamma: 0.1 })
        : new optim.MultiStepLR(opt, { milestones: [], gamma: 1 });
  if (o.warmupEpochs <= 0) return main;
  const warm = new optim.LinearLR(opt, { startFactor: 0.1, endFactor: 1, totalIters: o.warmupEpochs });
  return new optim.SequentialLR(opt, { schedulers: [warm, main], milestones: [o.warmupEpochs] });
}

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Trains ResNet-20 (or 32/44/56/110) on CIFAR-10 with the seed's recipe; see TrainOptions for every override. */
export async function trainResNet20(options: TrainOptions = {}): Promise<TrainResult> {
  const o = resolveOptions(options);
  throwIfAborted(o.signal);
  const print = o.print;
  const logFile = o.logFile === undefined ? path.join(o.checkpointDir, 'log.jsonl') : o.logFile;
  if (o.seed !== undefined) manualSeed(o.seed);
  if (o.numThreads !== undefined) setNumThreads(o.numThreads);

  writeRunInfo(o.checkpointDir, o);
  const tb = o.tensorboard ? new TensorBoardHook(o.tensorboard, o.checkpointDir, o.tensorboardEvery) : null;
  print('==> Preparing data..');
  const root = o.dataRoot ?? data.defaultCifar10Root();
  const fullTrain = await data.CIFAR10.create({ root, train: true, download: o.download });
  const fullTest = await data.CIFAR10.create({ root, train: false, download: o.download });
  const trainSet = limit(fullTrain, o.limitTrain);
  const testSet = limit(fullTest, o.limitTest);
  // Everything the data side holds (host copies, the device-resident copies) is freed when training ends.
  const releaseData = () => {
    trainLoader.dispose();
    testLoader.dispose();
    for (const ds of [trainSet, testSet, fullTrain, fullTest]) dispose([ds.data, ds.targets]);
  };
  const trainLoader = new data.DataLoader(trainSet, {
    batchSize: o.batchSize,
    shuffle: true,
    transform: o.augment ? data.cifar10TrainTransform() : data.cifar10TestTransform(),
    device: o.device,
    seed: o.seed,
  });
  const testLoader = new data.DataLoader(testSet, {
    batchSize: o.testBatchSize,
    shuffle: false,
    transform: data.cifar10TestTransform(),
    device: o.device,
  });

  try {
    print('==> Building model..');
    const model = DEPTHS[o.depth]({ numClasses: 10, shortcut: o.shortcut }).to(o.device);
    if (o.channelsLast) model.to({ memoryFormat: 'channels_last' });
    if (o.cudnnBenchmark) backends.cudnn.benchmark = true;
    const ampDevice = o.device.startsWith('cuda') ? 'cuda' : 'cpu';
    // Forward and loss, in mixed precision when asked; backward runs outside autocast, as in PyTorch.
    const forward = (x: Tensor, y: Tensor, smoothing: number) => {
      const run = () => {
        const logits = model.forward(o.channelsLast ? x.contiguous('channels_last') : x);
        return { logits, loss: crossEntropy(logits, y, { labelSmoothing: smoothing }) };
      };
      return o.amp ? autocast(ampDevice, run, { dtype: 'bfloat16' }) : run();
    };
    const parameterCount = model.parameterCount();
    print(`Total number of parameters: ${parameterCount}`);
    const opt = new optim.SGD(model.parameters(), {
      lr: o.lr,
      momentum: o.momentum,
      weightDecay: o.weightDecay,
      nesterov: o.nesterov,
    });
    const scheduler = makeScheduler(o, opt);

    let startEpoch = 0;
    let bestAcc = 0;
    let history: EpochRecord[] = [];
    if (o.resume) {
      print('==> Resuming from checkpoint..');
      const { state, full } = loadForResume(o.checkpointDir);
      model.loadStateDict(state.net);
      bestAcc = Number(state.best_acc ?? state.acc ?? 0);
      startEpoch = Number(state.epoch ?? -1) + 1;
      if (full) {
        opt.loadStateDict(state.optimizer as never);
        scheduler.loadStateDict(state.scheduler as never);
        const rng = state.rng_state ?? {};
        if (rng.cpu) setRngState(rng.cpu);
        if (rng.cuda && o.device.startsWith('cuda')) setRngState(rng.cuda, o.device);
        if (rng.loader) trainLoader.generator?.setState(rng.loader);
        history = (state.history as EpochRecord[] | undefined) ?? [];
      } else {
        print(`    (${BEST_FILE} holds only the weights: momentum and schedule restart, as in the seed)`);
        for (let e = 0; e < startEpoch; e++) scheduler.step();
      }
      dispose(state);
    }

    let stopRequested = false;
    const onSigint = () => {
      if (stopRequested) process.exit(130);
      stopRequested = true;
      print('\n==> SIGINT: stopping after this step; last.pth holds the last finished epoch (Ctrl-C again to quit at once)');
    };
    if (o.handleSigint) process.on('SIGINT', onSigint);

    // Loss and accuracy accumulate on the device; they are read when the display refreshes or the phase ends.
    let globalStep = startEpoch * trainLoader.length;
    const runPhase = async (train: boolean): Promise<PhaseStats & { batches: number; complete: boolean }> => {
      const loader = train ? trainLoader : testLoader;
      const lossSum = keep(zeros([], { dtype: 'float64', device: o.device }));
      const correct = keep(zeros([], { dtype: 'int64', device: o.device }));
      let total = 0;
      let batches = 0;
      const read = (): PhaseStats => ({ loss: lossSum.item() as number, correct: correct.item() as number, total });
      const bar = createProgress(train ? 'Train' : 'Test', loader.length, o.progress);
      model.train(train);
      try {
        for await (const { x, y } of loader) {
          total += y.shape[0];
          tidy(() => {
            if (train) {
              const { logits, loss } = forward(x, y, o.labelSmoothing);
              opt.zeroGrad();
              loss.backward();
              opt.step();
              noGrad(() => {
                lossSum.add_(loss.detach());
                correct.add_(logits.argmax(1).eq(y).sum());
              });
              if (tb?.wantsStep(globalStep)) tb.step(globalStep, loss.item() as number);
              globalStep++;
            } else {
              noGrad(() => {
                const { logits, loss } = forward(x, y, 0);
                lossSum.add_(loss);
                correct.add_(logits.argmax(1).eq(y).sum());
              });
            }
          });
          x.dispose();
          y.dispose();
          batches++;
          bar.update(batches, read);
          await nextTick(); // the event loop stays responsive: Ctrl-C, timers, I/O, an abort
          if (stopRequested || o.signal?.aborted) break;
        }
        const stats = read();
        bar.finish(stats);
        return { ...stats, batches, complete: batches === loader.length };
      } finally {
        lossSum.dispose();
        correct.dispose();
      }
    };

    const lastState = (epoch: number, acc: number): TrainState => {
      const rng: Record<string, Tensor> = { cpu: getRngState() };
      if (o.device.startsWith('cuda')) rng.cuda = getRngState(o.device);
      const loaderState = trainLoader.generator?.getState();
      if (loaderState) rng.loader = loaderState;
      return {
        net: model.stateDict(),
        acc,
        epoch,
        best_acc: bestAcc,
        optimizer: opt.stateDict(),
        scheduler: scheduler.stateDict(),
        rng_state: rng,
        history,
      };
    };
    const writeLast = (epoch: number, acc: number) => {
      const state = lastState(epoch, acc);
      try {
        saveLast(o.checkpointDir, state);
      } finally {
        dispose(state); // the handles made for the file; the model's and optimizer's tensors live on
      }
    };
    // A fresh run records its starting point, so that an interruption in the first epoch resumes exactly.
    if (!o.resume) writeLast(-1, 0);

    const endEpoch = o.maxEpochsThisRun ? Math.min(o.epochs, startEpoch + o.maxEpochsThisRun) : o.epochs;
    let stopped = false;
    try {
      for (let epoch = startEpoch; epoch < endEpoch; epoch++) {
        print(`\nEpoch: ${epoch}`);
        const lr = opt.paramGroups[0].lr;
        const t0 = performance.now();
        const tr = await runPhase(true);
        const trainSeconds = (performance.now() - t0) / 1000;
        if (!tr.complete) {
          stopped = true;
          break;
        }
        const te = await runPhase(false);
        if (!te.complete) {
          stopped = true;
          break;
        }
        const seconds = (performance.now() - t0) / 1000;
        const testAcc = (100 * te.correct) / te.total;
        if (testAcc > bestAcc) {
          print('Saving..');
          bestAcc = testAcc;
          saveBest(o.checkpointDir, model, testAcc, epoch);
        }
        scheduler.step();
        const record: EpochRecord = {
          epoch,
          lr,
          trainLoss: tr.loss / tr.batches,
          trainAcc: (100 * tr.correct) / tr.total,
          testLoss: te.loss / te.batches,
          testAcc,
          trainSeconds,
          seconds,
        };
        history.push(record);
        print(`Test accuracy: ${testAcc.toFixed(2)}% (best ${bestAcc.toFixed(2)}%), lr ${lr.toPrecision(4)}, ${seconds.toFixed(1)} s`);
        if (logFile) {
          fs.mkdirSync(path.dirname(path.resolve(logFile)), { recursive: true });
          fs.appendFileSync(logFile, JSON.stringify(record) + '\n');
        }
        tb?.epoch(record);
        writeLast(epoch, testAcc);
      }
      if (!stopped && endEpoch < o.epochs) stopped = true;
    } finally {
      if (o.handleSigint) process.off('SIGINT', onSigint);
      opt.dispose(); // momentum buffers: the optimizer is not returned
      tb?.close();
    }
    throwIfAborted(o.signal);
    print(`Best accuracy: ${bestAcc.toFixed(2)}`);
    if (o.report && !stopped && logFile) {
      try {
        const r = await report(o.checkpointDir, { logFile, dataRoot: root, limitTest: o.limitTest, device: o.device });
        print(`Report: ${r.html}`);
      } catch (e) {
        print(`(report not written: ${(e as Error).message})`); // the run itself succeeded
      }
    }
    const finalAccuracy = history.length ? history[history.length - 1].testAcc : 0;
    return { parameterCount, bestAccuracy: bestAcc, finalAccuracy, history, stopped, model };
  } finally {
    releaseData();
  }
}
