// What fit() hands to last.pth: everything an exact resume needs (lib/train/resume.ts reads it back).
import type { Module } from '../nn';
import { Tensor, getRngState } from '../tensor';
import type { TrainState } from './checkpoint';
import type { FitOptions } from './fit_options';
import type { FitRecord, Monitor } from './records';

/** What last.pth is made from: the run's model and options, and the state fit() carries from epoch to epoch. */
export interface LastStateSource {
  model: Module;
  options: FitOptions;
  device: string;
  best: number;
  monitor: Monitor | undefined;
  history: FitRecord[];
}

/** last.pth's contents after `epochDone` (-1: the starting point of a fresh run). */
export function lastState(src: LastStateSource, epochDone: number, record: FitRecord | undefined): TrainState {
  const o = src.options;
  const rng: Record<string, Tensor> = { cpu: getRngState() };
  if (src.device.startsWith('cuda')) rng.cuda = getRngState(src.device);
  const loaderState = o.trainLoader.generator?.getState();
  if (loaderState) rng.loader = loaderState;
  const state: TrainState = {
    net: src.model.stateDict(),
    acc: record?.testAcc ?? record?.trainAcc ?? 0,
    epoch: epochDone,
    best_acc: Number.isNaN(src.best) ? null : src.best,
    optimizer: o.optimizer.stateDict(),
    scheduler: o.scheduler ? o.scheduler.stateDict() : null,
    rng_state: rng,
    history: src.history,
  };
  if (src.monitor && src.monitor !== 'testAcc') state.monitor = src.monitor;
  if (o.scaler) state.scaler = { ...o.scaler.stateDict() }; // as PyTorch's recipes save scaler.state_dict()
  if (o.extraState) Object.assign(state, o.extraState);
  return state;
}
