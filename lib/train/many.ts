// trainMany(configs): several trainResNet20 runs at once in one process, sharing the device and the
// CIFAR-10 tensors (loaded once per data folder and device). Each run is exactly the recipe it would be
// alone: its own model, optimizer, schedule, seed, shuffle and augmentation streams (run_rng.ts),
// checkpoints, log and report. The runs' fit() loops interleave step by step on the event loop (each
// step turns it); on CUDA the launches are asynchronous, so one run's kernels queue while the next run's
// step is being issued. A run that fails is reported in its outcome; the others go on.
import * as fs from 'fs';
import * as path from 'path';
import { backends } from '../amp';
import * as data from '../data';
import { TorchError } from '../errors';
import { GradScaler } from '../grad_scaler';
import { dispose, keep } from '../memory';
import { crossEntropy } from '../nn/functional';
import * as optim from '../optim';
import { load } from '../serialization';
import { Tensor, manualSeed, setNumThreads } from '../tensor';
import { LAST_FILE } from './checkpoint';
import { fit } from './fit';
import { DEPTHS, Resolved, TrainOptions, resolveOptions } from './options';
import type { EpochRecord, FitRecord } from './records';
import { readStoredRun } from './resume';
import { RunRng, withRunRng } from './run_rng';
import { resumeOptions, runConfig } from './run_config';
import { writeRunInfo } from './run_info';
import { TrainResult, fitSettings, makeScheduler, writeReport } from './trainer';

export interface TrainManyOptions {
  /** Where the progress lines go (one per run and epoch, and one when a run ends). Default console.log. */
  print?: (line: string) => void;
  /** Cancels every run: each stops after its current step with last.pth at its last finished epoch. */
  signal?: AbortSignal;
  /** Ctrl-C stops every run after its current step (a second one exits). Default true. */
  handleSigint?: boolean;
}

export interface RunOutcome {
  /** The run's checkpoint folder's name (its folder is `checkpointDir`). */
  name: string;
  checkpointDir: string;
  /** finished: all epochs ran; stopped: Ctrl-C, the signal or maxEpochsThisRun ended it early; failed: see error. */
  status: 'finished' | 'stopped' | 'failed';
  /** What trainResNet20 would have returned (absent when the run failed). */
  result?: TrainResult;
  error?: Error;
  /** Seconds of the epochs the run's history holds (its own epochs' wall time, shared with the other runs). */
  seconds: number;
}

/** Trains every config (trainResNet20's options; each its own checkpointDir) at once; see the file's head. */
export async function trainMany(configs: TrainOptions[], options: TrainManyOptions = {}): Promise<RunOutcome[]> {
  checkConfigs(configs);
  const print = options.print ?? ((line: string) => console.log(line));
  const stop = new StopAll(print, options.handleSigint ?? true, options.signal);
  const shared = new SharedData();
  const runs: (ManyRun | RunOutcome)[] = [];
  try {
    // One after another: each run seeds the global generators and builds its model without a pause.
    for (const c of configs) runs.push(await ManyRun.prepare(c, shared, stop.signal, print).catch((e: unknown) => failed(c, e, print)));
    return await Promise.all(runs.map((r) => (r instanceof ManyRun ? r.train() : r)));
  } finally {
    for (const r of runs) if (r instanceof ManyRun) r.dispose();
    shared.dispose();
    stop.dispose();
  }
}

const dirOf = (c: TrainOptions) => c.checkpointDir ?? 'checkpoint';

function checkConfigs(configs: TrainOptions[]): void {
  if (!Array.isArray(configs) || configs.length === 0) throw new TorchError('trainMany: configs must be a non-empty array of trainResNet20 options');
  const seen = new Map<string, number>();
  configs.forEach((c, i) => {
    if (!c || typeof c !== 'object') throw new TorchError(`trainMany: configs[${i}] must be an options object, got ${String(c)}`);
    const dir = path.resolve(dirOf(c));
    const j = seen.get(dir);
    if (j !== undefined) throw new TorchError(`trainMany: configs[${j}] and configs[${i}] share the checkpointDir ${dir}; give each run its own folder`);
    seen.set(dir, i);
  });
}

function failed(c: TrainOptions, e: unknown, print: (line: string) => void): RunOutcome {
  const error = e instanceof Error ? e : new Error(String(e));
  const name = path.basename(path.resolve(dirOf(c)));
  print(`${name} | failed: ${error.message}`);
  return { name, checkpointDir: dirOf(c), status: 'failed', error, seconds: 0 };
}

/** Ctrl-C and the caller's signal abort one shared signal that every run's fit() watches. */
class StopAll {
  private readonly abort = new AbortController();
  readonly signal = this.abort.signal;
  private readonly onSigint = () => {
    if (this.abort.signal.aborted) process.exit(130);
    this.abort.abort();
    this.print('==> SIGINT: every run stops after its current step; rerun to resume (Ctrl-C again to quit at once)');
  };
  private readonly onCaller = () => this.abort.abort();

  constructor(
    private readonly print: (line: string) => void,
    private readonly handleSigint: boolean,
    private readonly caller?: AbortSignal,
  ) {
    if (caller !== undefined && !(caller instanceof AbortSignal)) throw new TorchError('trainMany: signal must be an AbortSignal');
    if (handleSigint) process.on('SIGINT', this.onSigint);
    if (caller?.aborted) this.abort.abort();
    caller?.addEventListener('abort', this.onCaller, { once: true });
  }

  dispose(): void {
    if (this.handleSigint) process.off('SIGINT', this.onSigint);
    this.caller?.removeEventListener('abort', this.onCaller);
  }
}

/** CIFAR-10's training and test splits, loaded once per folder and device for all runs. */
class SharedData {
  private readonly sets = new Map<string, Promise<{ train: data.CIFAR10; test: data.CIFAR10 }>>();
  private readonly views: Tensor[] = [];

  async splits(o: Resolved): Promise<{ root: string; train: data.TensorDatasetLike; test: data.TensorDatasetLike }> {
    const root = o.dataRoot ?? data.defaultCifar10Root();
    const key = `${path.resolve(data.resolveCifar10Folder(root))}\n${o.device}`;
    if (!this.sets.has(key)) {
      const load = (train: boolean) => data.CIFAR10.create({ root, train, download: o.download, device: o.device });
      this.sets.set(key, Promise.all([load(true), load(false)]).then(([train, test]) => ({ train, test })));
    }
    const { train, test } = await this.sets.get(key)!;
    return { root, train: this.limit(train, o.limitTrain), test: this.limit(test, o.limitTest) };
  }

  // The first n images: views of the shared tensors, no copy.
  private limit(ds: data.TensorDatasetLike, n: number | undefined): data.TensorDatasetLike {
    if (n === undefined || n >= ds.data.shape[0]) return ds;
    const view = new data.TensorDataset(keep(ds.data.narrow(0, 0, n)), keep(ds.targets.narrow(0, 0, n)));
    this.views.push(view.data, view.targets);
    return view;
  }

  dispose(): void {
    dispose(this.views);
    for (const p of this.sets.values()) void p.then((s) => dispose([s.train.data, s.train.targets, s.test.data, s.test.targets]), () => {});
  }
}

/** The last.pth rng_state of a run being resumed (undefined without last.pth). */
function storedRngState(dir: string): Record<string, Tensor> | undefined {
  const file = path.join(dir, LAST_FILE);
  if (!fs.existsSync(file)) return undefined;
  const state = load<{ rng_state?: Record<string, Tensor> | Map<string, Tensor>; net?: unknown; optimizer?: unknown }>(file);
  const rng = state.rng_state instanceof Map ? Object.fromEntries(state.rng_state) : state.rng_state;
  dispose([state.net, state.optimizer]);
  return rng;
}

/** One run of trainMany: what trainResNet20 builds, built before any run trains, then its fit(). */
class ManyRun {
  private constructor(
    readonly name: string,
    private readonly o: Resolved,
    private readonly parts: RunParts,
    private readonly print: (line: string) => void,
  ) {}

  static async prepare(c: TrainOptions, shared: SharedData, signal: AbortSignal, print: (line: string) => void): Promise<ManyRun> {
    const stored = c.resume ? readStoredRun(dirOf(c)) : undefined;
    const { options: given, extended } = stored?.config ? resumeOptions(stored.config, c) : { options: c, extended: false };
    const o = resolveOptions({ ...given, print: given.print ?? (() => {}), progress: 'none', handleSigint: false, signal });
    if (o.distributed) throw new TorchError('trainMany: distributed runs are not supported (each run trains on this process\'s device)');
    const splits = await shared.splits(o);
    // From here to the end: no await, so no other run touches the global generators in between.
    const parts = buildRun(o, splits, extended);
    return new ManyRun(path.basename(path.resolve(o.checkpointDir)), o, parts, print);
  }

  async train(): Promise<RunOutcome> {
    const { o, parts, name } = this;
    try {
      const r = await fit(parts.net, {
        ...fitSettings(o, true),
        trainLoader: withRunRng(parts.train, parts.rng),
        testLoader: parts.test,
        optimizer: parts.optimizer,
        scheduler: parts.scheduler,
        lossFn: (out: Tensor, y: Tensor) => crossEntropy(out, y, { labelSmoothing: o.labelSmoothing }),
        scaler: parts.scaler,
        callbacks: [{ onEpochEnd: (record: FitRecord) => this.print(progressLine(name, record as EpochRecord, o.epochs)) }],
        resumeSchedule: parts.extended ? 'replay' : 'load',
        // last.pth as the run alone writes it: the run's own generator states, not the shared globals'.
        extraState: { config: runConfig(o), get rng_state() { return parts.rng.checkpointState(parts.train.generator); } },
      });
      const history = r.history as EpochRecord[];
      const best = Number.isNaN(r.best) ? 0 : r.best;
      if (o.report && !r.stopped) await writeReport(o, parts.root);
      const result: TrainResult = { parameterCount: parts.net.parameterCount(), bestAccuracy: best, finalAccuracy: history.length ? history[history.length - 1].testAcc : 0, history, stopped: r.stopped, model: parts.net };
      const status = r.stopped ? 'stopped' : 'finished';
      this.print(`${name} | ${status}: best ${best.toFixed(2)}%, final ${result.finalAccuracy.toFixed(2)}% after ${history.length}/${o.epochs} epochs`);
      return { name, checkpointDir: o.checkpointDir, status, result, seconds: sumSeconds(history) };
    } catch (e) {
      if ((e as Error).name === 'AbortError') {
        this.print(`${name} | stopped: last.pth holds its last finished epoch`);
        return { name, checkpointDir: o.checkpointDir, status: 'stopped', seconds: 0 };
      }
      return failed(o, e, this.print);
    }
  }

  dispose(): void {
    this.parts.dispose();
  }
}

interface RunParts {
  root: string;
  net: ReturnType<(typeof DEPTHS)[20]>;
  optimizer: optim.SGD;
  scheduler: ReturnType<typeof makeScheduler>;
  scaler?: GradScaler;
  train: data.DataLoader;
  test: data.DataLoader;
  rng: RunRng;
  extended: boolean;
  dispose(): void;
}

/** trainResNet20's steps between its data and its fit(), in its order, synchronously. */
function buildRun(o: Resolved, splits: { root: string; train: data.TensorDatasetLike; test: data.TensorDatasetLike }, extended: boolean): RunParts {
  if (o.seed !== undefined) manualSeed(o.seed);
  if (o.numThreads !== undefined) setNumThreads(o.numThreads);
  writeRunInfo(o.checkpointDir, o);
  const train = new data.DataLoader(splits.train, {
    batchSize: o.batchSize,
    transform: o.augment ? data.cifar10TrainTransform() : data.cifar10TestTransform(),
    device: o.device,
    shuffle: true,
    seed: o.seed,
  });
  const test = new data.DataLoader(splits.test, { batchSize: o.testBatchSize, transform: data.cifar10TestTransform(), device: o.device });
  const net = DEPTHS[o.depth]({ numClasses: 10, shortcut: o.shortcut }).to(o.device);
  if (o.channelsLast) net.to({ memoryFormat: 'channels_last' });
  if (o.cudnnBenchmark) backends.cudnn.benchmark = true;
  const optimizer = new optim.SGD(net.parameters(), { lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay, nesterov: o.nesterov, fused: o.fusedSgd });
  const scaler = o.amp === 'fp16' ? new GradScaler(o.device) : undefined;
  const scheduler = makeScheduler(o, optimizer);
  // The generators as the run alone would go on drawing from them; a resumed run: as last.pth left them.
  const rng = new RunRng(RunRng.devicesOf(o.device));
  if (o.resume) {
    const stored = storedRngState(o.checkpointDir);
    if (stored) rng.set(stored);
    dispose(stored);
  }
  const dispose_ = () => {
    optimizer.dispose();
    scaler?.dispose();
    train.dispose();
    test.dispose();
    rng.dispose();
  };
  return { root: splits.root, net, optimizer, scheduler, scaler, train, test, rng, extended, dispose: dispose_ };
}

const sumSeconds = (history: FitRecord[]) => history.reduce((s, r) => s + r.seconds, 0);

/** "resnet20-A-seed1 | epoch 3/200 | train 1.234 45.00% | test 50.12% | 12.3 s". */
function progressLine(name: string, r: EpochRecord, epochs: number): string {
  return `${name} | epoch ${r.epoch + 1}/${epochs} | train loss ${r.trainLoss.toFixed(3)} acc ${r.trainAcc.toFixed(2)}% | test acc ${r.testAcc.toFixed(2)}% | ${r.seconds.toFixed(1)} s`;
}
