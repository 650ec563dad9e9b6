// examples/custom-model.ts as a user runs it, on a small subset: it trains with fit, writes the
// checkpoints and log, and prints predictions.
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { promisify } from 'util';
import { describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { CIFAR, hasCifar, tmpDir } from '../train/helpers';

const root = path.join(__dirname, '../..');

describe.skipIf(!hasCifar)('examples/custom-model.ts', () => {
  it('trains a small CNN with AdamW and OneCycleLR through fit, writes ckpt.pth/last.pth/log.jsonl, prints predictions', async () => {
    const dir = tmpDir('custom');
    const args = ['--import', 'tsx', 'examples/custom-model.ts', '--epochs', '1', '--limit-train', '512', '--limit-test', '200',
      '--batch-size', '64', '--data', CIFAR, '--checkpoint-dir', dir, '--threads', '1'];
    const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: root, env: { ...process.env, OMP_NUM_THREADS: '1' } });
    expect(stdout).toMatch(/SmallCNN: \d+ parameters/);
    expect(stdout).toMatch(/Test accuracy: \d+\.\d\d% \(best \d+\.\d\d%\)/);
    expect(stdout.match(/^image \d: \w+ \(\d+\.\d%\), truly \w+$/gm)).toHaveLength(4);
    const best = torch.load(path.join(dir, 'ckpt.pth')) as Record<string, unknown>;
    expect(Object.keys(best)).toEqual(['net', 'acc', 'epoch']);
    expect(Object.keys(best.net as object)).toContain('features.0.weight');
    const last = torch.load(path.join(dir, 'last.pth')) as Record<string, any>;
    expect(last.epoch).toBe(0);
    // AdamW's state and OneCycleLR's schedule are in last.pth, in PyTorch's layout.
    expect(Object.keys([...last.optimizer.state.values()][0]).sort()).toEqual(['exp_avg', 'exp_avg_sq', 'step']);
    expect(last.scheduler.total_steps).toBe(8);
    expect(fs.readFileSync(path.join(dir, 'log.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);
  }, 180_000);
});
