// Checkpoints in PyTorch's .pth format. `ckpt.pth` is the seed's best-model file ({net, acc, epoch}),
// which `torch.load('ckpt.pth')['net']` loads straight into the seed's Python ResNet. `last.pth`
// adds everything the seed forgot, so that resuming continues exactly: optimizer momentum buffers,
// schedule, epoch, best accuracy and the random generators' states.
import * as fs from 'fs';
import * as path from 'path';
import { TorchError } from '../errors';
import { dispose } from '../memory';
import type { Module } from '../nn';
import { load, save } from '../serialization';
import type { Tensor } from '../tensor';

export const BEST_FILE = 'ckpt.pth';
export const LAST_FILE = 'last.pth';

export interface TrainState {
  net: Record<string, Tensor>;
  acc: number;
  epoch: number;
  best_acc: number;
  optimizer: unknown;
  scheduler: unknown;
  rng_state: Record<string, Tensor>;
  history: unknown[];
  /** The run's configuration (see run_config.ts), so that --resume continues the same run. */
  config: Record<string, unknown>;
}

/** The seed's checkpoint: the model's state dict, its test accuracy and the epoch (0-based). */
export function saveBest(dir: string, model: Module, acc: number, epoch: number): void {
  fs.mkdirSync(dir, { recursive: true });
  const net = model.stateDict();
  try {
    save({ net, acc, epoch }, path.join(dir, BEST_FILE));
  } finally {
    dispose(net); // handles made for the file; the model's tensors live on
  }
}

export function saveLast(dir: string, state: TrainState): void {
  fs.mkdirSync(dir, { recursive: true });
  save(state, path.join(dir, LAST_FILE));
}

/** Reads `last.pth`, or the seed's `ckpt.pth` (model only) when there is no `last.pth`. */
export function loadForResume(dir: string): { state: Partial<TrainState> & { net: Record<string, Tensor> }; full: boolean } {
  const last = path.join(dir, LAST_FILE);
  const best = path.join(dir, BEST_FILE);
  if (fs.existsSync(last)) return { state: asState(load(last), last), full: true };
  if (fs.existsSync(best)) return { state: asState(load(best), best), full: false };
  throw new TorchError(`resume: no checkpoint in ${dir} (looked for ${LAST_FILE} and ${BEST_FILE})`);
}

function asState(value: unknown, file: string): Partial<TrainState> & { net: Record<string, Tensor> } {
  const obj = value instanceof Map ? Object.fromEntries(value) : value;
  if (!obj || typeof obj !== 'object' || !('net' in obj)) {
    throw new TorchError(`resume: ${file} is not a training checkpoint (no 'net' entry)`);
  }
  return obj as Partial<TrainState> & { net: Record<string, Tensor> };
}
