// OneCycleLR: the rate up then down (and the momentum the other way), stepped after every batch.
import { TorchError } from '../../errors';
import { checkNumber } from '../../utils/validate';
import { Optimizer, camel } from '../optimizer';
import { LRScheduler, schedulerOptions } from './base';

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

/** A per-group value: one number for every group, or a list with one per group. */
function perGroup(optimizer: Optimizer, v: number | number[], name: string): number[] {
  if (!Array.isArray(v)) return optimizer.paramGroups.map(() => v);
  if (v.length !== optimizer.paramGroups.length) {
    throw new TorchError(`expected ${optimizer.paramGroups.length} values for ${name}, got ${v.length}`);
  }
  return v;
}

// PyTorch's own messages for the step counts.
function positive(v: number, name: string): number {
  if (!Number.isInteger(v) || v <= 0) throw new TorchError(`Expected positive integer ${name}, but got ${v}`);
  return v;
}

/** total_steps, or epochs × steps_per_epoch. */
function totalStepsOf(o: OneCycleLROptions): number {
  if (o.totalSteps !== undefined) return positive(o.totalSteps, 'total_steps');
  if (o.epochs !== undefined && o.stepsPerEpoch !== undefined) {
    return positive(o.epochs, 'epochs') * positive(o.stepsPerEpoch, 'steps_per_epoch');
  }
  throw new TorchError('You must define either total_steps OR (epochs AND steps_per_epoch)');
}

/** Each group's initial, maximum and minimum rate (a fresh schedule only; a resumed one keeps the groups'). */
function setRates(optimizer: Optimizer, o: OneCycleLROptions, fresh: boolean): void {
  const div = o.divFactor ?? 25;
  const finalDiv = o.finalDivFactor ?? 1e4;
  if (!fresh) return;
  perGroup(optimizer, o.maxLr, 'max_lr').forEach((m, i) => {
    const g = optimizer.paramGroups[i];
    g.initialLr = m / div;
    g.lr = g.initialLr;
    g.maxLr = m;
    g.minLr = g.initialLr / finalDiv;
  });
}

/** Each group's momentum range (Adam's beta1 when the optimizer has betas); whether beta1 is the one cycled. */
function setMomenta(optimizer: Optimizer, o: OneCycleLROptions, fresh: boolean): boolean {
  const defaults = (optimizer as unknown as { defaults: Record<string, unknown> }).defaults;
  if (!('momentum' in defaults) && !('betas' in defaults)) {
    throw new TorchError('optimizer must support momentum or beta1 with `cycle_momentum` option enabled');
  }
  const useBeta1 = 'betas' in defaults;
  const maxM = perGroup(optimizer, o.maxMomentum ?? 0.95, 'max_momentum');
  const baseM = perGroup(optimizer, o.baseMomentum ?? 0.85, 'base_momentum');
  if (fresh) {
    optimizer.paramGroups.forEach((g, i) => {
      if (useBeta1) g.betas = [maxM[i], (g.betas as number[])[1]];
      else g.momentum = maxM[i];
      g.maxMomentum = maxM[i];
      g.baseMomentum = baseM[i];
    });
  }
  return useBeta1;
}

/** PyTorch's _schedule_phases: up then down, or up, down and a final anneal to min_lr. */
function schedulePhases(pct: number, total: number, threePhase: boolean): Phase[] {
  const up = { end_step: pct * total - 1, start_lr: 'initial_lr', end_lr: 'max_lr', start_momentum: 'max_momentum', end_momentum: 'base_momentum' };
  if (!threePhase) {
    return [up, { end_step: total - 1, start_lr: 'max_lr', end_lr: 'min_lr', start_momentum: 'base_momentum', end_momentum: 'max_momentum' }];
  }
  return [
    up,
    { end_step: 2 * pct * total - 2, start_lr: 'max_lr', end_lr: 'initial_lr', start_momentum: 'base_momentum', end_momentum: 'max_momentum' },
    { end_step: total - 1, start_lr: 'initial_lr', end_lr: 'min_lr', start_momentum: 'max_momentum', end_momentum: 'max_momentum' },
  ];
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
    o = schedulerOptions(o, 'OneCycleLR', [
      'maxLr', 'totalSteps', 'epochs', 'stepsPerEpoch', 'pctStart', 'annealStrategy', 'cycleMomentum', 'baseMomentum',
      'maxMomentum', 'divFactor', 'finalDivFactor', 'threePhase',
    ], { pctStart: checkNumber, divFactor: checkNumber, finalDivFactor: checkNumber });
    const total = totalStepsOf(o);
    const pct = o.pctStart ?? 0.3;
    if (!(pct >= 0 && pct <= 1)) throw new TorchError(`Expected float between 0 and 1 pct_start, but got ${pct}`);
    const anneal = o.annealStrategy ?? 'cos';
    if (anneal !== 'cos' && anneal !== 'linear') throw new TorchError(`anneal_strategy must be one of 'cos' or 'linear', instead got ${anneal}`);
    // The groups' rates and momenta are set before the base class records initial_lr, as PyTorch.
    const fresh = o.lastEpoch === undefined || o.lastEpoch === -1;
    setRates(optimizer, o, fresh);
    const cycle = o.cycleMomentum ?? true;
    const useBeta1 = cycle ? setMomenta(optimizer, o, fresh) : false;
    super(optimizer, o.lastEpoch ?? -1, 'batch');
    this.totalSteps = total;
    this.cycleMomentum = cycle;
    this.useBeta1 = useBeta1;
    this.annealFuncType = anneal;
    this.schedulePhases = schedulePhases(pct, total, o.threePhase ?? false);
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
