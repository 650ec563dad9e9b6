// torch.optim.lr_scheduler: the same recursive ("chainable") formulas as PyTorch, so the learning
// rates are PyTorch's to rounding, and state dicts with PyTorch's keys (last_epoch, base_lrs, _last_lr …).
import { TorchError } from '../errors';
import { libtorchAtLeast } from '../utils/version';
import { Optimizer } from './optimizer';

export type SchedulerStateDict = Record<string, unknown>;

export abstract class LRScheduler {
  readonly optimizer: Optimizer;
  /** The number of step() calls so far, as PyTorch's last_epoch (epochs or iterations, as you step). */
  lastEpoch: number;
  baseLrs: number[];
  protected _lastLr: number[] = [];
  protected _stepCount = 0;

  constructor(optimizer: Optimizer, lastEpoch = -1) {
    this.optimizer = optimizer;
    optimizer.paramGroups.forEach((g, i) => {
      if (lastEpoch === -1) g.initialLr ??= g.lr; // setdefault: the first scheduler fixes it
      else if (g.initialLr === undefined) {
        throw new TorchError(`param 'initial_lr' is not specified in param_groups[${i}] when resuming an optimizer`);
      }
    });
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr as number);
    this.lastEpoch = lastEpoch;
  }

  /** Subclasses call this at the end of their constructor (PyTorch's _initial_step). */
  protected initialStep(): void {
    this._stepCount = 0;
    this.step();
  }

  /** The chainable form: the next rates from the groups' current ones. */
  protected abstract getLr(): number[];
  /** The closed form of the schedule at lastEpoch, used by step(epoch). */
  protected closedFormLr(): number[] | null {
    return null;
  }

  /** step(): advances one epoch (or iteration) and writes the new rate into every param group. */
  step(epoch?: number): void {
    this._stepCount += 1;
    this.updateLr(epoch);
  }

  /** PyTorch's _update_lr: the rate at the next (or the given) epoch, without counting a step. */
  updateLr(epoch?: number): void {
    let values: number[];
    if (epoch === undefined) {
      this.lastEpoch += 1;
      values = this.getLr();
    } else {
      this.lastEpoch = epoch;
      values = this.closedFormLr() ?? this.getLr();
    }
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = values[i]));
    this._lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** get_last_lr(): the rates the last step() set. */
  getLastLr(): number[] {
    return [...this._lastLr];
  }

  protected groupLrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** Scheduler-specific entries of the state dict, under PyTorch's names. */
  protected abstract ownState(): SchedulerStateDict;
  protected loadOwnState(_state: SchedulerStateDict): void {}

  /** PyTorch's keys for the user's version: `verbose` until 2.6 (removed in 2.7), `_is_initial` from 2.8. */
  stateDict(): SchedulerStateDict {
    return {
      ...this.ownState(),
      base_lrs: [...this.baseLrs],
      last_epoch: this.lastEpoch,
      ...(libtorchAtLeast(2, 7) ? {} : { verbose: false }),
      _step_count: this._stepCount,
      ...(libtorchAtLeast(2, 8) ? { _is_initial: false } : {}),
      _get_lr_called_within_step: false,
      _last_lr: [...this._lastLr],
    };
  }

  loadStateDict(state: SchedulerStateDict): void {
    if (Array.isArray(state.base_lrs)) this.baseLrs = [...(state.base_lrs as number[])];
    if (typeof state.last_epoch === 'number') this.lastEpoch = state.last_epoch;
    if (typeof state._step_count === 'number') this._stepCount = state._step_count;
    if (Array.isArray(state._last_lr)) this._lastLr = [...(state._last_lr as number[])];
    this.loadOwnState(state);
  }
}

/** CosineAnnealingLR(optimizer, {tMax, etaMin=0}): eta_min + (base_lr - eta_min)(1 + cos(pi t / T_max)) / 2. */
export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;

  constructor(optimizer: Optimizer, options: { tMax: number; etaMin?: number; lastEpoch?: number }) {
    super(optimizer, options.lastEpoch ?? -1);
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

  protected ownState(): SchedulerStateDict {
    return { T_max: this.tMax, eta_min: this.etaMin };
  }
  protected loadOwnState(s: SchedulerStateDict): void {
    if (typeof s.T_max === 'number') this.tMax = s.T_max;
    if (typeof s.eta_min === 'number') this.etaMin = s.eta_min;
  }
}

/** MultiStepLR(optimizer, {milestones, gamma=0.1}): the rate times gamma at each milestone. */
export class MultiStepLR extends LRScheduler {
  /** milestone → how many times it was listed (PyTorch keeps a Counter). */
  milestones: Map<number, number>;
  gamma: number;

  constructor(optimizer: Optimizer, options: { milestones: number[]; gamma?: number; lastEpoch?: number }) {
    super(optimizer, options.lastEpoch ?? -1);
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

  protected ownState(): SchedulerStateDict {
    // A Map keeps the integer keys (PyTorch's Counter): Python's `last_epoch in milestones` must match.
    return { milestones: new Map(this.milestones), gamma: this.gamma };
  }
  protected loadOwnState(s: SchedulerStateDict): void {
    if (s.milestones instanceof Map) {
      this.milestones = new Map([...s.milestones].map(([k, v]) => [Number(k), Number(v)]));
    } else if (s.milestones && typeof s.milestones === 'object') {
      this.milestones = new Map(Object.entries(s.milestones as Record<string, number>).map(([k, v]) => [Number(k), v]));
    }
    if (typeof s.gamma === 'number') this.gamma = s.gamma;
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

  protected ownState(): SchedulerStateDict {
    return { start_factor: this.startFactor, end_factor: this.endFactor, total_iters: this.totalIters };
  }
  protected loadOwnState(s: SchedulerStateDict): void {
    if (typeof s.start_factor === 'number') this.startFactor = s.start_factor;
    if (typeof s.end_factor === 'number') this.endFactor = s.end_factor;
    if (typeof s.total_iters === 'number') this.totalIters = s.total_iters;
  }
}

/**
 * SequentialLR(optimizer, {schedulers, milestones}): schedulers[i] runs from milestones[i-1] on, each
 * restarted at 0 when its turn comes — e.g. a LinearLR warm-up then CosineAnnealingLR.
 */
export class SequentialLR {
  readonly optimizer: Optimizer;
  readonly schedulers: LRScheduler[];
  milestones: number[];
  lastEpoch: number;
  private _lastLr: number[];

  constructor(optimizer: Optimizer, options: { schedulers: LRScheduler[]; milestones: number[]; lastEpoch?: number }) {
    const { schedulers, milestones } = options;
    schedulers.forEach((s, i) => {
      if (s.optimizer !== optimizer) {
        throw new TorchError(
          `Sequential Schedulers expects all schedulers to belong to the same optimizer, but got schedulers at index ${i} to be different than the optimizer passed in.`,
        );
      }
    });
    if (milestones.length !== schedulers.length - 1) {
      throw new TorchError(
        `Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers ${schedulers.length} and the number of milestones to be equal to ${milestones.length}`,
      );
    }
    this.optimizer = optimizer;
    this.schedulers = schedulers;
    this.milestones = [...milestones];
    this.lastEpoch = (options.lastEpoch ?? -1) + 1;
    // Undo what the schedulers' constructors did, then start only the first one (as PyTorch).
    for (const g of optimizer.paramGroups) g.lr = g.initialLr as number;
    for (const s of schedulers) s.lastEpoch -= 1;
    (schedulers[0] as unknown as { initialStep(): void }).initialStep();
    this._lastLr = schedulers[0].getLastLr();
  }

  step(): void {
    this.lastEpoch += 1;
    let idx = 0; // bisect_right(milestones, lastEpoch)
    while (idx < this.milestones.length && this.milestones[idx] <= this.lastEpoch) idx++;
    const s = this.schedulers[idx];
    // At a milestone the next schedule restarts at its epoch 0; PyTorch 2.9 stopped counting that as a step.
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) {
      if (libtorchAtLeast(2, 9)) s.updateLr(0);
      else s.step(0);
    } else s.step();
    this._lastLr = s.getLastLr();
  }

  getLastLr(): number[] {
    return [...this._lastLr];
  }

  stateDict(): SchedulerStateDict {
    return {
      _milestones: [...this.milestones],
      last_epoch: this.lastEpoch,
      _last_lr: [...this._lastLr],
      _schedulers: this.schedulers.map((s) => s.stateDict()),
    };
  }

  loadStateDict(state: SchedulerStateDict): void {
    if (Array.isArray(state._milestones)) this.milestones = [...(state._milestones as number[])];
    if (typeof state.last_epoch === 'number') this.lastEpoch = state.last_epoch;
    if (Array.isArray(state._last_lr)) this._lastLr = [...(state._last_lr as number[])];
    const subs = state._schedulers as SchedulerStateDict[] | undefined;
    subs?.forEach((s, i) => this.schedulers[i]?.loadStateDict(s));
  }
}
