// The report and predict subcommands: bad command lines are one line and exit code 2; predict prints
// the classes that train.predictFiles gives for the same files.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as torch from '../../lib';
import { main } from '../../lib/cli';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libtorch-node-cli-sub-'));

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
  try {
    return { code: await main(argv), out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('libtorch-node report / predict: bad command lines', () => {
  const file = path.join(dir, 'a-file');
  fs.writeFileSync(file, 'x');
  it.each([
    [['report'], /expected one run folder, got 0/],
    [['report', dir, dir], /expected one run folder, got 2/],
    [['report', path.join(dir, 'missing')], /run folder: .*missing does not exist/],
    [['report', file], /run folder: .*a-file is a file, not a folder/],
    [['report', dir, '--colour'], /Unknown option '--colour'/],
    [['predict', file], /expected a checkpoint and at least one image/],
    [['predict', path.join(dir, 'none.pth'), file], /checkpoint: .*none\.pth does not exist/],
    [['predict', file, dir], /image: .* is a folder, not a file/],
    [['predict', file, file, '--top', '0'], /--top/],
    [['predict', file, file, '--top', 'abc'], /^libtorch-node predict: --top: expected an integer ≥ 1, got 'abc'$/],
    [['predict', file, file, '--bogus'], /^libtorch-node predict: Unknown option '--bogus' \(see --help\)$/],
    [['predict', file, file, '--device', 'gpu'], /^libtorch-node predict: --device: expected cpu, cuda or cuda:N, got 'gpu'$/],
  ])('%j → one line, exit 2', async (argv, message) => {
    const r = await run(argv as string[]);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(r.err).toMatch(message as RegExp);
  });

  it('a file that is not a checkpoint: one line (the TorchError), exit 1', async () => {
    const r = await run(['predict', file, file]);
    expect(r.code).toBe(1);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^libtorch-node predict: error: .*a-file/);
  });

  it('lists the subcommands in its usage', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/train .*\n.*report .*\n.*predict /);
  });
});

describe('libtorch-node predict', () => {
  it('prints, for each image, the classes and probabilities train.predictFiles gives', async () => {
    torch.manualSeed(1);
    const model = torch.models.resnet20();
    const ckpt = path.join(dir, 'ckpt.pth');
    torch.save({ net: model.stateDict(), acc: 10, epoch: 0 }, ckpt);
    const images = [0, 1].map((i) => {
      const png = path.join(dir, `img${i}.png`);
      torch.vision.toPng(torch.randint(0, 256, [3, 32, 32], { dtype: 'uint8' }), png);
      return png;
    });
    const expected = await torch.train.predictFiles(ckpt, images, { topk: 3 });
    const r = await run(['predict', ckpt, ...images, '--top', '3', '--json']);
    expect(r.code).toBe(0);
    const got = JSON.parse(r.out);
    expect(got.map((p: { file: string }) => p.file)).toEqual(images);
    got.forEach((p: { top: { index: number; probability: number }[] }, i: number) => {
      expect(p.top.map((t) => t.index)).toEqual(expected[i].top.map((t) => t.index));
      p.top.forEach((t, j) => expect(t.probability).toBeCloseTo(expected[i].top[j].probability, 6));
    });
  });
});
