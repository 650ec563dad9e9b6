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
import { BEST_FILE, TrainState, loadForResume, saveBest, saveLast } from './checkpoint';
import { PhaseStats, ProgressMode, createProgress } from './progress';
import { resumeOptions, runConfig, storedConfig } from './run_config';

export interface TrainOptions {
  /** CIFAR-10 folder (`cifar-10-batches-bin`) or its parent. Default: $CIFAR10_ROOT, else ../shared/cifar10 or data/ beside the package. */
  dataRoot?: string;
  /** Fetch the official tarball when the files are absent. Default false. */
  download?: boolean;
  /** 'cpu', 'cuda' or 'cuda:N'. Default 'cuda' when available, else 'cpu'. */
  device?: string;
  /** Epochs to train. Default 200 (the seed). With `resume`, a larger value extends the schedule. */
  epochs?: number;
  /** Training batch size. Default 128. */
  batchSize?: number;
  /** Test batch size. Default 100. */
  testBatchSize?: number;
  /** SGD learning rate. Default 0.1. */
  lr?: number;
  /** SGD momentum. Default 0.9. */
  momentum?: number;
  /** SGD weight decay (L2). Default 1e-4. */
  weightDecay?: number;
  /** Nesterov momentum. Default false. */
  nesterov?: boolean;
  /** 'cosine' (the seed: T_max = epochs), 'multistep' (the paper: ÷10 at 50 % and 75 % of the epochs) or 'constant'. Default 'cosine'. */
  schedule?: 'cosine' | 'multistep' | 'constant';
  /** Epochs of linear warm-up from lr/10 before the schedule. Default 0 (none, as the seed). */
  warmupEpochs?: number;
  /** 20, 32, 44, 56 or 110. Default 20. */
  depth?: 20 | 32 | 44 | 56 | 110;
  /** 'B' (projection, as the seed) or 'A' (the paper's zero-padded identity). Default 'B'. */
  shortcut?: 'A' | 'B';
  /** Label smoothing of the cross-entropy loss. Default 0. */
  labelSmoothing?: number;
  /** Random crop + flip on the training set (the seed's transforms). Default true. */
  augment?: boolean;
  /** Seeds model initialisation, shuffling and augmentation: the same seed gives the same run. Default: unseeded. */
  seed?: number;
  /** Where ckpt.pth (best), last.pth (full state) and log.jsonl go. Default 'checkpoint'. */
  checkpointDir?: string;
  /** Continue from last.pth (or the seed's ckpt.pth, weights only) in checkpointDir, with the run's stored configuration. Default false. */
  resume?: boolean;
  /** Train on the first N training images only (quick runs). Default: all 50,000. */
  limitTrain?: number;
  /** Test on the first N test images only. Default: all 10,000. */
  limitTest?: number;
  /** JSONL file each epoch's record is appended to; null for none. Default <checkpointDir>/log.jsonl. */
  logFile?: string | null;
  /** 'bar' (redrawn in place), 'lines' (a line every progressEvery seconds and at each phase's end) or 'none'. Default 'auto': a bar on a TTY, lines otherwise. */
  progress?: ProgressMode;
  /** Seconds between progress lines when the output is not a TTY. Default 30. */
  progressEvery?: number;
  /** Terminal width for the bar. Default: the stream's columns, else 100. */
  progressColumns?: number;
  /** Lines such as "Total number of parameters" and per-epoch accuracy. Default console.log (stdout, the progress's stream). */
  print?: (line: string) => void;
  /** Stop after this many epochs of this call (for resumable runs split across calls). Default: no limit. */
  maxEpochsThisRun?: number;
  /** Stop after the current step when this signal aborts (last.pth keeps the last finished epoch). Default: none. */
  signal?: AbortSignal;
  /** Handle SIGINT in this thread: stop after the current step, keep last.pth, return; a second SIGINT exits. Default true. */
  handleSigint?: boolean;
  /** channels_last memory format for the model and its inputs. Default: on for CUDA, off on CPU. */
  channelsLast?: boolean;
  /** Automatic mixed precision for forward and loss: 'bf16', 'fp16' or false. Default: 'bf16' on CUDA, off on CPU. */
  amp?: 'bf16' | 'fp16' | false;
  /** torch.backends.cudnn.benchmark. Default: on for CUDA. */
  cudnnBenchmark?: boolean;
  /** CPU intra-op threads (torch.set_num_threads). Default: libtorch's own choice, as in PyTorch. */
  numThreads?: number;
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

type Optional = 'dataRoot' | 'seed' | 'limitTrain' | 'limitTest' | 'logFile' | 'maxEpochsThisRun' | 'numThreads' | 'signal' | 'progressColumns';
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
    progressEvery: 30,
    print: (line: string) => console.log(line),
    handleSigint: true,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  } as Resolved;
  const positiveInt = (name: keyof TrainOptions, v: unknown) => {
    if (v !== undefined && (!Number.isInteger(v) || (v as number) <= 0)) {
      throw new TorchError(`trainResNet20: ${name} must be a positive integer, got ${v}`);
    }
  };
  for (const k of ['epochs', 'batchSize', 'testBatchSize', 'limitTrain', 'limitTest', 'maxEpochsThisRun', 'numThreads'] as const) {
    positiveInt(k, o[k]);
  }
  if (!(o.progressEvery > 0)) throw new TorchError(`trainResNet20: progressEvery must be a positive number of seconds, got ${o.progressEvery}`);
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

/** 0.1 → "0.1", 0.0750000001 → "0.075", 0 → "0", 1.2e-7 → "1.2e-7". */
export const formatLr = (lr: number) => String(Number(lr.toPrecision(4)));

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Trains ResNet-20 (or 32/44/56/110) on CIFAR-10 with the seed's recipe; see TrainOptions for every override. */
export async function trainResNet20(options: TrainOptions = {}): Promise<TrainResult> {
  // Resuming: the checkpoint is read first, because its stored configuration completes the options.
  const resumed = options.resume ? loadForResume(options.checkpointDir ?? 'checkpoint') : undefined;
  try {
    return await trainFrom(options, resumed);
  } finally {
    if (resumed) dispose(resumed.state);
  }
}

async function trainFrom(given: TrainOptions, resumed: ReturnType<typeof loadForResume> | undefined): Promise<TrainResult> {
  const stored = resumed && storedConfig(resumed.state);
  const { options, extended } = stored ? resumeOptions(stored, given) : { options: given, extended: false };
  const o = resolveOptions(options);
  const print = o.print;
  const logFile = o.logFile === undefined ? path.join(o.checkpointDir, 'log.jsonl') : o.logFile;
  if (o.seed !== undefined) manualSeed(o.seed);
  if (o.numThreads !== undefined) setNumThreads(o.numThreads);

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
    if (resumed) {
      print('==> Resuming from checkpoint..');
      const { state, full } = resumed;
      model.loadStateDict(state.net);
      bestAcc = Number(state.best_acc ?? state.acc ?? 0);
      startEpoch = Number(state.epoch ?? -1) + 1;
      if (full) {
        opt.loadStateDict(state.optimizer as never);
        if (extended) {
          // More epochs than the run was planned for: the schedule is the one for the new length, at this epoch.
          print(`    (extending the run from ${stored?.epochs} to ${o.epochs} epochs: the ${o.schedule} schedule is recomputed for ${o.epochs})`);
          for (const g of opt.paramGroups) g.lr = g.initialLr ?? o.lr;
          for (let e = 0; e < startEpoch; e++) scheduler.step();
        } else {
          scheduler.loadStateDict(state.scheduler as never);
        }
        const rng = state.rng_state ?? {};
        if (rng.cpu) setRngState(rng.cpu);
        if (rng.cuda && o.device.startsWith('cuda')) setRngState(rng.cuda, o.device);
        if (rng.loader) trainLoader.generator?.setState(rng.loader);
        history = (state.history as EpochRecord[] | undefined) ?? [];
      } else {
        print(`    (${BEST_FILE} holds only the weights: momentum and schedule restart, as in the seed)`);
        for (let e = 0; e < startEpoch; e++) scheduler.step();
      }
      dispose(state); // loaded into the model and optimizer
      if (startEpoch >= o.epochs) {
        opt.dispose();
        print(`Training already finished: all ${o.epochs} epochs ran (best accuracy ${bestAcc.toFixed(2)}%); pass a larger epochs (--epochs) to train longer.`);
        return { parameterCount, bestAccuracy: bestAcc, finalAccuracy: history.at(-1)?.testAcc ?? 0, history, stopped: false, model };
      }
    }

    let sigint = false;
    const onSigint = () => {
      if (sigint) process.exit(130);
      sigint = true;
      print('\n==> SIGINT: stopping after this step; last.pth holds the last finished epoch (Ctrl-C again to quit at once)');
    };
    const stopRequested = () => sigint || o.signal?.aborted === true;
    if (o.handleSigint) process.on('SIGINT', onSigint);

    // Loss and accuracy accumulate on the device; they are read when the display refreshes or the phase ends.
    const runPhase = async (train: boolean): Promise<PhaseStats & { batches: number; complete: boolean }> => {
      const loader = train ? trainLoader : testLoader;
      const lossSum = keep(zeros([], { dtype: 'float64', device: o.device }));
      const correct = keep(zeros([], { dtype: 'int64', device: o.device }));
      let total = 0;
      let batches = 0;
      const read = (): PhaseStats => ({ loss: lossSum.item() as number, correct: correct.item() as number, total });
      const bar = createProgress(train ? 'Train' : 'Test', loader.length, {
        mode: o.progress,
        everySeconds: o.progressEvery,
        columns: o.progressColumns,
      });
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
          await nextTick(); // the event loop stays responsive: Ctrl-C, timers, I/O
          if (stopRequested()) break;
        }
        const stats = read();
        bar.finish(batches, stats);
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
        config: runConfig(o),
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
    if (!resumed) writeLast(-1, 0);

    const endEpoch = o.maxEpochsThisRun ? Math.min(o.epochs, startEpoch + o.maxEpochsThisRun) : o.epochs;
    let stopped = false;
    try {
      for (let epoch = startEpoch; epoch < endEpoch; epoch++) {
        print(`\nEpoch: ${epoch}`);
        const lr = opt.paramGroups[0].lr;
        const t0 = performance.now();
        const tr = await runPhase(true);
        const trainSeconds = (performance.now() - t0) / 1000;
        // Stopped in the training phase, or during its last step: the epoch is not finished, nothing recorded.
        if (!tr.complete || stopRequested()) {
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
        print(`Test accuracy: ${testAcc.toFixed(2)}% (best ${bestAcc.toFixed(2)}%), lr ${formatLr(lr)}, ${seconds.toFixed(1)} s`);
        if (logFile) {
          fs.mkdirSync(path.dirname(path.resolve(logFile)), { recursive: true });
          fs.appendFileSync(logFile, JSON.stringify(record) + '\n');
        }
        writeLast(epoch, testAcc);
      }
      if (!stopped && endEpoch < o.epochs) stopped = true;
    } finally {
      if (o.handleSigint) process.off('SIGINT', onSigint);
      opt.dispose(); // momentum buffers: the optimizer is not returned
    }
    print(`Best accuracy: ${bestAcc.toFixed(2)}`);
    const finalAccuracy = history.length ? history[history.length - 1].testAcc : 0;
    return { parameterCount, bestAccuracy: bestAcc, finalAccuracy, history, stopped, model };
  } finally {
    releaseData();
  }
}
