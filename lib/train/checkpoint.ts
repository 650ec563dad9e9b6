// Checkpoints in PyTorch's .pth format. `ckpt.pth` is the seed's best-model file ({net, acc, epoch}),
// which `torch.load('ckpt.pth')['net']` loads straight into the seed's Python ResNet. `last.pth`
// adds everything the seed forgot, so that resuming continues exactly: optimizer momentum buffers,
// schedule, epoch, best accuracy and the random generators' states.
import * as fs from 'fs';
import * as path from 'path';
import { TorchError } from '../errors';
import { dispose } from '../memory';
import type { Module } from '../nn';
import { type MapLocation, load, save } from '../serialization';
import type { Tensor } from '../tensor';
import { writeFileAtomic } from '../utils/atomic';

export const BEST_FILE = 'ckpt.pth';
export const LAST_FILE = 'last.pth';

export interface TrainState {
  net: Record<string, Tensor>;
  acc: number;
  epoch: number;
  /** The best monitored value so far (test accuracy unless `monitor` says otherwise); null before any epoch. */
  best_acc: number | null;
  optimizer: unknown;
  scheduler: unknown;
  rng_state: Record<string, Tensor>;
  history: unknown[];
  /** Written only when fit() monitors something other than testAcc. */
  monitor?: string;
  /** The run's configuration (see run_config.ts), so that --resume continues the same run. */
  config?: Record<string, unknown>;
  /** GradScaler.stateDict() of an fp16 run. */
  scaler?: Record<string, unknown>;
}

/**
 * The seed's checkpoint: the model's state dict, its test accuracy and the epoch (0-based):
 * {net, acc, epoch}; fit() monitoring another value writes it in place of acc ({net, testLoss, epoch}).
 */
export function saveBest(dir: string, model: Module, value: Record<string, number>, epoch: number): void {
  fs.mkdirSync(dir, { recursive: true });
  const net = model.stateDict();
  try {
    save({ net, ...value, epoch }, path.join(dir, BEST_FILE));
  } finally {
    dispose(net); // handles made for the file; the model's tensors live on
  }
}

export function saveLast(dir: string, state: TrainState): void {
  fs.mkdirSync(dir, { recursive: true });
  save(state, path.join(dir, LAST_FILE));
}

/**
 * Reads `last.pth`, or the seed's `ckpt.pth` (model only) when there is no `last.pth`, with its tensors
 * placed by `device` (torch.load's map_location). The default 'cpu' is what resuming wants: every
 * loadStateDict() copies onto its own parameters' devices, the random generators' states must be CPU
 * tensors, and no process (a DDP rank on cuda:1) puts a checkpoint saved on cuda:0 onto cuda:0.
 */
export function loadForResume(dir: string, device: MapLocation = 'cpu'): { state: Partial<TrainState> & { net: Record<string, Tensor> }; full: boolean } {
  const last = path.join(dir, LAST_FILE);
  const best = path.join(dir, BEST_FILE);
  if (fs.existsSync(last)) return { state: asState(load(last, { device }), last), full: true };
  if (fs.existsSync(best)) return { state: asState(load(best, { device }), best), full: false };
  throw new TorchError(`resume: no checkpoint in ${dir} (looked for ${LAST_FILE} and ${BEST_FILE})`);
}

/** One JSON record per line. */
function readLog(file: string): { epoch: number }[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new TorchError(`log: cannot read '${file}': ${(e as Error).message}`);
  }
  const out: { epoch: number }[] = [];
  for (const line of text.split('\n')) {
    // A line cut short by a kill mid-append is dropped (its epoch is rewritten or redone).
    try {
      const r = JSON.parse(line) as { epoch?: unknown };
      if (r && typeof r.epoch === 'number') out.push(r as { epoch: number });
    } catch {
      /* not a whole record */
    }
  }
  return out;
}

/** Writes the whole log atomically (temp file, fsync, rename), like save(). */
function writeLog(file: string, records: object[]): void {
  try {
    writeFileAtomic(file, records.map((r) => JSON.stringify(r) + '\n').join(''));
  } catch (e) {
    throw new TorchError(`log: cannot write '${file}': ${(e as Error).message}`);
  }
}

/**
 * Appends a finished epoch's record. Called after last.pth holds that epoch: a kill between the two
 * leaves the record out of the log, and resumeLog() puts it back from last.pth's history.
 */
export function appendLog(file: string, record: object): void {
  try {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fs.appendFileSync(file, JSON.stringify(record) + '\n');
  } catch (e) {
    throw new TorchError(`log: cannot write '${file}': ${(e as Error).message}`);
  }
}

/**
 * On resume, makes the log hold each finished epoch exactly once: the history that last.pth holds
 * when there is one (whatever a kill left in the log: a record written twice, one missing, a torn
 * line), otherwise the log's own records of the epochs before `startEpoch` (last copy of each).
 */
export function resumeLog(file: string, startEpoch: number, history: { epoch: number }[] | null): void {
  let records: { epoch: number }[];
  if (history) {
    records = history;
  } else {
    const byEpoch = new Map<number, { epoch: number }>();
    for (const r of readLog(file)) if (r.epoch < startEpoch) byEpoch.set(r.epoch, r);
    records = [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
  }
  writeLog(file, records);
}

function asState(value: unknown, file: string): Partial<TrainState> & { net: Record<string, Tensor> } {
  const obj = value instanceof Map ? Object.fromEntries(value) : value;
  if (!obj || typeof obj !== 'object' || !('net' in obj)) {
    throw new TorchError(`resume: ${file} is not a training checkpoint (no 'net' entry)`);
  }
  return obj as Partial<TrainState> & { net: Record<string, Tensor> };
}
