// examples/train.ts as a user runs it: progress lines, Ctrl-C (SIGINT) stops cleanly with last.pth kept.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { CIFAR, hasCifar, tmpDir } from './helpers';

const root = path.join(__dirname, '../..');

describe.skipIf(!hasCifar)('examples/train.ts', () => {
  it('prints the seed’s lines, and SIGINT stops after the step with last.pth readable', async () => {
    const dir = tmpDir('cli');
    const args = ['--import', 'tsx', 'examples/train.ts', '--epochs', '50', '--limit-train', '256', '--limit-test', '100',
      '--batch-size', '64', '--data', CIFAR, '--checkpoint-dir', dir, '--seed', '1'];
    const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, OMP_NUM_THREADS: '1' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    // Interrupt once the second epoch has begun (the first has written last.pth).
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (out.includes('Epoch: 1')) {
          clearInterval(timer);
          child.kill('SIGINT');
          resolve();
        }
      }, 20);
      child.on('exit', () => reject(new Error(`exited early:\n${out}\n${err}`)));
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code, err).toBe(0);
    expect(out).toContain('Total number of parameters: 272474');
    expect(out).toMatch(/SIGINT: stopping/);
    expect(out).toMatch(/Stopped early; continue with --resume/);
    // Not a TTY: one plain line per phase in the seed's format.
    expect(err).toMatch(/Train 4\/4 \| Loss: \d+\.\d{3} \| Acc: \d+\.\d{3}% \(\d+\/256\)/);
    expect(err).toMatch(/Test {1,2}1\/1 \| Loss: \d+\.\d{3} \| Acc: \d+\.\d{3}% \(\d+\/100\)/);
    const last = torch.load(path.join(dir, 'last.pth')) as Record<string, unknown>;
    expect(last.epoch).toBe(0);
    expect((last.history as unknown[]).length).toBe(1);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 120_000);
});
