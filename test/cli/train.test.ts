// The training commands the README shows, run as a person runs them: their output, Ctrl-C (a real
// SIGINT to the process group, as a terminal sends it) stopping after the step with last.pth at the last
// finished epoch, a second Ctrl-C quitting at once, and --resume with the configuration stored in last.pth.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { CIFAR, hasCifar, tmpDir } from '../train/helpers';
import { bin, built, root, runSync, start } from './helpers';

// --device cpu: the Ctrl-C timings below need steps that take a while; on a GPU machine the default is CUDA.
const quick = ['--limit-train', '256', '--limit-test', '100', '--batch-size', '64', '--data', CIFAR, '--seed', '1', '--threads', '1', '--device', 'cpu'];
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function checkpointDir(name: string): string {
  const d = tmpDir(name);
  dirs.push(d);
  return d;
}

function lastEpoch(dir: string): { epoch: number; config: Record<string, unknown> } {
  const last = torch.load(path.join(dir, 'last.pth')) as { epoch: number; config: Record<string, unknown>; net: Record<string, torch.Tensor> };
  torch.dispose(last.net);
  return last;
}

const logRecords = (dir: string) =>
  fs.readFileSync(path.join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { epoch: number; lr: number });

describe.skipIf(!hasCifar)('npx tsx examples/train.ts (the README’s set-up command)', () => {
  it('prints the seed’s lines; Ctrl-C stops after the step, exit 130, last.pth at the last finished epoch', async () => {
    const dir = checkpointDir('cli-tsx');
    const run = start('npx', ['tsx', 'examples/train.ts', '--epochs', '2', ...quick, '--checkpoint-dir', dir]);
    await run.waitFor('Epoch: 1'); // the first epoch has finished and written last.pth
    run.ctrlC();
    const code = await run.exit;
    const out = run.out();
    expect(code, out).toBe(130);
    expect(out).toContain('Total number of parameters: 272474');
    expect(out).toMatch(/Ctrl-C: stopping after this step/);
    expect(out).toMatch(/Stopped early; continue with --resume/);
    expect(out).not.toMatch(/quitting now/);
    // Not a TTY: the phase's end line in the seed's format, with rate and time.
    expect(out).toMatch(/Train 4\/4 \| [\d.]+ (it\/s|s\/it) \| \d+:\d\d \| Loss: \d+\.\d{3} \| Acc: \d+\.\d{3}% \(\d+\/256\)/);
    expect(out).toMatch(/Test {2}1\/1 \| [\d.]+ (it\/s|s\/it) \| \d+:\d\d \| Loss: \d+\.\d{3} \| Acc: \d+\.\d{3}% \(\d+\/100\)/);
    // Stopped in epoch 1's training: the display gives the averages of the steps that ran; epoch 1 is not recorded.
    expect(out).toMatch(/Train [123]\/4 \(stopped\) \| [^\n]* \| Loss: \d+\.\d{3} \| Acc: \d+\.\d{3}% \(\d+\/(64|128|192)\)/);
    expect(out.match(/Test accuracy/g)?.length).toBe(1);
    expect(lastEpoch(dir).epoch).toBe(0);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 600_000);

  // Continues the run the test above stopped (tests of a describe run in order).
  it.skipIf(!built)('--resume continues it from last.pth; a finished run says so; a contradicting flag is one line, exit 2', () => {
    const dir = dirs.find((d) => d.includes('cli-tsx'))!;
    expect(lastEpoch(dir).epoch).toBe(0);
    // --resume alone continues the same run: the stored 2 epochs and limits, not 200 epochs of all the data.
    const resumed = runSync(process.execPath, [bin, 'train', '--resume', '--device', 'cpu', '--checkpoint-dir', dir, '--data', CIFAR]);
    expect(resumed.code, resumed.out).toBe(0);
    expect(resumed.out).not.toMatch(/Epoch: 0/);
    expect(resumed.out).toMatch(/Epoch: 1\nTrain 4\/4 [^\n]*\(\d+\/256\)\nTest  1\/1 [^\n]*\(\d+\/100\)/);
    expect(logRecords(dir).map((r) => [r.epoch, r.lr])).toEqual([[0, 0.1], [1, 0.05]]);
    expect(lastEpoch(dir).config).toMatchObject({ epochs: 2, limitTrain: 256, limitTest: 100, batchSize: 64, seed: 1, schedule: 'cosine', depth: 20 });

    // Again: the run has finished, and says so.
    const again = runSync(process.execPath, [bin, 'train', '--resume', '--device', 'cpu', '--checkpoint-dir', dir, '--data', CIFAR]);
    expect(again.code, again.out).toBe(0);
    expect(again.out).toMatch(/Training already finished: all 2 epochs ran \(best accuracy [\d.]+%\); pass a larger epochs \(--epochs\)/);
    expect(again.out).not.toMatch(/Epoch: 2/);

    // A flag that contradicts the stored run: one line, exit code 2, saying what to do.
    const clash = runSync(process.execPath, [bin, 'train', '--resume', '--device', 'cpu', '--limit-train', '500', '--checkpoint-dir', dir, '--data', CIFAR]);
    expect(clash.code).toBe(2);
    expect(clash.out).toBe(
      'libtorch-node train: --resume: --limit-train 500 contradicts the run being resumed (--limit-train 256); ' +
        'leave it out to continue that run, or start a new run in another checkpoint folder\n',
    );

    // More epochs: the cosine schedule is the one for 3 epochs, at epoch 2: 0.1 · (1 + cos(2π/3)) / 2 = 0.025.
    const longer = runSync(process.execPath, [bin, 'train', '--resume', '--device', 'cpu', '--epochs', '3', '--checkpoint-dir', dir, '--data', CIFAR]);
    expect(longer.code, longer.out).toBe(0);
    expect(longer.out).toMatch(/extending the run from 2 to 3 epochs/);
    const records = logRecords(dir);
    expect(records.map((r) => r.epoch)).toEqual([0, 1, 2]);
    expect(records[2].lr).toBeCloseTo(0.025, 12);
    expect(lastEpoch(dir).config.epochs).toBe(3);
  }, 600_000);
});

describe.skipIf(!hasCifar || !built)('the libtorch-node bin (compiled JS under plain node)', () => {
  it('npx libtorch-node train: a second Ctrl-C quits at once', async () => {
    // A project with the package installed as npm links it: node_modules/libtorch-node and its .bin entry.
    const project = fs.mkdtempSync(path.join(os.tmpdir(), 'libtorch-node-npx-'));
    dirs.push(project);
    fs.mkdirSync(path.join(project, 'node_modules/.bin'), { recursive: true });
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'user', version: '1.0.0', dependencies: { 'libtorch-node': `file:${root}` } }));
    fs.symlinkSync(root, path.join(project, 'node_modules/libtorch-node'));
    fs.symlinkSync('../libtorch-node/bin/libtorch-node.js', path.join(project, 'node_modules/.bin/libtorch-node'));
    const dir = path.join(project, 'checkpoint');
    // Steps of 256 images on one thread take about a second: time for a second press mid-step.
    const args = ['--limit-train', '1024', '--limit-test', '100', '--batch-size', '256', '--data', CIFAR, '--threads', '1', '--device', 'cpu'];
    const run = start('npx', ['--offline', 'libtorch-node', 'train', '--epochs', '5', ...args], project);
    await run.waitFor('Epoch: 0');
    run.ctrlC();
    await run.waitFor('Ctrl-C: stopping after this step');
    await new Promise((r) => setTimeout(r, 400)); // a second press, not the same one relayed by npm
    run.ctrlC();
    const code = await run.exit;
    const out = run.out();
    expect(code, out).toBe(130);
    expect(out).toMatch(/Ctrl-C again: quitting now/);
    expect(out).not.toMatch(/Stopped early/);
    expect(out.match(/Ctrl-C: stopping/g)?.length, 'npm relays the same press: it counts once').toBe(1);
    expect(lastEpoch(dir).epoch).toBe(-1); // the starting point a fresh run records
  }, 300_000);
});
