// What every torch.distributed entry checks first: that this build has a process-group backend and that the
// default group exists. A leaf module, so that index.ts and store.ts both use it without an import cycle.
import { TorchError } from '../errors';
import { native } from '../native';

const NOT_BUILT = 'torch.distributed is not in this build: it needs gloo\'s headers at build time (apt-get install libgloo-dev, then rebuild: npm run build)';

/** The TorchError every entry gives in a build without a backend. */
export function requireBuilt(where: string): void {
  if (!native.distributed.isAvailable()) throw new TorchError(`${where}: ${NOT_BUILT}`);
}

/** Whether the default process group has been initialized (dist.is_initialized). */
export function isInitialized(): boolean {
  requireBuilt('isInitialized');
  return native.distributed.info() !== null;
}
