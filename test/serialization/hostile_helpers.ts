// Builds torch.save-shaped checkpoints in-process (no Python): a pickle written op by op with
// PickleWriter and stored in a zip as PyTorch lays it out, so hostile and odd files can be crafted
// exactly and the tests always run.
import * as fs from 'fs';
import { PickleWriter } from '../../lib/serialization/pickle';
import { ZipWriter } from '../../lib/serialization/zip';
import { crc32 } from '../../lib/utils/crc';

/** Pushes torch._utils._rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', numel), offset, size, stride, False, OrderedDict()). */
export function pushTensor(w: PickleWriter, key: string, numel: number, offset: number, size: number[], stride: number[], type = 'FloatStorage'): PickleWriter {
  w.global('torch._utils', '_rebuild_tensor_v2').mark();
  w.mark().str('storage').global('torch', type).str(key).str('cpu').int(numel).tuple(5).binpersid();
  w.int(offset).intTuple(size).intTuple(stride).bool(false);
  w.global('collections', 'OrderedDict').tuple(0).reduce();
  return w.tuple(6).reduce();
}

/** Writes archive/data.pkl (the pickle) and archive/data/<key> records, as torch.save does. */
export function writeCheckpoint(file: string, pickle: Uint8Array, storages: Record<string, Uint8Array> = {}): void {
  const fd = fs.openSync(file, 'w');
  try {
    const zip = new ZipWriter(fd);
    zip.add('archive/data.pkl', [pickle]);
    zip.add('archive/byteorder', [Buffer.from('little')]);
    for (const [key, bytes] of Object.entries(storages)) zip.add(`archive/data/${key}`, [bytes]);
    zip.add('archive/version', [Buffer.from('3\n')]);
    zip.finish();
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A checkpoint whose records start `gap` bytes into the file: a first record of `gap` bytes that
 * nothing reads is left as a hole (a sparse file: no disk space, no time), then data.pkl and the
 * storages, then the central directory. Offsets stay below 4 GiB (no zip64 needed).
 */
export function writeSparseCheckpoint(file: string, gap: number, pickle: Uint8Array, storages: Record<string, Uint8Array>): void {
  const records: [string, Uint8Array][] = [['archive/data.pkl', pickle], ...Object.entries(storages).map(([k, b]): [string, Uint8Array] => [`archive/data/${k}`, b])];
  const fd = fs.openSync(file, 'w');
  const central: Buffer[] = [];
  const entry = (name: string, size: number, crc: number, offset: number): void => {
    const n = Buffer.from(name);
    const local = Buffer.alloc(30 + n.length);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(size, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(n.length, 26);
    n.copy(local, 30);
    fs.writeSync(fd, local, 0, local.length, offset);
    const c = Buffer.alloc(46 + n.length);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(20, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt32LE(crc, 16);
    c.writeUInt32LE(size, 20);
    c.writeUInt32LE(size, 24);
    c.writeUInt16LE(n.length, 28);
    c.writeUInt32LE(offset, 42);
    n.copy(c, 46);
    central.push(c);
  };
  try {
    const padName = 'archive/.padding';
    entry(padName, gap, 0, 0);
    let pos = 30 + padName.length + gap;
    for (const [name, data] of records) {
      entry(name, data.length, crc32(data), pos);
      pos += 30 + Buffer.byteLength(name);
      fs.writeSync(fd, data, 0, data.length, pos);
      pos += data.length;
    }
    const dir = Buffer.concat(central);
    fs.writeSync(fd, dir, 0, dir.length, pos);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(central.length, 8);
    end.writeUInt16LE(central.length, 10);
    end.writeUInt32LE(dir.length, 12);
    end.writeUInt32LE(pos, 16);
    fs.writeSync(fd, end, 0, end.length, pos + dir.length);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A checkpoint whose records 'archive/data/0' … '<copies - 1>' are one record: every central-directory
 * entry points at the same local header, so `copies` storages overlap one region of `bytes`. The pickle
 * is a list of one float tensor per storage, each the whole storage. Reading each record costs
 * copies × bytes (PyTorch's torch.load); mapping the file costs the file.
 */
export function writeOverlappingCheckpoint(file: string, copies: number, bytes: Uint8Array): void {
  const numel = bytes.length / 4;
  const w = new PickleWriter().proto().emptyList().mark();
  for (let i = 0; i < copies; i++) pushTensor(w, String(i), numel, 0, [numel], [1]);
  const pickle = w.appends().stop().bytes();
  const fd = fs.openSync(file, 'w');
  const central: Buffer[] = [];
  let pos = 0;
  const local = (name: string, data: Uint8Array): number => {
    const n = Buffer.from(name);
    const h = Buffer.alloc(30 + n.length);
    h.writeUInt32LE(0x04034b50, 0);
    h.writeUInt16LE(20, 4);
    h.writeUInt32LE(crc32(data), 14);
    h.writeUInt32LE(data.length, 18);
    h.writeUInt32LE(data.length, 22);
    h.writeUInt16LE(n.length, 26);
    n.copy(h, 30);
    const at = pos;
    fs.writeSync(fd, h, 0, h.length, pos);
    fs.writeSync(fd, data, 0, data.length, pos + h.length);
    pos += h.length + data.length;
    return at;
  };
  const centralEntry = (name: string, data: Uint8Array, offset: number, crc: number): void => {
    const n = Buffer.from(name);
    const c = Buffer.alloc(46 + n.length);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(20, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt32LE(crc, 16);
    c.writeUInt32LE(data.length, 20);
    c.writeUInt32LE(data.length, 24);
    c.writeUInt16LE(n.length, 28);
    c.writeUInt32LE(offset, 42);
    n.copy(c, 46);
    central.push(c);
  };
  try {
    const pkl = local('archive/data.pkl', pickle);
    centralEntry('archive/data.pkl', pickle, pkl, crc32(pickle));
    const order = Buffer.from('little');
    centralEntry('archive/byteorder', order, local('archive/byteorder', order), crc32(order));
    const data = local('archive/data/0', bytes);
    const crc = crc32(bytes);
    for (let i = 0; i < copies; i++) centralEntry(`archive/data/${i}`, bytes, data, crc);
    const dir = Buffer.concat(central);
    fs.writeSync(fd, dir, 0, dir.length, pos);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(central.length, 8);
    end.writeUInt16LE(central.length, 10);
    end.writeUInt32LE(dir.length, 12);
    end.writeUInt32LE(pos, 16);
    fs.writeSync(fd, end, 0, end.length, pos + dir.length);
  } finally {
    fs.closeSync(fd);
  }
}

export function floats(...values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

export { PickleWriter };
