// The native entries under torch.load (readStorages, archiveStorage, setArchiveStorage, releaseArchive,
// rebuildTensors), called directly on archives written here: the bytes and views they make, what they say
// about damaged records, and TorchErrors (never crashes) for arguments that are not what they take.
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { native } from '../../lib/native';
import { storageOf } from '../../lib/serialization/storage';
import { ZipReader, ZipWriter } from '../../lib/serialization/zip';
import { tempDir } from './helpers';

interface Storages {
  readStorages(fd: number, fileSize: number, dataEnd: number, names: string[], records: Float64Array): unknown;
  archiveStorage(archive: unknown, index: number): torch.Tensor;
  setArchiveStorage(archive: unknown, index: number, bytes: unknown): void;
  releaseArchive(archive: unknown): void;
  rebuildTensors(archive: unknown, dtypes: string[], specs: Float64Array): torch.Tensor[];
}
const n = native as unknown as Storages;
const dir = tempDir('native-storages');

/** A zip of two records: a = float32 [1..6], b = int64 [-1, 2^40]. */
function archiveFile(name: string): string {
  const file = path.join(dir, name);
  const fd = fs.openSync(file, 'w');
  const zip = new ZipWriter(fd);
  zip.add('x/data/a', [new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer)]);
  zip.add('x/data/b', [new Uint8Array(new BigInt64Array([-1n, 2n ** 40n]).buffer)]);
  zip.finish();
  fs.closeSync(fd);
  return file;
}

/** readStorages' records for the named entries, read in place (flag 0). */
function recordsOf(zip: ZipReader, names: string[], flag = 0): Float64Array {
  return new Float64Array(names.flatMap((name) => {
    const e = zip.entry(name);
    return [e.localOffset, e.size, e.crc, flag, name.length];
  }));
}

function withArchive<T>(file: string, names: string[], use: (archive: unknown, zip: ZipReader) => T, flag = 0): T {
  const zip = ZipReader.open(file);
  try {
    const archive = n.readStorages(zip.fd, zip.size, zip.dataEnd, names, recordsOf(zip, names, flag));
    return use(archive, zip);
  } finally {
    zip.close();
  }
}

function geometry(t: torch.Tensor): { stride: number[]; offset: number; storageBytes: number } {
  const s = storageOf(t);
  const storageBytes = s.bytes.numel();
  s.bytes.dispose();
  return { stride: s.stride, offset: s.offset, storageBytes };
}

describe('readStorages and rebuildTensors', () => {
  it('make tensors over the records: a transposed float view, an offset int64 view, two views sharing one storage', () => {
    const file = archiveFile('ok.pth');
    for (const flag of [0, 1]) {
      // [storage, dtype, offset, requiresGrad, ndim, ...size, ...stride]
      const specs = new Float64Array([0, 0, 0, 0, 2, 3, 2, 1, 3, 1, 1, 1, 0, 1, 1, 1, 0, 0, 2, 1, 1, 2, 1]);
      const [t, big, row] = withArchive(file, ['x/data/a', 'x/data/b'], (archive) => n.rebuildTensors(archive, ['float32', 'int64'], specs), flag);
      expect(t.toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
      expect(geometry(t)).toEqual({ stride: [1, 3], offset: 0, storageBytes: 24 });
      expect(geometry(big)).toEqual({ stride: [1], offset: 1, storageBytes: 16 });
      expect(big.dtype).toBe('int64');
      expect(big.toArray()).toEqual([2 ** 40]);
      expect(row.toArray()).toEqual([3, 4]);
      expect(row.requiresGrad).toBe(true);
      expect(row.gradFnName()).toBeNull(); // a leaf, as Python's torch.load makes it
      torch.noGrad(() => t.fill_(-1)); // one storage: the write shows through the other tensor
      expect(row.toArray()).toEqual([-1, -1]);
      torch.dispose([t, big, row]);
    }
  });

  it('archiveStorage hands out a storage and setArchiveStorage puts a replacement in its place', () => {
    const file = archiveFile('swap.pth');
    const [t] = withArchive(file, ['x/data/a'], (archive) => {
      const bytes = n.archiveStorage(archive, 0);
      expect([bytes.dtype, bytes.shape]).toEqual(['uint8', [24]]);
      const doubled = torch.tensor(Array.from(new Uint8Array(new Float32Array([2, 4, 6, 8, 10, 12]).buffer)), { dtype: 'uint8' });
      n.setArchiveStorage(archive, 0, doubled);
      torch.dispose([bytes, doubled]);
      return n.rebuildTensors(archive, ['float32'], new Float64Array([0, 0, 4, 0, 1, 2, 1]));
    });
    expect(t.toArray()).toEqual([10, 12]);
    t.dispose();
  });

  it("checks each record's CRC-32 as zlib computes it, at every length (the 16-byte folds and the bytes after them)", () => {
    const file = path.join(dir, 'lengths.pth');
    const lengths = [...Array.from({ length: 200 }, (_, i) => i), 1021, 4096, (1 << 20) + 7];
    const fd = fs.openSync(file, 'w');
    const zip = new ZipWriter(fd);
    // Pseudo-random bytes (a fixed LCG): every bit pattern of the folds gets exercised.
    let x = 12345;
    for (const length of lengths) zip.add(`x/data/${length}`, [Uint8Array.from({ length }, () => (x = (x * 1103515245 + 12345) >>> 0) >>> 24)]);
    zip.finish();
    fs.closeSync(fd);
    const names = lengths.map((length) => `x/data/${length}`);
    const archive = withArchive(file, names, (a) => a);
    expect(typeof archive).not.toBe('string');
    n.releaseArchive(archive);
  });

  it('says which record is damaged: a CRC-32 that differs, a local header that is not one, a record past the file', () => {
    const file = archiveFile('bad.pth');
    const zip = ZipReader.open(file);
    try {
      const names = ['x/data/a'];
      const good = recordsOf(zip, names);
      const crc = Float64Array.from(good);
      crc[2] = (crc[2] + 1) % 2 ** 32;
      expect(n.readStorages(zip.fd, zip.size, zip.dataEnd, names, crc)).toMatch(/^record 'x\/data\/a' is corrupt \(CRC-32 0x[0-9a-f]{8}, the directory says 0x[0-9a-f]{8}\)$/);
      const header = Float64Array.from(good);
      header[0] += 1;
      expect(n.readStorages(zip.fd, zip.size, zip.dataEnd, names, header)).toMatch(/^the local header of record 'x\/data\/a' \(offset \d+\) is damaged$/);
      const long = Float64Array.from(good);
      long[1] = zip.size;
      expect(n.readStorages(zip.fd, zip.size, zip.dataEnd, names, long)).toMatch(/^record 'x\/data\/a' \(\d+ bytes at offset \d+\) runs past the data area/);
    } finally {
      zip.close();
    }
  });

  it('arguments that are not what they take are TorchErrors', () => {
    const file = archiveFile('args.pth');
    const zip = ZipReader.open(file);
    try {
      const names = ['x/data/a'];
      const records = recordsOf(zip, names);
      expect(() => n.readStorages(zip.fd, zip.size, zip.dataEnd, names, [0, 24, 0, 0, 8] as unknown as Float64Array)).toThrow(torch.TorchError);
      expect(() => n.readStorages(zip.fd, zip.size, zip.dataEnd, names, new Float64Array(4))).toThrow(/5 numbers per storage/);
      expect(() => n.readStorages(-1, zip.size, zip.dataEnd, names, records)).toThrow(torch.TorchError);
      expect(() => n.rebuildTensors({}, ['float32'], new Float64Array())).toThrow(/readStorages\(\) handle/);
      const archive = n.readStorages(zip.fd, zip.size, zip.dataEnd, names, records);
      expect(() => n.archiveStorage(archive, 1)).toThrow(torch.TorchError);
      expect(() => n.setArchiveStorage(archive, 0, torch.zeros([2]))).toThrow(/1-D uint8/);
      expect(() => n.rebuildTensors(archive, ['float32'], new Float64Array([3, 0, 0, 0, 1, 2, 1]))).toThrow(/bad tensor spec/);
      expect(() => n.rebuildTensors(archive, ['float32'], new Float64Array([0, 0, 0, 0, 2, 2]))).toThrow(/bad tensor spec/);
      expect(() => n.rebuildTensors(archive, ['nonsense'], new Float64Array())).toThrow(torch.TorchError);
      n.releaseArchive(archive);
      expect(() => n.archiveStorage(archive, 0)).toThrow(/no such storage/);
    } finally {
      zip.close();
    }
  });
});
