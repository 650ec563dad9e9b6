// fit()'s printed lines: the learning rate and the end-of-epoch summary.
import type { FitRecord, Monitor } from './records';

/** 0.1 → "0.1", 0.0750000001 → "0.075", 0 → "0", 1.2e-7 → "1.2e-7". */
export const formatLr = (lr: number) => String(Number(lr.toPrecision(4)));

export function describeEpoch(r: FitRecord, monitor: Monitor, best: number): string {
  const fmt = (m: Monitor, v: number) => (m.endsWith('Acc') ? `${v.toFixed(2)}%` : v.toFixed(4));
  const head =
    r.testAcc !== undefined
      ? `Test accuracy: ${r.testAcc.toFixed(2)}%`
      : r.testLoss !== undefined
        ? `Test loss: ${r.testLoss.toFixed(4)}`
        : `Train loss: ${r.trainLoss.toFixed(4)}`;
  return `${head} (best ${fmt(monitor, best)}), lr ${formatLr(r.lr)}, ${r.seconds.toFixed(1)} s`;
}
