// fit(model, {...}): the training loop for any model, as people write it in PyTorch, with what a long
// run needs: progress, a test pass per epoch (evaluate()), the best and the last checkpoint with exact
// resume, a JSONL log and a clean stop on SIGINT. Loss and accuracy accumulate on the device and are
// read when the display refreshes or the phase ends: no host-device sync per step.
import * as path from 'path';
import type { Generator } from '../data';
import { TorchError } from '../errors';
import type { GradScaler } from '../grad_scaler';
import { dispose, keep, tidy } from '../memory';
import type { Module } from '../nn';
import type { Optimizer } from '../optim';
import { Tensor, getRngState, noGrad, zeros } from '../tensor';
import { throwIfAborted } from '../utils/abort';
import { TrainState, appendLog, saveBest, saveLast } from './checkpoint';
import { BatchSource, LossFn, MetricFn, evaluate, isClassification } from './evaluate';
import { Amp, Placement, checkAmp, checkPositiveInt, defaultLoss, forwardWith, modelDevice, placeBatch, placementOf, withAmp } from './forward';
import { PhaseStats, ProgressMode, createProgress } from './progress';
import { Callback, FitContext, FitRecord, MONITORS, Monitor, SchedulerLike } from './records';
import { resumeRun } from './resume';
import { TrainStep } from './step';
import { readOptions, FIT } from '../utils/option_keys';

export type { Callback, FitContext, FitRecord, Monitor, SchedulerLike } from './records';

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
  /** Capture the training step in a CUDA graph (lib/train/step.ts; needs SGD({fused: true})). Default off. */
  cudaGraphs?: boolean;
  /**
   * Cancels the run, as Node's own APIs take a `signal`: training stops after the current step (last.pth
   * keeps the last finished epoch, as with Ctrl-C) and the promise rejects with an `AbortError`.
   */
  signal?: AbortSignal;
  /**
   * Awaited between backward() and the optimizer step: a DistributedDataParallel's syncGradients, which
   * waits (off the JS thread) for the gradient all-reduces its backward launched. Without it the optimizer
   * step would wait for them natively, on the JS thread.
   */
  gradientSync?: () => Promise<void>;
  /** false: read checkpointDir to resume but write nothing there (ranks other than 0). Default true. */
  saveFiles?: boolean;
}

export interface FitResult {
  history: FitRecord[];
  /** The monitored value of the best epoch (NaN before any epoch). */
  best: number;
  monitor: Monitor;
  /** True when SIGINT, a callback's stop() or maxEpochsThisRun ended the run before the last epoch. */
  stopped: boolean;
}

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));
const higherIsBetter = (m: Monitor) => m.endsWith('Acc');
const isLoader = (l: unknown) => typeof (l as BatchSource | undefined)?.[Symbol.asyncIterator] === 'function';

function check(o: FitOptions): void {
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

/** Trains `model` for `epochs` epochs; see FitOptions. The model, loaders and optimizer stay the caller's. */
export async function fit(model: Module & { forward(x: Tensor): Tensor }, options: FitOptions): Promise<FitResult> {
  options = readOptions('fit', options, FIT);
  check(options);
  throwIfAborted(options.signal);
  return new FitRun(model, options).run();
}

/** Ctrl-C, the caller's AbortSignal and callbacks' stop(): each ends the run after the current step. */
class Stopper {
  requested = false;
  private readonly abort = new AbortController();
  readonly signal = this.abort.signal;
  readonly stop = () => {
    this.requested = true;
    this.abort.abort();
  };
  private readonly onSigint = () => {
    if (this.requested) process.exit(130);
    this.stop();
    this.print('\n==> SIGINT: stopping after this step; last.pth holds the last finished epoch (Ctrl-C again to quit at once)');
  };

  constructor(
    private readonly print: (line: string) => void,
    private readonly handleSigint: boolean,
    private readonly callerSignal?: AbortSignal,
  ) {
    if (handleSigint) process.on('SIGINT', this.onSigint);
    callerSignal?.addEventListener('abort', this.stop, { once: true });
  }

  dispose(): void {
    if (this.handleSigint) process.off('SIGINT', this.onSigint);
    this.callerSignal?.removeEventListener('abort', this.stop);
  }
}

/** Loss, correct predictions and metric sums of a phase, on the device; read only when asked. */
class Meter {
  private readonly lossSum: Tensor;
  private readonly correct: Tensor;
  private readonly metricSums: Tensor[];
  total = 0;
  batches = 0;
  classification = false;

  constructor(
    device: string,
    private readonly metrics: Record<string, MetricFn>,
  ) {
    const zero = (dtype: 'float64' | 'int64') => keep(zeros([], { dtype, device }));
    this.lossSum = zero('float64');
    this.correct = zero('int64');
    this.metricSums = Object.keys(metrics).map(() => zero('float64'));
  }

  add(out: Tensor, y: Tensor, loss: Tensor): void {
    this.total += y.shape[0];
    this.batches++;
    noGrad(() => {
      this.lossSum.add_(loss.detach());
      if (this.batches === 1) this.classification = isClassification(out, y);
      if (this.classification) this.correct.add_(out.argmax(1).eq(y).sum());
      Object.values(this.metrics).forEach((fn, i) => this.metricSums[i].add_(fn(out.detach(), y).to('float64').mul(y.shape[0])));
    });
  }

  read = (): PhaseStats => ({ loss: this.lossSum.item() as number, correct: this.correct.item() as number, total: this.total });

  metricMeans(prefix: string): Record<string, number> {
    const names = Object.keys(this.metrics);
    return Object.fromEntries(names.map((name, i) => [`${prefix}${name}`, (this.metricSums[i].item() as number) / Math.max(this.total, 1)]));
  }

  dispose(): void {
    dispose([this.lossSum, this.correct, ...this.metricSums]);
  }
}

interface TrainPhase extends PhaseStats {
  batches: number;
  complete: boolean;
  classification: boolean;
  metrics: Record<string, number>;
}

/** One fit() call: the settings it derives once, the state it carries from epoch to epoch. */
class FitRun {
  private readonly print: (line: string) => void;
  private readonly progress: { mode: ProgressMode; everySeconds?: number; columns?: number };
  private readonly dir: string | null;
  private readonly writes: boolean;
  private readonly logFile: string | null;
  private readonly lossFn: LossFn;
  private readonly schedulerStep: 'epoch' | 'batch';
  private readonly device: string;
  /** Where batches go: the model's device and floating dtype. */
  private readonly where: Placement | null;
  private readonly stopper: Stopper;
  private readonly ctx: FitContext;
  private trainStep: TrainStep | null = null;
  private epoch = 0;
  private best = NaN;
  private monitor: Monitor | undefined;
  private history: FitRecord[] = [];

  constructor(
    private readonly model: Module & { forward(x: Tensor): Tensor },
    private readonly o: FitOptions,
  ) {
    this.print = o.print ?? ((line: string) => console.log(line));
    this.progress = { mode: o.progress ?? 'auto', everySeconds: o.progressEvery, columns: o.progressColumns };
    this.dir = o.checkpointDir === undefined ? 'checkpoint' : o.checkpointDir;
    this.writes = o.saveFiles ?? true;
    this.logFile = this.writes ? logFileOf(this.dir, o.logFile) : null;
    this.lossFn = o.lossFn ?? defaultLoss;
    this.schedulerStep = o.schedulerStep ?? (o.scheduler?.kind === 'batch' ? 'batch' : 'epoch');
    this.device = modelDevice(model);
    this.where = placementOf(model);
    this.monitor = o.monitor;
    this.stopper = new Stopper(this.print, o.handleSigint ?? true, o.signal);
    const run = this; // eslint-disable-line @typescript-eslint/no-this-alias
    this.ctx = {
      model,
      optimizer: o.optimizer,
      get epoch() {
        return run.epoch;
      },
      stop: this.stopper.stop,
    };
  }

  async run(): Promise<FitResult> {
    const o = this.o;
    let startEpoch = 0;
    let stopped = false;
    try {
      if (o.resume) startEpoch = this.resume();
      else this.writeLast(-1); // a fresh run records its starting point: an interruption in the first epoch resumes exactly
      this.trainStep = new TrainStep(this.model, o.optimizer, { lossFn: this.lossFn, amp: o.amp ?? false, scaler: o.scaler, channelsLast: o.channelsLast, cudaGraphs: o.cudaGraphs ?? false });
      const endEpoch = o.maxEpochsThisRun ? Math.min(o.epochs, startEpoch + o.maxEpochsThisRun) : o.epochs;
      for (this.epoch = startEpoch; this.epoch < endEpoch; this.epoch++) {
        const record = await this.runEpoch();
        if (!record) return this.result(true);
        await this.endEpoch(record);
        if (this.stopper.requested) return this.result(this.epoch + 1 < o.epochs);
      }
      stopped = endEpoch < o.epochs;
    } finally {
      this.trainStep?.dispose();
      this.stopper.dispose();
    }
    return this.result(stopped);
  }

  private result(stopped: boolean): FitResult {
    throwIfAborted(this.o.signal);
    return { history: this.history, best: this.best, monitor: this.monitor ?? 'testAcc', stopped };
  }

  /** Restores last.pth (or the seed's ckpt.pth) from checkpointDir; returns the epoch to start at. */
  private resume(): number {
    if (!this.dir) throw new TorchError('fit: resume needs a checkpointDir');
    const r = resumeRun(this.dir, {
      model: this.model,
      optimizer: this.o.optimizer,
      scheduler: this.o.scheduler,
      replaySchedule: this.o.resumeSchedule === 'replay',
      schedulerPerEpoch: this.schedulerStep === 'epoch',
      generator: this.o.trainLoader.generator,
      scaler: this.o.scaler,
      device: this.device,
      print: this.print,
      logFile: this.logFile,
    });
    this.best = r.best;
    this.monitor ??= r.monitor;
    this.history = r.history;
    return r.startEpoch;
  }

  /** The epoch's training and test passes; null when a stop cut them short. */
  private async runEpoch(): Promise<FitRecord | null> {
    const o = this.o;
    this.print(`\nEpoch: ${this.epoch}`);
    for (const cb of o.callbacks ?? []) await cb.onEpochBegin?.(this.epoch, this.ctx);
    const lr = o.optimizer.paramGroups[0].lr;
    const t0 = performance.now();
    const tr = await this.trainPhase();
    const trainSeconds = (performance.now() - t0) / 1000;
    if (!tr.complete) return null;
    const forward = forwardWith(this.model, o);
    const lossFn = (out: Tensor, y: Tensor) => withAmp(this.device, o.amp, () => this.lossFn(out, y));
    const te = o.testLoader
      ? await evaluate(this.model, o.testLoader, { lossFn, metrics: o.metrics, forward, progress: this.progress, signal: this.stopper.signal })
      : undefined;
    if (te && !te.complete) return null;
    const testMetrics = Object.fromEntries(Object.entries(te?.metrics ?? {}).map(([k, v]) => [`test_${k}`, v]));
    // Fields in reading order; the ones that do not apply are left out (JSON has no undefined).
    return {
      epoch: this.epoch,
      lr,
      trainLoss: tr.loss / Math.max(tr.batches, 1),
      ...(tr.classification ? { trainAcc: (100 * tr.correct) / Math.max(tr.total, 1) } : {}),
      ...(te ? { testLoss: te.loss } : {}),
      ...(te?.classification ? { testAcc: te.accuracy } : {}),
      ...(Object.keys(o.metrics ?? {}).length ? { metrics: { ...tr.metrics, ...testMetrics } } : {}),
      trainSeconds,
      seconds: (performance.now() - t0) / 1000,
    };
  }

  private async trainPhase(): Promise<TrainPhase> {
    const { trainLoader, gradientSync, scheduler, callbacks = [] } = this.o;
    const meter = new Meter(this.device, this.o.metrics ?? {});
    const bar = createProgress('Train', trainLoader.length ?? 0, this.progress);
    this.model.train(true);
    try {
      for await (const batch of trainLoader) {
        // The batch on the model's device (a no-op for a loader already there): the meter compares on it.
        const { x, y } = placeBatch(batch.x, batch.y, this.where);
        try {
          // Distributed: the gradients are averaged across ranks between backward and the update (awaited).
          const synced = gradientSync ? await this.trainStep!.stepWithSync(x, y, gradientSync) : null;
          tidy(() => {
            const { output, loss } = synced ?? this.trainStep!.step(x, y);
            meter.add(output, y, loss);
            for (const cb of callbacks) cb.onBatchEnd?.(meter.batches, loss, this.ctx);
          });
        } finally {
          dispose([...new Set([x, y, batch.x, batch.y])]); // the copies, if any, and the loader's batch
        }
        if (scheduler && this.schedulerStep === 'batch') scheduler.step();
        bar.update(meter.batches, meter.read);
        await nextTick(); // the event loop stays responsive: Ctrl-C, timers, I/O
        if (this.stopper.requested) break;
      }
      const stats = meter.read();
      // SIGINT during the last step still completes the epoch.
      const complete = trainLoader.length !== undefined ? meter.batches === trainLoader.length : !this.stopper.requested;
      bar.finish(meter.batches, stats);
      return { ...stats, batches: meter.batches, complete, classification: meter.classification, metrics: meter.metricMeans('train_') };
    } finally {
      meter.dispose();
    }
  }

  /** Best checkpoint, scheduler step, last.pth, the log line and the callbacks, in that order. */
  private async endEpoch(record: FitRecord): Promise<void> {
    const monitor = (this.monitor ??= MONITORS.find((k) => record[k] !== undefined)!);
    const value = record[monitor];
    if (value === undefined) throw new TorchError(`fit: monitor '${monitor}' has no value (no test loader, or outputs that are not class scores)`);
    if (Number.isNaN(this.best) || (higherIsBetter(monitor) ? value > this.best : value < this.best)) {
      this.best = value;
      if (this.dir && this.writes) {
        this.print('Saving..');
        saveBest(this.dir, this.model, monitor === 'testAcc' ? { acc: value } : { [monitor]: value }, this.epoch);
      }
    }
    const scheduler = this.o.scheduler;
    if (scheduler && this.schedulerStep === 'epoch') {
      // ReduceLROnPlateau steps on a value: the test loss when there is one, else the training loss.
      if (scheduler.kind === 'metric') scheduler.step(record.testLoss ?? record.trainLoss);
      else scheduler.step();
    }
    this.history.push(record);
    this.print(describeEpoch(record, monitor, this.best));
    this.writeLast(this.epoch, record);
    // After last.pth: a kill in between drops the record, and resume puts it back from the history.
    if (this.logFile) appendLog(this.logFile, record);
    for (const cb of this.o.callbacks ?? []) await cb.onEpochEnd?.(record, this.ctx);
  }

  /** last.pth's contents: everything an exact resume needs. */
  private lastState(epochDone: number, record: FitRecord | undefined): TrainState {
    const o = this.o;
    const rng: Record<string, Tensor> = { cpu: getRngState() };
    if (this.device.startsWith('cuda')) rng.cuda = getRngState(this.device);
    const loaderState = o.trainLoader.generator?.getState();
    if (loaderState) rng.loader = loaderState;
    const state: TrainState = {
      net: this.model.stateDict(),
      acc: record?.testAcc ?? record?.trainAcc ?? 0,
      epoch: epochDone,
      best_acc: Number.isNaN(this.best) ? null : this.best,
      optimizer: o.optimizer.stateDict(),
      scheduler: o.scheduler ? o.scheduler.stateDict() : null,
      rng_state: rng,
      history: this.history,
    };
    if (this.monitor && this.monitor !== 'testAcc') state.monitor = this.monitor;
    if (o.scaler) state.scaler = { ...o.scaler.stateDict() }; // as PyTorch's recipes save scaler.state_dict()
    if (o.extraState) Object.assign(state, o.extraState);
    return state;
  }

  private writeLast(epochDone: number, record?: FitRecord): void {
    if (!this.dir || !this.writes) return;
    const state = this.lastState(epochDone, record);
    try {
      saveLast(this.dir, state);
    } finally {
      dispose(state); // the handles made for the file; the model's and optimizer's tensors live on
    }
  }
}

/** 0.1 → "0.1", 0.0750000001 → "0.075", 0 → "0", 1.2e-7 → "1.2e-7". */
export const formatLr = (lr: number) => String(Number(lr.toPrecision(4)));

function describeEpoch(r: FitRecord, monitor: Monitor, best: number): string {
  const fmt = (m: Monitor, v: number) => (m.endsWith('Acc') ? `${v.toFixed(2)}%` : v.toFixed(4));
  const head =
    r.testAcc !== undefined
      ? `Test accuracy: ${r.testAcc.toFixed(2)}%`
      : r.testLoss !== undefined
        ? `Test loss: ${r.testLoss.toFixed(4)}`
        : `Train loss: ${r.trainLoss.toFixed(4)}`;
  return `${head} (best ${fmt(monitor, best)}), lr ${formatLr(r.lr)}, ${r.seconds.toFixed(1)} s`;
}
