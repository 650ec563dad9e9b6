// torch.load for PyTorch's zip checkpoints (torch.save since 1.6), restricted like weights_only=True.
import * as fs from 'fs';
import { cuda } from '../cuda';
import type { DType } from '../dtype';
import { TorchError } from '../errors';
import { native } from '../native';
import { isTensor, zeros, type Tensor } from '../tensor';
import { PyDict, PyGlobal, PyOrderedDict, unpickle } from './pickle';
import { DTYPE_OF_STORAGE, ELEMENT_SIZE } from './storage';
import { checkBool, checkOptions, checkString } from '../utils/validate';
import { ZipReader } from './zip';
import { readOptions, TORCH_LOAD } from '../utils/option_keys';

export interface LoadOptions {
  /**
   * torch.load's map_location as a device string ('cpu', 'cuda', 'cuda:1'): where every tensor goes.
   * Without it tensors go where they were saved, and loading a CUDA checkpoint without CUDA throws.
   */
  device?: string;
  /**
   * PyTorch's mmap=True: map the file and make every CPU storage a view of its bytes in place — nothing is
   * read until used, and a file of N bytes costs N bytes of address space however its records overlap.
   * The mapping is private (an in-place op changes this process's copy, never the file) and lives while
   * any loaded tensor does. As in PyTorch, records are not checked against their CRC-32 (that would read
   * them all); a storage bound for another device is read and copied there as without mmap.
   */
  mmap?: boolean;
}

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
  options = readOptions('load', options, TORCH_LOAD);
  checkString(file, 'load', 'f');
  checkOptions(options, 'load');
  if (options.device !== undefined) checkString(options.device, 'load', 'device');
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

/**
 * load() with the disk wait off the event loop: the file is read through once on the libuv pool (in
 * 1 MiB chunks, nothing kept), so the load that follows finds it in the page cache. Checking records
 * (CRC-32) and building the tensors still run on the JS thread.
 */
export async function loadAsync<T = unknown>(file: string, options: LoadOptions = {}): Promise<T> {
  options = readOptions('loadAsync', options, TORCH_LOAD);
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

  const deviceFor = (location: string): string => {
    if (options.device !== undefined) return options.device;
    if (location.startsWith('cuda') && !cuda.isAvailable()) {
      throw new TorchError(`load: '${file}' holds tensors saved on '${location}' but CUDA is not available; pass {device: 'cpu'} to load them on the CPU`);
    }
    return location;
  };

  let mapping: unknown; // options.mmap: the file's mapping, made at the first storage
  /** The record's bytes, read once per key straight into a tensor on its target device. */
  const readStorage = (key: string, location: string, numel: unknown): { bytes: Tensor; nbytes: number } => {
    const known = storages.get(key);
    if (known) return known;
    let bytes: Tensor;
    let nbytes = 0;
    const name = `${prefix}data/${key}`;
    const device = deviceFor(location);
    if (!zip.has(name) && int(numel, 'storage numel', where) === 0) {
      // PyTorch writes empty storages too, but tolerate their absence.
      bytes = zeros([0], { dtype: 'uint8' });
      internal.push(bytes);
    } else if (options.mmap && device === 'cpu') {
      const e = zip.entry(name);
      mapping ??= native.mapFile(zip.fd, zip.size);
      nbytes = e.size;
      bytes = native.mappedStorage(mapping, e.dataOffset, e.size) as Tensor;
      internal.push(bytes);
    } else {
      const e = zip.entry(name);
      const { storage, crc } = native.readStorage(zip.fd, e.dataOffset, e.size) as { storage: Tensor; crc: number };
      nbytes = e.size;
      bytes = storage;
      internal.push(bytes);
      zip.checkCrc(name, crc, e.crc);
    }
    if (bytes.device !== device) internal.push((bytes = bytes.to(device)));
    const record = { bytes, nbytes };
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
