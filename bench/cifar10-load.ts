// Time to load all of CIFAR-10 (50,000 training + 10,000 test images) into tensors, as
// `new data.CIFAR10(...)` does it: fs reads into one Buffer, then a few tensor ops.
// Run: npx tsx bench/cifar10-load.ts [runs]   (CIFAR10_ROOT overrides where the data is)
import * as fs from 'fs';
import * as path from 'path';
import { data, getNumThreads, libtorchVersion } from '../lib';

const runs = Number(process.argv[2] ?? 7);
const root = data.defaultCifar10Root();
if (!fs.existsSync(path.join(root, 'test_batch.bin'))) {
  console.error(`no CIFAR-10 binary data at ${root}; set CIFAR10_ROOT`);
  process.exit(1);
}

const times: number[] = [];
for (let i = 0; i < runs + 1; i++) {
  const t0 = performance.now();
  const train = new data.CIFAR10({ root, train: true });
  const test = new data.CIFAR10({ root, train: false });
  const ms = performance.now() - t0;
  if (i > 0) times.push(ms); // the first run warms the page cache and libtorch's allocator
  if (train.length !== 50000 || test.length !== 10000) throw new Error('unexpected sizes');
  train.dispose();
  test.dispose();
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
console.log(`libtorch ${libtorchVersion}, ${getNumThreads()} thread(s), data at ${root}`);
console.log(`load 60,000 CIFAR-10 images (${runs} runs): median ${median.toFixed(0)} ms, min ${times[0].toFixed(0)} ms, max ${times[times.length - 1].toFixed(0)} ms`);
