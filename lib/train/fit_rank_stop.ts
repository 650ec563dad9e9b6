// A stop (Ctrl-C, the caller's signal, a callback's stop()) under DDP: every rank must stop after the same
// step. A rank that goes on waits forever in the next step's all-reduce for one that stopped, and the same
// Ctrl-C reaches each rank's training at a different step boundary. So the ranks agree through the
// process group's store (host-side, no device sync): the first rank to see a stop after its step j sets
// "stop after step j + 2" (first writer wins); every rank checks the store during each step and stops at
// the agreed step. Why j + 2 suffices: DDP keeps the ranks within one step of each other (a rank cannot
// finish step j + 1 before the writer has joined its all-reduce, which it does after writing), so every
// rank's check issued after it finished step j + 1 sees the value, and no rank has passed step j + 2 then.
import { getWorldSize, isAvailable, isInitialized } from '../distributed';
import { Store } from '../distributed/store';
import type { Module } from '../nn';
import { DistributedDataParallel } from '../nn/parallel';

let runs = 0;

/**
 * Whether a fit() run's steps communicate across ranks, so that the ranks must agree on where it stops:
 * an initialised default group of more than one rank, and a model that is (or holds) a
 * DistributedDataParallel, whose backward all-reduces the gradients, or a caller's gradientSync (its own
 * collective). Decided from what the run is, not from how it was called: a DDP model trained with no
 * gradientSync is distributed all the same. Ranks that each train a model of their own issue no collective:
 * a rank that stops alone blocks no other, and the "+ 2" above would not hold (it rests on the lockstep the
 * collectives keep), so they need no agreement.
 */
export function stepsCommunicate(model: Module, gradientSync: unknown): boolean {
  if (!isAvailable() || !isInitialized() || getWorldSize() < 2) return false;
  return gradientSync !== undefined || model.modules().some((m) => m instanceof DistributedDataParallel);
}

/** One fit() run's agreement; null where there is nothing to agree (no DDP, or one rank). */
export class RankStop {
  private pending: Promise<boolean> | null = null;
  private agreed: number | null = null;

  private constructor(
    private readonly key: string,
    private readonly store: Store,
  ) {}

  /** Every rank calls fit() with DDP in the same order, so the n-th run's key is the same on every rank. */
  static forRun(communicates: boolean): RankStop | null {
    if (!communicates) return null;
    return new RankStop(`torch_node/fit/${++runs}/stop_after_step`, Store.ofDefaultGroup('fit'));
  }

  /** At the start of a step: asks the store, while the step runs, whether a rank has set the stop. */
  beforeStep(): void {
    if (this.agreed !== null) return;
    const check = this.store.check([this.key]);
    check.catch(() => undefined); // awaited in afterStep; a step that throws first must not leave it unhandled
    this.pending = check;
  }

  /** After step `step` (1-based, counted over the whole run): whether every rank stops here. */
  async afterStep(step: number, requestedHere: boolean): Promise<boolean> {
    const check = this.pending;
    this.pending = null;
    const setByARank = check ? await check : false;
    if (this.agreed === null && requestedHere) {
      this.agreed = Number((await this.store.compareSet(this.key, '', String(step + 2))).toString());
    } else if (this.agreed === null && setByARank) {
      this.agreed = Number((await this.store.get(this.key)).toString());
    }
    return this.agreed !== null && step >= this.agreed;
  }
}
