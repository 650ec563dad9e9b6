// Resuming a run from its checkpoint folder: last.pth restores everything (weights, optimizer, schedule,
// random generators, scaler, history), the seed's ckpt.pth only the weights (momentum and schedule
// restart, as in the seed). Also what the recipe and the CLI read before building anything: the run's
// stored configuration.
import * as fs from 'fs';
import * as path from 'path';
import type { Generator } from '../data';
import type { GradScaler } from '../grad_scaler';
import { dispose } from '../memory';
import type { Module } from '../nn';
import type { Optimizer } from '../optim';
import { load } from '../serialization';
import { setRngState } from '../tensor';
import { BEST_FILE, LAST_FILE, TrainState, loadForResume, resumeLog } from './checkpoint';
import type { FitRecord, Monitor, SchedulerLike } from './records';
import { RunConfig, storedConfig } from './run_config';

export interface ResumeTargets {
  model: Module;
  optimizer: Optimizer;
  scheduler?: SchedulerLike;
  /** A fresh schedule stepped to the epoch instead of the stored one (a run extended past its planned length). */
  replaySchedule: boolean;
  /** The scheduler steps once per epoch (replaying it means stepping it once per finished epoch). */
  schedulerPerEpoch: boolean;
  generator?: Generator | null;
  scaler?: GradScaler;
  device: string;
  print: (line: string) => void;
  logFile: string | null;
}

export interface Resumed {
  startEpoch: number;
  /** The best monitored value so far (NaN when none is stored). */
  best: number;
  monitor: Monitor | undefined;
  history: FitRecord[];
}

/** Loads `dir`'s checkpoint into the targets and makes the log hold each finished epoch once. */
export function resumeRun(dir: string, t: ResumeTargets): Resumed {
  t.print('==> Resuming from checkpoint..');
  const { state, full } = loadForResume(dir, 'cpu');
  try {
    t.model.loadStateDict(state.net);
    const startEpoch = Number(state.epoch ?? -1) + 1;
    const r = full ? restoreFull(state, startEpoch, t) : restoreWeightsOnly(state, startEpoch, t);
    if (t.logFile) resumeLog(t.logFile, startEpoch, full ? r.history : null);
    return r;
  } finally {
    dispose(state);
  }
}

function restoreFull(state: Partial<TrainState>, startEpoch: number, t: ResumeTargets): Resumed {
  const best = state.best_acc === undefined || state.best_acc === null ? NaN : Number(state.best_acc);
  const monitor = (state.monitor as Monitor | undefined) ?? (Number.isNaN(best) ? undefined : 'testAcc');
  t.optimizer.loadStateDict(state.optimizer as never);
  if (t.scheduler && t.replaySchedule) {
    // A schedule for a new length, at this epoch: from the initial rates, stepped as the epochs ran.
    for (const g of t.optimizer.paramGroups) g.lr = g.initialLr ?? g.lr;
    replay(t, startEpoch);
  } else if (t.scheduler && state.scheduler) t.scheduler.loadStateDict(state.scheduler as never);
  const rng = state.rng_state ?? {};
  if (rng.cpu) setRngState(rng.cpu);
  if (rng.cuda && t.device.startsWith('cuda')) setRngState(rng.cuda, t.device);
  if (rng.loader) t.generator?.setState(rng.loader);
  if (t.scaler && state.scaler) t.scaler.loadStateDict(state.scaler as never);
  return { startEpoch, best, monitor, history: (state.history as FitRecord[] | undefined) ?? [] };
}

// The seed's ckpt.pth: weights, accuracy and epoch only.
function restoreWeightsOnly(state: Partial<TrainState> & { acc?: unknown }, startEpoch: number, t: ResumeTargets): Resumed {
  t.print(`    (${BEST_FILE} holds only the weights: momentum and schedule restart, as in the seed)`);
  replay(t, startEpoch);
  return { startEpoch, best: Number(state.acc ?? NaN), monitor: 'testAcc', history: [] };
}

function replay(t: ResumeTargets, epochs: number): void {
  if (t.scheduler && t.schedulerPerEpoch) for (let e = 0; e < epochs; e++) t.scheduler.step();
}

/** The configuration and finished epochs last.pth holds, read before anything is built (undefined without last.pth). */
export function readStoredRun(dir: string): { config: RunConfig | undefined; epochsDone: number } | undefined {
  const file = path.join(dir, LAST_FILE);
  if (!fs.existsSync(file)) return undefined;
  // The configuration only: mapped, so the tensors' bytes are never read, and on the CPU, where they were saved or not.
  const state = load<{ config?: unknown; epoch?: unknown }>(file, { device: 'cpu', mmap: true });
  try {
    return { config: storedConfig(state), epochsDone: Number(state.epoch ?? -1) + 1 };
  } finally {
    dispose(state);
  }
}
