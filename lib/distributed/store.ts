// The default process group's store (its TCPStore, under the group's prefix; PyTorch's _get_default_store()),
// with c10d::Store's vocabulary: get, compare_set, check. It is what ranks agree through outside collectives,
// host-side only, with no device sync: fit() uses it for the step every rank stops after (train/fit_rank_stop.ts).
// Each call is a round trip to the store's host (rank 0, or torchrun's agent), made on the libuv pool, so the
// JS thread never waits on the network. Internal: lib/train reaches the store here, not through the addon.
import { native } from '../native';
import { TorchError } from '../errors';
import { isInitialized, requireBuilt } from './index';

export class DefaultStore {
  /** Store.get: the value of `key`, waiting (up to the group's timeout) until some rank has set it. */
  get(key: string): Promise<string> {
    return native.distributed.storeGet(key);
  }

  /**
   * Store.compare_set: sets `desired` where `key` holds `expected` ('' for a key not set yet) and resolves with
   * the value the key holds afterwards, so that the first of competing writers wins and every writer learns
   * which value won.
   */
  compareSet(key: string, expected: string, desired: string): Promise<string> {
    return native.distributed.storeCompareSet(key, expected, desired);
  }

  /** Store.check: whether every key in `keys` is set, without waiting for any. */
  async check(keys: string[]): Promise<boolean> {
    const set = await Promise.all(keys.map((k) => native.distributed.storeCheck(k)));
    return set.every(Boolean);
  }
}

/** The default group's store; a TorchError before initProcessGroup (or in a build without torch.distributed). */
export function defaultStore(where: string): DefaultStore {
  requireBuilt(where);
  if (!isInitialized()) throw new TorchError(`${where}: Default process group has not been initialized, please make sure to call initProcessGroup.`);
  return new DefaultStore();
}
