// trainResNet20({ distributed: true }) on 2 ranks: rank 0 alone prints and writes files, the ranks end
// with the same weights, and a run split in two (resume with the same world size) continues the log.
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { CIFAR, hasCifar, tmpDir } from '../train/helpers';
import { fixture, glooMissing, killAll, spawnRanks } from './helpers';

const dir = tmpDir('ddp-train');
afterAll(() => {
  killAll();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!!glooMissing || !hasCifar)('trainResNet20 distributed', () => {
  it('trains on 2 ranks with identical weights, rank 0 alone printing and writing, and resumes', async () => {
    const first = await spawnRanks(fixture('train_rank.ts'), 2, [CIFAR, dir, '2']);
    for (const r of first) expect(r.code, r.out).toBe(0);
    expect(first[0].out).toContain('Total number of parameters: 272474');
    expect(first[1].out.trim().split('\n')).toHaveLength(1); // only its JSON line
    expect(first[0].json.checksum).toBe(first[1].json.checksum);
    expect(fs.existsSync(path.join(dir, 'last.pth'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'ckpt.pth'))).toBe(true);

    const second = await spawnRanks(fixture('train_rank.ts'), 2, [CIFAR, dir, '2', 'resume']);
    for (const r of second) expect(r.code, r.out).toBe(0);
    expect(second[0].json.epochs).toBe(2);
    expect(second[1].json.epochs).toBe(2);
    expect(second[0].json.checksum).toBe(second[1].json.checksum);
    const log = fs.readFileSync(path.join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log.map((r) => r.epoch)).toEqual([0, 1]);
    const state = torch.load<{ net: Record<string, torch.Tensor> }>(path.join(dir, 'last.pth'));
    expect(Object.keys(state.net)[0]).toBe('module.conv1.weight');
    const plain = torch.models.resnet20();
    plain.loadStateDict(state.net); // the 'module.' prefix loads into a plain model
  });
});
