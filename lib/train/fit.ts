// fit(model, {...}): the training loop for any model, as people write it in PyTorch, with what a long
// run needs: progress, a test pass per epoch (evaluate()), the best and the last checkpoint with exact
// resume, a JSONL log and a clean stop on SIGINT. Loss and accuracy accumulate on the device and are
// read when the display refreshes or the phase ends: no host-device sync per step.
import * as path from 'path';
import { autocast } from '../amp';
import type { Generator } from '../data';
import { TorchError } from '../errors';
import { dispose, keep, tidy } from '../memory';
import type { Module } from '../nn';
import { crossEntropy } from '../nn/functional';
import type { Optimizer } from '../optim';
import { Tensor, getRngState, noGrad, setRngState, zeros } from '../tensor';
import { throwIfAborted } from '../utils/abort';
import { BEST_FILE, TrainState, appendLog, loadForResume, resumeLog, saveBest, saveLast } from './checkpoint';
import { BatchSource, LossFn, MetricFn, evaluate, isClassification } from './evaluate';
import { PhaseStats, ProgressMode, createProgress } from './progress';
import { TrainStep } from './step';
import type { GradScaler } from '../grad_scaler';

/** What fit needs of a scheduler: PyTorch's step() (ReduceLROnPlateau's step(metric)) and its state dict. */
export interface SchedulerLike {
  step(metric?: number): void;
  stateDict(): unknown;
  loadStateDict(state: never): void;
}

/** One epoch's record (the JSONL log line). Accuracies only for class scores; test values only with a testLoader. */
export interface EpochRecord {
  epoch: number;
  /** The first param group's learning rate at the start of the epoch. */
  lr: number;
  trainLoss: number;
  trainAcc?: number;
  testLoss?: number;
  testAcc?: number;
  /** Each metric's mean over the samples, train_<name> and test_<name>. */
  metrics?: Record<string, number>;
  /** Training phase only. */
  trainSeconds: number;
  /** Training and testing. */
  seconds: number;
}

export interface FitContext {
  model: Module;
  optimizer: Optimizer;
  epoch: number;
  /** Stops after the current step (in onBatchEnd) or before the next epoch (in onEpochEnd): early stopping. */
  stop(): void;
}

export interface Callback {
  onEpochBegin?(epoch: number, ctx: FitContext): void | Promise<void>;
  /** After each optimizer step; `loss` is the step's loss on the device (reading it syncs). */
  onBatchEnd?(step: number, loss: Tensor, ctx: FitContext): void;
  onEpochEnd?(record: EpochRecord, ctx: FitContext): void | Promise<void>;
}

export type Monitor = 'testAcc' | 'testLoss' | 'trainAcc' | 'trainLoss';

export interface FitOptions {
  trainLoader: BatchSource & { readonly generator?: Generator | null };
  testLoader?: BatchSource;
  optimizer: Optimizer;
  scheduler?: SchedulerLike;
  /** When scheduler.step() runs: after every epoch (default) or after every optimizer step (OneCycleLR's default). */
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
  amp?: 'bf16' | 'fp16' | false;
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
   * averages the gradients across ranks.
   */
  gradientSync?: () => Promise<void>;
  /** false: read checkpointDir to resume but write nothing there (ranks other than 0). Default true. */
  saveFiles?: boolean;
}

export interface FitResult {
  history: EpochRecord[];
  /** The monitored value of the best epoch (NaN before any epoch). */
  best: number;
  monitor: Monitor;
  /** True when SIGINT, a callback's stop() or maxEpochsThisRun ended the run before the last epoch. */
  stopped: boolean;
}

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));
const higherIsBetter = (m: Monitor) => m.endsWith('Acc');
const positiveInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;

function check(o: FitOptions): void {
  if (!o || !o.trainLoader || typeof o.trainLoader[Symbol.asyncIterator] !== 'function') {
    throw new TorchError('fit: trainLoader must be a DataLoader (an async iterable of {x, y})');
  }
  if (o.testLoader !== undefined && typeof o.testLoader[Symbol.asyncIterator] !== 'function') {
    throw new TorchError('fit: testLoader must be a DataLoader (an async iterable of {x, y})');
  }
  if (!o.optimizer || typeof o.optimizer.step !== 'function') throw new TorchError('fit: optimizer is required (e.g. new optim.SGD(model.parameters(), {...}))');
  if (!positiveInt(o.epochs)) throw new TorchError(`fit: epochs must be a positive integer, got ${o.epochs}`);
  if (o.maxEpochsThisRun !== undefined && !positiveInt(o.maxEpochsThisRun)) {
    throw new TorchError(`fit: maxEpochsThisRun must be a positive integer, got ${o.maxEpochsThisRun}`);
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new TorchError('fit: signal must be an AbortSignal');
  if (o.resume && !o.checkpointDir && o.checkpointDir !== undefined) throw new TorchError('fit: resume needs a checkpointDir');
  if (o.schedulerStep !== undefined && o.schedulerStep !== 'epoch' && o.schedulerStep !== 'batch') {
    throw new TorchError(`fit: schedulerStep must be 'epoch' or 'batch', got ${o.schedulerStep}`);
  }
  if (o.monitor !== undefined && !['testAcc', 'testLoss', 'trainAcc', 'trainLoss'].includes(o.monitor)) {
    throw new TorchError(`fit: monitor must be testAcc, testLoss, trainAcc or trainLoss, got ${o.monitor}`);
  }
  if (o.amp !== undefined && o.amp !== false && o.amp !== 'bf16' && o.amp !== 'fp16') throw new TorchError(`fit: amp must be 'bf16', 'fp16' or false, got ${o.amp}`);
  if (o.amp === 'fp16' && !o.scaler) throw new TorchError("fit: amp 'fp16' needs a scaler (new GradScaler(device))");
}

/** Trains `model` for `epochs` epochs; see FitOptions. The model, loaders and optimizer stay the caller's. */
export async function fit(model: Module & { forward(x: Tensor): Tensor }, options: FitOptions): Promise<FitResult> {
  check(options);
  throwIfAborted(options.signal);
  const o = options;
  const { trainLoader, testLoader, optimizer: opt, scheduler } = o;
  const print = o.print ?? ((line: string) => console.log(line));
  const progress = { mode: o.progress ?? 'auto', everySeconds: o.progressEvery, columns: o.progressColumns };
  const dir = o.checkpointDir === undefined ? 'checkpoint' : o.checkpointDir;
  const writes = o.saveFiles ?? true;
  const logFile = !writes ? null : o.logFile === undefined ? (dir ? path.join(dir, 'log.jsonl') : null) : o.logFile;
  const lossFn = o.lossFn ?? ((out: Tensor, y: Tensor) => crossEntropy(out, y));
  const metricNames = Object.keys(o.metrics ?? {});
  const callbacks = o.callbacks ?? [];
  const schedulerStep = o.schedulerStep ?? (scheduler && (scheduler as { stepsPerBatch?: boolean }).stepsPerBatch ? 'batch' : 'epoch');
  const device = model.parameters()[0]?.device ?? 'cpu';
  const ampDevice = device.startsWith('cuda') ? 'cuda' : 'cpu';
  // The model's call for testing: channels_last inputs and autocast when asked (training: TrainStep).
  const ampDtype = o.amp === 'fp16' ? 'float16' : 'bfloat16';
  const forward = (x: Tensor): Tensor => {
    const run = () => model.forward(o.channelsLast ? x.contiguous('channels_last') : x);
    return o.amp ? autocast(ampDevice, run, { dtype: ampDtype }) : run();
  };
  const lossOf = (out: Tensor, y: Tensor): Tensor => (o.amp ? autocast(ampDevice, () => lossFn(out, y), { dtype: ampDtype }) : lossFn(out, y));

  let startEpoch = 0;
  let best = NaN;
  let monitor: Monitor | undefined = o.monitor;
  let history: EpochRecord[] = [];
  if (o.resume) {
    if (!dir) throw new TorchError('fit: resume needs a checkpointDir');
    print('==> Resuming from checkpoint..');
    const { state, full } = loadForResume(dir);
    model.loadStateDict(state.net);
    startEpoch = Number(state.epoch ?? -1) + 1;
    if (full) {
      best = state.best_acc === undefined || state.best_acc === null ? NaN : Number(state.best_acc);
      monitor ??= (state.monitor as Monitor | undefined) ?? (Number.isNaN(best) ? undefined : 'testAcc');
      opt.loadStateDict(state.optimizer as never);
      if (scheduler && o.resumeSchedule === 'replay') {
        // A schedule for a new length, at this epoch: from the initial rates, stepped as the epochs ran.
        for (const g of opt.paramGroups) g.lr = g.initialLr ?? g.lr;
        if (schedulerStep === 'epoch') for (let e = 0; e < startEpoch; e++) scheduler.step();
      } else if (scheduler && state.scheduler) scheduler.loadStateDict(state.scheduler as never);
      const rng = state.rng_state ?? {};
      if (rng.cpu) setRngState(rng.cpu);
      if (rng.cuda && device.startsWith('cuda')) setRngState(rng.cuda, device);
      if (rng.loader) trainLoader.generator?.setState(rng.loader);
      if (o.scaler && state.scaler) o.scaler.loadStateDict(state.scaler as never);
      history = (state.history as EpochRecord[] | undefined) ?? [];
    } else {
      // The seed's ckpt.pth: weights, accuracy and epoch only.
      best = Number(state.acc ?? NaN);
      monitor ??= 'testAcc';
      print(`    (${BEST_FILE} holds only the weights: momentum and schedule restart, as in the seed)`);
      if (scheduler && schedulerStep === 'epoch') for (let e = 0; e < startEpoch; e++) scheduler.step();
    }
    dispose(state);
    if (logFile) resumeLog(logFile, startEpoch, full ? history : null);
  }

  let stopRequested = false;
  const abort = new AbortController();
  const stop = () => {
    stopRequested = true;
    abort.abort();
  };
  const onSigint = () => {
    if (stopRequested) process.exit(130);
    stop();
    print('\n==> SIGINT: stopping after this step; last.pth holds the last finished epoch (Ctrl-C again to quit at once)');
  };
  const handleSigint = o.handleSigint ?? true;
  if (handleSigint) process.on('SIGINT', onSigint);
  o.signal?.addEventListener('abort', stop, { once: true });
  let epoch = startEpoch;
  const ctx: FitContext = {
    model,
    optimizer: opt,
    get epoch() {
      return epoch;
    },
    stop,
  };

  const trainStep = new TrainStep(model, opt, {
    lossFn,
    amp: o.amp ?? false,
    scaler: o.scaler,
    channelsLast: o.channelsLast,
    cudaGraphs: o.cudaGraphs ?? false,
  });
  const trainPhase = async () => {
    const lossSum = keep(zeros([], { dtype: 'float64', device }));
    const correct = keep(zeros([], { dtype: 'int64', device }));
    const metricSums = metricNames.map(() => keep(zeros([], { dtype: 'float64', device })));
    let total = 0;
    let batches = 0;
    let classification = false;
    const read = (): PhaseStats => ({ loss: lossSum.item() as number, correct: correct.item() as number, total });
    const bar = createProgress('Train', trainLoader.length ?? 0, progress);
    model.train(true);
    try {
      for await (const { x, y } of trainLoader) {
        total += y.shape[0];
        batches++;
        // Distributed: the gradients are averaged across ranks between backward and the update (awaited).
        const result = o.gradientSync ? await trainStep.stepWithSync(x, y, o.gradientSync) : null;
        tidy(() => {
          const { output: out, loss } = result ?? trainStep.step(x, y);
          noGrad(() => {
            lossSum.add_(loss.detach());
            if (batches === 1) classification = isClassification(out, y);
            if (classification) correct.add_(out.argmax(1).eq(y).sum());
            metricNames.forEach((name, i) => metricSums[i].add_(o.metrics![name](out.detach(), y).to('float64').mul(y.shape[0])));
          });
          for (const cb of callbacks) cb.onBatchEnd?.(batches, loss, ctx);
        });
        x.dispose();
        y.dispose();
        if (scheduler && schedulerStep === 'batch') scheduler.step();
        bar.update(batches, read);
        await nextTick(); // the event loop stays responsive: Ctrl-C, timers, I/O
        if (stopRequested) break;
      }
      const stats = read();
      // SIGINT during the last step still completes the epoch.
      const complete = trainLoader.length !== undefined ? batches === trainLoader.length : !stopRequested;
      bar.finish(batches, stats);
      const metrics = Object.fromEntries(metricNames.map((name, i) => [`train_${name}`, (metricSums[i].item() as number) / Math.max(total, 1)]));
      return { ...stats, batches, complete, classification, metrics };
    } finally {
      dispose([lossSum, correct, ...metricSums]);
    }
  };

  const lastState = (epochDone: number, record: EpochRecord | undefined): TrainState => {
    const rng: Record<string, Tensor> = { cpu: getRngState() };
    if (device.startsWith('cuda')) rng.cuda = getRngState(device);
    const loaderState = trainLoader.generator?.getState();
    if (loaderState) rng.loader = loaderState;
    const state: TrainState = {
      net: model.stateDict(),
      acc: record?.testAcc ?? record?.trainAcc ?? 0,
      epoch: epochDone,
      best_acc: Number.isNaN(best) ? null : best,
      optimizer: opt.stateDict(),
      scheduler: scheduler ? scheduler.stateDict() : null,
      rng_state: rng,
      history,
    };
    if (monitor && monitor !== 'testAcc') state.monitor = monitor;
    if (o.scaler) state.scaler = { ...o.scaler.stateDict() }; // as PyTorch's recipes save scaler.state_dict()
    if (o.extraState) Object.assign(state, o.extraState);
    return state;
  };
  const writeLast = (epochDone: number, record?: EpochRecord) => {
    if (!dir || !writes) return;
    const state = lastState(epochDone, record);
    try {
      saveLast(dir, state);
    } finally {
      dispose(state); // the handles made for the file; the model's and optimizer's tensors live on
    }
  };
  // A fresh run records its starting point, so that an interruption in the first epoch resumes exactly.
  if (!o.resume) writeLast(-1);

  const endEpoch = o.maxEpochsThisRun ? Math.min(o.epochs, startEpoch + o.maxEpochsThisRun) : o.epochs;
  let stopped = false;
  try {
    for (epoch = startEpoch; epoch < endEpoch; epoch++) {
      print(`\nEpoch: ${epoch}`);
      for (const cb of callbacks) await cb.onEpochBegin?.(epoch, ctx);
      const lr = opt.paramGroups[0].lr;
      const t0 = performance.now();
      const tr = await trainPhase();
      const trainSeconds = (performance.now() - t0) / 1000;
      if (!tr.complete) {
        stopped = true;
        break;
      }
      const te = testLoader
        ? await evaluate(model, testLoader, { lossFn: lossOf, metrics: o.metrics, forward, progress, signal: abort.signal })
        : undefined;
      if (te && !te.complete) {
        stopped = true;
        break;
      }
      const seconds = (performance.now() - t0) / 1000;
      const testMetrics = Object.entries(te?.metrics ?? {}).map(([k, v]) => [`test_${k}`, v]);
      // Fields in reading order; the ones that do not apply are left out (JSON has no undefined).
      const record: EpochRecord = {
        epoch,
        lr,
        trainLoss: tr.loss / Math.max(tr.batches, 1),
        ...(tr.classification ? { trainAcc: (100 * tr.correct) / Math.max(tr.total, 1) } : {}),
        ...(te ? { testLoss: te.loss } : {}),
        ...(te?.classification ? { testAcc: te.accuracy } : {}),
        ...(metricNames.length ? { metrics: { ...tr.metrics, ...Object.fromEntries(testMetrics) } } : {}),
        trainSeconds,
        seconds,
      };
      monitor ??= (['testAcc', 'testLoss', 'trainAcc', 'trainLoss'] as const).find((k) => record[k] !== undefined)!;
      const value = record[monitor];
      if (value === undefined) throw new TorchError(`fit: monitor '${monitor}' has no value (no test loader, or outputs that are not class scores)`);
      if (Number.isNaN(best) || (higherIsBetter(monitor) ? value > best : value < best)) {
        best = value;
        if (dir && writes) {
          print('Saving..');
          saveBest(dir, model, monitor === 'testAcc' ? { acc: value } : { [monitor]: value }, epoch);
        }
      }
      if (scheduler && schedulerStep === 'epoch') {
        // ReduceLROnPlateau steps on a value: the test loss when there is one, else the training loss.
        if ((scheduler as { stepsOnMetric?: boolean }).stepsOnMetric) scheduler.step(record.testLoss ?? record.trainLoss);
        else scheduler.step();
      }
      history.push(record);
      print(describeEpoch(record, monitor, best));
      writeLast(epoch, record);
      // After last.pth: a kill in between drops the record, and resume puts it back from the history.
      if (logFile) appendLog(logFile, record);
      for (const cb of callbacks) await cb.onEpochEnd?.(record, ctx);
      if (stopRequested) {
        stopped = epoch + 1 < o.epochs;
        break;
      }
    }
    if (!stopped && endEpoch < o.epochs) stopped = true;
  } finally {
    trainStep.dispose();
    if (handleSigint) process.off('SIGINT', onSigint);
    o.signal?.removeEventListener('abort', stop);
  }
  throwIfAborted(o.signal);
  return { history, best, monitor: monitor ?? 'testAcc', stopped };
}

/** 0.1 → "0.1", 0.0750000001 → "0.075", 0 → "0", 1.2e-7 → "1.2e-7". */
export const formatLr = (lr: number) => String(Number(lr.toPrecision(4)));

function describeEpoch(r: EpochRecord, monitor: Monitor, best: number): string {
  const fmt = (m: Monitor, v: number) => (m.endsWith('Acc') ? `${v.toFixed(2)}%` : v.toFixed(4));
  const head =
    r.testAcc !== undefined
      ? `Test accuracy: ${r.testAcc.toFixed(2)}%`
      : r.testLoss !== undefined
        ? `Test loss: ${r.testLoss.toFixed(4)}`
        : `Train loss: ${r.trainLoss.toFixed(4)}`;
  return `${head} (best ${fmt(monitor, best)}), lr ${formatLr(r.lr)}, ${r.seconds.toFixed(1)} s`;
}
