// The progress display: a bar on a TTY that reads the device only when it refreshes; plain lines otherwise.
import { PassThrough } from 'stream';
import { describe, expect, it } from 'vitest';
import { train } from '../../lib';

function stream(tty: boolean) {
  const s = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number; cursorTo?: unknown; clearLine?: unknown; moveCursor?: unknown };
  s.isTTY = tty;
  s.columns = 120;
  let text = '';
  s.on('data', (d) => (text += d));
  // cli-progress drives a TTY through readline's cursor calls: plain no-ops here.
  s.cursorTo = (_x: number, _y?: number, cb?: () => void) => { cb?.(); return true; };
  s.clearLine = (_d: number, cb?: () => void) => { cb?.(); return true; };
  s.moveCursor = (_dx: number, _dy: number, cb?: () => void) => { cb?.(); return true; };
  return { s: s as unknown as NodeJS.WriteStream, text: () => text };
}

describe('createProgress', () => {
  it('not a TTY: one line per phase in the seed’s format, no reads before the end', () => {
    const { s, text } = stream(false);
    const p = train.createProgress('Train', 4, 'auto', s);
    let reads = 0;
    for (let i = 1; i <= 4; i++) p.update(i, () => (reads++, { loss: 0, correct: 0, total: 0 }));
    p.finish({ loss: 8, correct: 30, total: 40 });
    expect(reads).toBe(0);
    expect(text()).toBe('Train 4/4 | Loss: 2.000 | Acc: 75.000% (30/40)\n');
  });

  it('a TTY: a bar that reads the accumulated values every 10 steps only', () => {
    const { s, text } = stream(true);
    const p = train.createProgress('Train', 25, 'auto', s);
    let reads = 0;
    for (let i = 1; i <= 25; i++) p.update(i, () => (reads++, { loss: i, correct: i, total: 2 * i }));
    p.finish({ loss: 25, correct: 20, total: 50 });
    expect(reads).toBe(3); // steps 10, 20 and 25 (the last)
    expect(text()).toContain('25/25 | Loss: 1.000 | Acc: 40.000% (20/50)');
  });
});
