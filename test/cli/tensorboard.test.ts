// `libtorch-node train --tensorboard DIR` (here through examples/train.ts, the same flags): the event
// file appears in DIR, and TensorBoard's own reader finds the scalars of log.jsonl in it.
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../../lib';
import { READ_SCALARS, hasTensorboard, tbPython } from '../helpers/tensorboard';
import { CIFAR, hasCifar, tmpDir } from '../train/helpers';
import { runSync } from './helpers';

const dir = tmpDir('cli-tb');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('libtorch-node train --tensorboard DIR', () => {
  it('flags → TrainOptions: tensorboard is the folder, tensorboardEvery the steps; bad uses are one line', () => {
    const { options } = cli.trainOptionsFromFlags(['--tensorboard', 'runs/a', '--tensorboard-every', '5', '--download']);
    expect(options).toMatchObject({ tensorboard: 'runs/a', tensorboardEvery: 5 });
    expect(() => cli.trainOptionsFromFlags(['--tensorboard-every', '5', '--download'])).toThrow('--tensorboard-every: needs --tensorboard DIR');
    expect(() => cli.trainOptionsFromFlags(['--tensorboard', '--download'])).toThrow(/--tensorboard/);
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, '');
    expect(() => cli.trainOptionsFromFlags(['--tensorboard', file, '--download'])).toThrow(`--tensorboard: ${file} is a file, not a folder`);
  });

  it.skipIf(!hasCifar || !hasTensorboard)('writes an event file whose scalars are the epochs of log.jsonl (needs CIFAR-10 and Python tensorboard)', () => {
    const tb = path.join(dir, 'tb');
    const ckpt = path.join(dir, 'checkpoint');
    const r = runSync(process.execPath, ['--import', 'tsx', 'examples/train.ts', '--epochs', '2', '--limit-train', '256', '--limit-test', '100',
      '--batch-size', '64', '--data', CIFAR, '--seed', '1', '--threads', '1', '--checkpoint-dir', ckpt, '--tensorboard', tb, '--tensorboard-every', '2']);
    expect(r.code, r.out).toBe(0);
    expect(fs.readdirSync(tb).filter((f) => f.startsWith('events.out.tfevents.'))).toHaveLength(1);
    const log = fs.readFileSync(path.join(ckpt, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log).toHaveLength(2);
    const scalars = tbPython<Record<string, [number, number][]>>(READ_SCALARS, { dir: tb });
    expect(scalars['Accuracy/test']).toEqual(log.map((e) => [e.epoch, Math.fround(e.testAcc)]));
    expect(scalars['Loss/train']).toEqual(log.map((e) => [e.epoch, Math.fround(e.trainLoss)]));
    expect(scalars['Loss/test']).toEqual(log.map((e) => [e.epoch, Math.fround(e.testLoss)]));
    expect(scalars.lr).toEqual(log.map((e) => [e.epoch, Math.fround(e.lr)]));
    // 4 steps an epoch, 2 epochs, every 2nd step
    expect(scalars['Loss/train_step'].map(([s]) => s)).toEqual([1, 3, 5, 7]);
  }, 300_000);
});
