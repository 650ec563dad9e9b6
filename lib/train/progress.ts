// The progress display of the seed's recipe: one bar per phase with "Loss | Acc (correct/total)".
// A TTY gets a cli-progress bar; anything else (CI logs, pipes) gets one plain line per phase.
import { SingleBar } from 'cli-progress';

export interface PhaseStats {
  loss: number;
  correct: number;
  total: number;
}

export interface Progress {
  /** Called every step with cheap values; `read` is called only when the display refreshes (it syncs the device). */
  update(step: number, read: () => PhaseStats): void;
  finish(stats: PhaseStats): void;
}

export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';

const describe = (s: PhaseStats, batches: number) =>
  `Loss: ${(s.loss / Math.max(batches, 1)).toFixed(3)} | Acc: ${((100 * s.correct) / Math.max(s.total, 1)).toFixed(3)}% (${s.correct}/${s.total})`;

export function createProgress(
  phase: string,
  steps: number,
  mode: ProgressMode,
  stream: NodeJS.WriteStream = process.stderr,
  refreshEvery = 10,
): Progress {
  const useBar = mode === 'bar' || (mode === 'auto' && stream.isTTY === true);
  if (mode === 'none') return { update() {}, finish() {} };
  if (!useBar) {
    return {
      update() {},
      finish(stats) {
        stream.write(`${phase} ${steps}/${steps} | ${describe(stats, steps)}\n`);
      },
    };
  }
  const bar = new SingleBar(
    { format: `${phase.padEnd(5)} [{bar}] {value}/{total} | {stats}`, hideCursor: true, stream, barsize: 30 },
  );
  bar.start(steps, 0, { stats: '' });
  return {
    update(step, read) {
      if (step % refreshEvery === 0 || step === steps) bar.update(step, { stats: describe(read(), step) });
      else bar.update(step);
    },
    finish(stats) {
      bar.update(steps, { stats: describe(stats, steps) });
      bar.stop();
    },
  };
}
