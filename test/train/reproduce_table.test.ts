// The reproduction's table from run folders: rows from log.jsonl, the paper's and the reproductions'
// figures beside them, unfinished and failed runs, and the Markdown form.
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { models } from '../../lib';
import { tableMarkdown, tableRow } from '../../lib/train/reproduce_table';
import { tmpDir } from './helpers';

const root = tmpDir('table');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function runFolder(name: string, accuracies: number[]): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  const lines = accuracies.map((acc, epoch) => JSON.stringify({ epoch, lr: 0.1, trainLoss: 1, trainAcc: 50, testLoss: 1, testAcc: acc, trainSeconds: 1, seconds: 1.5 + epoch }));
  fs.writeFileSync(path.join(dir, 'log.jsonl'), lines.join('\n') + '\n{"epoch": 9, "cut sh');
  return dir;
}

describe('tableRow', () => {
  it('an unfinished option-B ResNet-110: best and last accuracy from the log, no reproduction figure for B-110', () => {
    const dir = runFolder('resnet110B-seed3', [40, 55.5, 52.25]);
    const row = tableRow(dir, { depth: 110, shortcut: 'B', seed: 3 }, 200);
    expect(row).toEqual({
      run: 'resnet110B-seed3', depth: 110, shortcut: 'B', seed: 3,
      parameters: models.resnet110({ shortcut: 'B' }).parameterCount(),
      bestAccuracy: 55.5, finalAccuracy: 52.25, epochs: 3, epochsPlanned: 200,
      seconds: 1.5 + 2.5 + 3.5, epochSeconds: [1.5, 2.5, 3.5], status: 'unfinished',
      paper: { error: 6.43, accuracy: 93.57 }, reproduction: null,
    });
  });

  it('a finished option-A ResNet-44 and a failed run with no log; the Markdown rows', () => {
    const done = tableRow(runFolder('resnet44A-seed1', [80, 90]), { depth: 44, shortcut: 'A', seed: 1 }, 2);
    expect(done.status).toBe('finished');
    expect(done.parameters).toBe(658586);
    expect(done.reproduction).toEqual({ source: 'akamaster/pytorch_resnet_cifar10', accuracy: 93.1 });
    const failed = tableRow(path.join(root, 'resnet56B-seed1'), { depth: 56, shortcut: 'B', seed: 1 }, 200, new Error('disk full'));
    expect(failed).toMatchObject({ status: 'failed', error: 'disk full', epochs: 0, bestAccuracy: null, finalAccuracy: null, seconds: 0 });
    expect(failed.reproduction).toEqual({ source: 'chenyaofo/pytorch-cifar-models', accuracy: 94.37 });
    const md = tableMarkdown({ device: 'cuda', generatedAt: 'then', wallSeconds: 12.34, epochsThisCall: 2, rows: [done, failed] });
    expect(md.split('\n').slice(2)).toEqual([
      'Device cuda; written then; this call trained 2 epochs in 12.3 s.',
      '',
      '| depth | shortcut | parameters | seed | best acc % | final acc % | epochs | cuda s | He et al. acc % (error) | reproduction acc % |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      '| 44 | A | 658,586 | 1 | 90.00 | 90.00 | 2/2 | 4.0 | 92.83 (7.17) | 93.10 (akamaster/pytorch_resnet_cifar10) |',
      '| 56 | B | 855,770 | 1 | – | – | failed: disk full | 0.0 | 93.03 (6.97) | 94.37 (chenyaofo/pytorch-cifar-models) |',
      '',
    ]);
  });
});
