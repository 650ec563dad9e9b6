// The run's configuration stored in last.pth and how a resume uses it (no training here; the CLI test
// runs the real thing).
import { describe, expect, it } from 'vitest';
import { resumeOptions, runConfig } from '../../lib/train/run_config';

const stored = runConfig({ epochs: 3, lr: 0.1, batchSize: 64, schedule: 'cosine', depth: 20, limitTrain: 5000, seed: 1, device: 'cpu', checkpointDir: 'c' });

// The options a resume takes from it: the world size is checked, not passed on as an option.
const { worldSize: _ranks, ...options } = stored;

describe('run configuration', () => {
  it('stores what defines the run, not where it runs', () => {
    expect(stored).toEqual({ epochs: 3, lr: 0.1, batchSize: 64, schedule: 'cosine', depth: 20, limitTrain: 5000, seed: 1, worldSize: 1 });
  });

  it('a resume with no options is the stored run; options that agree change nothing', () => {
    expect(resumeOptions(stored, { resume: true })).toEqual({ options: { ...options, resume: true }, extended: false });
    expect(resumeOptions(stored, { lr: 0.1, limitTrain: 5000, device: 'cpu' }).options).toEqual({ ...options, device: 'cpu' });
  });

  it('a larger epochs extends the run; a different seed is ignored (the generators come from last.pth)', () => {
    expect(resumeOptions(stored, { epochs: 5 })).toEqual({ options: { ...options, epochs: 5 }, extended: true });
    expect(resumeOptions(stored, { seed: 99 }).extended).toBe(false);
  });

  it('refuses a contradiction in one line that says what to do, in the caller’s names', () => {
    expect(() => resumeOptions(stored, { limitTrain: 500 })).toThrow(
      'resume: limitTrain 500 contradicts the run being resumed (limitTrain 5000); leave it out to continue that run, or start a new run in another checkpoint folder',
    );
    expect(() => resumeOptions(stored, { limitTest: 100 }, (k) => `--${k}`)).toThrow('resume: --limitTest 100 contradicts the run being resumed (--limitTest not set)');
    expect(() => resumeOptions(stored, { epochs: 2 })).toThrow('resume: epochs 2 contradicts the run being resumed (epochs 3); pass a number above 3 to train longer, or leave it out');
  });

  it('refuses another world size, naming both (a run of 2 ranks resumed on 1, and the reverse)', () => {
    const twoRanks = { ...stored, worldSize: 2 };
    expect(() => resumeOptions(twoRanks, { resume: true })).toThrow(
      'resume: the run being resumed was trained on 2 ranks (world size 2) and this one has 1 rank (world size 1); ' +
        'resume it with 2 (libtorch-node launch --nproc-per-node 2), or start a new run in another checkpoint folder',
    );
    const prev = process.env.WORLD_SIZE;
    process.env.WORLD_SIZE = '3';
    try {
      expect(() => resumeOptions(twoRanks, { distributed: true })).toThrow('trained on 2 ranks (world size 2) and this one has 3 ranks (world size 3)');
      expect(() => resumeOptions(stored, { distributed: true })).toThrow('trained on 1 rank (world size 1) and this one has 3 ranks (world size 3); resume it with 1 (libtorch-node launch --nproc-per-node 1, or without launch)');
      process.env.WORLD_SIZE = '2';
      expect(resumeOptions(twoRanks, { distributed: true }).options).toEqual({ ...options, distributed: true });
    } finally {
      if (prev === undefined) delete process.env.WORLD_SIZE;
      else process.env.WORLD_SIZE = prev;
    }
  });

  it('a checkpoint from before the world size was stored resumes on any number of ranks', () => {
    expect(resumeOptions(options, { resume: true }).options).toEqual({ ...options, resume: true });
  });
});
