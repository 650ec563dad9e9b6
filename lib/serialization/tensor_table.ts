// torch.load's storages and tensors, gathered while the pickle is read and made afterwards, all at once:
// one native call reads every storage of the archive (readStorages: no JS handle or Buffer per storage,
// the bytes read straight into their tensors), one makes every tensor over them (rebuildTensors). The
// pickle sees PendingTensors meanwhile; toJs swaps in the tensors. So a hostile pickle (a view outside
// its storage, an unknown key) fails before anything is read, and nothing is left to free when it does.
import type { DType } from '../dtype';
import { TorchError } from '../errors';
import { native, type ArchiveHandle } from '../native';
import type { Tensor } from '../tensor';
import { ELEMENT_SIZE } from './storage';
import type { ZipReader } from './zip';

/** A tensor the pickle built (_rebuild_tensor_v2): its place in rebuildTensors' result. */
export class PendingTensor {
  constructor(
    readonly index: number,
    /** Where its spec starts in the table's specs (the requires_grad flag is at +3). */
    readonly specAt: number,
  ) {}
}

/** A persistent id resolved: one storage of the archive seen as one dtype (PyTorch 2's untyped storages may be seen as several). */
export interface StorageRef {
  index: number;
  dtype: DType;
  key: string;
  nbytes: number;
}

/** Where a storage goes, as map_location says (see load.ts's placement). */
export interface StoragePlacement {
  /** The device a storage saved at `location` goes to, checked; undefined when a map_location function decides. */
  target(location: string, key: string): string | undefined;
  /** The storage's CPU bytes moved where they go. */
  restore(bytes: Tensor, location: string, key: string, target: string | undefined): Tensor;
}

const READ = 0;
const MAPPED = 1;
const ABSENT = 2;

const readers = native;

/** One load's storages (by key, in the order the pickle names them) and tensors (in the order it builds them). */
export class TensorTable {
  private readonly byKey = new Map<string, { index: number; nbytes: number }>();
  private readonly names: string[] = [];
  private readonly locations: string[] = [];
  private readonly targets: (string | undefined)[] = [];
  /** [localOffset, size, crc, flag, name length] per storage: readStorages' records. */
  private readonly records: number[] = [];
  /** [storage, dtype index, offset, requiresGrad, ndim, ...size, ...stride] per tensor: rebuildTensors' specs. */
  private readonly specs: number[] = [];
  private readonly dtypes: DType[] = [];
  private count = 0;

  constructor(
    private readonly zip: ZipReader,
    private readonly prefix: string,
    private readonly where: string,
    private readonly place: StoragePlacement,
    private readonly mmap: boolean,
  ) {}

  /** The storage `key` (saved at `location`, `numel` elements), registered at its first mention; nothing is read yet. */
  storage(key: string, location: string, numel: unknown, dtype: DType): StorageRef {
    const known = this.byKey.get(key) ?? this.add(key, location, numel);
    return { index: known.index, dtype, key, nbytes: known.nbytes };
  }

  private add(key: string, location: string, numel: unknown): { index: number; nbytes: number } {
    const name = `${this.prefix}data/${key}`;
    // Where it goes, checked before anything is read (undefined: a map_location function decides).
    const target = this.place.target(location, key);
    const e = this.zip.entries.get(name);
    let nbytes = 0;
    if (e === undefined && int(numel, 'storage numel', this.where) === 0) {
      // PyTorch writes empty storages too, but tolerate their absence.
      this.records.push(0, 0, 0, ABSENT, 0);
    } else {
      const { localOffset, size, crc } = e ?? this.zip.entry(name);
      const mapped = this.mmap && (target === undefined || target === 'cpu');
      this.records.push(localOffset, size, crc, mapped ? MAPPED : READ, name.length);
      nbytes = size;
    }
    const s = { index: this.names.length, nbytes };
    this.byKey.set(key, s);
    this.names.push(name);
    this.locations.push(location);
    this.targets.push(target);
    return s;
  }

  /** _rebuild_tensor_v2(storage, offset, size, stride): checked against the storage now, made by build(). */
  tensor(storage: StorageRef, offset: number, size: number[], stride: number[]): PendingTensor {
    const es = ELEMENT_SIZE[storage.dtype];
    if (storage.nbytes % es !== 0) {
      throw new TorchError(`load: ${this.where}: storage '${storage.key}' holds ${storage.nbytes} bytes, not a whole number of ${storage.dtype} elements`);
    }
    checkGeometry(offset, size, stride, storage.nbytes / es, `${this.where}, storage '${storage.key}'`);
    let d = this.dtypes.indexOf(storage.dtype);
    if (d < 0) d = this.dtypes.push(storage.dtype) - 1;
    const specAt = this.specs.length;
    this.specs.push(storage.index, d, offset, 0, size.length, ...size, ...stride);
    return new PendingTensor(this.count++, specAt);
  }

  /** Parameter(data, requires_grad=True). */
  requireGrad(t: PendingTensor): void {
    this.specs[t.specAt + 3] = 1;
  }

  /** Reads every storage (CRC-checked, or mapped), places it, and makes the tensors; `internal` gets the JS handles to free. */
  build(internal: Tensor[]): Tensor[] {
    const zip: ZipReader = this.zip;
    const archive = readers.readStorages(zip.fd, zip.size, zip.dataEnd, this.names, new Float64Array(this.records));
    if (typeof archive === 'string') zip.fail(archive);
    try {
      this.placeAll(archive, internal);
      return readers.rebuildTensors(archive, this.dtypes, new Float64Array(this.specs));
    } catch (e) {
      readers.releaseArchive(archive);
      throw e;
    }
  }

  /** map_location for the storages that do not stay on the CPU (a device, or a function's choice). */
  private placeAll(archive: ArchiveHandle, internal: Tensor[]): void {
    for (let i = 0; i < this.targets.length; i++) {
      const target = this.targets[i];
      if (target === 'cpu') continue;
      const bytes = readers.archiveStorage(archive, i);
      internal.push(bytes);
      const key = this.names[i].slice(this.prefix.length + 'data/'.length);
      const placed = this.place.restore(bytes, this.locations[i], key, target);
      if (placed === bytes) continue;
      internal.push(placed);
      readers.setArchiveStorage(archive, i, placed);
    }
  }
}

export function int(v: unknown, what: string, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TorchError(`load: ${where}: ${what} is not an integer`);
  return v;
}

export function ints(v: unknown, what: string, where: string): number[] {
  if (!Array.isArray(v)) throw new TorchError(`load: ${where}: ${what} is not a tuple`);
  for (let i = 0; i < v.length; i++) int(v[i], `${what}[${i}]`, where);
  return v as number[];
}

/**
 * The checks set_ (as_strided) makes, done first so that the message names the file and the storage:
 * non-negative sizes, strides and offset, a countable numel, and every element inside the storage.
 */
function checkGeometry(offset: number, size: number[], stride: number[], storageNumel: number, where: string): void {
  if (size.length !== stride.length) throw new TorchError(`load: ${where}: size [${size}] and stride [${stride}] differ in length`);
  for (const n of size) if (n < 0) throw new TorchError(`load: ${where}: negative size in [${size}]`);
  for (const n of stride) if (n < 0) throw new TorchError(`load: ${where}: negative stride in [${stride}]`);
  if (offset < 0) throw new TorchError(`load: ${where}: negative storage offset ${offset}`);
  let numel = 1;
  let last = offset; // the furthest element the view reaches
  for (let d = 0; d < size.length; d++) {
    numel *= size[d];
    last += (size[d] - 1) * stride[d];
  }
  if (!Number.isSafeInteger(numel)) throw new TorchError(`load: ${where}: size [${size}] has more elements than a tensor can hold`);
  if (numel === 0) return;
  if (!(last < storageNumel)) {
    throw new TorchError(`load: ${where}: a tensor of size [${size}], stride [${stride}], offset ${offset} reaches element ${last} but the storage holds ${storageNumel}`);
  }
}
