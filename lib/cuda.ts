// torch.cuda: availability, device count, synchronisation. In a CPU-only build every query says "none".
import { native } from './native';

export const cuda = {
  /** True when this build has CUDA and a GPU is visible. */
  isAvailable(): boolean {
    return native.cuda.isAvailable();
  },
  deviceCount(): number {
    return native.cuda.deviceCount();
  },
  cudnnIsAvailable(): boolean {
    return native.cuda.cudnnIsAvailable();
  },
  /** Waits for all work on the device (all devices when none is given). */
  synchronize(device?: number): void {
    native.cuda.synchronize(device);
  },
  /** Returns cached, unused blocks of the caching allocator to the driver. */
  emptyCache(): void {
    native.cuda.emptyCache();
  },
  manualSeedAll(seed: number): void {
    native.cuda.manualSeedAll(seed);
  },
  /** Whether the addon was compiled against a CUDA libtorch. */
  compiled: native.cuda.compiled as boolean,
};
