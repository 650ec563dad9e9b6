// trainMany(): runs side by side in one process equal the same runs alone (trainResNet20), bit for bit on
// the CPU: weights, last.pth's generator states and the logs; a run that fails mid-training leaves the
// others to finish; runs stopped mid-training by the signal and resumed end where the runs alone end.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import type { TrainOptions, TrainResult } from '../../lib/train';
import { CIFAR, hasCifar, tmpDir } from './helpers';

const base: TrainOptions = { dataRoot: CIFAR, device: 'cpu', epochs: 2, limitTrain: 128, limitTest: 100, batchSize: 64, numThreads: 1, report: false, progress: 'none' };
const runA: TrainOptions = { ...base, depth: 20, shortcut: 'A', seed: 1 };
const runB: TrainOptions = { ...base, depth: 20, shortcut: 'B', seed: 2, schedule: 'multistep' };

let root = '';
beforeAll(() => {
  root = tmpDir('many');
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

type Last = { net: Record<string, torch.Tensor>; rng_state: Record<string, torch.Tensor>; epoch: number; optimizer: unknown };
const lastOf = (dir: string) => torch.load(path.join(dir, 'last.pth')) as Last;
const logOf = (dir: string) =>
  fs.readFileSync(path.join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => {
    const { seconds, trainSeconds, ...rest } = JSON.parse(l); // eslint-disable-line @typescript-eslint/no-unused-vars
    return rest;
  });

/** Every entry of two state dicts equal bit for bit (torch.equal), the same keys in the same order. */
function expectSameTensors(a: Record<string, torch.Tensor>, b: Record<string, torch.Tensor>, what: string): void {
  expect(Object.keys(a), what).toEqual(Object.keys(b));
  const differing = Object.keys(a).filter((k) => !torch.equal(a[k], b[k]));
  expect(differing, what).toEqual([]);
}

/** The folder `dir` of a run in trainMany equals the folder `alone` of the same run trained by itself. */
function expectSameRun(dir: string, alone: string, aloneResult: TrainResult, model: torch.nn.Module): void {
  expectSameTensors(model.stateDict(), aloneResult.model.stateDict(), `${dir}: final weights`);
  const [m, a] = [lastOf(dir), lastOf(alone)];
  expect(m.epoch).toBe(a.epoch);
  expectSameTensors(m.net, a.net, `${dir}: last.pth net`);
  expectSameTensors(m.rng_state, a.rng_state, `${dir}: last.pth rng_state (cpu generator, loader generator)`);
  expect(logOf(dir)).toEqual(logOf(alone));
  torch.dispose([m, a]);
}

describe.skipIf(!hasCifar)('trainMany (CIFAR-10 present)', () => {
  const alone: Record<string, TrainResult> = {};

  beforeAll(async () => {
    torch.setNumThreads(1);
    for (const [name, c] of [['A', runA], ['B', runB]] as const) {
      alone[name] = await torch.train.trainResNet20({ ...c, checkpointDir: path.join(root, `alone-${name}`), print: () => {} });
    }
  }, 600_000);

  it('two runs side by side equal each run alone, bit for bit; a third that fails in its first epoch leaves them to finish', async () => {
    const bad = path.join(root, 'side-bad');
    const lines: string[] = [];
    // The bad run's folder becomes a file once its first epoch has begun: saving its first checkpoint fails.
    const breakFolder = (line: string) => {
      if (line.includes('Epoch: 0')) {
        fs.rmSync(bad, { recursive: true, force: true });
        fs.writeFileSync(bad, 'not a folder');
      }
    };
    const out = await torch.train.trainMany(
      [
        { ...runA, checkpointDir: path.join(root, 'side-A') },
        { ...base, depth: 20, seed: 3, checkpointDir: bad, print: breakFolder },
        { ...runB, checkpointDir: path.join(root, 'side-B') },
      ],
      { print: (l) => lines.push(l), handleSigint: false },
    );
    expect(out.map((o) => [o.name, o.status])).toEqual([['side-A', 'finished'], ['side-bad', 'failed'], ['side-B', 'finished']]);
    expect(out[1].error?.message).toMatch(/side-bad/);
    // The failure came while the others were training: their second epochs are logged after it.
    const failedAt = lines.findIndex((l) => l.startsWith('side-bad | failed'));
    expect(failedAt).toBeGreaterThanOrEqual(0);
    expect(lines.findIndex((l) => l.startsWith('side-A | epoch 2/2'))).toBeGreaterThan(failedAt);
    expect(lines.filter((l) => /^side-[AB] \| epoch \d\/2 \| train loss [\d.]+ acc [\d.]+% \| test acc [\d.]+% \| [\d.]+ s$/.test(l))).toHaveLength(4);
    expect(out[0].result!.parameterCount).toBe(269722);
    expect(out[2].result!.parameterCount).toBe(272474);
    expect(out[0].result!.bestAccuracy).toBe(alone.A.bestAccuracy);
    expect(out[0].seconds).toBeGreaterThan(0);
    expectSameRun(path.join(root, 'side-A'), path.join(root, 'alone-A'), alone.A, out[0].result!.model);
    expectSameRun(path.join(root, 'side-B'), path.join(root, 'alone-B'), alone.B, out[2].result!.model);
  }, 600_000);

  it('runs stopped by the signal mid-training and resumed by a second trainMany end exactly as the runs alone', async () => {
    const configs = [
      { ...runB, checkpointDir: path.join(root, 'split-B') },
      { ...runA, checkpointDir: path.join(root, 'split-A') },
    ];
    // As --stop-after does at a lease's end: every run stops after its current step.
    const stop = new AbortController();
    const onLine = (line: string) => line.startsWith('split-B | epoch 1/2') && stop.abort();
    const first = await torch.train.trainMany(configs, { print: onLine, signal: stop.signal, handleSigint: false });
    expect(first.map((o) => o.status)).toEqual(['stopped', 'stopped']);
    expect(lastOf(configs[0].checkpointDir).epoch).toBe(0);
    const second = await torch.train.trainMany(configs.map((c) => ({ ...c, resume: true })), { print: () => {}, handleSigint: false });
    expect(second.map((o) => o.status)).toEqual(['finished', 'finished']);
    expect(second[1].result!.history.map((r) => r.epoch)).toEqual([0, 1]);
    expectSameRun(configs[0].checkpointDir, path.join(root, 'alone-B'), alone.B, second[0].result!.model);
    expectSameRun(configs[1].checkpointDir, path.join(root, 'alone-A'), alone.A, second[1].result!.model);
  }, 600_000);
});

describe('trainMany: bad calls', () => {
  it('refuses an empty list and two runs in one checkpoint folder, naming them', async () => {
    await expect(torch.train.trainMany([])).rejects.toThrow('trainMany: configs must be a non-empty array of trainResNet20 options');
    await expect(torch.train.trainMany([{ checkpointDir: 'x' }, { checkpointDir: './x' }])).rejects.toThrow(
      /^trainMany: configs\[0\] and configs\[1\] share the checkpointDir .*x; give each run its own folder$/,
    );
  });

  it('a run whose options are wrong fails alone, with trainResNet20’s message', async () => {
    const out = await torch.train.trainMany([{ depth: 21 as 20, checkpointDir: path.join(root, 'bad-depth') }], { print: () => {}, handleSigint: false });
    expect(out[0].status).toBe('failed');
    expect(out[0].error?.message).toBe('trainResNet20: depth must be 20, 32, 44, 56 or 110, got 21');
  });
});

const repo = path.join(__dirname, '../..');
const built = fs.existsSync(path.join(repo, 'dist/index.mjs'));

describe.skipIf(!hasCifar || !built)('docs/reproduce.md', () => {
  it('its trainMany example runs as written in a user’s project and prints what its comment says', () => {
    const markdown = fs.readFileSync(path.join(repo, 'docs/reproduce.md'), 'utf8');
    const blocks = [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks).toHaveLength(1);
    const project = tmpDir('many-docs');
    try {
      fs.mkdirSync(path.join(project, 'node_modules'));
      fs.symlinkSync(repo, path.join(project, 'node_modules/libtorch-node'));
      fs.writeFileSync(path.join(project, 'page.mts'), blocks[0]);
      const r = spawnSync(path.join(repo, 'node_modules/.bin/tsx'), ['page.mts'], { cwd: project, encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      const lines = r.stdout.trim().split(os.EOL);
      expect(lines.slice(-2).map((l) => l.replace(/ [\d.]+$/, ''))).toEqual(['a finished 269722', 'b finished 464154']);
      expect(fs.existsSync(path.join(project, 'runs/many/b/last.pth'))).toBe(true);
    } finally {
      fs.rmSync(project, { recursive: true, force: true });
    }
  }, 300_000);
});
