// torch.load for PyTorch's zip checkpoints (torch.save since 1.6), restricted like weights_only=True.
import * as fs from 'fs';
import { cuda } from '../cuda';
import type { DType } from '../dtype';
import { TorchError } from '../errors';
import { native, type MappedFileHandle } from '../native';
import { isTensor, zeros, type Tensor } from '../tensor';
import { PyDict, PyGlobal, PyOrderedDict, unpickle } from './pickle';
import { DTYPE_OF_STORAGE, ELEMENT_SIZE } from './storage';
import { checkBool, checkOptions, checkString, describeValue } from '../utils/validate';
import { ZipReader } from './zip';
import { optionKeys, readOptions } from '../utils/options';

/**
 * torch.load's map_location, in the forms PyTorch accepts:
 * - a device string ('cpu', 'cuda', 'cuda:1'): every storage goes there;
 * - an object mapping saved locations to devices ({ 'cuda:1': 'cuda:0' }): a storage saved at a listed
 *   location goes to its device, any other where it was saved;
 * - a function (storage, location) => storage | null | undefined, PyTorch's callable: `storage` is the
 *   storage's bytes as a 1-D uint8 CPU tensor (PyTorch's untyped storage), `location` where it was saved
 *   ('cpu', 'cuda:0'). Return the storage moved where it should go (`(s) => s.to('cuda:1')`; the same
 *   bytes, in the same order), or null/undefined for the default placement (where it was saved). What it
 *   returns belongs to load(): the loaded tensors are views of it.
 */
export type MapLocation = string | Record<string, string> | ((storage: Tensor, location: string) => Tensor | null | undefined);

export interface LoadOptions {
  /**
   * torch.load's map_location (see MapLocation): a device string, a {saved location: device} object or a
   * function. Without it tensors go where they were saved ('cuda:N' stays cuda:N), and loading a CUDA
   * checkpoint without CUDA throws, as PyTorch does.
   */
  device?: MapLocation;
  /** Python's spelling of `device` (map_location= also works): give one or the other. */
  mapLocation?: MapLocation;
  /**
   * PyTorch's mmap=True: map the file and make every CPU storage a view of its bytes in place — nothing is
   * read until used, and a file of N bytes costs N bytes of address space however its records overlap.
   * The mapping is private (an in-place op changes this process's copy, never the file) and lives while
   * any loaded tensor does. As in PyTorch, records are not checked against their CRC-32 (that would read
   * them all); a storage bound for another device is read and copied there as without mmap.
   */
  mmap?: boolean;
}

// The keys of LoadOptions, a list the compiler keeps complete, for readOptions at the entry.
const TORCH_LOAD = optionKeys<LoadOptions>({ device: true, mapLocation: true, mmap: true });

/** The globals a checkpoint may name: containers, tensor rebuilders, storage types (cf. torch's weights_only). */
const ALLOWED = new Set<string>([
  'collections.OrderedDict',
  'collections.Counter',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  'torch.Size',
  'torch.device',
  ...[...DTYPE_OF_STORAGE.keys()].map((s) => `torch.${s}`),
]);

/** torch.<dtype> globals (a dtype saved as a value, e.g. in a config) -> our dtype names. */
const TORCH_DTYPES: Record<string, DType> = {
  float32: 'float32', float: 'float32', float64: 'float64', double: 'float64', float16: 'float16', half: 'float16',
  bfloat16: 'bfloat16', int64: 'int64', long: 'int64', int32: 'int32', int: 'int32', int16: 'int16',
  short: 'int16', int8: 'int8', uint8: 'uint8', bool: 'bool',
};
for (const name of Object.keys(TORCH_DTYPES)) ALLOWED.add(`torch.${name}`);

/** A persistent id resolved: the storage's bytes as a uint8 tensor on its device, read once per key. */
interface StorageRef {
  dtype: DType;
  key: string;
  bytes: Tensor;
  nbytes: number;
}

/** Finds the archive's folder prefix: the records of a torch.save file all sit under one folder. */
function archivePrefix(zip: ZipReader): string {
  const first = zip.entries.keys().next();
  if (first.done) zip.fail('the archive is empty');
  const slash = first.value.indexOf('/');
  const prefix = slash >= 0 ? first.value.slice(0, slash + 1) : '';
  if (!zip.has(prefix + 'data.pkl')) {
    zip.fail(`'${prefix}data.pkl' is missing: this zip file was not written by torch.save`);
  }
  return prefix;
}

function int(v: unknown, what: string, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TorchError(`load: ${where}: ${what} is not an integer`);
  return v;
}
function ints(v: unknown, what: string, where: string): number[] {
  if (!Array.isArray(v)) throw new TorchError(`load: ${where}: ${what} is not a tuple`);
  return v.map((x, i) => int(x, `${what}[${i}]`, where));
}

/**
 * torch.load(path): the saved object as JS values. Dicts and OrderedDicts (state_dict(), whether
 * Python or this library wrote it) become plain objects when all their keys are strings that are not
 * integer-like (so key order is kept), Maps otherwise (e.g. an optimizer's {0: {...}} state); a state
 * dict's `_metadata` (module versions) is a non-enumerable `_metadata` property that save() writes
 * back. Tuples and lists become arrays; ints numbers (bigints beyond 2^53); tensors are Tensors.
 *
 * As in PyTorch, each storage is read once and every tensor is a view of it (as_strided): tensors that
 * shared a storage in Python share it here (tied weights, views), and memory is the storages' bytes —
 * bounded by the file — whatever sizes and strides the pickle claims. Every failure is a TorchError
 * naming the file. `T` is the shape the caller expects (not checked): `load<{ net: StateDict; acc: number }>(file)`.
 */
export function load<T = unknown>(file: string, options: LoadOptions = {}): T {
  options = loadOptions('load', options);
  checkString(file, 'load', 'f');
  checkOptions(options, 'load');
  if (options.device !== undefined) checkMapLocation(options.device);
  if (options.mmap !== undefined) checkBool(options.mmap, 'load', 'mmap');
  const zip = ZipReader.open(file);
  const internal: Tensor[] = []; // storages: handles freed at the end (the tensors, views of them, keep the memory)
  const created: Tensor[] = []; // the tensors handed out: freed only on failure
  try {
    return loadFrom(zip, file, options, internal, created) as T;
  } catch (e) {
    for (const t of created) if (!t.isDisposed) t.dispose();
    const message = (e as Error)?.message ?? String(e);
    if (e instanceof TorchError && message.includes(`'${file}'`)) throw e;
    // Anything else (libtorch refusing a device, an exhausted heap) still names the file.
    throw new TorchError(`load: '${file}': ${message}`);
  } finally {
    for (const t of internal) if (!t.isDisposed) t.dispose();
    zip.close();
  }
}

/** The options checked, with map_location / mapLocation as `device`. */
function loadOptions(where: string, options: LoadOptions): LoadOptions {
  const o = readOptions(where, options, TORCH_LOAD);
  if (o.mapLocation === undefined) return o;
  if (o.device !== undefined) throw new TorchError(`${where}: give map_location (mapLocation) or device, not both`);
  const { mapLocation, ...rest } = o;
  return { ...rest, device: mapLocation };
}

/**
 * load() with the disk wait off the event loop: the file is read through once on the libuv pool (in
 * 1 MiB chunks, nothing kept), so the load that follows finds it in the page cache. Checking records
 * (CRC-32) and building the tensors still run on the JS thread.
 */
export async function loadAsync<T = unknown>(file: string, options: LoadOptions = {}): Promise<T> {
  options = loadOptions('loadAsync', options);
  checkString(file, 'load', 'f');
  // With mmap nothing is read ahead: pages come in as tensors are used.
  if (!options?.mmap) try {
    for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) void chunk;
  } catch {
    /* load() below reports the file's problem with its own message */
  }
  return load<T>(file, options);
}

function loadFrom(zip: ZipReader, file: string, options: LoadOptions, internal: Tensor[], created: Tensor[]): unknown {
  const prefix = archivePrefix(zip);
  if (zip.has(prefix + 'byteorder')) {
    const order = Buffer.from(zip.read(prefix + 'byteorder')).toString('latin1').trim();
    if (order !== 'little') zip.fail(`byte order '${order}' is not supported (only little-endian)`);
  }
  const where = `'${file}' (${prefix}data.pkl)`;
  const storages = new Map<string, { bytes: Tensor; nbytes: number }>();

  const place = placement(options.device, file);
  let mapping: MappedFileHandle | undefined; // options.mmap: the file's mapping, made at the first storage
  /** The record's bytes on the CPU: mapped in place (mmap) or read with its CRC-32 checked. */
  const hostBytes = (name: string, mapped: boolean): { bytes: Tensor; nbytes: number } => {
    const e = zip.entry(name);
    if (mapped) {
      mapping ??= native.mapFile(zip.fd, zip.size);
      const bytes = native.mappedStorage(mapping, e.dataOffset, e.size) as Tensor;
      internal.push(bytes);
      return { bytes, nbytes: e.size };
    }
    const { storage, crc } = native.readStorage(zip.fd, e.dataOffset, e.size) as { storage: Tensor; crc: number };
    internal.push(storage);
    zip.checkCrc(name, crc, e.crc);
    return { bytes: storage, nbytes: e.size };
  };
  /** The record's bytes, read once per key and placed as map_location says. */
  const readStorage = (key: string, location: string, numel: unknown): { bytes: Tensor; nbytes: number } => {
    const known = storages.get(key);
    if (known) return known;
    const name = `${prefix}data/${key}`;
    // Where it goes, checked before anything is read (undefined: a map_location function decides).
    const target = place.target(location, key);
    let record: { bytes: Tensor; nbytes: number };
    if (!zip.has(name) && int(numel, 'storage numel', where) === 0) {
      // PyTorch writes empty storages too, but tolerate their absence.
      record = { bytes: zeros([0], { dtype: 'uint8' }), nbytes: 0 };
      internal.push(record.bytes);
    } else {
      record = hostBytes(name, options.mmap === true && (target === undefined || target === 'cpu'));
    }
    const placed = place.restore(record.bytes, location, key, target);
    if (placed !== record.bytes) internal.push(placed);
    record = { bytes: placed, nbytes: record.nbytes };
    storages.set(key, record);
    return record;
  };

  const persistentLoad = (pid: unknown): StorageRef => {
    if (!Array.isArray(pid) || pid.length !== 5 || pid[0] !== 'storage') {
      throw new TorchError(`load: ${where}: unexpected persistent id, expected ('storage', type, key, location, numel)`);
    }
    const [, type, key, location, numel] = pid;
    const dtype = type instanceof PyGlobal && type.module === 'torch' ? DTYPE_OF_STORAGE.get(type.name) : undefined;
    if (!dtype) throw new TorchError(`load: ${where}: unknown storage type in persistent id`);
    if (typeof key !== 'string' || typeof location !== 'string') throw new TorchError(`load: ${where}: bad storage key or location`);
    return { dtype, key, ...readStorage(key, location, numel) };
  };

  /** The storage's length in elements of `dtype` (PyTorch 2 saves one untyped storage for tensors of several dtypes). */
  const elements = (s: StorageRef): number => {
    const es = ELEMENT_SIZE[s.dtype];
    const n = s.nbytes;
    if (n % es !== 0) throw new TorchError(`load: ${where}: storage '${s.key}' holds ${n} bytes, not a whole number of ${s.dtype} elements`);
    return n / es;
  };

  const rebuild = (args: unknown[]): Tensor => {
    const [storage, offset, size, stride] = args;
    if (!storage || typeof storage !== 'object' || !('bytes' in storage)) throw new TorchError(`load: ${where}: a tensor without storage`);
    const s = storage as StorageRef;
    const o = int(offset, 'storage offset', where);
    const sz = ints(size, 'size', where);
    const st = ints(stride, 'stride', where);
    checkGeometry(o, sz, st, elements(s), `${where}, storage '${s.key}'`);
    // The bytes seen as the dtype and as_strided in one native call: one handle per tensor.
    const t = native.rebuildTensor(s.bytes, s.dtype, sz, st, o) as Tensor;
    created.push(t);
    if (args[4] === true) t.requiresGrad_(true);
    return t;
  };

  const call = (fn: PyGlobal, args: unknown[]): unknown => {
    switch (fn.qualified) {
      case 'collections.OrderedDict': {
        const d = new PyOrderedDict();
        if (Array.isArray(args[0])) for (const pair of args[0]) if (Array.isArray(pair)) d.set(pair[0], pair[1]);
        return d;
      }
      case 'collections.Counter': {
        // Counter(dict): MultiStepLR's milestones. A plain mapping of keys to counts for us.
        const d = new PyOrderedDict();
        if (args[0] instanceof Map) for (const [k, v] of args[0]) d.set(k, v);
        return d;
      }
      case 'torch._utils._rebuild_tensor':
      case 'torch._utils._rebuild_tensor_v2':
        return rebuild(args);
      case 'torch._utils._rebuild_parameter':
      case 'torch._utils._rebuild_parameter_with_state': {
        // Parameter(data, requires_grad): our tensors carry requiresGrad themselves.
        const [data, requiresGrad] = args;
        if (!isTensor(data)) throw new TorchError(`load: ${where}: a Parameter without tensor data`);
        if (requiresGrad === true) data.requiresGrad_(true);
        return data;
      }
      case 'torch.Size':
        return Array.isArray(args[0]) ? args[0] : [];
      case 'torch.device':
        return args.length > 1 && args[1] !== null ? `${args[0]}:${args[1]}` : args[0];
      default:
        throw new TorchError(`load: ${where}: '${fn.qualified}' cannot be called`);
    }
  };

  const build = (obj: unknown, state: unknown): boolean => {
    // OrderedDict.__setstate__ sets attributes: state_dict()'s `_metadata`.
    const dict = Array.isArray(state) ? state[0] : state;
    if (obj instanceof PyOrderedDict && (dict instanceof PyDict || dict === null)) {
      obj.attributes = dict ?? undefined;
      return true;
    }
    // A tensor's state (Python attributes of a tensor subclass) carries nothing for us.
    return isTensor(obj) && (state === null || (state instanceof Map && state.size === 0));
  };

  const raw = unpickle(zip.read(prefix + 'data.pkl'), where, ALLOWED, { persistentLoad, call, build });
  return toJs(raw);
}

function checkMapLocation(map: unknown): void {
  if (typeof map === 'string' || typeof map === 'function') return;
  if (map !== null && typeof map === 'object' && !Array.isArray(map) && Object.values(map).every((d) => typeof d === 'string')) return;
  throw new TorchError(`load(): argument 'device' (map_location) must be a device string, an object of saved location -> device strings, or a function (storage, location) => storage, not ${describeValue(map)}`);
}

/** How map_location places storages: the device a location goes to, and the move there. */
interface Placement {
  /** The device a storage saved at `location` goes to, checked; undefined when a map_location function decides. */
  target(location: string, key: string): string | undefined;
  /** The storage's CPU bytes moved where they go. */
  restore(bytes: Tensor, location: string, key: string, target: string | undefined): Tensor;
}

/** torch.serialization's _get_restore_location: map_location's forms over default_restore_location. */
function placement(map: MapLocation | undefined, file: string): Placement {
  const fail = (what: string): never => {
    throw new TorchError(`load: '${file}': ${what}`);
  };
  const target = (location: string, key: string): string | undefined => {
    if (typeof map === 'function') return undefined;
    const device = map === undefined ? location : typeof map === 'string' ? map : Object.prototype.hasOwnProperty.call(map, location) ? map[location] : location;
    checkRestorable(device, key, fail);
    return device;
  };
  const move = (bytes: Tensor, device: string): Tensor => (bytes.device === device ? bytes : bytes.to(device));
  const restore = (bytes: Tensor, location: string, key: string, device: string | undefined): Tensor => {
    if (device !== undefined) return move(bytes, device);
    const fn = map as (storage: Tensor, location: string) => Tensor | null | undefined;
    const result = fn(bytes, location);
    if (result === null || result === undefined) {
      checkRestorable(location, key, fail);
      return move(bytes, location);
    }
    if (!isTensor(result) || result.isDisposed || result.dtype !== 'uint8' || result.ndim !== 1 || result.numel() !== bytes.numel()) {
      fail(`the map_location function must return the storage it was given (a 1-D uint8 tensor of ${bytes.numel()} bytes), moved or not, or null; it returned ${describeValue(result)} for storage '${key}' saved at '${location}'`);
    }
    return result;
  };
  return { target, restore };
}

/** default_restore_location's checks: a CPU or CUDA location, CUDA available with that device (PyTorch's messages). */
function checkRestorable(device: string, key: string, fail: (what: string) => never): void {
  if (device === 'cpu' || device.startsWith('cpu:')) return;
  const m = /^cuda(?::(\d+))?$/.exec(device);
  if (!m) fail(`don't know how to restore data location '${device}' of storage '${key}'`);
  if (!cuda.isAvailable()) {
    fail("Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False. If you are running on a CPU-only machine, please use torch.load with { device: 'cpu' } (map_location) to map your storages to the CPU.");
  }
  const index = m![1] === undefined ? 0 : Number(m![1]);
  const count = cuda.deviceCount();
  if (index >= count) {
    fail(`Attempting to deserialize object on CUDA device ${index} but torch.cuda.device_count() is ${count}. Please use torch.load with { device } (map_location) to map your storages to an existing device.`);
  }
}

/**
 * The checks as_strided makes, done first so that the message names the file and the storage:
 * non-negative sizes, strides and offset, a countable numel, and every element inside the storage.
 */
function checkGeometry(offset: number, size: number[], stride: number[], storageNumel: number, where: string): void {
  if (size.length !== stride.length) throw new TorchError(`load: ${where}: size [${size}] and stride [${stride}] differ in length`);
  if (size.some((n) => n < 0)) throw new TorchError(`load: ${where}: negative size in [${size}]`);
  if (stride.some((n) => n < 0)) throw new TorchError(`load: ${where}: negative stride in [${stride}]`);
  if (offset < 0) throw new TorchError(`load: ${where}: negative storage offset ${offset}`);
  const numel = size.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(numel)) throw new TorchError(`load: ${where}: size [${size}] has more elements than a tensor can hold`);
  if (numel === 0) return;
  // The furthest element the view reaches must lie inside the storage.
  let last = offset;
  for (let d = 0; d < size.length; d++) last += (size[d] - 1) * stride[d];
  if (!(last < storageNumel)) {
    throw new TorchError(`load: ${where}: a tensor of size [${size}], stride [${stride}], offset ${offset} reaches element ${last} but the storage holds ${storageNumel}`);
  }
}


/** Keys that JS objects would move to the front (array indices), so such dicts stay Maps. */
const isIndexLike = (k: string): boolean => /^(0|[1-9]\d*)$/.test(k) && Number(k) < 2 ** 32 - 1;

/**
 * Unpickled Python values -> the JS values load() returns (see its comment). Iterative: each container
 * is made when first met and filled from a work list, so nesting depth costs heap, not stack (a pickle
 * nested 100,000 deep converts); a container met twice (a shared reference) converts once.
 */
function toJs(root: unknown): unknown {
  const seen = new Map<object, unknown>();
  const work: (() => void)[] = [];
  const convert = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object' || isTensor(v) || v instanceof Uint8Array) return v;
    if (seen.has(v)) return seen.get(v);
    // A dtype saved as a value becomes its name; any other allowed global (a storage type) its qualified name.
    if (v instanceof PyGlobal) return (v.module === 'torch' && TORCH_DTYPES[v.name]) || v.qualified;
    if (Array.isArray(v)) {
      seen.set(v, v);
      work.push(() => {
        for (let i = 0; i < v.length; i++) v[i] = convert(v[i]);
      });
      return v;
    }
    // One shape whatever wrote the file: a dict or an OrderedDict (Python's state_dict(), ours) with string
    // keys is a plain object; an OrderedDict's `_metadata` a hidden property that save() writes back.
    const meta = v instanceof PyOrderedDict ? v.attributes?.get('_metadata') : undefined;
    const hide = (target: object) => {
      if (meta !== undefined) Object.defineProperty(target, '_metadata', { value: convert(meta), enumerable: false, writable: true, configurable: true });
    };
    if (v instanceof Map && [...v.keys()].every((k) => typeof k === 'string' && !isIndexLike(k) && k !== '_metadata')) {
      const o: Record<string, unknown> = {};
      seen.set(v, o);
      work.push(() => {
        for (const [k, x] of v) Object.defineProperty(o, k as string, { value: convert(x), enumerable: true, writable: true, configurable: true });
        hide(o);
      });
      return o;
    }
    if (v instanceof Map) {
      const m = new Map<unknown, unknown>();
      seen.set(v, m);
      work.push(() => {
        for (const [k, x] of v) m.set(convert(k), convert(x));
        hide(m);
      });
      return m;
    }
    return v;
  };
  const out = convert(root);
  for (let job = work.pop(); job; job = work.pop()) job();
  return out;
}
