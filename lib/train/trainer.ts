// trainResNet20(): the seed's recipe (kuangliu/pytorch-cifar main.py) as one call on top of fit(), with
// its flaws fixed: full-state checkpoints that resume exactly, atomic writes, no host-device sync per step.
// It reads as main.py does: data, model, criterion and optimizer, schedule, the loop; the options and
// their checks are in options.ts, the loop in fit.ts.
import { backends } from '../amp';
import { cuda } from '../cuda';
import * as data from '../data';
import * as dist from '../distributed';
import { GradScaler } from '../grad_scaler';
import { dispose, keep } from '../memory';
import type * as models from '../models';
import { crossEntropy } from '../nn/functional';
import { DistributedDataParallel } from '../nn/parallel';
import * as optim from '../optim';
import { Tensor, manualSeed, setNumThreads } from '../tensor';
import { throwIfAborted } from '../utils/abort';
import { Callback, FitResult, fit, logFileOf } from './fit';
import { DEPTHS, Resolved, TRAIN, TrainOptions, resolveOptions } from './options';
import type { EpochRecord } from './records';
import { report } from './report';
import { readStoredRun } from './resume';
import { resumeOptions, runConfig } from './run_config';
import { writeRunInfo } from './run_info';
import { TensorBoardHook } from './tensorboard_hook';
import { readOptions } from '../utils/options';

export { formatLr } from './fit';
export { resolveOptions } from './options';
export type { TrainOptions } from './options';
export type { EpochRecord } from './records';

export interface TrainResult {
  parameterCount: number;
  bestAccuracy: number;
  finalAccuracy: number;
  history: EpochRecord[];
  /** True when SIGINT (or maxEpochsThisRun) stopped the run before the last epoch. */
  stopped: boolean;
  model: models.ResNet;
}

/** What a run owns and frees at its end, set as each part is made (so a failure frees what was made). */
interface Owned {
  optimizer?: optim.SGD;
  scaler?: GradScaler;
}

/**
 * Trains ResNet-20 (or 32/44/56/110) on CIFAR-10 with the seed's recipe; see TrainOptions for every
 * override. The steps of the seed's main.py: data, model, criterion, optimizer, schedule, then fit().
 */
export async function trainResNet20(options: TrainOptions = {}): Promise<TrainResult> {
  options = readOptions('trainResNet20', options, TRAIN);
  // Resuming: last.pth's stored configuration completes the options (a contradicting one is refused).
  const stored = options.resume ? readStoredRun(options.checkpointDir ?? 'checkpoint') : undefined;
  const { options: given, extended } = stored?.config ? resumeOptions(stored.config, options) : { options, extended: false };
  const o = resolveOptions(given);
  const lead = await setUpProcess(o);
  const print = lead ? o.print : () => {};

  print('==> Preparing data..');
  const d = await cifar10Loaders(o);
  if (lead) writeRunInfo(o.checkpointDir, o); // once the data is there: a failed download leaves no run folder
  const tb = o.tensorboard && lead ? new TensorBoardHook(o.tensorboard, o.checkpointDir, o.tensorboardEvery) : null;
  const owned: Owned = {};
  const benchmarkBefore = backends.cudnn.benchmark; // a process-wide switch: put back when the run ends
  try {
    print('==> Building model..');
    const { net, parameterCount, scheduler } = buildTraining(o, owned, print);
    if (extended) print(`    (extending the run from ${stored?.config?.epochs} to ${o.epochs} epochs: the ${o.schedule} schedule is recomputed for ${o.epochs})`);

    // Rank 0's initial weights reach every rank before the first step. fit() then trains it as any model: its
    // backward averages the gradients across ranks, and fit sees the DDP model and agrees on where to stop.
    const ddp = o.distributed ? new DistributedDataParallel(net) : null;
    if (ddp) await ddp.ready;
    const callbacks: Callback[] = [...(tb ? [tb.callback(d.train.length)] : []), ...(d.sampler ? [{ onEpochBegin: (e: number) => d.sampler!.setEpoch(e) }] : [])];
    const r = await fit(ddp ?? net, {
      ...fitSettings(o, lead),
      trainLoader: d.train,
      testLoader: d.test,
      optimizer: owned.optimizer!,
      scheduler,
      lossFn: (out: Tensor, y: Tensor) => crossEntropy(out, y, { labelSmoothing: o.labelSmoothing }),
      scaler: owned.scaler,
      callbacks,
      resumeSchedule: extended ? 'replay' : 'load',
    });
    if (stored && stored.epochsDone >= o.epochs) {
      print(`Training already finished: all ${o.epochs} epochs ran (best accuracy ${bestOf(r).toFixed(2)}%); pass a larger epochs (--epochs) to train longer.`);
    }
    print(`Best accuracy: ${bestOf(r).toFixed(2)}`);
    if (o.report && !r.stopped && lead) await writeReport(o, d.root);
    const history = r.history as EpochRecord[];
    const finalAccuracy = history.length ? history[history.length - 1].testAcc : 0;
    return { parameterCount, bestAccuracy: bestOf(r), finalAccuracy, history, stopped: r.stopped, model: net };
  } finally {
    backends.cudnn.benchmark = benchmarkBefore;
    owned.optimizer?.dispose(); // momentum buffers: the optimizer is not returned
    owned.scaler?.dispose();
    tb?.close();
    d.dispose();
  }
}

/**
 * The process-wide settings of a run: this rank's GPU and process group (distributed), the seed and the
 * thread count. Returns whether this is the rank that prints and writes files.
 */
async function setUpProcess(o: Resolved): Promise<boolean> {
  throwIfAborted(o.signal);
  if (o.distributed && o.device.startsWith('cuda')) cuda.setDevice(o.device); // torch.cuda.set_device(local_rank): 'cuda' and NCCL use this rank's GPU
  if (o.distributed && !dist.isInitialized()) await dist.initProcessGroup({ backend: o.device.startsWith('cuda') ? 'nccl' : 'gloo' }); // as PyTorch users do
  const lead = !o.distributed || dist.getRank() === 0;
  if (o.seed !== undefined) manualSeed(o.seed);
  if (o.numThreads !== undefined) setNumThreads(o.numThreads);
  return lead;
}

/** The seed's model, optimizer and schedule (and the fp16 loss scaler), on the run's device. */
function buildTraining(o: Resolved, owned: Owned, print: (line: string) => void) {
  const net = DEPTHS[o.depth]({ numClasses: 10, shortcut: o.shortcut }).to(o.device);
  if (o.channelsLast) net.to({ memoryFormat: 'channels_last' });
  if (o.cudnnBenchmark) backends.cudnn.benchmark = true; // restored by the caller, also when training throws
  const parameterCount = net.parameterCount();
  print(`Total number of parameters: ${parameterCount}`);
  owned.optimizer = new optim.SGD(net.parameters(), { lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay, nesterov: o.nesterov, fused: o.fusedSgd });
  // float16 needs loss scaling (bfloat16 has float32's range and does not).
  owned.scaler = o.amp === 'fp16' ? new GradScaler(o.device) : undefined;
  return { net, parameterCount, scheduler: makeScheduler(o, owned.optimizer) };
}

const bestOf = (r: FitResult) => (Number.isNaN(r.best) ? 0 : r.best);

/** The fit() options that come straight from the recipe's (rank 0 alone prints and writes files). */
export function fitSettings(o: Resolved, lead: boolean) {
  return {
    epochs: o.epochs,
    monitor: 'testAcc' as const,
    checkpointDir: o.checkpointDir,
    resume: o.resume,
    logFile: o.logFile,
    progress: lead ? o.progress : ('none' as const),
    progressEvery: o.progressEvery,
    progressColumns: o.progressColumns,
    print: lead ? o.print : () => {},
    maxEpochsThisRun: o.maxEpochsThisRun,
    handleSigint: o.handleSigint,
    channelsLast: o.channelsLast,
    amp: o.amp,
    cudaGraphs: o.cudaGraphs,
    signal: o.signal,
    saveFiles: lead,
    extraState: { config: runConfig(o) },
  };
}

/**
 * The seed's transforms over CIFAR-10 (or its first limitTrain / limitTest images), as loaders on the
 * training device. Distributed: each rank its shard, reshuffled every epoch from seed + epoch (the same
 * on every rank). dispose() frees the host copies and the device-resident ones.
 */
async function cifar10Loaders(o: Resolved) {
  const root = o.dataRoot ?? data.defaultCifar10Root();
  const fullTrain = await data.CIFAR10.create({ root, train: true, download: o.download });
  const fullTest = await data.CIFAR10.create({ root, train: false, download: o.download });
  const trainSet = limit(fullTrain, o.limitTrain);
  const testSet = limit(fullTest, o.limitTest);
  const sampler = o.distributed ? new data.DistributedSampler(trainSet, { seed: o.seed ?? 0 }) : undefined;
  const train = new data.DataLoader(trainSet, {
    batchSize: o.batchSize,
    transform: o.augment ? data.cifar10TrainTransform() : data.cifar10TestTransform(),
    device: o.device,
    ...(sampler ? { sampler } : { shuffle: true, seed: o.seed }),
  });
  const test = new data.DataLoader(testSet, { batchSize: o.testBatchSize, transform: data.cifar10TestTransform(), device: o.device });
  const dispose_ = () => {
    train.dispose();
    test.dispose();
    for (const ds of [trainSet, testSet, fullTrain, fullTest]) dispose([ds.data, ds.targets]);
  };
  return { root, train, test, sampler, dispose: dispose_ };
}

/** report.html beside the checkpoints; a failure is printed, not thrown (the run itself succeeded). */
export async function writeReport(o: Resolved, dataRoot: string): Promise<void> {
  const logFile = logFileOf(o.checkpointDir, o.logFile);
  if (!logFile) return;
  try {
    const written = await report(o.checkpointDir, { logFile, dataRoot, limitTest: o.limitTest, device: o.device });
    o.print(`Report: ${written.html}`);
  } catch (e) {
    o.print(`(report not written: ${(e as Error).message})`);
  }
}

function limit(ds: data.TensorDatasetLike, n: number | undefined): data.TensorDatasetLike {
  if (n === undefined || n >= ds.data.shape[0]) return ds;
  return new data.TensorDataset(keep(ds.data.narrow(0, 0, n)), keep(ds.targets.narrow(0, 0, n)));
}

export function makeScheduler(o: Resolved, opt: optim.SGD): optim.LRScheduler | optim.SequentialLR {
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

