// torch.load is bounded by the file: storages are read once and tensors are views of them (as in
// PyTorch), so no size/stride a pickle claims can cost more than the file's bytes; sharing survives;
// deep pickles convert without recursion; files beyond 2 GiB load. Pickles are built in-process.
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { tempDir } from './helpers';
import { PickleWriter, floats, pushTensor, writeCheckpoint, writeSparseCheckpoint } from './hostile_helpers';

const dir = tempDir('hostile');

const cpuBytes = (): number => (torch.memory() as { devices: { cpu?: { bytes: number } } }).devices.cpu?.bytes ?? 0;

function loadError(file: string, options?: torch.LoadOptions): Error {
  try {
    torch.load(file, options);
  } catch (e) {
    return e as Error;
  }
  throw new Error(`load('${file}') did not throw`);
}

describe('load: memory bounded by the file', () => {
  it('a stride-0 tensor of 2^28 elements over one 4-byte storage costs the 4 bytes', () => {
    const file = path.join(dir, 'stride0.pth');
    const w = new PickleWriter().proto();
    pushTensor(w, '0', 1, 0, [2 ** 28], [0]).stop();
    writeCheckpoint(file, w.bytes(), { '0': floats(7.5) });
    expect(fs.statSync(file).size).toBeLessThan(1024);
    const before = cpuBytes();
    const t = torch.load(file) as torch.Tensor;
    expect(t.shape).toEqual([2 ** 28]);
    expect(cpuBytes() - before).toBe(4);
    expect(t.select(0, 2 ** 28 - 1).item()).toBe(7.5);
    t.dispose();
  });

  it('2,000 tensors over one 4 MiB storage share it: memory is the storage, once', () => {
    const file = path.join(dir, 'shared.pth');
    const n = 1 << 20;
    const w = new PickleWriter().proto().emptyList();
    for (let i = 0; i < 2000; i += 100) {
      w.mark();
      for (let j = i; j < i + 100; j++) pushTensor(w, '0', n, 0, [n], [1]);
      w.appends();
    }
    w.stop();
    const data = new Float32Array(n).map((_, i) => i % 251);
    writeCheckpoint(file, w.bytes(), { '0': new Uint8Array(data.buffer) });
    const before = cpuBytes();
    const ts = torch.load(file) as torch.Tensor[];
    expect(ts).toHaveLength(2000);
    expect(cpuBytes() - before).toBe(4 * n);
    expect(ts[1999].select(0, 1000).item()).toBe(1000 % 251);
    torch.dispose(ts);
  });
});

describe('load: tensors are views of their storage, as in PyTorch', () => {
  it('a slice and its base share memory after loading (b = a[2:4])', () => {
    const file = path.join(dir, 'views.pth');
    const w = new PickleWriter().proto().emptyDict().mark();
    w.str('a');
    pushTensor(w, '0', 6, 0, [6], [1]);
    w.str('b');
    pushTensor(w, '0', 6, 2, [2], [1]);
    w.str('t');
    pushTensor(w, '0', 6, 0, [3, 2], [1, 3]); // a transposed 2x3 view: t[i][j] = a[i + 3j]
    w.setitems().stop();
    writeCheckpoint(file, w.bytes(), { '0': floats(0, 1, 2, 3, 4, 5) });
    const { a, b, t } = torch.load(file) as Record<string, torch.Tensor>;
    expect(b.toArray()).toEqual([2, 3]);
    expect(t.toArray()).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    a.mul_(10);
    expect(b.toArray()).toEqual([20, 30]);
    expect(t.toArray()).toEqual([
      [0, 30],
      [10, 40],
      [20, 50],
    ]);
    torch.dispose([a, b, t]);
  });

  it('one storage seen as two dtypes (PyTorch 2 untyped storages) reinterprets the bytes', () => {
    const file = path.join(dir, 'dtypes.pth');
    const w = new PickleWriter().proto().emptyList().mark();
    pushTensor(w, '0', 2, 0, [2], [1], 'FloatStorage');
    pushTensor(w, '0', 8, 4, [4], [1], 'ByteStorage');
    w.appends().stop();
    writeCheckpoint(file, w.bytes(), { '0': floats(1, -2) });
    const [f, u] = torch.load(file) as torch.Tensor[];
    expect(f.toArray()).toEqual([1, -2]);
    // -2.0f is 0xC0000000: little-endian bytes 0, 0, 0, 0xC0.
    expect(u.toArray()).toEqual([0, 0, 0, 0xc0]);
    f.fill_(0);
    expect(u.toArray()).toEqual([0, 0, 0, 0]);
    torch.dispose([f, u]);
  });

  it('views outside the storage, negative strides and uncountable sizes are refused, naming the file', () => {
    const cases: [string, (w: PickleWriter) => void, RegExp][] = [
      ['past-end', (w) => pushTensor(w, '0', 4, 2, [3], [1]), /reaches element 4 but the storage holds 4/],
      ['neg-stride', (w) => pushTensor(w, '0', 4, 3, [2], [-1]), /negative stride/],
      ['neg-offset', (w) => pushTensor(w, '0', 4, -1, [1], [1]), /negative storage offset -1/],
      ['huge', (w) => pushTensor(w, '0', 4, 0, [2 ** 30, 2 ** 30, 2 ** 30], [0, 0, 0]), /more elements than a tensor can hold/],
      ['ragged', (w) => pushTensor(w, '0', 4, 0, [2, 2], [1]), /differ in length/],
      ['odd-bytes', (w) => pushTensor(w, '0', 1, 0, [1], [1], 'DoubleStorage'), /holds 13 bytes, not a whole number of float64 elements/],
    ];
    for (const [name, push, pattern] of cases) {
      const file = path.join(dir, `${name}.pth`);
      const w = new PickleWriter().proto();
      push(w);
      w.stop();
      writeCheckpoint(file, w.bytes(), { '0': name === 'odd-bytes' ? floats(1, 2, 3, 4).subarray(0, 13) : floats(1, 2, 3, 4) });
      const err = loadError(file);
      expect(err, name).toBeInstanceOf(torch.TorchError);
      expect(err.message, name).toContain(`'${file}'`);
      expect(err.message, name).toMatch(pattern);
    }
    expect(torch.memory().liveTensors).toBeLessThan(100); // nothing leaked from the failures above
  });
});

describe('load: structure and size', () => {
  it('a list nested 100,000 deep converts without overflowing the stack', () => {
    const file = path.join(dir, 'deep.pth');
    const depth = 100_000;
    const w = new PickleWriter().proto();
    for (let i = 0; i <= depth; i++) w.emptyList();
    for (let i = 0; i < depth; i++) w.op(0x61); // APPEND: the top list into the one below
    w.stop();
    writeCheckpoint(file, w.bytes());
    let v = torch.load(file) as unknown[];
    let d = 0;
    while (v.length === 1) {
      v = v[0] as unknown[];
      d++;
    }
    expect(d).toBe(depth);
    expect(v).toEqual([]);
  });

  it('a checkpoint whose records lie beyond 2 GiB in the file loads (read by ranges, not whole)', () => {
    const file = path.join(dir, 'big.pth');
    const gap = 2 ** 31 + 12345;
    const w = new PickleWriter().proto().emptyDict().mark().str('w');
    pushTensor(w, '0', 3, 0, [3], [1]);
    w.setitems().stop();
    writeSparseCheckpoint(file, gap, w.bytes(), { '0': floats(1.5, 2.5, 3.5) });
    try {
      expect(fs.statSync(file).size).toBeGreaterThan(2 ** 31);
      const { w: t } = torch.load(file) as { w: torch.Tensor };
      expect(t.toArray()).toEqual([1.5, 2.5, 3.5]);
      t.dispose();
    } finally {
      fs.rmSync(file);
    }
  });
});

describe('load: file-system and device errors are TorchErrors naming the file', () => {
  it('an unknown target device is refused, naming the file', () => {
    const file = path.join(dir, 'device.pth');
    torch.save({ w: torch.ones([2]) }, file);
    const err = loadError(file, { device: 'nowhere' });
    expect(err).toBeInstanceOf(torch.TorchError);
    expect(err.message).toMatch(new RegExp(`^load: '${file}': .*nowhere`));
  });

  it('a directory where the checkpoint should be', () => {
    const err = loadError(dir);
    expect(err).toBeInstanceOf(torch.TorchError);
    expect(err.message).toBe(`load: '${dir}' is a directory, not a checkpoint file`);
  });

  it.skipIf(process.getuid?.() === 0)('a file without read permission', () => {
    const file = path.join(dir, 'noread.pth');
    torch.save({ a: 1 }, file);
    fs.chmodSync(file, 0o000);
    const err = loadError(file);
    expect(err).toBeInstanceOf(torch.TorchError);
    expect(err.message).toMatch(new RegExp(`cannot read '${file}': EACCES`));
  });
});
