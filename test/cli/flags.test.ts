// Every bad flag, value or path is one line that names the flag, exit code 2, never a stack trace.
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { cli, cuda } from '../../lib';
import { CIFAR, hasCifar, tmpDir } from '../train/helpers';
import { bin, built, runSync } from './helpers';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Runs the command line in this process: its exit code and what it printed on stderr. */
async function run(argv: string[]): Promise<{ code: number; err: string[] }> {
  const err: string[] = [];
  const spy = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    return { code: await cli.main(argv), err };
  } finally {
    spy.mockRestore();
    log.mockRestore();
  }
}

describe('libtorch-node train: bad command lines', () => {
  const cases: [string[], string][] = [
    [['train', '--epochs', '-3'], "libtorch-node train: --epochs: expected an integer ≥ 1, got '-3'"],
    [['train', '--epochs', '2.5'], "libtorch-node train: --epochs: expected an integer ≥ 1, got '2.5'"],
    [['train', '--lr', '-1'], "libtorch-node train: --lr: expected a positive number, got '-1'"],
    [['train', '--lr=abc'], "libtorch-node train: --lr: expected a positive number, got 'abc'"],
    [['train', '--seed', 'abc'], "libtorch-node train: --seed: expected an integer ≥ 0, got 'abc'"],
    [['train', '--depth', '21'], "libtorch-node train: --depth: expected 20, 32, 44, 56, 110; got '21'"],
    [['train', '--schedule', 'linear'], "libtorch-node train: --schedule: expected cosine, multistep, constant; got 'linear'"],
    [['train', '--device', 'gpu'], "libtorch-node train: --device: expected cpu, cuda or cuda:N, got 'gpu'"],
    [['train', '--threads', '0'], "libtorch-node train: --threads: expected an integer from 1 to 1024, got '0'"],
    [['train', '--bogus'], "libtorch-node train: Unknown option '--bogus' (see --help)"],
    [['train', '--epochs'], "libtorch-node train: Option '--epochs <value>' argument missing (see --help)"],
    [['train', 'extra'], "libtorch-node train: unexpected argument 'extra' (flags only; see --help)"],
    [['fly'], "libtorch-node: unknown command 'fly' (commands: train, report, predict, export, launch, reproduce)"],
  ];
  for (const [argv, line] of cases) {
    it(`${argv.join(' ')} → exit 2 and one line`, async () => {
      expect(await run(argv)).toEqual({ code: 2, err: [line] });
    });
  }

  it('a checkpoint folder that is a file, a --resume without a checkpoint, data that is not there', async () => {
    const dir = tmpDir('flags');
    dirs.push(dir);
    const file = path.join(dir, 'file');
    fs.writeFileSync(file, 'x');
    expect(await run(['train', '--checkpoint-dir', file])).toEqual({ code: 2, err: [`libtorch-node train: --checkpoint-dir: ${file} is a file, not a folder`] });
    expect(await run(['train', '--resume', '--checkpoint-dir', dir])).toEqual({
      code: 2,
      err: [`libtorch-node train: --resume: no checkpoint in ${dir} (no last.pth or ckpt.pth); start without --resume, or pass --checkpoint-dir`],
    });
    const missing = path.join(dir, 'nowhere');
    expect(await run(['train', '--data', missing, '--checkpoint-dir', dir])).toEqual({
      code: 2,
      err: [
        `libtorch-node train: --data: CIFAR-10 (binary version) not found in ${path.join(missing, 'cifar-10-batches-bin')} (from --data); ` +
          'add --download to fetch it (163 MB), or point --data or CIFAR10_ROOT at a cifar-10-batches-bin folder',
      ],
    });
  });

  it.skipIf(!hasCifar || cuda.isAvailable())("--device cuda on a build or machine without CUDA: one line, as PyTorch's", async () => {
    const r = await run(['train', '--device', 'cuda', '--data', CIFAR]);
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/^libtorch-node train: --device cuda: (Torch not compiled with CUDA enabled \(this libtorch is CPU-only\)|no CUDA GPU is visible on this machine); use --device cpu$/);
  });

  it.skipIf(!built)('the bin: exit code 2 and one line on stderr, no stack trace', () => {
    const r = runSync(process.execPath, [bin, 'train', '--epochs', '-3']);
    expect(r).toEqual({ code: 2, out: "libtorch-node train: --epochs: expected an integer ≥ 1, got '-3'\n" });
  });
});
