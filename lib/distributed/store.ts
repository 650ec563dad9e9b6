// torch.distributed's key-value stores over c10d's own (native/store.cc): dist.TCPStore, a store of the
// caller's (PyTorch's TCPStore(host_name, port, world_size, is_master, timeout, wait_for_workers)), and the
// default process group's store (PyTorch's _get_default_store(): its TCPStore under the group's prefix), through
// which fit() agrees on the step every rank stops after (lib/train/fit_rank_stop.ts), so lib/train reaches the
// store here rather than through the addon. c10d::Store's vocabulary: set, get, add, compare_set, check,
// wait, delete_key, num_keys. Values are bytes, as in PyTorch: a string is sent as UTF-8 and every value
// read comes back as a Buffer. Each call is a round trip to the store's server (and get and wait may wait for
// another process), made on the libuv pool: the JS thread never waits on the network.
import { TorchError } from '../errors';
import { native, type StoreHandle } from '../native';
import { optionKeys, readOptions } from '../utils/options';
import { isInitialized, requireBuilt } from './built';

/** A value to store: a string (sent as UTF-8) or bytes. */
export type StoreValue = string | Uint8Array;

function bytes(value: StoreValue, where: string): Buffer {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw new TorchError(`${where}: value must be a string or a Uint8Array, got ${typeof value}`);
}

function checkKeys(keys: string[], where: string): string[] {
  if (!Array.isArray(keys)) throw new TorchError(`${where}: keys must be an array of strings (PyTorch's List[str])`);
  return keys;
}

/** torch.distributed.Store: a key-value store the processes of a job share. */
export class Store {
  /** @internal */
  protected constructor(private readonly handle: Promise<StoreHandle>) {}

  /** The default process group's store; a TorchError before initProcessGroup. @internal */
  static ofDefaultGroup(where: string): Store {
    requireBuilt(where);
    if (!isInitialized()) throw new TorchError(`${where}: Default process group has not been initialized, please make sure to call initProcessGroup.`);
    return new Store(Promise.resolve(native.distributed.defaultStore()));
  }

  /** set(key, value). */
  async set(key: string, value: StoreValue): Promise<void> {
    const v = bytes(value, 'Store.set');
    return native.distributed.storeSet(await this.handle, key, v);
  }

  /** get(key): the value, waiting (up to the store's timeout) until some process has set the key. */
  async get(key: string): Promise<Buffer> {
    return native.distributed.storeGet(await this.handle, key);
  }

  /** add(key, amount): adds to the key's integer value (a key not set counts as 0); resolves with the sum. */
  async add(key: string, amount: number): Promise<number> {
    return native.distributed.storeAdd(await this.handle, key, amount);
  }

  /**
   * compare_set(key, expected, desired): sets `desired` where the key holds `expected` ('' for a key not set
   * yet); resolves with the value the key holds afterwards, so the first of competing writers wins and every
   * writer learns which value won.
   */
  async compareSet(key: string, expected: StoreValue, desired: StoreValue): Promise<Buffer> {
    const [e, d] = [bytes(expected, 'Store.compareSet'), bytes(desired, 'Store.compareSet')];
    return native.distributed.storeCompareSet(await this.handle, key, e, d);
  }

  /** check(keys): whether every key is set, without waiting. */
  async check(keys: string[]): Promise<boolean> {
    return native.distributed.storeCheck(await this.handle, checkKeys(keys, 'Store.check'));
  }

  /** wait(keys, timeout?): until every key is set; rejects after `timeout` ms (default: the store's timeout). */
  async wait(keys: string[], timeout?: number): Promise<void> {
    if (timeout !== undefined && !(Number.isInteger(timeout) && timeout > 0)) throw new TorchError(`Store.wait: timeout must be a positive number of milliseconds, got ${timeout}`);
    return native.distributed.storeWait(await this.handle, checkKeys(keys, 'Store.wait'), timeout);
  }

  /** delete_key(key): whether the key was there. */
  async deleteKey(key: string): Promise<boolean> {
    return native.distributed.storeDeleteKey(await this.handle, key);
  }

  /** num_keys(): the keys set, the store's own bookkeeping keys included (as PyTorch counts them). */
  async numKeys(): Promise<number> {
    return native.distributed.storeNumKeys(await this.handle);
  }
}

export interface TCPStoreOptions {
  /** The processes that will use the store, clients and master (PyTorch's world_size; default: not given). */
  worldSize?: number;
  /** Host the store's server here (default false: connect to it). */
  isMaster?: boolean;
  /** Milliseconds to wait for the connection, and for get and wait (PyTorch's default: 300 s). */
  timeout?: number;
  /** The master waits for worldSize clients before it is ready (default true, as PyTorch). */
  waitForWorkers?: boolean;
}

// The keys of TCPStoreOptions, a list the compiler keeps complete, for readOptions at the entry.
const TCP_STORE = optionKeys<TCPStoreOptions>({ worldSize: true, isMaster: true, timeout: true, waitForWorkers: true });

const DEFAULT_STORE_TIMEOUT_MS = 300_000;

/**
 * torch.distributed.TCPStore(hostName, port, {worldSize, isMaster, timeout, waitForWorkers}): the master hosts
 * the store on `port`, the others connect to hostName:port. It interoperates with PyTorch's own TCPStore of the
 * same version. The constructor returns at once; `ready` resolves once the store is up (the server listening, a
 * client connected, and with waitForWorkers the master joined by worldSize processes), and every method waits
 * for it (a store that cannot come up rejects `ready` and every call).
 */
export class TCPStore extends Store {
  readonly host: string;
  readonly port: number;
  readonly ready: Promise<void>;

  constructor(hostName: string, port: number, options: TCPStoreOptions = {}) {
    const o = readOptions('TCPStore', options, TCP_STORE);
    requireBuilt('TCPStore');
    if (typeof hostName !== 'string' || hostName === '') throw new TorchError(`TCPStore: hostName must be a non-empty string, got ${String(hostName)}`);
    if (!(Number.isInteger(port) && port >= 1 && port <= 65535)) throw new TorchError(`TCPStore: port must be an integer in 1..65535, got ${port}`);
    if (o.worldSize !== undefined && !(Number.isInteger(o.worldSize) && o.worldSize >= 1)) throw new TorchError(`TCPStore: worldSize must be a positive integer, got ${o.worldSize}`);
    const timeout = o.timeout ?? DEFAULT_STORE_TIMEOUT_MS;
    if (!(Number.isInteger(timeout) && timeout > 0)) throw new TorchError(`TCPStore: timeout must be a positive number of milliseconds, got ${timeout}`);
    const handle = native.distributed.tcpStore(hostName, port, o.worldSize ?? -1, o.isMaster ?? false, timeout, o.waitForWorkers ?? true);
    super(handle);
    this.host = hostName;
    this.port = port;
    this.ready = handle.then(() => undefined);
    this.ready.catch(() => undefined); // surfaced by whoever awaits ready or calls a method, not as an unhandled rejection
  }
}
