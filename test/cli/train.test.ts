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

const quick = ['--limit-train', '256', '--limit-test', '100', '--batch-size', '64', '--data', CIFAR, '--seed', '1', '--threads', '1'];
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
    const run = start('npx', ['tsx', 'examples/train.ts', '--epochs', '50', ...quick, '--checkpoint-dir', dir]);
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
    // Stopped in epoch 1 (during training or testing): the display says so or the test phase never began.
    expect(out).toMatch(/Train \d\/4 \(stopped\)|Test {2}0\/1|Epoch: 1\n(?![\s\S]*Test accuracy: [\d.]+% \(best [\d.]+%\), lr [\d.]+, [\d.]+ s\n[\s\S]*Epoch: 1)/);
    expect(lastEpoch(dir).epoch).toBe(0);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    // --resume alone continues the same run: the stored epochs and limits, not the defaults.
    const resumed = runSync(process.execPath, [bin, 'train', '--resume', '--checkpoint-dir', dir, '--data', CIFAR]);
    expect.soft(built).toBe(true);
    if (!built) return;
    expect(resumed.code, resumed.out).toBe(0);
  }, 300_000);
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
    // Steps of 512 images on one thread take well over a second: time for a second press mid-step.
    const args = ['--limit-train', '2048', '--limit-test', '100', '--batch-size', '512', '--data', CIFAR, '--threads', '1'];
    const run = start('npx', ['--offline', 'libtorch-node', 'train', '--epochs', '5', ...args], project);
    await run.waitFor('Epoch: 0');
    run.ctrlC();
    await run.waitFor('Ctrl-C: stopping after this step');
    await new Promise((r) => setTimeout(r, 500)); // a second press, not the same one relayed by npm
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
