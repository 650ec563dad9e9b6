// The epoch schedules: CosineAnnealingLR, MultiStepLR, LinearLR, StepLR, ExponentialLR (PyTorch's
// chainable formulas, and their closed forms for step(epoch)).
import { TorchError } from '../../errors';
import { checkInt, checkNumber, describeValue } from '../../utils/validate';
import { Optimizer } from '../optimizer';
import { LRScheduler, schedulerOptions } from './base';

/** CosineAnnealingLR(optimizer, {tMax, etaMin=0}): eta_min + (base_lr - eta_min)(1 + cos(pi t / T_max)) / 2. */
export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;

  constructor(optimizer: Optimizer, options: { tMax: number; etaMin?: number; lastEpoch?: number } = {} as never) {
    options = schedulerOptions(options, 'CosineAnnealingLR', ['tMax', 'etaMin'], { etaMin: checkNumber });
    super(optimizer, options.lastEpoch ?? -1);
    checkNumber(options.tMax, 'CosineAnnealingLR', 'tMax');
    if (!(options.tMax > 0)) throw new TorchError(`CosineAnnealingLR: T_max must be a positive number, got ${options.tMax}`);
    this.tMax = options.tMax;
    this.etaMin = options.etaMin ?? 0;
    this.initialStep();
  }

  protected getLr(): number[] {
    const { tMax: T, etaMin, lastEpoch: t } = this;
    if (t === 0) return this.groupLrs();
    if (this._stepCount === 1 && t > 0) {
      return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((t * Math.PI) / T))) / 2);
    }
    if ((t - 1 - T) % (2 * T) === 0) {
      return this.optimizer.paramGroups.map((g, i) => g.lr + ((this.baseLrs[i] - etaMin) * (1 - Math.cos(Math.PI / T))) / 2);
    }
    return this.groupLrs().map(
      (lr) => ((1 + Math.cos((Math.PI * t) / T)) / (1 + Math.cos((Math.PI * (t - 1)) / T))) * (lr - etaMin) + etaMin,
    );
  }

  protected closedFormLr(): number[] {
    return this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.tMax))) / 2);
  }

  protected stateFields(): string[] {
    return ['tMax', 'etaMin'];
  }
  protected pyNames(): Record<string, string> {
    return { tMax: 'T_max' };
  }
}

/** MultiStepLR(optimizer, {milestones, gamma=0.1}): the rate times gamma at each milestone. */
export class MultiStepLR extends LRScheduler {
  /** milestone → how many times it was listed (PyTorch keeps a Counter). */
  milestones: Map<number, number>;
  gamma: number;

  constructor(optimizer: Optimizer, options: { milestones: number[]; gamma?: number; lastEpoch?: number } = {} as never) {
    options = schedulerOptions(options, 'MultiStepLR', ['milestones', 'gamma'], { gamma: checkNumber });
    super(optimizer, options.lastEpoch ?? -1);
    if (!Array.isArray(options.milestones)) throw new TorchError(`MultiStepLR(): argument 'milestones' must be an array of integers, not ${describeValue(options.milestones)}`);
    options.milestones.forEach((m, i) => checkInt(m, 'MultiStepLR', `milestones[${i}]`));
    this.milestones = new Map();
    for (const m of [...options.milestones].sort((a, b) => a - b)) this.milestones.set(m, (this.milestones.get(m) ?? 0) + 1);
    this.gamma = options.gamma ?? 0.1;
    this.initialStep();
  }

  protected getLr(): number[] {
    const count = this.milestones.get(this.lastEpoch);
    if (count === undefined) return this.groupLrs();
    return this.groupLrs().map((lr) => lr * this.gamma ** count);
  }

  protected closedFormLr(): number[] {
    let passed = 0; // bisect_right over the sorted milestones, with repeats
    for (const [m, c] of this.milestones) if (m <= this.lastEpoch) passed += c;
    return this.baseLrs.map((b) => b * this.gamma ** passed);
  }

  // A Map keeps the integer keys (PyTorch's Counter): Python's `last_epoch in milestones` must match.
  protected stateFields(): string[] {
    return ['milestones', 'gamma'];
  }
}

/** LinearLR(optimizer, {startFactor=1/3, endFactor=1, totalIters=5}): a linear ramp of the factor, then constant. */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;

  constructor(
    optimizer: Optimizer,
    options: { startFactor?: number; endFactor?: number; totalIters?: number; lastEpoch?: number } = {},
  ) {
    options = schedulerOptions(options, 'LinearLR', ['startFactor', 'endFactor', 'totalIters'], { startFactor: checkNumber, endFactor: checkNumber, totalIters: checkInt });
    super(optimizer, options.lastEpoch ?? -1);
    const start = options.startFactor ?? 1 / 3;
    const end = options.endFactor ?? 1.0;
    if (start > 1.0 || start <= 0) {
      throw new TorchError('Starting multiplicative factor expected to be greater than 0 and less or equal to 1.');
    }
    if (end > 1.0 || end < 0) throw new TorchError('Ending multiplicative factor expected to be between 0 and 1.');
    this.startFactor = start;
    this.endFactor = end;
    this.totalIters = options.totalIters ?? 5;
    this.initialStep();
  }

  protected getLr(): number[] {
    const { startFactor: s, endFactor: e, totalIters: n, lastEpoch: t } = this;
    if (t === 0) return this.groupLrs().map((lr) => lr * s);
    if (t > n) return this.groupLrs();
    return this.groupLrs().map((lr) => lr * (1 + (e - s) / (n * s + (t - 1) * (e - s))));
  }

  protected closedFormLr(): number[] {
    const { startFactor: s, endFactor: e, totalIters: n, lastEpoch: t } = this;
    return this.baseLrs.map((b) => b * (s + ((e - s) * Math.min(n, t)) / n));
  }

  protected stateFields(): string[] {
    return ['startFactor', 'endFactor', 'totalIters'];
  }
}

/** StepLR(optimizer, {stepSize, gamma=0.1}): the rate times gamma every stepSize epochs. */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;

  constructor(optimizer: Optimizer, options: { stepSize: number; gamma?: number; lastEpoch?: number }) {
    options = schedulerOptions(options, 'StepLR', ['stepSize', 'gamma'], { gamma: checkNumber });
    super(optimizer, options.lastEpoch ?? -1);
    if (!Number.isInteger(options.stepSize) || options.stepSize <= 0) {
      throw new TorchError(`StepLR: step_size must be a positive integer, got ${options.stepSize}`);
    }
    this.stepSize = options.stepSize;
    this.gamma = options.gamma ?? 0.1;
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this.groupLrs();
    return this.groupLrs().map((lr) => lr * this.gamma);
  }
  protected closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
  protected stateFields(): string[] {
    return ['stepSize', 'gamma'];
  }
}

/** ExponentialLR(optimizer, {gamma}): the rate times gamma every epoch. */
export class ExponentialLR extends LRScheduler {
  gamma: number;

  constructor(optimizer: Optimizer, options: { gamma: number; lastEpoch?: number }) {
    options = schedulerOptions(options, 'ExponentialLR', ['gamma']);
    super(optimizer, options.lastEpoch ?? -1);
    if (typeof options.gamma !== 'number') throw new TorchError('ExponentialLR: gamma is required');
    this.gamma = options.gamma;
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.groupLrs();
    return this.groupLrs().map((lr) => lr * this.gamma);
  }
  protected closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch);
  }
  protected stateFields(): string[] {
    return ['gamma'];
  }
}
