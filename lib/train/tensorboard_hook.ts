// What the training loop writes to TensorBoard when asked (`tensorboard: true` or a folder): the
// per-epoch record as scalars (steps are epochs) and, every N steps, the training loss (steps are
// optimizer steps). Kept apart from the loop so that any loop can call it.
import * as path from 'path';
import { SummaryWriter } from '../utils/tensorboard';
import type { Callback } from './records';
import type { EpochRecord } from './records';

export class TensorBoardHook {
  readonly writer: SummaryWriter;

  /** `setting` true: <checkpointDir>/tensorboard; a string: that folder. */
  constructor(setting: true | string, checkpointDir: string, readonly everySteps?: number) {
    this.writer = new SummaryWriter(setting === true ? path.join(checkpointDir, 'tensorboard') : setting);
  }

  /** True on the steps whose loss should be read (a host-device sync, so only every N steps). */
  wantsStep(globalStep: number): boolean {
    return this.everySteps !== undefined && (globalStep + 1) % this.everySteps === 0;
  }

  step(globalStep: number, loss: number): void {
    this.writer.addScalar('Loss/train_step', loss, globalStep);
  }

  epoch(r: EpochRecord): void {
    const w = this.writer;
    w.addScalar('Loss/train', r.trainLoss, r.epoch);
    w.addScalar('Loss/test', r.testLoss, r.epoch);
    w.addScalar('Accuracy/train', r.trainAcc, r.epoch);
    w.addScalar('Accuracy/test', r.testAcc, r.epoch);
    w.addScalar('lr', r.lr, r.epoch);
    w.addScalar('seconds', r.seconds, r.epoch);
    w.flush(); // one write per epoch: a killed run keeps every finished epoch
  }

  /** The hook as a fit() callback; optimizer steps are numbered across epochs. */
  callback(stepsPerEpoch: number): Callback {
    return {
      onBatchEnd: (step, loss, ctx) => {
        const globalStep = ctx.epoch * stepsPerEpoch + step - 1;
        if (this.wantsStep(globalStep)) this.step(globalStep, loss.item() as number);
      },
      onEpochEnd: (record) => this.epoch(record as EpochRecord),
    };
  }

  close(): void {
    this.writer.close();
  }
}
