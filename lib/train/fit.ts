// fit(model, {...}): the training loop for any model, as people write it in PyTorch, with what a long
// run needs: progress, a test pass per epoch (evaluate()), the best and the last checkpoint with exact
// resume, a JSONL log and a clean stop on SIGINT. Loss and accuracy accumulate on the device and are
// read when the display refreshes or the phase ends: no host-device sync per step.
import { TorchError } from '../errors';
import { dispose, tidy } from '../memory';
import type { Module } from '../nn';
import type { Tensor } from '../tensor';
import { throwIfAborted } from '../utils/abort';
import { appendLog, saveBest, saveLast } from './checkpoint';
import { LossFn, evaluate } from './evaluate';
import { Placement, defaultLoss, forwardWith, modelDevice, placeBatch, placementOf, withAmp } from './forward';
import { ProgressMode, createProgress } from './progress';
import { FitContext, FitRecord, MONITORS, Monitor } from './records';
import { resumeRun } from './resume';
import { TrainStep } from './step';
import { readOptions } from '../utils/options';
import { lastState } from './fit_checkpoint';
import { describeEpoch } from './fit_format';
import { Meter, TrainPhase } from './fit_meter';
import { FIT, FitOptions, FitResult, checkFitOptions, logFileOf } from './fit_options';
import { Stopper } from './fit_stopper';
import { RankStop, stepsCommunicate } from './fit_rank_stop';

export type { Callback, FitContext, FitRecord, Monitor, SchedulerLike } from './records';
export type { FitOptions, FitResult } from './fit_options';
export { logFileOf } from './fit_options';
export { formatLr } from './fit_format';

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));
const higherIsBetter = (m: Monitor) => m.endsWith('Acc');

/** Trains `model` for `epochs` epochs; see FitOptions. The model, loaders and optimizer stay the caller's. */
export async function fit(model: Module & { forward(x: Tensor): Tensor }, options: FitOptions): Promise<FitResult> {
  options = readOptions('fit', options, FIT);
  checkFitOptions(options);
  throwIfAborted(options.signal);
  return new FitRun(model, options).run();
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
  /** Under DDP, where the ranks agree on the step to stop after. */
  private readonly rankStop: RankStop | null;
  /** Whether each step's backward (or gradientSync) communicates with the other ranks. */
  private readonly communicates: boolean;
  /** Training steps finished in this run, and whether the last one is where the run stops. */
  private steps = 0;
  private stopping = false;
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
    this.communicates = stepsCommunicate(model, o.gradientSync);
    // A CUDA graph cannot hold a step that communicates: DDP's reducer waits for its all-reduces on the host at
    // the end of backward, and a gradientSync is awaited between backward and the update.
    if (o.cudaGraphs && this.communicates) {
      throw new TorchError("fit: cudaGraphs cannot capture a step that communicates across ranks (a DistributedDataParallel's backward, or a gradientSync); pass cudaGraphs: false");
    }
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
    this.rankStop = RankStop.forRun(this.communicates);
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
        if (this.stopRequested()) return this.result(this.epoch + 1 < o.epochs);
      }
      stopped = endEpoch < o.epochs;
    } finally {
      this.trainStep?.dispose();
      this.stopper.dispose();
    }
    return this.result(stopped);
  }

  /**
   * After each training step: whether the run stops here. Alone, at once when a stop was asked for; under
   * DDP, at the step every rank agreed on (fit_rank_stop.ts).
   */
  private async stopAfterStep(): Promise<boolean> {
    this.steps++;
    this.stopping = this.rankStop ? await this.rankStop.afterStep(this.steps, this.stopper.requested) : this.stopper.requested;
    return this.stopping;
  }

  /** At the end of an epoch; under DDP a stop asked for during the test pass waits for the next steps' agreement. */
  private stopRequested(): boolean {
    return this.rankStop ? this.stopping : this.stopper.requested;
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
      ? await evaluate(this.model, o.testLoader, { lossFn, metrics: o.metrics, forward, progress: this.progress, signal: this.rankStop ? undefined : this.stopper.signal })
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
        this.rankStop?.beforeStep();
        const { x, y } = placeBatch(batch.x, batch.y, this.where);
        try {
          // A DistributedDataParallel model needs nothing here: its backward returns with the averaged gradients
          // and its next forward checks that the reduction finished, as in PyTorch. A caller's own gradientSync
          // is awaited between backward and the update.
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
        if (await this.stopAfterStep()) break;
      }
      const stats = meter.read();
      // SIGINT during the last step still completes the epoch.
      const complete = trainLoader.length !== undefined ? meter.batches === trainLoader.length : !this.stopping;
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

  private writeLast(epochDone: number, record?: FitRecord): void {
    if (!this.dir || !this.writes) return;
    const { model, o: options, device, best, monitor, history } = this;
    const state = lastState({ model, options, device, best, monitor, history }, epochDone, record);
    try {
      saveLast(this.dir, state);
    } finally {
      dispose(state); // the handles made for the file; the model's and optimizer's tensors live on
    }
  }
}
