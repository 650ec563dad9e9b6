// torch.optim.lr_scheduler: the same recursive ("chainable") formulas as PyTorch, so the learning
// rates are PyTorch's to rounding, and state dicts with PyTorch's keys (last_epoch, base_lrs, _last_lr …).
// As in PyTorch, a state dict is the scheduler's attributes minus the optimizer: each class lists its
// fields once (stateFields) and the base maps them to PyTorch's names and back.
import { TorchError } from '../../errors';
import { checkFields, checkInt, checkOptions, describeValue } from '../../utils/validate';
import { libtorchAtLeast } from '../../utils/version';
import { readOptions } from '../../utils/options';
import { Optimizer, camel, snake } from '../optimizer';

export type SchedulerStateDict = Record<string, unknown>;

/**
 * When a training loop steps the scheduler: after every epoch, after every optimizer step (OneCycleLR),
 * or after every epoch with the epoch's metric (ReduceLROnPlateau's step(metric)).
 */
export type SchedulerKind = 'epoch' | 'batch' | 'metric';

type Check = (v: unknown, fn: string, name: string) => unknown;

/**
 * Every scheduler's argument check: an options object with only the known keys (camelCase or PyTorch's
 * snake_case; lastEpoch implied), the named fields' types, and lastEpoch (>= -1). Returns it normalised.
 */
export function schedulerOptions<T extends object>(options: T | undefined, fn: string, known: readonly string[], checks: Record<string, Check> = {}): T {
  const o = readOptions(fn, checkOptions(options, fn), [...known, 'lastEpoch']);
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
export function restored(current: unknown, v: unknown): unknown {
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
