import { optionKeys, readOptions } from '../utils/options';
// The progress display of the seed's recipe, "Loss | Acc (correct/total)" per phase, for a person and a log:
//   bar:   one line redrawn in place (a TTY): bar, steps, rate, elapsed<ETA, loss and accuracy from the first step;
//   lines: a line every `everySeconds` (default 30) and one at the phase's end (CI logs, pipes, files);
// both on one stream (stdout by default, like the epoch lines). Loss and accuracy live on the device and
// are read only when something is printed, so a CUDA run does not sync the host every step.

export interface PhaseStats {
  /** Sum of the per-step mean losses. */
  loss: number;
  correct: number;
  total: number;
}

export interface Progress {
  /** Called after every step; `read` is called only when the display prints (it syncs the device). */
  update(step: number, read: () => PhaseStats): void;
  /** The phase ended after `step` steps (fewer than planned when it was stopped); prints the averages of those. */
  finish(step: number, stats: PhaseStats): void;
}

export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';

export interface ProgressOptions {
  mode?: ProgressMode;
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** lines mode: seconds between lines (default 30). */
  everySeconds?: number;
  /** bar mode: seconds between redraws that read the device (default 0.5; the first step always draws). */
  redrawSeconds?: number;
  /** bar mode: the terminal's width (default the stream's columns, else 100). */
  columns?: number;
  /** The clock, in seconds (tests). */
  now?: () => number;
}

// The keys of ProgressOptions, a list the compiler keeps complete, for readOptions at the entry.
const PROGRESS = optionKeys<ProgressOptions>({ mode: true, stream: true, everySeconds: true, redrawSeconds: true, columns: true, now: true });

/** "Loss: 1.234 | Acc: 56.250% (72/128)", the loss averaged over the steps that ran. */
export function describeStats(s: PhaseStats, steps: number): string {
  const loss = (s.loss / Math.max(steps, 1)).toFixed(3);
  return `Loss: ${loss} | Acc: ${((100 * s.correct) / Math.max(s.total, 1)).toFixed(3)}% (${s.correct}/${s.total})`;
}

/** 75 → "1:15", 3725 → "1:02:05". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  const two = (n: number) => String(n).padStart(2, '0');
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${two(m)}:${two(s % 60)}` : `${m}:${two(s % 60)}`;
}

/** Steps a second, or seconds a step when slower than one a second: "3.21 it/s", "4.20 s/it". */
export function formatRate(steps: number, seconds: number): string {
  if (steps === 0 || seconds <= 0) return '? it/s';
  const rate = steps / seconds;
  return rate >= 1 ? `${rate.toFixed(2)} it/s` : `${(1 / rate).toFixed(2)} s/it`;
}

const wallClock = () => performance.now() / 1000;

export function createProgress(phase: string, steps: number, options: ProgressOptions = {}): Progress {
  options = readOptions('createProgress', options, PROGRESS);
  const stream = options.stream ?? process.stdout;
  const mode = options.mode ?? 'auto';
  if (mode === 'none') return { update() {}, finish() {} };
  const now = options.now ?? wallClock;
  const start = now();
  const label = phase.padEnd(5);
  const timing = (step: number) => {
    const elapsed = now() - start;
    const eta = step > 0 ? (elapsed / step) * (steps - step) : NaN;
    return { elapsed, text: `${formatRate(step, elapsed)} | ${formatDuration(elapsed)}<${formatDuration(eta)}` };
  };
  const end = (step: number, stats: PhaseStats) => {
    const stopped = step < steps ? ' (stopped)' : '';
    return `${label} ${step}/${steps}${stopped} | ${formatRate(step, now() - start)} | ${formatDuration(now() - start)} | ${describeStats(stats, step)}`;
  };

  if (mode === 'lines' || (mode === 'auto' && stream.isTTY !== true)) {
    const every = options.everySeconds ?? 30;
    let lastLine = start;
    return {
      update(step, read) {
        if (step >= steps || now() - lastLine < every) return; // the phase's end prints its own line
        lastLine = now();
        const pct = Math.floor((100 * step) / steps);
        stream.write(`${label} ${step}/${steps} (${pct}%) | ${timing(step).text} | ${describeStats(read(), step)}\n`);
      },
      finish(step, stats) {
        stream.write(end(step, stats) + '\n');
      },
    };
  }

  const columns = options.columns ?? stream.columns ?? 100;
  const redraw = options.redrawSeconds ?? 0.5;
  let lastDraw = -Infinity;
  let statsText = '';
  const draw = (step: number) => {
    const right = `${step}/${steps} | ${timing(step).text}${statsText ? ` | ${statsText}` : ''}`;
    const width = Math.max(10, Math.min(30, columns - right.length - label.length - 5));
    const filled = Math.round((width * step) / Math.max(steps, 1));
    const line = `${label} [${'='.repeat(filled)}${' '.repeat(width - filled)}] ${right}`;
    stream.write(`\r${line.slice(0, Math.max(columns - 1, 20))}\x1b[K`);
  };
  return {
    update(step, read) {
      if (step === 1 || now() - lastDraw >= redraw) {
        lastDraw = now();
        statsText = describeStats(read(), step);
        draw(step);
      }
    },
    finish(step, stats) {
      stream.write(`\r${end(step, stats).slice(0, Math.max(columns - 1, 20))}\x1b[K\n`);
    },
  };
}
