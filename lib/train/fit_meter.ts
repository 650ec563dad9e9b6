// A training phase's running sums, kept on the device so that no step waits for the host.
import { dispose, keep } from '../memory';
import { Tensor, noGrad, zeros } from '../tensor';
import { MetricFn, isClassification } from './evaluate';
import type { PhaseStats } from './progress';

/** Loss, correct predictions and metric sums of a phase, on the device; read only when asked. */
export class Meter {
  private readonly lossSum: Tensor;
  private readonly correct: Tensor;
  private readonly metricSums: Tensor[];
  total = 0;
  batches = 0;
  classification = false;

  constructor(
    device: string,
    private readonly metrics: Record<string, MetricFn>,
  ) {
    const zero = (dtype: 'float64' | 'int64') => keep(zeros([], { dtype, device }));
    this.lossSum = zero('float64');
    this.correct = zero('int64');
    this.metricSums = Object.keys(metrics).map(() => zero('float64'));
  }

  add(out: Tensor, y: Tensor, loss: Tensor): void {
    this.total += y.shape[0];
    this.batches++;
    noGrad(() => {
      this.lossSum.add_(loss.detach());
      if (this.batches === 1) this.classification = isClassification(out, y);
      if (this.classification) this.correct.add_(out.argmax(1).eq(y).sum());
      Object.values(this.metrics).forEach((fn, i) => this.metricSums[i].add_(fn(out.detach(), y).to('float64').mul(y.shape[0])));
    });
  }

  read = (): PhaseStats => ({ loss: this.lossSum.item() as number, correct: this.correct.item() as number, total: this.total });

  metricMeans(prefix: string): Record<string, number> {
    const names = Object.keys(this.metrics);
    return Object.fromEntries(names.map((name, i) => [`${prefix}${name}`, (this.metricSums[i].item() as number) / Math.max(this.total, 1)]));
  }

  dispose(): void {
    dispose([this.lossSum, this.correct, ...this.metricSums]);
  }
}

/** What the training pass of an epoch hands to its record. */
export interface TrainPhase extends PhaseStats {
  batches: number;
  complete: boolean;
  classification: boolean;
  metrics: Record<string, number>;
}
