// ReduceLROnPlateau: the rate cut when a metric stops improving, stepped with that metric.
import { TorchError } from '../../errors';
import { checkInt, checkNumber } from '../../utils/validate';
import { libtorchAtLeast } from '../../utils/version';
import { Optimizer } from '../optimizer';
import { LRScheduler, SchedulerStateDict, schedulerOptions } from './base';

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
    const o = schedulerOptions(options, 'ReduceLROnPlateau', ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps'], { factor: checkNumber, patience: checkInt, cooldown: checkInt, eps: checkNumber, threshold: checkNumber });
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
