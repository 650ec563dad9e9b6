// trainResNet20's options: every setting of the seed's recipe and of the fast CUDA path, with the
// defaults filled in and checked in one place (resolveOptions).
import { cuda } from '../cuda';
import { defaultDevice } from '../distributed/device';
import { TorchError } from '../errors';
import * as models from '../models';
import * as optim from '../optim';
import { libtorchVersion } from '../utils/version';
import { NumberRule, POSITIVE, POSITIVE_INT, POSITIVE_SECONDS, checkRule } from '../utils/number_rule';
import { Amp, checkAmp } from './forward';
import type { ProgressMode } from './progress';
import { optionKeys, readOptions } from '../utils/options';

export interface TrainOptions {
  /** CIFAR-10 folder (`cifar-10-batches-bin`) or its parent. Default: $CIFAR10_ROOT, else ../shared/cifar10 or data/ beside the package. */
  dataRoot?: string;
  /** Fetch the official tarball when the files are absent. Default false. */
  download?: boolean;
  /** 'cpu', 'cuda' or 'cuda:N'. Default 'cuda' when available, else 'cpu'; with `distributed`, 'cuda' and the default are cuda:LOCAL_RANK (torchrun's one GPU per rank). */
  device?: string;
  /** Epochs to train. Default 200 (the seed). With `resume`, a larger value extends the schedule. */
  epochs?: number;
  /** Training batch size. Default 128. */
  batchSize?: number;
  /**
   * Test batch size. Default 100 (the seed's) on the CPU, 500 on CUDA: the test pass runs without gradients,
   * and bigger batches launch fewer kernels (careful PyTorch evaluates in 500s too). Accuracy and loss do
   * not depend on it (eval mode; the loss is the mean of equal batches' means when they divide the set).
   */
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
  amp?: Amp;
  /** torch.backends.cudnn.benchmark. Default: on for CUDA. */
  cudnnBenchmark?: boolean;
  /**
   * Capture the training step (forward, loss, backward, fused tensor-lr SGD) in a CUDA graph and replay it
   * (lib/train/step.ts). Default: on for CUDA where the libtorch has fused SGD (2.4 and newer), off when
   * distributed (a step that all-reduces during backward cannot be captured).
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

// The keys of TrainOptions, a list the compiler keeps complete, for readOptions at the entry.
export const TRAIN = optionKeys<TrainOptions>({
  dataRoot: true, download: true, device: true, epochs: true, batchSize: true, testBatchSize: true, lr: true, momentum: true,
  weightDecay: true, nesterov: true, schedule: true, warmupEpochs: true, depth: true, shortcut: true, labelSmoothing: true,
  augment: true, seed: true, checkpointDir: true, resume: true, limitTrain: true, limitTest: true, logFile: true, progress: true,
  progressEvery: true, progressColumns: true, print: true, maxEpochsThisRun: true, signal: true, handleSigint: true,
  channelsLast: true, amp: true, cudnnBenchmark: true, cudaGraphs: true, fusedSgd: true, numThreads: true, report: true,
  tensorboard: true, tensorboardEvery: true, distributed: true,
});

/**
 * The range of each numeric setting, written once: resolveOptions checks the options by it, and the
 * train command parses its flags by it (a bad flag stays a usage error that names the flag, before the
 * worker starts). momentum and weightDecay are the optimizer's: SGD checks them, as PyTorch's does.
 */
export const TRAIN_NUMBERS = {
  epochs: POSITIVE_INT,
  batchSize: POSITIVE_INT,
  testBatchSize: POSITIVE_INT,
  limitTrain: POSITIVE_INT,
  limitTest: POSITIVE_INT,
  maxEpochsThisRun: POSITIVE_INT,
  numThreads: POSITIVE_INT,
  tensorboardEvery: POSITIVE_INT,
  progressEvery: POSITIVE_SECONDS,
  lr: POSITIVE,
} satisfies { [K in keyof TrainOptions]?: NumberRule };

type Optional = 'dataRoot' | 'seed' | 'limitTrain' | 'limitTest' | 'logFile' | 'maxEpochsThisRun' | 'numThreads' | 'signal' | 'tensorboardEvery' | 'progressColumns';
export type Resolved = Required<Omit<TrainOptions, Optional>> & Pick<TrainOptions, Optional>;

export const DEPTHS = { 20: models.resnet20, 32: models.resnet32, 44: models.resnet44, 56: models.resnet56, 110: models.resnet110 };

/** 'cuda' when available, else 'cpu'; a distributed rank's default (or plain 'cuda') is its own GPU, cuda:LOCAL_RANK. */
function pickDevice(given: string | undefined, distributed: boolean | undefined): string {
  if (distributed && (given === undefined || (given === 'cuda' && cuda.isAvailable()))) return defaultDevice();
  return given ?? (cuda.isAvailable() ? 'cuda' : 'cpu');
}

export function resolveOptions(options: TrainOptions = {}): Resolved {
  options = readOptions('resolveOptions', options, TRAIN);
  const device = pickDevice(options.device, options.distributed);
  const onCuda = device.startsWith('cuda');
  const o: Resolved = {
    download: false,
    device,
    // The fast CUDA path; each switch can be turned off. On CPU they default to off.
    channelsLast: onCuda,
    amp: onCuda ? 'bf16' : false,
    cudnnBenchmark: onCuda,
    // Not for a distributed run: its backward all-reduces the gradients, which a CUDA graph cannot hold.
    cudaGraphs: onCuda && optim.fusedSgdAvailable && !options.distributed,
    fusedSgd: onCuda && optim.fusedSgdAvailable,
    epochs: 200,
    batchSize: 128,
    testBatchSize: onCuda ? 500 : 100,
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
  o.device = device; // over the spread: a distributed rank's 'cuda' is resolved to its own GPU
  checkResolved(o);
  // The captured update reads its lr from a device tensor: the fused SGD.
  if (o.cudaGraphs) o.fusedSgd = true;
  return o;
}

function checkResolved(o: Resolved): void {
  const onCuda = o.device.startsWith('cuda');
  for (const [k, rule] of Object.entries(TRAIN_NUMBERS)) checkRule('trainResNet20', k, o[k as keyof typeof TRAIN_NUMBERS], rule);
  if (!(o.depth in DEPTHS)) throw new TorchError(`trainResNet20: depth must be 20, 32, 44, 56 or 110, got ${o.depth}`);
  if (o.shortcut !== 'A' && o.shortcut !== 'B') throw new TorchError(`trainResNet20: shortcut must be 'A' or 'B', got ${o.shortcut}`);
  if (!['cosine', 'multistep', 'constant'].includes(o.schedule)) {
    throw new TorchError(`trainResNet20: schedule must be cosine, multistep or constant, got ${o.schedule}`);
  }
  checkAmp('trainResNet20', o.amp);
  if (o.cudaGraphs && o.distributed) {
    throw new TorchError('trainResNet20: cudaGraphs cannot capture a distributed step (DistributedDataParallel all-reduces the gradients during backward); pass cudaGraphs: false');
  }
  if (o.cudaGraphs && !onCuda) throw new TorchError(`trainResNet20: cudaGraphs needs a CUDA device, got '${o.device}'`);
  if (o.cudaGraphs && !optim.fusedSgdAvailable) {
    throw new TorchError(`trainResNet20: cudaGraphs needs the fused tensor-lr SGD of libtorch 2.4 or newer (this is ${libtorchVersion}); pass cudaGraphs: false`);
  }
  if (onCuda && !cuda.isAvailable()) {
    throw new TorchError(`trainResNet20: device '${o.device}' requested but CUDA is not available in this build/machine`);
  }
}

