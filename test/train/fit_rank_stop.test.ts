// fit() under DDP stops every rank after the same step, whichever rank a stop reaches first and at
// which step: a rank that stopped alone would leave the others waiting in the next step's all-reduce.
// The agreed step is two after the first rank's request (lib/train/fit_rank_stop.ts says why two).
import { afterAll, describe, expect, it } from 'vitest';
import { fixture, glooMissing, killAll, spawnRanks } from '../distributed/helpers';

afterAll(killAll);

/** The ranks' {rank, trained, stopped, epochs}; `mode` 'ddp': a DDP model, no gradientSync; 'manual': a plain model and a gradientSync. */
async function run(askRank0: string, askRank1: string, mode: 'ddp' | 'manual' = 'ddp') {
  const results = await spawnRanks(fixture('fit_stop.ts'), 2, [askRank0, askRank1, mode]);
  for (const r of results) expect(r.code, r.out).toBe(0);
  return results.map(({ json: { weights: _weights, ...rest } }) => rest);
}

describe.skipIf(glooMissing !== null)('fit() with DistributedDataParallel (no gradientSync), stopped on one rank', () => {
  it('a stop asked on rank 1 after step 3 stops both ranks after step 5, mid-epoch (nothing hangs)', async () => {
    const [a, b] = await run('-', '3');
    expect(a).toEqual({ rank: 0, trained: 5, stopped: true, epochs: 1 });
    expect(b).toEqual({ rank: 1, trained: 5, stopped: true, epochs: 1 });
  }, 120_000);

  it('stops asked on both ranks at different steps: the first request wins (rank 0 at 2: both stop after 4, the end of epoch 0)', async () => {
    const [a, b] = await run('2', '3');
    expect(a).toEqual({ rank: 0, trained: 4, stopped: true, epochs: 1 });
    expect(b).toEqual({ rank: 1, trained: 4, stopped: true, epochs: 1 });
  }, 120_000);

  it('no stop: both ranks train all 3 epochs', async () => {
    const [a, b] = await run('-', '-');
    expect(a).toEqual({ rank: 0, trained: 12, stopped: false, epochs: 3 });
    expect(b).toEqual({ rank: 1, trained: 12, stopped: false, epochs: 3 });
  }, 120_000);

  it("with a plain model and the caller's gradientSync: a stop asked on rank 0 after step 6 stops both ranks after step 8", async () => {
    const [a, b] = await run('6', '-', 'manual');
    expect(a).toEqual({ rank: 0, trained: 8, stopped: true, epochs: 2 });
    expect(b).toEqual({ rank: 1, trained: 8, stopped: true, epochs: 2 });
  }, 120_000);
});
