// trainResNet20(): the seed's recipe (kuangliu/pytorch-cifar main.py) as one call on top of fit(), with
// its flaws fixed: full-state checkpoints that resume exactly, atomic writes, no host-device sync per step.
import * as fs from 'fs';
import * as path from 'path';
import { backends } from '../amp';
import { cuda } from '../cuda';
import * as data from '../data';
import { TorchError } from '../errors';
import { GradScaler } from '../grad_scaler';
import { dispose, keep } from '../memory';
import * as models from '../models';
import * as dist from '../distributed';
import { crossEntropy } from '../nn/functional';
import { DistributedDataParallel } from '../nn/parallel';
import * as optim from '../optim';
import { Tensor, manualSeed, setNumThreads } from '../tensor';
import { load } from '../serialization';
import { throwIfAborted } from '../utils/abort';
import { libtorchVersion } from '../utils/version';
import { LAST_FILE } from './checkpoint';
import { EpochRecord as FitRecord, fit } from './fit';
export { formatLr } from './fit';
import { ProgressMode } from './progress';
import { report } from './report';
import { RunConfig, resumeOptions, runConfig, storedConfig } from './run_config';
import { writeRunInfo } from './run_info';
import { TensorBoardHook } from './tensorboard_hook';

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
  /**
   * Cancels the run, as Node's own APIs take a `signal`: training stops after the current step (last.pth
   * keeps the last finished epoch, as with Ctrl-C) and the promise rejects with an `AbortError`. Default: none.
   */
  signal?: AbortSignal;
  /** Handle SIGINT in this thread: stop after the current step, keep last.pth, return; a second SIGINT exits. Default true. */
  handleSigint?: boolean;
  /** channels_last memory format for the model and its inputs. Default: on for CUDA, off on CPU. */
  channelsLast?: boolean;
  /** Automatic mixed precision for forward and loss: 'bf16', 'fp16' (with a GradScaler) or false. Default: 'bf16' on CUDA, off on CPU. */
  amp?: 'bf16' | 'fp16' | false;
  /** torch.backends.cudnn.benchmark. Default: on for CUDA. */
  cudnnBenchmark?: boolean;
  /**
   * Capture the training step (forward, loss, backward, fused tensor-lr SGD) in a CUDA graph and replay it
   * (lib/train/step.ts). Default: on for CUDA where the libtorch has fused SGD (2.4 and newer).
   */
  cudaGraphs?: boolean;
  /** SGD({fused: true}): PyTorch's fused kernel with the lr in a device tensor. Default: on for CUDA where available (cudaGraphs needs it). */
  fusedSgd?: boolean;
  /** CPU intra-op threads (torch.set_num_threads). Default: libtorch's own choice, as in PyTorch. */
  numThreads?: number;
  /** Write report.html (and its charts) into checkpointDir when training ends. Default true. */
  report?: boolean;
  /** TensorBoard event files: true for <checkpointDir>/tensorboard, or a folder. Default off. */
  tensorboard?: boolean | string;
  /** With tensorboard: also the training loss every N optimizer steps (reads the loss, a host-device sync). Default: none. */
  tensorboardEvery?: number;
  /**
   * Data-parallel training over torch.distributed (gloo): joins the default process group from torchrun's
   * environment (`torchrun` or `libtorch-node launch`) unless already initialised, wraps the model in
   * DistributedDataParallel and reads the training set through a DistributedSampler. batchSize is per
   * rank, as in PyTorch. Rank 0 alone prints and writes checkpoints, logs and the report; every rank
   * reads last.pth to resume (with the same world size). Default false.
   */
  distributed?: boolean;
}

/** fit()'s record; for this recipe (class scores, a test set) the accuracies and test loss are always there. */
export type EpochRecord = FitRecord & Required<Pick<FitRecord, 'trainAcc' | 'testLoss' | 'testAcc'>>;

export interface TrainResult {
  parameterCount: number;
  bestAccuracy: number;
  finalAccuracy: number;
  history: EpochRecord[];
  /** True when SIGINT (or maxEpochsThisRun) stopped the run before the last epoch. */
  stopped: boolean;
  model: models.ResNet;
}

type Optional = 'dataRoot' | 'seed' | 'limitTrain' | 'limitTest' | 'logFile' | 'maxEpochsThisRun' | 'numThreads' | 'signal' | 'tensorboardEvery' | 'progressColumns';
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
    cudaGraphs: onCuda && optim.fusedSgdAvailable,
    fusedSgd: onCuda && optim.fusedSgdAvailable,
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
    report: true,
    tensorboard: false,
    distributed: false,
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
  if (!(o.progressEvery > 0)) throw new TorchError(`trainResNet20: progressEvery must be a positive number of seconds, got ${o.progressEvery}`);
  if (!(o.lr > 0)) throw new TorchError(`trainResNet20: lr must be positive, got ${o.lr}`);
  if (!(o.depth in DEPTHS)) throw new TorchError(`trainResNet20: depth must be 20, 32, 44, 56 or 110, got ${o.depth}`);
  if (o.shortcut !== 'A' && o.shortcut !== 'B') throw new TorchError(`trainResNet20: shortcut must be 'A' or 'B', got ${o.shortcut}`);
  if (!['cosine', 'multistep', 'constant'].includes(o.schedule)) {
    throw new TorchError(`trainResNet20: schedule must be cosine, multistep or constant, got ${o.schedule}`);
  }
  if (o.amp !== false && o.amp !== 'bf16' && o.amp !== 'fp16') throw new TorchError(`trainResNet20: amp must be 'bf16', 'fp16' or false, got ${o.amp}`);
  if (o.cudaGraphs && !onCuda) throw new TorchError(`trainResNet20: cudaGraphs needs a CUDA device, got '${o.device}'`);
  if (o.cudaGraphs && !optim.fusedSgdAvailable) {
    throw new TorchError(`trainResNet20: cudaGraphs needs the fused tensor-lr SGD of libtorch 2.4 or newer (this is ${libtorchVersion}); pass cudaGraphs: false`);
  }
  // The captured update reads its lr from a device tensor: the fused SGD.
  if (o.cudaGraphs) o.fusedSgd = true;
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

/**
 * Trains ResNet-20 (or 32/44/56/110) on CIFAR-10 with the seed's recipe; see TrainOptions for every
 * override. The steps of the seed's main.py: data, model, criterion, optimizer, schedule, then fit().
 */
export async function trainResNet20(options: TrainOptions = {}): Promise<TrainResult> {
  // Resuming: last.pth's stored configuration completes the options (a contradicting one is refused).
  const stored = options.resume ? readStoredRun(options.checkpointDir ?? 'checkpoint') : undefined;
  const { options: given, extended } = stored?.config ? resumeOptions(stored.config, options) : { options, extended: false };
  const o = resolveOptions(given);
  throwIfAborted(o.signal);
  if (o.distributed && !dist.isInitialized()) await dist.initProcessGroup({ backend: 'gloo' });
  const lead = !o.distributed || dist.getRank() === 0; // the rank that prints and writes files
  const print = lead ? o.print : () => {};
  if (o.seed !== undefined) manualSeed(o.seed);
  if (o.numThreads !== undefined) setNumThreads(o.numThreads);

  if (lead) writeRunInfo(o.checkpointDir, o);
  const tb = o.tensorboard && lead ? new TensorBoardHook(o.tensorboard, o.checkpointDir, o.tensorboardEvery) : null;
  print('==> Preparing data..');
  const root = o.dataRoot ?? data.defaultCifar10Root();
  const fullTrain = await data.CIFAR10.create({ root, train: true, download: o.download });
  const fullTest = await data.CIFAR10.create({ root, train: false, download: o.download });
  const trainSet = limit(fullTrain, o.limitTrain);
  const testSet = limit(fullTest, o.limitTest);
  // Distributed: each rank its shard, reshuffled every epoch from seed + epoch (the same on every rank).
  const sampler = o.distributed ? new data.DistributedSampler(trainSet, { seed: o.seed ?? 0 }) : undefined;
  const trainLoader = new data.DataLoader(trainSet, {
    batchSize: o.batchSize,
    transform: o.augment ? data.cifar10TrainTransform() : data.cifar10TestTransform(),
    device: o.device,
    ...(sampler ? { sampler } : { shuffle: true, seed: o.seed }),
  });
  const testLoader = new data.DataLoader(testSet, { batchSize: o.testBatchSize, transform: data.cifar10TestTransform(), device: o.device });

  let optimizer: optim.SGD | undefined;
  let scaler: GradScaler | undefined;
  try {
    print('==> Building model..');
    const net = DEPTHS[o.depth]({ numClasses: 10, shortcut: o.shortcut }).to(o.device);
    if (o.channelsLast) net.to({ memoryFormat: 'channels_last' });
    if (o.cudnnBenchmark) backends.cudnn.benchmark = true;
    const parameterCount = net.parameterCount();
    print(`Total number of parameters: ${parameterCount}`);

    const criterion = (out: Tensor, y: Tensor) => crossEntropy(out, y, { labelSmoothing: o.labelSmoothing });
    optimizer = new optim.SGD(net.parameters(), { lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay, nesterov: o.nesterov, fused: o.fusedSgd });
    // float16 needs loss scaling (bfloat16 has float32's range and does not).
    scaler = o.amp === 'fp16' ? new GradScaler(o.device) : undefined;
    const scheduler = makeScheduler(o, optimizer);

    if (extended) print(`    (extending the run from ${stored?.config?.epochs} to ${o.epochs} epochs: the ${o.schedule} schedule is recomputed for ${o.epochs})`);
    // Rank 0's initial weights reach every rank before the first step.
    const ddp = o.distributed ? new DistributedDataParallel(net) : null;
    if (ddp) await ddp.ready;
    const callbacks = [...(tb ? [tb.callback(trainLoader.length)] : []), ...(sampler ? [{ onEpochBegin: (epoch: number) => sampler.setEpoch(epoch) }] : [])];
    const r = await fit(ddp ?? net, {
      trainLoader,
      testLoader,
      optimizer,
      scheduler,
      epochs: o.epochs,
      lossFn: criterion,
      monitor: 'testAcc',
      checkpointDir: o.checkpointDir,
      resume: o.resume,
      logFile: o.logFile,
      progress: lead ? o.progress : 'none',
      print,
      maxEpochsThisRun: o.maxEpochsThisRun,
      handleSigint: o.handleSigint,
      channelsLast: o.channelsLast,
      amp: o.amp,
      scaler,
      cudaGraphs: o.cudaGraphs,
      signal: o.signal,
      callbacks,
      gradientSync: ddp ? () => ddp.syncGradients() : undefined,
      saveFiles: lead,
      progressEvery: o.progressEvery,
      progressColumns: o.progressColumns,
      extraState: { config: runConfig(o) },
      resumeSchedule: extended ? 'replay' : 'load',
    });

    const bestAccuracy = Number.isNaN(r.best) ? 0 : r.best;
    if (stored && stored.epochsDone >= o.epochs) {
      print(`Training already finished: all ${o.epochs} epochs ran (best accuracy ${bestAccuracy.toFixed(2)}%); pass a larger epochs (--epochs) to train longer.`);
    }
    print(`Best accuracy: ${bestAccuracy.toFixed(2)}`);
    const logFile = o.logFile === undefined ? path.join(o.checkpointDir, 'log.jsonl') : o.logFile;
    if (o.report && !r.stopped && logFile && lead) {
      try {
        const written = await report(o.checkpointDir, { logFile, dataRoot: root, limitTest: o.limitTest, device: o.device });
        print(`Report: ${written.html}`);
      } catch (e) {
        print(`(report not written: ${(e as Error).message})`); // the run itself succeeded
      }
    }
    const history = r.history as EpochRecord[];
    const finalAccuracy = history.length ? history[history.length - 1].testAcc : 0;
    return { parameterCount, bestAccuracy, finalAccuracy, history, stopped: r.stopped, model: net };
  } finally {
    optimizer?.dispose(); // momentum buffers: the optimizer is not returned
    scaler?.dispose();
    tb?.close();
    // Everything the data side holds (host copies, the device-resident copies) is freed when training ends.
    trainLoader.dispose();
    testLoader.dispose();
    for (const ds of [trainSet, testSet, fullTrain, fullTest]) dispose([ds.data, ds.targets]);
  }
}

/** The configuration and finished epochs last.pth holds, read before anything is built (undefined without last.pth). */
function readStoredRun(dir: string): { config: RunConfig | undefined; epochsDone: number } | undefined {
  const file = path.join(dir, LAST_FILE);
  if (!fs.existsSync(file)) return undefined;
  const state = load<{ config?: unknown; epoch?: unknown }>(file);
  try {
    return { config: storedConfig(state), epochsDone: Number(state.epoch ?? -1) + 1 };
  } finally {
    dispose(state);
  }
}
