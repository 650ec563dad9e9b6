// The CPU rehearsal of `libtorch-node reproduce` (issue 32): two depths, 256 training images, 2 epochs. It
// writes the table; killed (SIGKILL) after the first epoch's checkpoints and rerun, it resumes and finishes;
// a third call skips the finished runs; and each run equals the same run trained alone, bit for bit.
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { main } from '../../lib/cli';
import { CIFAR, hasCifar, tmpDir } from '../train/helpers';
import { bin, built, runSync, start } from './helpers';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
const newDir = (name: string) => {
  const d = tmpDir(name);
  dirs.push(d);
  return d;
};

type Last = { net: Record<string, torch.Tensor>; rng_state: Record<string, torch.Tensor>; epoch: number };
const lastOf = (dir: string) => torch.load(path.join(dir, 'last.pth')) as Last;
const logOf = (dir: string) =>
  fs.readFileSync(path.join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => {
    const { seconds, trainSeconds, ...rest } = JSON.parse(l); // eslint-disable-line @typescript-eslint/no-unused-vars
    return rest;
  });

const limits = ['--epochs', '2', '--limit-train', '256', '--limit-test', '100', '--data', CIFAR, '--device', 'cpu', '--threads', '1'];
const RUN_LINE = /^resnet(20|32)A-seed1 \| epoch [12]\/2 \| train loss [\d.]+ acc [\d.]+% \| test acc [\d.]+% \| [\d.]+ s$/;

describe.skipIf(!hasCifar || !built)('libtorch-node reproduce --depths 20,32 (CPU rehearsal)', () => {
  it('writes the table; killed after epoch 1 and rerun it resumes and finishes; the runs equal the runs alone', async () => {
    const out = newDir('reproduce');
    const args = [bin, 'reproduce', '--depths', '20,32', '--shortcut', 'A', '--seeds', '1', ...limits, '--out', out];
    const first = start(process.execPath, args);
    await first.waitFor(/resnet20A-seed1 \| epoch 1\/2/); // printed after its last.pth and log line are written
    process.kill(-first.child.pid!, 'SIGKILL');
    expect(await first.exit).toBe(137);
    const epochs = ['resnet20A-seed1', 'resnet32A-seed1'].map((r) => (fs.existsSync(path.join(out, r, 'last.pth')) ? lastOf(path.join(out, r)).epoch : -2));
    expect(epochs[0]).toBe(0); // resnet20 had finished epoch 0 (of 0, 1), and not epoch 1
    expect(fs.existsSync(path.join(out, 'table.md'))).toBe(false);

    const second = runSync(process.execPath, args);
    expect(second.code, second.out).toBe(0);
    expect(second.out).toContain('resnet20A-seed1 | resuming after epoch 1/2');
    const lines = second.out.split('\n').filter((l) => RUN_LINE.test(l));
    expect(lines.filter((l) => l.includes('resnet20A') && l.includes('epoch 2/2'))).toHaveLength(1);
    expect(lines.some((l) => l.includes('resnet20A') && l.includes('epoch 1/2'))).toBe(false);

    const table = JSON.parse(fs.readFileSync(path.join(out, 'table.json'), 'utf8'));
    expect(table.device).toBe('cpu');
    expect(table.rows.map((r: Record<string, unknown>) => [r.run, r.depth, r.shortcut, r.seed, r.parameters, r.epochs, r.epochsPlanned, r.status])).toEqual([
      ['resnet20A-seed1', 20, 'A', 1, 269722, 2, 2, 'finished'],
      ['resnet32A-seed1', 32, 'A', 1, 464154, 2, 2, 'finished'],
    ]);
    expect(table.rows.map((r: { paper: unknown; reproduction: unknown }) => [r.paper, r.reproduction])).toEqual([
      [{ error: 8.75, accuracy: 91.25 }, { source: 'akamaster/pytorch_resnet_cifar10', accuracy: 91.73 }],
      [{ error: 7.51, accuracy: 92.49 }, { source: 'akamaster/pytorch_resnet_cifar10', accuracy: 92.63 }],
    ]);
    for (const row of table.rows) {
      const log = logOf(path.join(out, row.run));
      expect(row.finalAccuracy).toBe(log[1].testAcc);
      expect(row.bestAccuracy).toBe(Math.max(log[0].testAcc, log[1].testAcc));
      expect(row.epochSeconds).toHaveLength(2);
    }
    const md = fs.readFileSync(path.join(out, 'table.md'), 'utf8');
    expect(md).toContain('| depth | shortcut | parameters | seed | best acc % | final acc % | epochs | cpu s | He et al. acc % (error) | reproduction acc % |');
    expect(md).toMatch(/\| 32 \| A \| 464,154 \| 1 \| [\d.]+ \| [\d.]+ \| 2\/2 \| [\d.]+ \| 92\.49 \(7\.51\) \| 92\.63 \(akamaster\/pytorch_resnet_cifar10\) \|/);
    const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html.match(/<svg/g)).toHaveLength(3);
    for (const run of ['resnet20A-seed1', 'resnet32A-seed1']) {
      expect(html).toContain(`<a href="${run}/report.html">`);
      expect(fs.existsSync(path.join(out, run, 'report.html'))).toBe(true);
    }

    // A third call: nothing left to train.
    const third = runSync(process.execPath, args);
    expect(third.code, third.out).toBe(0);
    expect(third.out).toContain('resnet20A-seed1 | finished earlier (2/2 epochs): skipped');
    expect(third.out).toContain('resnet32A-seed1 | finished earlier (2/2 epochs): skipped');
    expect(third.out.split('\n').some((l) => RUN_LINE.test(l))).toBe(false);

    // The same runs one at a time (trainResNet20, this process): the same weights, generator states and logs.
    const alone = newDir('reproduce-alone');
    for (const depth of [20, 32] as const) {
      const dir = path.join(alone, `resnet${depth}`);
      const r = await torch.train.trainResNet20({ depth, shortcut: 'A', seed: 1, epochs: 2, limitTrain: 256, limitTest: 100, dataRoot: CIFAR, device: 'cpu', numThreads: 1, checkpointDir: dir, report: false, progress: 'none', print: () => {} });
      const [a, m] = [lastOf(dir), lastOf(path.join(out, `resnet${depth}A-seed1`))];
      for (const k of ['net', 'rng_state'] as const) {
        expect(Object.keys(m[k])).toEqual(Object.keys(a[k]));
        expect(Object.keys(a[k]).filter((n) => !torch.equal(a[k][n], m[k][n])), `resnet${depth} ${k}`).toEqual([]);
      }
      expect(logOf(path.join(out, `resnet${depth}A-seed1`))).toEqual(logOf(dir));
      torch.dispose([a, m, r.model.stateDict()]);
    }
  }, 900_000);
});

describe('libtorch-node reproduce: the command line', () => {
  const run = async (argv: string[]) => {
    const errors: string[] = [];
    const original = console.error;
    console.error = (line: string) => errors.push(line);
    try {
      return { code: await main(['reproduce', ...argv]), errors };
    } finally {
      console.error = original;
    }
  };

  it('a depth outside the paper’s, a repeated seed or a bad shortcut is one line naming the flag, exit 2', async () => {
    expect(await run(['--depths', '20,21'])).toEqual({ code: 2, errors: ['libtorch-node reproduce: --depths: expected 20, 32, 44, 56, 110, comma-separated; got \'21\''] });
    expect(await run(['--seeds', '1,1'])).toEqual({ code: 2, errors: ["libtorch-node reproduce: --seeds: '1,1' names a value twice"] });
    expect(await run(['--shortcut', 'C'])).toEqual({ code: 2, errors: ["libtorch-node reproduce: --shortcut: expected A, B; got 'C'"] });
    expect(await run(['--epochs', '0'])).toEqual({ code: 2, errors: ["libtorch-node reproduce: --epochs: expected an integer ≥ 1, got '0'"] });
    expect((await run(['--data', '/nonexistent/cifar'])).errors[0]).toMatch(/^libtorch-node reproduce: --data: CIFAR-10 \(binary version\) not found in \/nonexistent\/cifar/);
  });

  it('--help lists the run flags and the train flags it shares', async () => {
    const lines: string[] = [];
    const original = console.log;
    console.log = (line: string) => lines.push(line);
    try {
      expect(await main(['reproduce', '--help'])).toBe(0);
    } finally {
      console.log = original;
    }
    for (const flag of ['--depths LIST', '--shortcut A|B', '--seeds LIST', '--out DIR', '--stop-after S', '--epochs N', '--limit-train N', '--limit-test N', '--data DIR', '--device D']) {
      expect(lines[0]).toContain(flag);
    }
  });
});
