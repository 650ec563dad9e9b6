// The run's configuration stored in last.pth and how a resume uses it (no training here; the CLI test
// runs the real thing).
import { describe, expect, it } from 'vitest';
import { resumeOptions, runConfig } from '../../lib/train/run_config';

const stored = runConfig({ epochs: 3, lr: 0.1, batchSize: 64, schedule: 'cosine', depth: 20, limitTrain: 5000, seed: 1, device: 'cpu', checkpointDir: 'c' });

describe('run configuration', () => {
  it('stores what defines the run, not where it runs', () => {
    expect(stored).toEqual({ epochs: 3, lr: 0.1, batchSize: 64, schedule: 'cosine', depth: 20, limitTrain: 5000, seed: 1 });
  });

  it('a resume with no options is the stored run; options that agree change nothing', () => {
    expect(resumeOptions(stored, { resume: true })).toEqual({ options: { ...stored, resume: true }, extended: false });
    expect(resumeOptions(stored, { lr: 0.1, limitTrain: 5000, device: 'cpu' }).options).toEqual({ ...stored, device: 'cpu' });
  });

  it('a larger epochs extends the run; a different seed is ignored (the generators come from last.pth)', () => {
    expect(resumeOptions(stored, { epochs: 5 })).toEqual({ options: { ...stored, epochs: 5 }, extended: true });
    expect(resumeOptions(stored, { seed: 99 }).extended).toBe(false);
  });

  it('refuses a contradiction in one line that says what to do, in the caller’s names', () => {
    expect(() => resumeOptions(stored, { limitTrain: 500 })).toThrow(
      'resume: limitTrain 500 contradicts the run being resumed (limitTrain 5000); leave it out to continue that run, or start a new run in another checkpoint folder',
    );
    expect(() => resumeOptions(stored, { limitTest: 100 }, (k) => `--${k}`)).toThrow('resume: --limitTest 100 contradicts the run being resumed (--limitTest not set)');
    expect(() => resumeOptions(stored, { epochs: 2 })).toThrow('resume: epochs 2 contradicts the run being resumed (epochs 3); pass a number above 3 to train longer, or leave it out');
  });
});
