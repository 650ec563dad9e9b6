// torch.save: writes PyTorch's zip checkpoint format so that Python's torch.load reads it directly.
import * as fs from 'fs';
import * as path from 'path';
import { TorchError } from '../errors';
import { TEMP_FILE, atomicWrite, atomicWriteAsync } from '../utils/atomic';
import { isTensor, type Tensor } from '../tensor';
import { PickleWriter } from './pickle';
import type { DType } from '../dtype';
import { ELEMENT_SIZE, STORAGE_OF, type StorageView, locationOf, storageOf } from './storage';
import { checkOptions, checkString } from '../utils/validate';
import { ZipWriter } from './zip';
import { optionKeys, readOptions } from '../utils/options';

export interface SaveOptions {
  /** Writes zip64 records even for small files (for tests of the zip64 path). */
  forceZip64?: boolean;
}

// The keys of SaveOptions, a list the compiler keeps complete, for readOptions at the entry.
const SAVE = optionKeys<SaveOptions>({ forceZip64: true });

/** A storage to write: the bytes of one tensor storage, however many saved tensors view it. */
interface SavedStorage {
  key: string;
  dtype: DType;
  bytes: Tensor;
}

/** A JS value -> pickle ops; storages are numbered in order of appearance, each written once. */
class Pickler {
  readonly w = new PickleWriter();
  readonly storages: SavedStorage[] = [];
  private readonly byId = new Map<string, SavedStorage>();
  private readonly ancestors = new Set<object>();

  private fail(at: string, what: string): never {
    throw new TorchError(`save: ${what} at ${at}`);
  }

  value(v: unknown, at: string): void {
    const w = this.w;
    if (v === null) w.none();
    else if (typeof v === 'boolean') w.bool(v);
    else if (typeof v === 'bigint') w.int(v);
    // Integral numbers become Python ints (so epoch stays an int; note 91.0 is written as 91 too).
    else if (typeof v === 'number') Number.isSafeInteger(v) && !Object.is(v, -0) ? w.int(v) : w.float(v);
    else if (typeof v === 'string') w.str(v);
    else if (typeof v !== 'object') this.fail(at, `cannot save a value of type ${typeof v}${v === undefined ? ' (use null for None)' : ''}`);
    else if (isTensor(v)) this.tensor(v, at);
    else {
      if (this.ancestors.has(v)) this.fail(at, 'circular reference');
      this.ancestors.add(v);
      if (Array.isArray(v)) this.list(v, at);
      else if (v instanceof Map) this.orderedDict(v, at);
      else if (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null) this.dict(v as Record<string, unknown>, at);
      else this.fail(at, `cannot save a ${(v as object).constructor?.name ?? 'object'}: only tensors, numbers, strings, booleans, null, arrays, plain objects and Maps`);
      this.ancestors.delete(v);
    }
  }

  private list(items: unknown[], at: string): void {
    this.w.emptyList();
    // Batches of 1000, as Python's pickler does.
    for (let i = 0; i < items.length; i += 1000) {
      this.w.mark();
      for (let j = i; j < Math.min(i + 1000, items.length); j++) this.value(items[j], `${at}[${j}]`);
      this.w.appends();
    }
  }

  private items(entries: [unknown, unknown][], at: string): void {
    for (let i = 0; i < entries.length; i += 1000) {
      this.w.mark();
      for (const [k, x] of entries.slice(i, i + 1000)) {
        if (k !== null && !['string', 'number', 'bigint', 'boolean'].includes(typeof k)) this.fail(at, `a dict key must be a string, number, boolean or null, not ${typeof k}`);
        this.value(k, at);
        this.value(x, `${at}.${String(k)}`);
      }
      this.w.setitems();
    }
  }

  private dict(o: Record<string, unknown>, at: string): void {
    // A state dict loaded from Python keeps its module versions as a hidden `_metadata`: written back as
    // the OrderedDict it came from.
    if (Object.prototype.hasOwnProperty.call(o, '_metadata') && !Object.keys(o).includes('_metadata')) {
      this.orderedDict(Object.assign(new Map(Object.entries(o)), { _metadata: o._metadata }), at);
      return;
    }
    this.w.emptyDict();
    this.items(Object.entries(o), at);
  }

  /** A Map is a collections.OrderedDict (what state_dict() returns), with its `_metadata` if it has one. */
  private orderedDict(m: Map<unknown, unknown>, at: string): void {
    this.w.global('collections', 'OrderedDict').tuple(0).reduce();
    this.items([...m.entries()], at);
    const meta = (m as { _metadata?: unknown })._metadata;
    if (meta !== undefined) {
      this.w.emptyDict().mark();
      this.value('_metadata', at);
      this.value(meta, `${at}._metadata`);
      this.w.setitems().build();
    }
  }

  /**
   * torch._utils._rebuild_tensor_v2(('storage', torch.XStorage, key, location, numel), offset, size, stride,
   * requires_grad, OrderedDict()): the tensor's real storage, storage offset and strides, as PyTorch writes them,
   * so a view, a transposed or a channels_last tensor loads with its layout, and views of one storage share it.
   * requires_grad is the tensor's own flag (PyTorch's too, leaf or not): torch.load makes it a leaf requiring
   * grad. state_dict() values are detached, so checkpoints of modules still say False.
   */
  private tensor(t: Tensor, at: string): void {
    if (t.isDisposed) this.fail(at, 'the tensor is disposed');
    const view = storageOf(t);
    const storage = this.storage(view, t.dtype, at);
    const numel = Math.floor(storage.bytes.numel() / ELEMENT_SIZE[t.dtype]);
    const w = this.w;
    w.global('torch._utils', '_rebuild_tensor_v2').mark();
    w.mark().str('storage').global('torch', STORAGE_OF[t.dtype]).str(storage.key).str(locationOf(t)).int(numel).tuple(5).binpersid();
    w.int(view.offset).intTuple(t.shape).intTuple(view.stride).bool(t.requiresGrad);
    w.global('collections', 'OrderedDict').tuple(0).reduce();
    w.tuple(6).reduce();
  }

  /** The storage a tensor views, numbered at its first tensor (PyTorch's dedup by storage). */
  private storage(view: StorageView, dtype: DType, at: string): SavedStorage {
    const known = this.byId.get(view.id);
    if (known) {
      view.bytes.dispose();
      // PyTorch's message: one storage has one storage type in the file.
      if (known.dtype !== dtype) this.fail(at, 'cannot save multiple tensors or storages that view the same data as different types');
      return known;
    }
    const entry = { key: String(this.storages.length), dtype, bytes: view.bytes };
    this.byId.set(view.id, entry);
    this.storages.push(entry);
    return entry;
  }

  /** Frees the storage views (the tensors keep their memory). */
  dispose(): void {
    for (const s of this.storages) if (!s.bytes.isDisposed) s.bytes.dispose();
  }
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return false; // saves are synchronous: none of ours is in progress
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}

/**
 * Removes the temporary files that a killed save left in `dir` (a SIGKILL or power loss skips the
 * clean-up): those whose writer process is gone. A save in progress in another live process keeps its
 * file. Best effort: a folder we cannot list or a file already gone is not an error.
 */
function removeStaleTemps(dir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = TEMP_FILE.exec(name);
    if (m && !processAlive(Number(m[1]))) fs.rmSync(path.join(dir, name), { force: true });
  }
}

/**
 * torch.save(obj, path): tensors, numbers, strings, booleans, null, arrays (Python lists), plain
 * objects (dicts) and Maps (OrderedDicts, as state_dict() returns). Atomic: the file is written to a
 * temporary file in the same folder, synced and renamed over `file`, so a failed save leaves any
 * previous checkpoint intact; temporary files that killed saves left in the folder are removed
 * after a successful save. As in PyTorch, each tensor is written as its whole storage with its storage
 * offset and strides (a view of a large tensor writes the large storage; views of one storage write it
 * once), at its device's location ('cpu', 'cuda:N': a CUDA storage's bytes are copied to the host for the
 * file), so torch.load puts it back on that device with the same strides.
 */
export function save(obj: unknown, file: string, options: SaveOptions = {}): void {
  options = readOptions('save', options, SAVE);
  checkString(file, 'save', 'f');
  checkOptions(options, 'save');
  const prefix = archivePrefix(file);
  try {
    atomicWrite(file, (fd) => {
      const zip = new ZipWriter(fd, options.forceZip64);
      const p = pickle(obj, zip, prefix);
      try {
        // One storage's bytes on the host at a time.
        for (const s of p.storages) zip.add(`${prefix}/data/${s.key}`, [storageBytes(s.bytes)]);
      } finally {
        p.dispose();
      }
      zip.add(`${prefix}/version`, [Buffer.from('3\n')]);
      zip.finish();
    });
  } catch (e) {
    throw saveError(e, file);
  }
  removeStaleTemps(path.dirname(path.resolve(file)));
}

/**
 * save() with the disk writes, fsync and rename on the libuv pool: a large checkpoint does not block the
 * event loop for its I/O. Each storage's bytes are copied and checksummed on the JS thread, one storage
 * at a time, with the loop free between storages. Atomic like save(). Leave the tensors unchanged until
 * the promise resolves.
 */
export async function saveAsync(obj: unknown, file: string, options: SaveOptions = {}): Promise<void> {
  options = readOptions('saveAsync', options, SAVE);
  const prefix = archivePrefix(file);
  try {
    await atomicWriteAsync(file, async (fh) => {
      let pending: Uint8Array[] = [];
      const zip = new ZipWriter((data) => pending.push(data), options.forceZip64);
      const flush = async () => {
        const pieces = pending;
        pending = [];
        if (pieces.length > 0) await fh.writev(pieces);
      };
      const p = pickle(obj, zip, prefix);
      // One storage's bytes on the host at a time: each is read when its turn comes, so the caller must
      // not change the tensors until the promise resolves (as with a save running in another thread).
      try {
        for (const s of p.storages) {
          zip.add(`${prefix}/data/${s.key}`, [storageBytes(s.bytes)]);
          await flush();
        }
      } finally {
        p.dispose();
      }
      zip.add(`${prefix}/version`, [Buffer.from('3\n')]);
      zip.finish();
      await flush();
    });
  } catch (e) {
    throw saveError(e, file);
  }
}

/** PyTorch names the archive's folder after the file without its extension. */
function archivePrefix(file: string): string {
  const base = path.basename(file);
  const dot = base.lastIndexOf('.');
  return (dot > 0 ? base.slice(0, dot) : base) || 'archive';
}

/** A storage's raw bytes on the host (a CUDA storage copied): the little-endian record torch.save writes. */
function storageBytes(bytes: Tensor): Uint8Array {
  return bytes.toTypedArray() as Uint8Array;
}

/** The pickle of `obj` into the archive (data.pkl, byteorder); its storages are written after. */
function pickle(obj: unknown, zip: ZipWriter, prefix: string): Pickler {
  const p = new Pickler();
  try {
    p.w.proto();
    p.value(obj, 'obj');
    p.w.stop();
  } catch (e) {
    p.dispose();
    throw e;
  }
  zip.add(`${prefix}/data.pkl`, [p.w.bytes()]);
  zip.add(`${prefix}/byteorder`, [Buffer.from('little')]);
  return p;
}

function saveError(e: unknown, file: string): TorchError {
  if (e instanceof TorchError) return new TorchError(e.message.replace(/^save: /, `save: '${file}': `));
  return new TorchError(`save: cannot write '${file}': ${(e as Error).message}`);
}
