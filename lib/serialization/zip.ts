// A minimal ZIP reader/writer for PyTorch's checkpoint container (torch.save's zip format).
// PyTorch only ever writes "stored" (uncompressed) entries, so that is all we write; we read stored
// entries only too and say so for anything else. Records are aligned the way PyTorch's
// PyTorchStreamWriter does it: each local header carries an extra field "FB" padded with 'Z' so that
// the payload starts on a 64-byte boundary (that lets libtorch mmap tensor data in place).
import * as fs from 'fs';
import { crc32 } from '../utils/crc';
import { TorchError } from '../errors';

const LOCAL_SIG = 0x04034b50;
const CENTRAL_SIG = 0x02014b50;
const EOCD_SIG = 0x06054b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const LOCAL_HEADER_SIZE = 30;
const CENTRAL_HEADER_SIZE = 46;
const EOCD_SIZE = 22;
const ALIGNMENT = 64;
const U32_MAX = 0xffffffff;
const U16_MAX = 0xffff;

// ---- Reading ----

export interface ZipEntry {
  name: string;
  /** Offset of the record's local header in the file; its payload follows it (see dataOffset). */
  localOffset: number;
  size: number;
  crc: number;
}

/**
 * An archive read by ranges from an open file: the central directory once, on open, then each record on
 * demand, so memory is what the caller asks for and files over 2 GiB (beyond one Buffer) load. A record's
 * local header is read with the record (torch.load reads the storages' natively: readStorages), not
 * while the directory is parsed. `read` checks the CRC of what it returns; `close` releases the descriptor.
 */
export class ZipReader {
  readonly entries = new Map<string, ZipEntry>();
  /** Where the central directory starts: every record lies before it. */
  dataEnd = 0;

  private constructor(
    readonly fd: number,
    readonly size: number,
    readonly file: string,
  ) {}

  static open(file: string): ZipReader {
    let fd: number | undefined;
    try {
      fd = fs.openSync(file, 'r');
      const stat = fs.fstatSync(fd);
      if (stat.isDirectory()) throw new TorchError(`load: '${file}' is a directory, not a checkpoint file`);
      if (!stat.isFile()) throw new TorchError(`load: '${file}' is not a regular file`);
      const r = new ZipReader(fd, stat.size, file);
      parseDirectory(r);
      return r;
    } catch (e) {
      if (fd !== undefined) fs.closeSync(fd);
      if (e instanceof TorchError) throw e;
      throw new TorchError(`load: cannot read '${file}': ${(e as Error).message}`);
    }
  }

  close(): void {
    fs.closeSync(this.fd);
  }

  fail(what: string): never {
    throw new TorchError(`load: '${this.file}' is not a valid PyTorch zip checkpoint: ${what}`);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  entry(name: string): ZipEntry {
    const e = this.entries.get(name);
    if (!e) this.fail(`record '${name}' is missing`);
    return e;
  }

  /** `length` bytes at `position`; the caller has checked that they lie inside the file. */
  range(position: number, length: number): Buffer {
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const got = fs.readSync(this.fd, buf, done, length - done, position + done);
      if (got === 0) this.fail(`the file ends at ${position + done} bytes, inside a range that should reach ${position + length}`);
      done += got;
    }
    return buf;
  }

  /** Where the record's payload starts: after its local header, whose name/extra lengths may differ from the directory's. */
  dataOffset(e: ZipEntry): number {
    const local = this.range(e.localOffset, LOCAL_HEADER_SIZE);
    if (local.readUInt32LE(0) !== LOCAL_SIG) this.fail(`the local header of record '${e.name}' (offset ${e.localOffset}) is damaged`);
    const dataOffset = e.localOffset + LOCAL_HEADER_SIZE + local.readUInt16LE(26) + local.readUInt16LE(28);
    if (dataOffset + e.size > this.dataEnd) this.fail(`record '${e.name}' (${e.size} bytes at offset ${dataOffset}) runs past the data area: the file is truncated or corrupt`);
    return dataOffset;
  }

  /** The payload of a (small) record, CRC-checked. */
  read(name: string): Buffer {
    const e = this.entry(name);
    const data = this.range(this.dataOffset(e), e.size);
    this.checkCrc(name, crc32(data), e.crc);
    return data;
  }

  checkCrc(name: string, crc: number, expected: number): void {
    if (crc !== expected) {
      this.fail(`record '${name}' is corrupt (CRC-32 ${hex(crc)}, the directory says ${hex(expected)})`);
    }
  }
}

function hex(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}

function u64(buf: Buffer, at: number, r: ZipReader, what: string): number {
  const v = buf.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) r.fail(`${what} ${v} is too large`);
  return Number(v);
}

/** The file's last bytes: where the end-of-central-directory record is, and most often the directory too. */
interface Tail {
  bytes: Buffer;
  start: number;
  /** The end-of-central-directory record's file offset. */
  eocd: number;
}

/** Finds the end-of-central-directory record (scanning back over a comment of up to 64 KiB). */
function findEocd(r: ZipReader): Tail {
  if (r.size < EOCD_SIZE) r.fail(`the file is ${r.size} bytes, too short to be a zip archive`);
  const start = Math.max(0, r.size - EOCD_SIZE - U16_MAX);
  const bytes = r.range(start, r.size - start);
  for (let at = bytes.length - EOCD_SIZE; at >= 0; at--) {
    if (bytes.readUInt32LE(at) === EOCD_SIG && at + EOCD_SIZE + bytes.readUInt16LE(at + 20) === bytes.length) return { bytes, start, eocd: start + at };
  }
  if (r.range(0, 4).readUInt32LE(0) === LOCAL_SIG) {
    r.fail('no end-of-central-directory record (the file looks truncated)');
  }
  r.fail('not a zip archive (no end-of-central-directory record; torch.save has written zip files since PyTorch 1.6)');
}

function parseDirectory(r: ZipReader): void {
  const tail = findEocd(r);
  const eocd = tail.eocd;
  const end = tail.bytes.subarray(eocd - tail.start);
  let count = end.readUInt16LE(10);
  let dirSize = end.readUInt32LE(12);
  let dirOffset = end.readUInt32LE(16);
  if (end.readUInt16LE(4) !== 0 || end.readUInt16LE(6) !== 0) r.fail('multi-disk archives are not supported');
  // Zip64: the 32-bit fields hold 0xFFFF/0xFFFFFFFF and the real values sit in the zip64 EOCD record,
  // found through the locator just before the classic EOCD.
  if (count === U16_MAX || dirSize === U32_MAX || dirOffset === U32_MAX) {
    const loc = eocd - 20;
    if (loc < 0 || r.range(loc, 4).readUInt32LE(0) !== ZIP64_LOCATOR_SIG) r.fail('zip64 end-of-central-directory locator is missing');
    const z = u64(r.range(loc + 8, 8), 0, r, 'zip64 end record offset');
    if (z + 56 > loc) r.fail('zip64 end-of-central-directory record is missing');
    const rec = r.range(z, 56);
    if (rec.readUInt32LE(0) !== ZIP64_EOCD_SIG) r.fail('zip64 end-of-central-directory record is missing');
    count = u64(rec, 32, r, 'entry count');
    dirSize = u64(rec, 40, r, 'central directory size');
    dirOffset = u64(rec, 48, r, 'central directory offset');
  }
  if (dirOffset + dirSize > eocd) r.fail(`the central directory (offset ${dirOffset}, ${dirSize} bytes) lies outside the file`);
  // Each entry takes at least 46 bytes: a count beyond that is a lie, caught before any work.
  if (count * CENTRAL_HEADER_SIZE > dirSize) r.fail(`the directory claims ${count} entries but holds ${dirSize} bytes`);
  // One read of the file's end usually holds the directory as well (a ResNet-20's is 9 KB).
  const dir = dirOffset >= tail.start ? tail.bytes.subarray(dirOffset - tail.start, dirOffset - tail.start + dirSize) : r.range(dirOffset, dirSize);
  r.dataEnd = dirOffset;

  const view = new DataView(dir.buffer, dir.byteOffset, dir.byteLength);
  for (let i = 0, at = 0; i < count; i++) at = parseEntry(r, dir, view, at, i, count, dirOffset);
}

/**
 * Central directory entry `i` (of `count`), at `at` in `dir` (the directory, at file offset `dirOffset`), into
 * r.entries; returns where the next entry starts. The fixed fields are read through `view`, a DataView over
 * `dir`: its getters are builtins, where Buffer's readUInt32LE is JavaScript that V8 runs interpreted until it
 * has compiled it (torch.load opens the directory once per load, ~10 reads per record).
 */
function parseEntry(r: ZipReader, dir: Buffer, view: DataView, at: number, i: number, count: number, dirOffset: number): number {
  const dirSize = dir.length;
  if (at + CENTRAL_HEADER_SIZE > dirSize || view.getUint32(at, true) !== CENTRAL_SIG) {
    r.fail(`central directory entry ${i} of ${count} is damaged (at offset ${dirOffset + at})`);
  }
  const flags = view.getUint16(at + 8, true);
  const method = view.getUint16(at + 10, true);
  const crc = view.getUint32(at + 16, true);
  let csize = view.getUint32(at + 20, true);
  let size = view.getUint32(at + 24, true);
  const nameLen = view.getUint16(at + 28, true);
  const extraLen = view.getUint16(at + 30, true);
  const commentLen = view.getUint16(at + 32, true);
  let localOffset = view.getUint32(at + 42, true);
  const nameEnd = at + CENTRAL_HEADER_SIZE + nameLen;
  if (nameEnd + extraLen + commentLen > dirSize) r.fail(`central directory entry ${i} runs past the directory`);
  const name = dir.toString('utf8', at + CENTRAL_HEADER_SIZE, nameEnd);
  // The zip64 extra field (id 1) holds, in this order, only the fields that overflowed.
  for (let e = nameEnd; e + 4 <= nameEnd + extraLen; ) {
    const id = view.getUint16(e, true);
    const len = view.getUint16(e + 2, true);
    if (id === 0x0001) {
      let p = e + 4;
      const fits = (n: number) => p + n <= Math.min(e + 4 + len, nameEnd + extraLen) || r.fail(`the zip64 field of '${name}' is too short`);
      if (size === U32_MAX && fits(8)) (size = u64(dir, p, r, `size of '${name}'`)), (p += 8);
      if (csize === U32_MAX && fits(8)) (csize = u64(dir, p, r, `size of '${name}'`)), (p += 8);
      if (localOffset === U32_MAX && fits(8)) localOffset = u64(dir, p, r, `offset of '${name}'`);
    }
    e += 4 + len;
  }
  if (method !== 0) r.fail(`record '${name}' is compressed (method ${method}); PyTorch checkpoints store records uncompressed`);
  if (flags & 1) r.fail(`record '${name}' is encrypted`);
  if (csize !== size) r.fail(`record '${name}' is stored but its sizes differ (${csize} vs ${size})`);
  if (localOffset + LOCAL_HEADER_SIZE > dirOffset) r.fail(`the local header of record '${name}' (offset ${localOffset}) lies outside the data area`);
  if (localOffset + LOCAL_HEADER_SIZE + size > dirOffset) r.fail(`record '${name}' (${size} bytes after offset ${localOffset}) runs past the data area: the file is truncated or corrupt`);
  r.entries.set(name, { name, localOffset, size, crc });
  return nameEnd + extraLen + commentLen;
}

// ---- Writing ----

interface Written {
  name: Buffer;
  offset: number;
  size: number;
  crc: number;
}

/**
 * Streams stored records into an open file descriptor, PyTorch-style (64-byte aligned payloads),
 * then the central directory on finish(). Zip64 fields are written when sizes or offsets need them
 * (or always with forceZip64, which the tests use to exercise that path on small files).
 */
export class ZipWriter {
  private pos = 0;
  private readonly done: Written[] = [];

  /** `out` is a file descriptor written synchronously, or a function that takes each piece (saveAsync queues them). */
  constructor(
    private readonly out: number | ((data: Uint8Array) => void),
    private readonly forceZip64 = false,
  ) {}

  private write(data: Uint8Array): void {
    if (typeof this.out === 'function') {
      this.out(data);
    } else {
      let off = 0;
      while (off < data.length) off += fs.writeSync(this.out, data, off, data.length - off);
    }
    this.pos += data.length;
  }

  /** Writes one record; `chunks` is its payload in pieces (so tensors need not be concatenated). */
  add(name: string, chunks: Uint8Array[]): void {
    const nameBuf = Buffer.from(name, 'utf8');
    let size = 0;
    let crc = 0;
    for (const c of chunks) {
      size += c.length;
      crc = crc32(c, crc);
    }
    const zip64 = this.forceZip64 || size >= U32_MAX || this.pos >= U32_MAX;
    const z64Len = zip64 ? 4 + 16 : 0; // sizes only: the local header has no offset field
    // Pad with an "FB" extra field so that the payload starts on a multiple of 64, as PyTorch does.
    const start = this.pos + LOCAL_HEADER_SIZE + nameBuf.length + z64Len + 4;
    const padding = (ALIGNMENT - (start % ALIGNMENT)) % ALIGNMENT;
    const header = Buffer.alloc(LOCAL_HEADER_SIZE + nameBuf.length + z64Len + 4 + padding, 'Z'.charCodeAt(0));
    header.writeUInt32LE(LOCAL_SIG, 0);
    header.writeUInt16LE(zip64 ? 45 : 20, 4); // version needed
    header.writeUInt16LE(0, 6); // flags
    header.writeUInt16LE(0, 8); // stored
    header.writeUInt16LE(0, 10); // time
    header.writeUInt16LE(0x21, 12); // date: 1980-01-01, as PyTorch writes
    header.writeUInt32LE(crc, 14);
    header.writeUInt32LE(zip64 ? U32_MAX : size, 18);
    header.writeUInt32LE(zip64 ? U32_MAX : size, 22);
    header.writeUInt16LE(nameBuf.length, 26);
    header.writeUInt16LE(z64Len + 4 + padding, 28);
    nameBuf.copy(header, LOCAL_HEADER_SIZE);
    let e = LOCAL_HEADER_SIZE + nameBuf.length;
    if (zip64) {
      header.writeUInt16LE(0x0001, e);
      header.writeUInt16LE(16, e + 2);
      header.writeBigUInt64LE(BigInt(size), e + 4);
      header.writeBigUInt64LE(BigInt(size), e + 12);
      e += z64Len;
    }
    header.write('FB', e, 'latin1');
    header.writeUInt16LE(padding, e + 2);
    const offset = this.pos;
    this.write(header);
    for (const c of chunks) this.write(c);
    this.done.push({ name: nameBuf, offset, size, crc });
  }

  /** Writes the central directory and the end records. */
  finish(): void {
    const dirOffset = this.pos;
    for (const w of this.done) {
      const bigSize = this.forceZip64 || w.size >= U32_MAX;
      const bigOffset = this.forceZip64 || w.offset >= U32_MAX;
      const z64Len = bigSize || bigOffset ? 4 + (bigSize ? 16 : 0) + (bigOffset ? 8 : 0) : 0;
      const h = Buffer.alloc(CENTRAL_HEADER_SIZE + w.name.length + z64Len);
      h.writeUInt32LE(CENTRAL_SIG, 0);
      h.writeUInt16LE(z64Len ? 45 : 20, 4); // version made by
      h.writeUInt16LE(z64Len ? 45 : 20, 6); // version needed
      h.writeUInt16LE(0x21, 14); // date
      h.writeUInt32LE(w.crc, 16);
      h.writeUInt32LE(bigSize ? U32_MAX : w.size, 20);
      h.writeUInt32LE(bigSize ? U32_MAX : w.size, 24);
      h.writeUInt16LE(w.name.length, 28);
      h.writeUInt16LE(z64Len, 30);
      h.writeUInt32LE(bigOffset ? U32_MAX : w.offset, 42);
      w.name.copy(h, CENTRAL_HEADER_SIZE);
      let e = CENTRAL_HEADER_SIZE + w.name.length;
      if (z64Len) {
        h.writeUInt16LE(0x0001, e);
        h.writeUInt16LE(z64Len - 4, e + 2);
        e += 4;
        if (bigSize) {
          h.writeBigUInt64LE(BigInt(w.size), e);
          h.writeBigUInt64LE(BigInt(w.size), e + 8);
          e += 16;
        }
        if (bigOffset) h.writeBigUInt64LE(BigInt(w.offset), e);
      }
      this.write(h);
    }
    const dirSize = this.pos - dirOffset;
    const count = this.done.length;
    const zip64 = this.forceZip64 || count >= U16_MAX || dirOffset >= U32_MAX || dirSize >= U32_MAX;
    if (zip64) {
      const z = Buffer.alloc(56 + 20);
      const zOffset = this.pos;
      z.writeUInt32LE(ZIP64_EOCD_SIG, 0);
      z.writeBigUInt64LE(44n, 4); // size of the rest of this record
      z.writeUInt16LE(45, 12);
      z.writeUInt16LE(45, 14);
      z.writeBigUInt64LE(BigInt(count), 24);
      z.writeBigUInt64LE(BigInt(count), 32);
      z.writeBigUInt64LE(BigInt(dirSize), 40);
      z.writeBigUInt64LE(BigInt(dirOffset), 48);
      z.writeUInt32LE(ZIP64_LOCATOR_SIG, 56);
      z.writeBigUInt64LE(BigInt(zOffset), 64);
      z.writeUInt32LE(1, 72); // total disks
      this.write(z);
    }
    const end = Buffer.alloc(EOCD_SIZE);
    end.writeUInt32LE(EOCD_SIG, 0);
    end.writeUInt16LE(zip64 ? U16_MAX : count, 8);
    end.writeUInt16LE(zip64 ? U16_MAX : count, 10);
    end.writeUInt32LE(zip64 ? U32_MAX : dirSize, 12);
    end.writeUInt32LE(zip64 ? U32_MAX : dirOffset, 16);
    this.write(end);
  }
}
