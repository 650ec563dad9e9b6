// Training under `libtorch-node launch` with 2 ranks on the CPU, as a person runs it: Ctrl-C (SIGINT to the
// process group, as a terminal sends it) prints the stop lines once (rank 0), not once per rank; and
// --resume of that 2-rank run on another number of ranks is refused with one line naming both.
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { CIFAR, hasCifar, tmpDir } from '../train/helpers';
import { root, runSync, start } from './helpers';

const launchMain = path.join(root, 'test/distributed/fixtures/launch_main.ts');
const quick = ['--limit-train', '256', '--limit-test', '100', '--batch-size', '64', '--data', CIFAR, '--seed', '1', '--threads', '1'];
const dir = tmpDir('launch-train');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const count = (text: string, what: RegExp) => text.match(new RegExp(what, 'g'))?.length ?? 0;

describe.skipIf(!hasCifar || !torch.distributed.isAvailable())('libtorch-node launch --nproc-per-node 2 examples/train.ts', () => {
  it('Ctrl-C: the stop lines are printed once, by rank 0; exit 130; last.pth at the last finished epoch', async () => {
    const run = start(process.execPath, ['--import', 'tsx', launchMain, 'launch', '--nproc-per-node', '2', '--standalone',
      'examples/train.ts', '--epochs', '3', ...quick, '--checkpoint-dir', dir]);
    await run.waitFor('Epoch: 1'); // epoch 0 has finished and written last.pth
    run.ctrlC();
    const code = await run.exit;
    const out = run.out();
    expect(code, out).toBe(130);
    expect(count(out, /Ctrl-C: stopping after this step/), out).toBe(1);
    expect(count(out, /Stopped early; continue with --resume/), out).toBe(1);
    const last = torch.load(path.join(dir, 'last.pth')) as { epoch: number; config: { worldSize: number }; net: Record<string, torch.Tensor> };
    torch.dispose(last.net);
    expect(last.config.worldSize).toBe(2);
  }, 600_000);

  // Resumes the run the test above stopped (tests of a describe run in order).
  it('--resume on 1 rank: one line naming both world sizes, exit 2, nothing trained', () => {
    const before = fs.statSync(path.join(dir, 'last.pth')).mtimeMs;
    const r = runSync(process.execPath, ['--import', 'tsx', 'examples/train.ts', '--resume', '--checkpoint-dir', dir, '--data', CIFAR]);
    expect(r.code, r.out).toBe(2);
    expect(r.out.trim()).toBe(
      'examples/train.ts: --resume: the run being resumed was trained on 2 ranks (world size 2) and this one has 1 rank (world size 1); ' +
        'resume it with 2 (libtorch-node launch --nproc-per-node 2), or start a new run in another checkpoint folder',
    );
    expect(fs.statSync(path.join(dir, 'last.pth')).mtimeMs).toBe(before);
  }, 60_000);
});
