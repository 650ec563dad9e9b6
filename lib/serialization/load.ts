// torch.load for PyTorch's zip checkpoints (torch.save since 1.6), restricted like weights_only=True.
import * as fs from 'fs';
import { cuda } from '../cuda';
import { TorchError } from '../errors';
import { isTensor, type Tensor } from '../tensor';
import { PyDict, PyGlobal, PyOrderedDict, unpickle, type UnpickleHooks } from './pickle';
import { DTYPE_OF_STORAGE } from './storage';
import { int, ints, PendingTensor, TensorTable, type StoragePlacement, type StorageRef } from './tensor_table';
import { toJs, TORCH_DTYPES } from './to_js';
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
  /**
   * PyTorch's weights_only: true is what this loader always does (only the allowlisted globals: tensors,
   * containers, numbers, strings); false is refused, since arbitrary pickles are never executed here.
   */
  weightsOnly?: boolean;
}

// The keys of LoadOptions, a list the compiler keeps complete, for readOptions at the entry.
const TORCH_LOAD = optionKeys<LoadOptions>({ device: true, mapLocation: true, mmap: true, weightsOnly: true });

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

for (const name of Object.keys(TORCH_DTYPES)) ALLOWED.add(`torch.${name}`);

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

/**
 * torch.load(path): the saved object as JS values. Dicts and OrderedDicts (state_dict(), whether
 * Python or this library wrote it) become plain objects when all their keys are strings that are not
 * integer-like (so key order is kept), Maps otherwise (e.g. an optimizer's {0: {...}} state); a state
 * dict's `_metadata` (module versions) is a non-enumerable `_metadata` property that save() writes
 * back. Tuples and lists become arrays; ints numbers (bigints beyond 2^53); tensors are Tensors.
 *
 * As in PyTorch, each storage is read once and every tensor lies over it (its offset, size and strides): tensors that
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
  const internal: Tensor[] = []; // storages map_location placed: handles freed at the end (the tensors keep the memory)
  try {
    return loadFrom(zip, file, options, internal) as T;
  } catch (e) {
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
  if (o.weightsOnly !== undefined && o.weightsOnly !== true) {
    throw new TorchError(`${where}: weightsOnly must be true (or left out): this loader never executes arbitrary pickles, it only rebuilds tensors, containers, numbers and strings, which is what weights_only=True means`);
  }
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

function loadFrom(zip: ZipReader, file: string, options: LoadOptions, internal: Tensor[]): unknown {
  const prefix = archivePrefix(zip);
  if (zip.has(prefix + 'byteorder')) {
    const order = zip.read(prefix + 'byteorder').toString('latin1').trim();
    if (order !== 'little') zip.fail(`byte order '${order}' is not supported (only little-endian)`);
  }
  const where = `'${file}' (${prefix}data.pkl)`;
  const table = new TensorTable(zip, prefix, where, placement(options.device, file), options.mmap === true);
  const raw = unpickle(zip.read(prefix + 'data.pkl'), where, ALLOWED, checkpointHooks(table, where));
  const tensors = table.build(internal);
  try {
    return toJs(raw, tensors);
  } catch (e) {
    for (const t of tensors) t.dispose();
    throw e;
  }
}

/** What torch.load's unpickler does with storages, calls and BUILD: weights_only's allowlist, tensors through `table`. */
function checkpointHooks(table: TensorTable, where: string): UnpickleHooks {
  const fail = (what: string): never => {
    throw new TorchError(`load: ${where}: ${what}`);
  };
  const persistentLoad = (pid: unknown): StorageRef => {
    if (!Array.isArray(pid) || pid.length !== 5 || pid[0] !== 'storage') fail("unexpected persistent id, expected ('storage', type, key, location, numel)");
    const [, type, key, location, numel] = pid as unknown[];
    const dtype = type instanceof PyGlobal && type.module === 'torch' ? DTYPE_OF_STORAGE.get(type.name) : undefined;
    if (!dtype) fail('unknown storage type in persistent id');
    if (typeof key !== 'string' || typeof location !== 'string') fail('bad storage key or location');
    return table.storage(key as string, location as string, numel, dtype!);
  };
  const rebuild = (args: unknown[]): PendingTensor => {
    const [storage, offset, size, stride] = args;
    if (!storage || typeof storage !== 'object' || !('nbytes' in storage)) fail('a tensor without storage');
    const t = table.tensor(storage as StorageRef, int(offset, 'storage offset', where), ints(size, 'size', where), ints(stride, 'stride', where));
    if (args[4] === true) table.requireGrad(t);
    return t;
  };
  const call = (fn: PyGlobal, args: unknown[]): unknown => {
    switch (fn.qualified) {
      case 'torch._utils._rebuild_tensor':
      case 'torch._utils._rebuild_tensor_v2':
        return rebuild(args);
      case 'torch._utils._rebuild_parameter':
      case 'torch._utils._rebuild_parameter_with_state': {
        // Parameter(data, requires_grad): our tensors carry requiresGrad themselves.
        const [data, requiresGrad] = args;
        if (!(data instanceof PendingTensor)) fail('a Parameter without tensor data');
        if (requiresGrad === true) table.requireGrad(data as PendingTensor);
        return data;
      }
      default:
        return callContainer(fn, args, fail);
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
    return obj instanceof PendingTensor && (state === null || (state instanceof Map && state.size === 0));
  };
  return { persistentLoad, call, build };
}

/** The allowed globals that are not tensors: OrderedDict, Counter, torch.Size, torch.device. */
function callContainer(fn: PyGlobal, args: unknown[], fail: (what: string) => never): unknown {
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
    case 'torch.Size':
      return Array.isArray(args[0]) ? args[0] : [];
    case 'torch.device':
      return args.length > 1 && args[1] !== null ? `${args[0]}:${args[1]}` : args[0];
    default:
      return fail(`'${fn.qualified}' cannot be called`);
  }
}

function checkMapLocation(map: unknown): void {
  if (typeof map === 'string' || typeof map === 'function') return;
  if (map !== null && typeof map === 'object' && !Array.isArray(map) && Object.values(map).every((d) => typeof d === 'string')) return;
  throw new TorchError(`load(): argument 'device' (map_location) must be a device string, an object of saved location -> device strings, or a function (storage, location) => storage, not ${describeValue(map)}`);
}

/** torch.serialization's _get_restore_location: map_location's forms over default_restore_location. */
function placement(map: MapLocation | undefined, file: string): StoragePlacement {
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
