// The progress display: a bar with rate, elapsed and ETA on a TTY (loss/accuracy from the first step),
// a line every N seconds and at the phase's end in a log; the device is read only when something prints.
import { PassThrough } from 'stream';
import { describe, expect, it } from 'vitest';
import { train } from '../../lib';
import { describeStats, formatDuration, formatRate } from '../../lib/train/progress';
import { formatLr } from '../../lib/train/trainer';

function stream(tty: boolean) {
  const s = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
  s.isTTY = tty;
  s.columns = 160;
  let text = '';
  s.on('data', (d) => (text += d));
  return { s: s as unknown as NodeJS.WriteStream, text: () => text };
}

// A clock the test moves: each step takes `stepSeconds`.
function clock() {
  let t = 100;
  return { now: () => t, advance: (s: number) => (t += s) };
}

describe('createProgress', () => {
  it('in a log: a line every 30 s by default and one at the end, with rate, elapsed, ETA and the steps that ran', () => {
    const { s, text } = stream(false);
    const c = clock();
    const p = train.createProgress('Train', 10, { stream: s, now: c.now });
    let reads = 0;
    for (let i = 1; i <= 10; i++) {
      c.advance(8); // 8 s a step: lines after steps 4 (32 s) and 8 (64 s since the start, 32 since the last)
      p.update(i, () => (reads++, { loss: 2 * i, correct: 3 * i, total: 8 * i }));
    }
    p.finish(10, { loss: 20, correct: 30, total: 80 });
    expect(reads).toBe(2);
    expect(text().split('\n')).toEqual([
      'Train 4/10 (40%) | 8.00 s/it | 0:32<0:48 | Loss: 2.000 | Acc: 37.500% (12/32)',
      'Train 8/10 (80%) | 8.00 s/it | 1:04<0:16 | Loss: 2.000 | Acc: 37.500% (24/64)',
      'Train 10/10 | 8.00 s/it | 1:20 | Loss: 2.000 | Acc: 37.500% (30/80)',
      '',
    ]);
  });

  it('in a log: the interval is an option', () => {
    const { s, text } = stream(false);
    const c = clock();
    const p = train.createProgress('Test', 4, { stream: s, now: c.now, everySeconds: 1 });
    for (let i = 1; i <= 4; i++) {
      c.advance(0.5);
      p.update(i, () => ({ loss: i, correct: i, total: 2 * i }));
    }
    expect(text()).toBe('Test  2/4 (50%) | 2.00 it/s | 0:01<0:01 | Loss: 1.000 | Acc: 50.000% (2/4)\n');
  });

  it('stopped early: the end line averages the loss over the steps that ran, and says so', () => {
    const { s, text } = stream(false);
    const c = clock();
    const p = train.createProgress('Train', 40, { stream: s, now: c.now });
    c.advance(6);
    p.finish(3, { loss: 6.9, correct: 40, total: 384 });
    expect(text()).toBe('Train 3/40 (stopped) | 2.00 s/it | 0:06 | Loss: 2.300 | Acc: 10.417% (40/384)\n');
  });

  it('on a TTY: a bar redrawn in place with loss and accuracy from the first step, reading the device at most every 0.5 s', () => {
    const { s, text } = stream(true);
    const c = clock();
    const p = train.createProgress('Train', 25, { stream: s, now: c.now });
    let reads = 0;
    for (let i = 1; i <= 25; i++) {
      c.advance(0.2);
      p.update(i, () => (reads++, { loss: i, correct: i, total: 2 * i }));
    }
    // Step 1, then every third step (0.6 s ≥ 0.5 s): 1, 4, 7, …, 25.
    expect(reads).toBe(9);
    const draws = text().split('\r').filter(Boolean);
    expect(draws[0]).toBe(`Train [=${' '.repeat(29)}] 1/25 | 5.00 it/s | 0:00<0:05 | Loss: 1.000 | Acc: 50.000% (1/2)\x1b[K`);
    p.finish(25, { loss: 25, correct: 20, total: 50 });
    expect(text().endsWith('\rTrain 25/25 | 5.00 it/s | 0:05 | Loss: 1.000 | Acc: 40.000% (20/50)\x1b[K\n')).toBe(true);
  });

  it("'none' prints nothing and never reads", () => {
    const { s, text } = stream(true);
    const p = train.createProgress('Train', 3, { stream: s, mode: 'none' });
    p.update(1, () => {
      throw new Error('read');
    });
    p.finish(1, { loss: 1, correct: 1, total: 1 });
    expect(text()).toBe('');
  });
});

describe('formatting', () => {
  it('durations, rates, stats and learning rates', () => {
    expect([formatDuration(0), formatDuration(75), formatDuration(3725), formatDuration(NaN)]).toEqual(['0:00', '1:15', '1:02:05', '?']);
    expect([formatRate(10, 4), formatRate(2, 5), formatRate(0, 1)]).toEqual(['2.50 it/s', '2.50 s/it', '? it/s']);
    expect(describeStats({ loss: 3, correct: 1, total: 3 }, 2)).toBe('Loss: 1.500 | Acc: 33.333% (1/3)');
    expect([0.1, 0.075000000001, 0, 1.2e-7, 0.05].map(formatLr)).toEqual(['0.1', '0.075', '0', '1.2e-7', '0.05']);
  });
});
