import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { data } from '../../lib';

export const CIFAR = data.defaultCifar10Root();
export const hasCifar = fs.existsSync(path.join(data.resolveCifar10Folder(CIFAR), 'data_batch_1.bin'));
if (!hasCifar) console.warn(`test/train: CIFAR-10 not found at ${CIFAR} (set CIFAR10_ROOT): skipped`);

export function tmpDir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `libtorch-node-${name}-`));
}
