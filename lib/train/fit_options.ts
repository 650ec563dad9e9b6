// fit()'s options and result, their check at the entry, and where the JSONL log goes.
import * as path from 'path';
import type { Generator } from '../data';
import { TorchError } from '../errors';
import type { GradScaler } from '../grad_scaler';
import type { Optimizer } from '../optim';
import type { BatchSource, LossFn, MetricFn } from './evaluate';
import { Amp, checkAmp, checkPositiveInt } from './forward';
import type { ProgressMode } from './progress';
import { Callback, FitRecord, MONITORS, Monitor, SchedulerLike } from './records';
import { optionKeys } from '../utils/options';

export interface FitOptions {
  trainLoader: BatchSource & { readonly generator?: Generator | null };
  testLoader?: BatchSource;
  optimizer: Optimizer;
  scheduler?: SchedulerLike;
  /** When scheduler.step() runs: after every epoch or after every optimizer step. Default: the scheduler's kind (OneCycleLR: every step). */
  schedulerStep?: 'epoch' | 'batch';
  epochs: number;
  /** loss(output, target), a scalar; default cross-entropy. */
  lossFn?: LossFn;
  /** Extra per-batch means, logged as train_<name> and test_<name>. */
  metrics?: Record<string, MetricFn>;
  callbacks?: Callback[];
  /** Where ckpt.pth (best), last.pth (full state) and log.jsonl go; null: no files. Default 'checkpoint'. */
  checkpointDir?: string | null;
  /** Continue from last.pth (or the seed's ckpt.pth, weights only) in checkpointDir. */
  resume?: boolean;
  /** Which value picks the best epoch for ckpt.pth: default testAcc, else testLoss, trainAcc, trainLoss (what exists). */
  monitor?: Monitor;
  /** JSONL file each epoch's record is appended to; default <checkpointDir>/log.jsonl, null for none. */
  logFile?: string | null;
  /** 'bar' (redrawn in place), 'lines' (a line every progressEvery seconds and at each phase's end) or 'none'. Default 'auto': a bar on a TTY, lines otherwise. */
  progress?: ProgressMode;
  /** Seconds between progress lines when the output is not a TTY. Default 30. */
  progressEvery?: number;
  /** Terminal width for the bar. Default: the stream's columns, else 100. */
  progressColumns?: number;
  /** Extra entries stored in last.pth (trainResNet20 keeps its run configuration there). */
  extraState?: Record<string, unknown>;
  /** On resume from last.pth: 'load' the scheduler's state (default), or 'replay' a fresh schedule to the epoch (a run extended past its planned length). */
  resumeSchedule?: 'load' | 'replay';
  /** Lines such as "Epoch: 3" and per-epoch results; default console.log. */
  print?: (line: string) => void;
  /** Stop after this many epochs of this call (for resumable runs split across calls). */
  maxEpochsThisRun?: number;
  /** Handle SIGINT: stop after the current step, make sure last.pth exists, return. Default true. */
  handleSigint?: boolean;
  /** Feed inputs in channels_last memory format (the model is the caller's to convert). */
  channelsLast?: boolean;
  /** Autocast for forward and loss (backward runs outside it, as in PyTorch): 'bf16', or 'fp16' with a `scaler`. */
  amp?: Amp;
  /** torch.amp.GradScaler for amp 'fp16': scales the loss, skips steps with inf/nan gradients. */
  scaler?: GradScaler;
  /** Capture the training step in a CUDA graph (lib/train/step.ts; needs SGD({fused: true}); not with DDP or a gradientSync). Default off. */
  cudaGraphs?: boolean;
  /**
   * Cancels the run, as Node's own APIs take a `signal`: training stops after the current step (last.pth
   * keeps the last finished epoch, as with Ctrl-C) and the promise rejects with an `AbortError`.
   */
  signal?: AbortSignal;
  /**
   * Optional, for custom synchronisation: awaited between backward() and the optimizer step, e.g. an
   * all-reduce of each parameter's .grad over torch.distributed for a model that is not wrapped in
   * DistributedDataParallel. A DistributedDataParallel model needs none: its backward returns with the
   * averaged gradients and its next forward raises PyTorch's error where a reduction did not finish. With one,
   * or with a DDP model, in a group of more than one rank, every rank stops after the same step (Ctrl-C,
   * signal, a callback's stop()).
   */
  gradientSync?: () => Promise<void>;
  /** false: read checkpointDir to resume but write nothing there (ranks other than 0). Default true. */
  saveFiles?: boolean;
}

// The keys of FitOptions, a list the compiler keeps complete, for readOptions at the entry.
export const FIT = optionKeys<FitOptions>({
  trainLoader: true, testLoader: true, optimizer: true, scheduler: true, schedulerStep: true, epochs: true, lossFn: true,
  metrics: true, callbacks: true, checkpointDir: true, resume: true, monitor: true, logFile: true, progress: true,
  progressEvery: true, progressColumns: true, extraState: true, resumeSchedule: true, print: true, maxEpochsThisRun: true,
  handleSigint: true, channelsLast: true, amp: true, scaler: true, cudaGraphs: true, signal: true, gradientSync: true, saveFiles: true,
});

export interface FitResult {
  history: FitRecord[];
  /** The monitored value of the best epoch (NaN before any epoch). */
  best: number;
  monitor: Monitor;
  /** True when SIGINT, a callback's stop() or maxEpochsThisRun ended the run before the last epoch. */
  stopped: boolean;
}

const isLoader = (l: unknown) => typeof (l as BatchSource | undefined)?.[Symbol.asyncIterator] === 'function';

export function checkFitOptions(o: FitOptions): void {
  if (!o || !isLoader(o.trainLoader)) throw new TorchError('fit: trainLoader must be a DataLoader (an async iterable of {x, y})');
  if (o.testLoader !== undefined && !isLoader(o.testLoader)) throw new TorchError('fit: testLoader must be a DataLoader (an async iterable of {x, y})');
  if (!o.optimizer || typeof o.optimizer.step !== 'function') throw new TorchError('fit: optimizer is required (e.g. new optim.SGD(model.parameters(), {...}))');
  if (o.epochs === undefined) throw new TorchError(`fit: epochs must be a positive integer, got ${o.epochs}`);
  checkPositiveInt('fit', 'epochs', o.epochs);
  checkPositiveInt('fit', 'maxEpochsThisRun', o.maxEpochsThisRun);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new TorchError('fit: signal must be an AbortSignal');
  if (o.resume && !o.checkpointDir && o.checkpointDir !== undefined) throw new TorchError('fit: resume needs a checkpointDir');
  if (o.schedulerStep !== undefined && o.schedulerStep !== 'epoch' && o.schedulerStep !== 'batch') {
    throw new TorchError(`fit: schedulerStep must be 'epoch' or 'batch', got ${o.schedulerStep}`);
  }
  if (o.monitor !== undefined && !MONITORS.includes(o.monitor)) {
    throw new TorchError(`fit: monitor must be testAcc, testLoss, trainAcc or trainLoss, got ${o.monitor}`);
  }
  checkAmp('fit', o.amp, o.scaler);
}

/** The JSONL log's path: `logFile` when given (null: none), else <dir>/log.jsonl (none without a dir). */
export function logFileOf(dir: string | null, logFile: string | null | undefined): string | null {
  if (logFile !== undefined) return logFile;
  return dir ? path.join(dir, 'log.jsonl') : null;
}
