// The values the training loop hands to everything around it (the JSONL log, report, charts,
// TensorBoard, callbacks): kept apart from the loop and the recipe so that those modules depend on
// these types only, never on each other.
import type { Module } from '../nn';
import type { Optimizer } from '../optim';
import type { SchedulerKind } from '../optim/lr_scheduler';
import type { Tensor } from '../tensor';
import type { RunInfo } from './run_info';

/** One epoch's record (the JSONL log line). Accuracies only for class scores; test values only with a testLoader. */
export interface FitRecord {
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

/** trainResNet20's record: class scores and a test set, so the accuracies and test loss are always there. */
export type EpochRecord = FitRecord & Required<Pick<FitRecord, 'trainAcc' | 'testLoss' | 'testAcc'>>;

/** The value that picks the best epoch. */
export type Monitor = 'testAcc' | 'testLoss' | 'trainAcc' | 'trainLoss';
export const MONITORS: readonly Monitor[] = ['testAcc', 'testLoss', 'trainAcc', 'trainLoss'];

/** What fit needs of a scheduler: PyTorch's step() (ReduceLROnPlateau's step(metric)) and its state dict. */
export interface SchedulerLike {
  step(metric?: number): void;
  stateDict(): unknown;
  loadStateDict(state: never): void;
  /** When fit steps it: after each epoch (the default when absent), each optimizer step, or each epoch with its loss. */
  readonly kind?: SchedulerKind;
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
  onEpochEnd?(record: FitRecord, ctx: FitContext): void | Promise<void>;
}

/** An image of the test set the best model got wrong. */
export interface Misclassified {
  index: number;
  trueClass: number;
  predicted: number;
  confidence: number;
  /** data:image/png;base64,… of the 32×32 image. */
  png: string;
}

/** What report.html shows (report() gathers it, report_html renders it). */
export interface ReportData {
  dir: string;
  generatedAt: string;
  history: EpochRecord[];
  /** Lines of log.jsonl that could not be read (a write cut short by a kill). */
  skippedLogLines: number;
  epochsPlanned: number | null;
  complete: boolean;
  best: { accuracy: number; epoch: number } | null;
  run: RunInfo | null;
  /** Versions and machine where the report was made (the run's own are in `run`). */
  reportEnvironment: Pick<RunInfo, 'versions' | 'machine'>;
  evaluation: {
    classes: string[];
    accuracy: number;
    loss: number;
    total: number;
    perClassAccuracy: number[];
    confusion: number[][];
    misclassified: Misclassified[];
  } | null;
  /** Why there is no evaluation, when there is none. */
  evaluationNote: string | null;
}
