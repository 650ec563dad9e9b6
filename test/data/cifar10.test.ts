import * as fs from 'fs';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { TorchError, data, memory, tidy } from '../../lib';
import { CLASSES, FIXTURE_RECORDS, RECORD, TRAIN_FILES, cifarFiles, label, pixel, records, tmpDir, writeCifarFolder } from './fixtures';

const dirs: string[] = [];
function folder(files = cifarFiles()): string {
  const root = tmpDir('cifar');
  dirs.push(root);
  return writeCifarFolder(path.join(root, 'cifar-10-batches-bin'), files);
}
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function expectTorchError(fn: () => unknown, ...parts: (string | RegExp)[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(TorchError);
  for (const p of parts) expect((caught as Error).message).toMatch(p);
}

describe('CIFAR10 parsing (fixtures)', () => {
  it('reads labels, pixels (R, G, B planes) and classes of the training files, in file order', () => {
    const dir = folder();
    const ds = new data.CIFAR10({ recordsPerFile: FIXTURE_RECORDS, root: dir, train: true });
    const counts = [3, 3, 3, 3, 3];
    expect(ds.length).toBe(15);
    expect(ds.data.shape).toEqual([15, 3, 32, 32]);
    expect(ds.data.dtype).toBe('uint8');
    expect(ds.targets.dtype).toBe('int64');
    expect(ds.data.isContiguous()).toBe(true);
    expect(ds.classes).toEqual(CLASSES);
    const expectedLabels: number[] = [];
    const pix = ds.data.toTypedArray() as Uint8Array;
    let n = 0;
    counts.forEach((c, f) => {
      for (let i = 0; i < c; i++, n++) {
        expectedLabels.push(label(f, i));
        // Channel-major: pixel k of image n sits at n*3072 + k (k = c*1024 + y*32 + x).
        for (const k of [0, 1, 33, 1023, 1024, 2047, 2048, 3071]) expect(pix[n * 3072 + k]).toBe(pixel(f, i, k));
      }
    });
    expect((ds.targets.toArray() as number[])).toEqual(expectedLabels);
    // get(i): image [3, 32, 32] with green plane row 1, column 2 = pixel index 1024 + 32 + 2.
    const { image, label: l } = ds.get(4); // file 1, record 1
    expect(image.shape).toEqual([3, 32, 32]);
    expect(l).toBe(label(1, 1));
    const img = image.toArray() as number[][][];
    expect(img[1][1][2]).toBe(pixel(1, 1, 1024 + 34));
    expect(img[2][31][31]).toBe(pixel(1, 1, 3071));
    image.dispose();
    expect(ds.get(-1).label).toBe(label(4, 2));
    expectTorchError(() => ds.get(15), 'out of range');
    ds.dispose();
  });

  it('reads test_batch for train: false; root may be the parent folder', () => {
    const dir = folder();
    const ds = new data.CIFAR10({ recordsPerFile: FIXTURE_RECORDS, root: path.dirname(dir), train: false });
    expect(ds.folder).toBe(dir);
    expect(ds.length).toBe(3);
    expect(ds.targets.toArray()).toEqual([label(5, 0), label(5, 1), label(5, 2)]);
    ds.dispose();
  });

  it('a root without any CIFAR-10 files names the expected folder', () => {
    const root = tmpDir('empty');
    dirs.push(root);
    expectTorchError(() => new data.CIFAR10({ recordsPerFile: FIXTURE_RECORDS, root }), 'missing file', path.join(root, 'cifar-10-batches-bin'), 'download: true');
  });

  it("device: 'cpu' keeps the tensors on the CPU", () => {
    const ds = new data.CIFAR10({ recordsPerFile: FIXTURE_RECORDS, root: folder(), train: false, device: 'cpu' });
    expect(ds.data.device).toBe('cpu');
    expect(ds.targets.device).toBe('cpu');
    ds.dispose();
  });

  it('the dataset tensors survive tidy() and dispose() frees them', () => {
    const dir = folder();
    const before = memory().liveTensors;
    const ds = tidy(() => new data.CIFAR10({ recordsPerFile: FIXTURE_RECORDS, root: dir, train: false }));
    expect(ds.data.isDisposed).toBe(false);
    expect(memory().liveTensors).toBe(before + 2);
    ds.dispose();
    expect(memory().liveTensors).toBe(before);
  });

  it('a missing file is named', () => {
    const files = cifarFiles();
    delete files['data_batch_3.bin'];
    const dir = folder(files);
    expectTorchError(() => new data.CIFAR10({ recordsPerFile: FIXTURE_RECORDS, root: dir }), 'missing file', path.join(dir, 'data_batch_3.bin'));
    // The test split does not need it.
    expect(new data.CIFAR10({ recordsPerFile: FIXTURE_RECORDS, root: dir, train: false }).length).toBe(3);
  });

  it('a missing batches.meta.txt is named', () => {
    const files = cifarFiles();
    delete files['batches.meta.txt'];
    const dir = folder(files);
    expectTorchError(() => new data.CIFAR10({ recordsPerFile: FIXTURE_RECORDS, root: dir }), 'batches.meta.txt');
  });

  it('a size that is not a whole number of records is named with the expected size', () => {
    const files = cifarFiles();
    files['data_batch_2.bin'] = Buffer.concat([records(1, 2), Buffer.alloc(100)]);
    const dir = folder(files);
    expectTorchError(
      () => new data.CIFAR10({ recordsPerFile: FIXTURE_RECORDS, root: dir }),
      path.join(dir, 'data_batch_2.bin'),
      `has ${2 * RECORD + 100} bytes (not a whole number of 3073-byte records), expected ${3 * RECORD}`,
    );
  });

  // The binary version's files hold exactly 10,000 records; sparse files of the wrong sizes are made
  // with truncate (no disk, no time): the size check comes before any byte is read.
  it.each([
    ['test_batch.bin', 9_999, false],
    ['data_batch_3.bin', 5_000, true],
    ['test_batch.bin', 10_001, false],
  ])('%s with %i records (a multiple of 3,073 bytes) is refused, naming its size and the expected size', (name, count, train) => {
    const dir = folder({ 'batches.meta.txt': cifarFiles()['batches.meta.txt'] });
    for (const f of [...TRAIN_FILES, 'test_batch.bin']) fs.writeFileSync(path.join(dir, f), '');
    for (const f of [...TRAIN_FILES, 'test_batch.bin']) fs.truncateSync(path.join(dir, f), 10_000 * RECORD);
    fs.truncateSync(path.join(dir, name), count * RECORD);
    expectTorchError(
      () => new data.CIFAR10({ root: dir, train }),
      `CIFAR10: ${path.join(dir, name)} has ${count * RECORD} bytes (${count} records), expected 30730000 (10000 records`,
    );
  });

  it('a directory where a batch file should be is named as such', () => {
    const files = cifarFiles();
    delete files['test_batch.bin'];
    const dir = folder(files);
    fs.mkdirSync(path.join(dir, 'test_batch.bin'));
    expectTorchError(() => new data.CIFAR10({ recordsPerFile: FIXTURE_RECORDS, root: dir, train: false }), `${path.join(dir, 'test_batch.bin')} is a directory, expected a file of ${3 * RECORD} bytes`);
  });

  it('recordsPerFile must be a positive integer', () => {
    expectTorchError(() => new data.CIFAR10({ recordsPerFile: 0, root: folder() }), 'recordsPerFile must be a positive integer, got 0');
  });

  it('a label above 9 is named with its record', () => {
    const files = cifarFiles();
    const bad = records(3, 3);
    bad[0] = 10;
    files[TRAIN_FILES[3]] = bad;
    const dir = folder(files);
    expectTorchError(() => new data.CIFAR10({ recordsPerFile: FIXTURE_RECORDS, root: dir }), path.join(dir, 'data_batch_4.bin'), 'record 0', 'label 10');
  });

  it('an empty file is named', () => {
    const files = cifarFiles();
    files['test_batch.bin'] = Buffer.alloc(0);
    const dir = folder(files);
    expectTorchError(() => new data.CIFAR10({ recordsPerFile: FIXTURE_RECORDS, root: dir, train: false }), path.join(dir, 'test_batch.bin'), 'empty');
  });

  it('a wrong number of class names is refused', () => {
    const files = cifarFiles();
    files['batches.meta.txt'] = Buffer.from('cat\ndog\n');
    const dir = folder(files);
    expectTorchError(() => new data.CIFAR10({ recordsPerFile: FIXTURE_RECORDS, root: dir }), 'batches.meta.txt', '2 class names');
  });

  it('the synchronous constructor explains that download needs CIFAR10.create', () => {
    const root = tmpDir('nodl');
    dirs.push(root);
    expectTorchError(() => new data.CIFAR10({ recordsPerFile: FIXTURE_RECORDS, root, download: true }), 'CIFAR10.create');
  });

  it('defaultCifar10Root() follows CIFAR10_ROOT', () => {
    const saved = process.env.CIFAR10_ROOT;
    try {
      const dir = folder();
      process.env.CIFAR10_ROOT = dir;
      expect(data.defaultCifar10Root()).toBe(dir);
      process.env.CIFAR10_ROOT = path.join(dir, 'nowhere');
      expect(data.defaultCifar10Root()).toBe(path.join(dir, 'nowhere'));
      delete process.env.CIFAR10_ROOT;
      // Unset: a shared copy beside the package if there is one, else data/ inside it (wherever the clone sits).
      const pkg = path.join(__dirname, '..', '..');
      const shared = path.join(pkg, '..', 'shared', 'cifar10', 'cifar-10-batches-bin');
      const expected = fs.existsSync(shared) ? shared : path.join(pkg, 'data', 'cifar-10-batches-bin');
      expect(data.defaultCifar10Root()).toBe(expected);
    } finally {
      if (saved === undefined) delete process.env.CIFAR10_ROOT;
      else process.env.CIFAR10_ROOT = saved;
    }
  });
});

// ---- The real data set, when present ----

const realRoot = data.defaultCifar10Root();
const haveReal = fs.existsSync(path.join(realRoot, 'test_batch.bin'));
if (!haveReal) console.warn(`[skipped] real CIFAR-10 tests: no data at ${realRoot} (set CIFAR10_ROOT)`);

describe.skipIf(!haveReal)('CIFAR10 on the real data set', () => {
  // Exact integer sums in JS over the raw bytes: an independent check of the tensor layout.
  function channelStats(ds: InstanceType<typeof data.CIFAR10>): { mean: number[]; std: number[] } {
    const px = ds.data.toTypedArray() as Uint8Array;
    const sum = [0, 0, 0];
    const sq = [0, 0, 0];
    for (let i = 0; i < px.length; i++) {
      const c = (i >> 10) % 3; // planes of 1,024 bytes: R, G, B, R, G, B, …
      const v = px[i];
      sum[c] += v;
      sq[c] += v * v;
    }
    const n = px.length / 3;
    const mean = sum.map((s) => s / n / 255);
    const std = sq.map((s, c) => Math.sqrt(s / n / 65025 - mean[c] * mean[c]));
    return { mean, std };
  }

  it('train: 50,000 images, 5,000 per class, the reference mean and std', () => {
    const ds = new data.CIFAR10({ root: realRoot, train: true });
    expect(ds.length).toBe(50000);
    expect(ds.classes).toEqual(CLASSES);
    const counts = new Array(10).fill(0);
    for (const t of ds.targets.toTypedArray() as BigInt64Array) counts[Number(t)]++;
    expect(counts).toEqual(new Array(10).fill(5000));
    const { mean, std } = channelStats(ds);
    [0.4914, 0.4822, 0.4465].forEach((m, c) => expect(mean[c]).toBeCloseTo(m, 4));
    [0.247, 0.2435, 0.2616].forEach((s, c) => expect(std[c]).toBeCloseTo(s, 3));
    ds.dispose();
  });

  it('test: 10,000 images, the reference mean', () => {
    const ds = new data.CIFAR10({ root: path.dirname(realRoot), train: false });
    expect(ds.length).toBe(10000);
    const { mean } = channelStats(ds);
    [0.4942, 0.4851, 0.4504].forEach((m, c) => expect(mean[c]).toBeCloseTo(m, 4));
    ds.dispose();
  });
});
