// SequentialLR: schedulers one after another at milestones (e.g. a warm-up, then the main schedule).
import { TorchError } from '../../errors';
import { libtorchAtLeast } from '../../utils/version';
import { Optimizer } from '../optimizer';
import { LRScheduler, SchedulerStateDict, schedulerOptions } from './base';

/**
 * SequentialLR(optimizer, {schedulers, milestones}): schedulers[i] runs from milestones[i-1] on, each
 * restarted at 0 when its turn comes — e.g. a LinearLR warm-up then CosineAnnealingLR.
 */
export class SequentialLR extends LRScheduler {
  readonly schedulers: LRScheduler[];
  milestones: number[];

  constructor(optimizer: Optimizer, options: { schedulers: LRScheduler[]; milestones: number[]; lastEpoch?: number }) {
    options = schedulerOptions(options, 'SequentialLR', ['schedulers', 'milestones']);
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
    super(optimizer, options.lastEpoch ?? -1);
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
