// torch.optim.lr_scheduler: the same recursive ("chainable") formulas as PyTorch, so the learning
// rates are PyTorch's to rounding, and state dicts with PyTorch's keys (last_epoch, base_lrs, _last_lr …).
// As in PyTorch, a state dict is the scheduler's attributes minus the optimizer: each class lists its
// fields once (stateFields) and the base maps them to PyTorch's names and back.
import { TorchError } from '../errors';
import { checkFields, checkInt, checkNumber, checkOptions, describeValue } from '../utils/validate';
import { libtorchAtLeast } from '../utils/version';
import { Optimizer, camel, snake } from './optimizer';

export type SchedulerStateDict = Record<string, unknown>;

/**
 * When a training loop steps the scheduler: after every epoch, after every optimizer step (OneCycleLR),
 * or after every epoch with the epoch's metric (ReduceLROnPlateau's step(metric)).
 */
export type SchedulerKind = 'epoch' | 'batch' | 'metric';

type Check = (v: unknown, fn: string, name: string) => unknown;

/** Every scheduler's argument check: an options object, the named fields' types, and lastEpoch (>= -1). */
function schedulerOptions<T extends object>(options: T | undefined, fn: string, checks: Record<string, Check> = {}): T {
  const o = checkOptions(options, fn);
  checkFields(o, fn, { lastEpoch: (v, f, n) => checkInt(v, f, n, -1), ...checks });
  return o;
}

/** A state-dict value: copies of arrays (of plain objects too), Maps and nested schedulers' state dicts. */
function saved(v: unknown): unknown {
  if (v instanceof LRScheduler) return v.stateDict();
  if (Array.isArray(v)) return v.map(saved);
  if (v instanceof Map) return new Map(v);
  if (v !== null && typeof v === 'object') return { ...v };
  return v;
}

/**
 * A loaded value for a field that now holds `current`, or undefined when it does not fit: same kind only
 * (a number for a number …; null and a number are interchangeable). Python dicts arrive as Maps or
 * plain objects: a Map field (a Counter, integer keys) takes either; array elements become plain objects.
 */
function restored(current: unknown, v: unknown): unknown {
  if (current instanceof Map) {
    if (v === null || typeof v !== 'object') return undefined;
    const entries = v instanceof Map ? [...v] : Object.entries(v);
    return new Map(entries.map(([k, n]) => [Number(k), Number(n)]));
  }
  if (Array.isArray(current)) return Array.isArray(v) ? v.map((e) => (e instanceof Map ? Object.fromEntries(e) : e)) : undefined;
  if (current === null || v === null) return v === null || typeof v === 'number' ? v : undefined;
  return typeof v === typeof current ? v : undefined;
}

export abstract class LRScheduler {
  readonly optimizer: Optimizer;
  /** When a training loop (train.fit) steps this scheduler. */
  readonly kind: SchedulerKind;
  /** The number of step() calls so far, as PyTorch's last_epoch (epochs or iterations, as you step). */
  lastEpoch: number;
  baseLrs: number[] = [];
  protected _lastLr: number[] = [];
  protected _stepCount = 0;

  /** A 'metric' scheduler (ReduceLROnPlateau) sets no initial_lr and has no base rates, as in PyTorch. */
  constructor(optimizer: Optimizer, lastEpoch = -1, kind: SchedulerKind = 'epoch') {
    if (!(optimizer instanceof Optimizer)) throw new TorchError(`${describeValue(optimizer)} is not an Optimizer`);
    checkInt(lastEpoch, new.target.name, 'lastEpoch', -1);
    this.optimizer = optimizer;
    this.kind = kind;
    this.lastEpoch = lastEpoch;
    if (kind === 'metric') return;
    optimizer.paramGroups.forEach((g, i) => {
      if (lastEpoch === -1) g.initialLr ??= g.lr; // setdefault: the first scheduler fixes it
      else if (g.initialLr === undefined) {
        throw new TorchError(`param 'initial_lr' is not specified in param_groups[${i}] when resuming an optimizer`);
      }
    });
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr as number);
  }

  /** PyTorch's _initial_step: subclasses call it at the end of their constructor (SequentialLR on its first). */
  initialStep(): void {
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

  /** The class's own attributes in its state dict, in PyTorch's order (JS names; see pyNames). */
  protected abstract stateFields(): string[];
  /** JS field → PyTorch attribute, where the attribute is not the field's name in snake_case. */
  protected pyNames(): Record<string, string> {
    return {};
  }

  /** The fields' values under PyTorch's names. */
  protected fieldsState(fields: string[]): SchedulerStateDict {
    const names = this.pyNames();
    const self = this as unknown as Record<string, unknown>;
    return Object.fromEntries(fields.map((f) => [names[f] ?? snake(f), saved(self[f])]));
  }

  /** PyTorch's keys for the user's version: `verbose` until 2.6 (removed in 2.7), `_is_initial` from 2.8. */
  stateDict(): SchedulerStateDict {
    return {
      ...this.fieldsState([...this.stateFields(), 'baseLrs', 'lastEpoch']),
      ...(libtorchAtLeast(2, 7) ? {} : { verbose: false }),
      ...this.fieldsState(['_stepCount']),
      ...(libtorchAtLeast(2, 8) ? { _is_initial: false } : {}),
      _get_lr_called_within_step: false,
      ...this.fieldsState(['_lastLr']),
    };
  }

  /** Each key back into its field (any attribute but the optimizer), when the value is of the field's kind; other keys are ignored. */
  loadStateDict(state: SchedulerStateDict): void {
    const fields = new Set(Object.keys(this).filter((f) => f !== 'optimizer' && f !== 'kind'));
    const byPyName = new Map(Object.entries(this.pyNames()).map(([f, py]) => [py, f]));
    const self = this as unknown as Record<string, unknown>;
    for (const [key, value] of Object.entries(state)) {
      const field = byPyName.get(key) ?? (key.startsWith('_') ? `_${camel(key.slice(1))}` : camel(key));
      if (!fields.has(field)) continue;
      const v = restored(self[field], value);
      if (v !== undefined) self[field] = v;
    }
  }
}

/** CosineAnnealingLR(optimizer, {tMax, etaMin=0}): eta_min + (base_lr - eta_min)(1 + cos(pi t / T_max)) / 2. */
export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;

  constructor(optimizer: Optimizer, options: { tMax: number; etaMin?: number; lastEpoch?: number } = {} as never) {
    super(optimizer, schedulerOptions(options, 'CosineAnnealingLR', { etaMin: checkNumber }).lastEpoch ?? -1);
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
    super(optimizer, schedulerOptions(options, 'MultiStepLR', { gamma: checkNumber }).lastEpoch ?? -1);
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
    super(optimizer, schedulerOptions(options, 'LinearLR', { startFactor: checkNumber, endFactor: checkNumber, totalIters: checkInt }).lastEpoch ?? -1);
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

/**
 * SequentialLR(optimizer, {schedulers, milestones}): schedulers[i] runs from milestones[i-1] on, each
 * restarted at 0 when its turn comes — e.g. a LinearLR warm-up then CosineAnnealingLR.
 */
export class SequentialLR extends LRScheduler {
  readonly schedulers: LRScheduler[];
  milestones: number[];

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
    super(optimizer, schedulerOptions(options, 'SequentialLR').lastEpoch ?? -1);
    this.schedulers = schedulers;
    this.milestones = [...milestones];
    this.lastEpoch += 1;
    // Undo what the schedulers' constructors did, then start only the first one (as PyTorch).
    for (const g of optimizer.paramGroups) g.lr = g.initialLr as number;
    for (const s of schedulers) s.lastEpoch -= 1;
    schedulers[0].initialStep();
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

  protected getLr(): number[] {
    return this.groupLrs(); // the active scheduler sets the rates
  }

  protected stateFields(): string[] {
    return ['milestones', 'lastEpoch', '_lastLr', 'schedulers'];
  }
  protected pyNames(): Record<string, string> {
    return { milestones: '_milestones', schedulers: '_schedulers' };
  }

  /** PyTorch's own: the attributes with the schedulers' state dicts, no base_lrs or step count. */
  stateDict(): SchedulerStateDict {
    return this.fieldsState(this.stateFields());
  }

  loadStateDict(state: SchedulerStateDict): void {
    const { _schedulers: subs, ...own } = state;
    super.loadStateDict(own);
    if (Array.isArray(subs)) subs.forEach((s, i) => this.schedulers[i]?.loadStateDict(s as SchedulerStateDict));
  }
}

/** StepLR(optimizer, {stepSize, gamma=0.1}): the rate times gamma every stepSize epochs. */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;

  constructor(optimizer: Optimizer, options: { stepSize: number; gamma?: number; lastEpoch?: number }) {
    super(optimizer, schedulerOptions(options, 'StepLR', { gamma: checkNumber }).lastEpoch ?? -1);
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
    super(optimizer, schedulerOptions(options, 'ExponentialLR').lastEpoch ?? -1);
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

export interface OneCycleLROptions {
  maxLr: number | number[];
  /** Or epochs × stepsPerEpoch. */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  pctStart?: number;
  annealStrategy?: 'cos' | 'linear';
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
  divFactor?: number;
  finalDivFactor?: number;
  threePhase?: boolean;
  lastEpoch?: number;
}

interface Phase {
  end_step: number;
  start_lr: string;
  end_lr: string;
  start_momentum: string;
  end_momentum: string;
}

/**
 * OneCycleLR(optimizer, {maxLr, totalSteps | epochs + stepsPerEpoch, pctStart=0.3, annealStrategy='cos',
 * cycleMomentum=true, baseMomentum=0.85, maxMomentum=0.95, divFactor=25, finalDivFactor=1e4, threePhase=false}):
 * stepped after every batch (train.fit does so by itself). It cycles the momentum (Adam's beta1) inversely.
 */
export class OneCycleLR extends LRScheduler {
  totalSteps: number;
  cycleMomentum: boolean;
  useBeta1: boolean;
  annealFuncType: 'cos' | 'linear';
  schedulePhases: Phase[];

  constructor(optimizer: Optimizer, o: OneCycleLROptions) {
    schedulerOptions(o, 'OneCycleLR', { pctStart: checkNumber, divFactor: checkNumber, finalDivFactor: checkNumber });
    const perGroup = (v: number | number[], name: string): number[] => {
      if (!Array.isArray(v)) return optimizer.paramGroups.map(() => v);
      if (v.length !== optimizer.paramGroups.length) {
        throw new TorchError(`expected ${optimizer.paramGroups.length} values for ${name}, got ${v.length}`);
      }
      return v;
    };
    let total: number;
    // PyTorch's own messages for the step counts.
    const positive = (v: number, name: string) => {
      if (!Number.isInteger(v) || v <= 0) throw new TorchError(`Expected positive integer ${name}, but got ${v}`);
      return v;
    };
    if (o.totalSteps !== undefined) {
      total = positive(o.totalSteps, 'total_steps');
    } else if (o.epochs !== undefined && o.stepsPerEpoch !== undefined) {
      total = positive(o.epochs, 'epochs') * positive(o.stepsPerEpoch, 'steps_per_epoch');
    } else {
      throw new TorchError('You must define either total_steps OR (epochs AND steps_per_epoch)');
    }
    const pct = o.pctStart ?? 0.3;
    if (!(pct >= 0 && pct <= 1)) throw new TorchError(`Expected float between 0 and 1 pct_start, but got ${pct}`);
    const anneal = o.annealStrategy ?? 'cos';
    if (anneal !== 'cos' && anneal !== 'linear') throw new TorchError(`anneal_strategy must be one of 'cos' or 'linear', instead got ${anneal}`);
    const div = o.divFactor ?? 25;
    const finalDiv = o.finalDivFactor ?? 1e4;
    // The groups' rates and momenta are set before the base class records initial_lr, as PyTorch.
    if (o.lastEpoch === undefined || o.lastEpoch === -1) {
      perGroup(o.maxLr, 'max_lr').forEach((m, i) => {
        const g = optimizer.paramGroups[i];
        g.initialLr = m / div;
        g.lr = g.initialLr;
        g.maxLr = m;
        g.minLr = g.initialLr / finalDiv;
      });
    }
    const cycle = o.cycleMomentum ?? true;
    const defaults = (optimizer as unknown as { defaults: Record<string, unknown> }).defaults;
    let useBeta1 = false;
    if (cycle) {
      if (!('momentum' in defaults) && !('betas' in defaults)) {
        throw new TorchError('optimizer must support momentum or beta1 with `cycle_momentum` option enabled');
      }
      useBeta1 = 'betas' in defaults;
      const maxM = perGroup(o.maxMomentum ?? 0.95, 'max_momentum');
      const baseM = perGroup(o.baseMomentum ?? 0.85, 'base_momentum');
      if (o.lastEpoch === undefined || o.lastEpoch === -1) {
        optimizer.paramGroups.forEach((g, i) => {
          if (useBeta1) g.betas = [maxM[i], (g.betas as number[])[1]];
          else g.momentum = maxM[i];
          g.maxMomentum = maxM[i];
          g.baseMomentum = baseM[i];
        });
      }
    }
    super(optimizer, o.lastEpoch ?? -1, 'batch');
    this.totalSteps = total;
    this.cycleMomentum = cycle;
    this.useBeta1 = useBeta1;
    this.annealFuncType = anneal;
    this.schedulePhases = o.threePhase
      ? [
          { end_step: pct * total - 1, start_lr: 'initial_lr', end_lr: 'max_lr', start_momentum: 'max_momentum', end_momentum: 'base_momentum' },
          { end_step: 2 * pct * total - 2, start_lr: 'max_lr', end_lr: 'initial_lr', start_momentum: 'base_momentum', end_momentum: 'max_momentum' },
          { end_step: total - 1, start_lr: 'initial_lr', end_lr: 'min_lr', start_momentum: 'max_momentum', end_momentum: 'max_momentum' },
        ]
      : [
          { end_step: pct * total - 1, start_lr: 'initial_lr', end_lr: 'max_lr', start_momentum: 'max_momentum', end_momentum: 'base_momentum' },
          { end_step: total - 1, start_lr: 'max_lr', end_lr: 'min_lr', start_momentum: 'base_momentum', end_momentum: 'max_momentum' },
        ];
    this.initialStep();
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.annealFuncType === 'linear') return (end - start) * pct + start;
    return end + ((start - end) / 2.0) * (Math.cos(Math.PI * pct) + 1);
  }

  protected getLr(): number[] {
    const t = this.lastEpoch;
    if (t > this.totalSteps) {
      throw new TorchError(`Tried to step ${t} times. The specified number of total steps is ${this.totalSteps}`);
    }
    return this.optimizer.paramGroups.map((g) => {
      const value = (key: string) => g[camel(key)] as number;
      let start = 0;
      let lr = 0;
      let momentum = 0;
      for (const [i, phase] of this.schedulePhases.entries()) {
        if (t <= phase.end_step || i === this.schedulePhases.length - 1) {
          const pct = (t - start) / (phase.end_step - start);
          lr = this.anneal(value(phase.start_lr), value(phase.end_lr), pct);
          if (this.cycleMomentum) momentum = this.anneal(value(phase.start_momentum), value(phase.end_momentum), pct);
          break;
        }
        start = phase.end_step;
      }
      if (this.cycleMomentum) {
        if (this.useBeta1) g.betas = [momentum, (g.betas as number[])[1]];
        else g.momentum = momentum;
      }
      return lr;
    });
  }

  // PyTorch 1.x also pickles the bound annealing method; its type name is what both versions can read.
  protected stateFields(): string[] {
    return ['totalSteps', 'schedulePhases', 'annealFuncType', 'cycleMomentum', 'useBeta1'];
  }
  protected pyNames(): Record<string, string> {
    return { schedulePhases: '_schedule_phases', annealFuncType: '_anneal_func_type' };
  }
}

export interface ReduceLROnPlateauOptions {
  mode?: 'min' | 'max';
  factor?: number;
  patience?: number;
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  cooldown?: number;
  minLr?: number | number[];
  eps?: number;
}

/**
 * ReduceLROnPlateau(optimizer, {mode='min', factor=0.1, patience=10, threshold=1e-4, thresholdMode='rel',
 * cooldown=0, minLr=0, eps=1e-8}): step(metric) after each epoch; the rate times factor after `patience`
 * epochs without improvement. train.fit passes the test loss (or the training loss without a test set).
 */
export class ReduceLROnPlateau extends LRScheduler {
  mode: 'min' | 'max';
  factor: number;
  patience: number;
  threshold: number;
  thresholdMode: 'rel' | 'abs';
  cooldown: number;
  minLrs: number[];
  defaultMinLr: number | null;
  eps: number;
  best: number;
  modeWorse: number;
  numBadEpochs = 0;
  cooldownCounter = 0;

  constructor(optimizer: Optimizer, options?: ReduceLROnPlateauOptions) {
    // train.fit calls step(metric) with the epoch's loss.
    super(optimizer, 0, 'metric');
    const o = schedulerOptions(options, 'ReduceLROnPlateau', { factor: checkNumber, patience: checkInt, cooldown: checkInt, eps: checkNumber, threshold: checkNumber });
    this.factor = o.factor ?? 0.1;
    if (this.factor >= 1.0) throw new TorchError('Factor should be < 1.0.');
    const minLr = o.minLr ?? 0;
    if (Array.isArray(minLr) && minLr.length !== optimizer.paramGroups.length) {
      throw new TorchError(`expected ${optimizer.paramGroups.length} min_lrs, got ${minLr.length}`);
    }
    this.defaultMinLr = Array.isArray(minLr) ? null : minLr;
    this.minLrs = Array.isArray(minLr) ? [...minLr] : optimizer.paramGroups.map(() => minLr);
    this.patience = o.patience ?? 10;
    this.cooldown = o.cooldown ?? 0;
    this.eps = o.eps ?? 1e-8;
    this.mode = o.mode ?? 'min';
    this.threshold = o.threshold ?? 1e-4;
    this.thresholdMode = o.thresholdMode ?? 'rel';
    if (this.mode !== 'min' && this.mode !== 'max') throw new TorchError(`mode ${this.mode} is unknown!`);
    if (this.thresholdMode !== 'rel' && this.thresholdMode !== 'abs') throw new TorchError(`threshold mode ${this.thresholdMode} is unknown!`);
    this.modeWorse = this.mode === 'min' ? Infinity : -Infinity;
    this.best = this.modeWorse;
    this._lastLr = optimizer.paramGroups.map((g) => g.lr);
  }

  private isBetter(a: number): boolean {
    const { mode, thresholdMode: tm, threshold: th, best } = this;
    if (mode === 'min') return tm === 'rel' ? a < best * (1 - th) : a < best - th;
    return tm === 'rel' ? a > best * (th + 1) : a > best + th;
  }

  /** step(metric): one epoch's value of the monitored quantity (a number: read it from the device first). */
  step(metric?: number): void {
    const current = Number(metric);
    if (metric === undefined || Number.isNaN(current)) throw new TorchError(`ReduceLROnPlateau.step: a metric value is required, got ${metric}`);
    this.lastEpoch += 1;
    if (this.isBetter(current)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const next = Math.max(g.lr * this.factor, this.minLrs[i]);
        if (g.lr - next > this.eps) g.lr = next;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this._lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  protected getLr(): number[] {
    return this.groupLrs(); // the rates step(metric) left
  }

  protected stateFields(): string[] {
    const fields = ['factor', 'minLrs', 'patience', 'cooldown', 'cooldownCounter', 'mode', 'threshold', 'thresholdMode'];
    return [...fields, 'best', 'numBadEpochs', 'modeWorse', 'eps', 'lastEpoch'];
  }

  /** PyTorch 2.x adds default_min_lr and _last_lr and drops `verbose`. */
  stateDict(): SchedulerStateDict {
    const state = this.fieldsState(this.stateFields());
    return libtorchAtLeast(2, 0) ? { ...state, ...this.fieldsState(['defaultMinLr', '_lastLr']) } : { ...state, verbose: false };
  }
}
