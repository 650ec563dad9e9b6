// torch.cuda: availability, device count, synchronisation. In a CPU-only build every query says "none".
import { TorchError } from './errors';
import { native } from './native';

/** The index in a device given as PyTorch's set_device takes it: a number, 'cuda:N', or 'cuda' (the current one). */
function deviceIndex(device: number | string, where: string): number {
  if (typeof device === 'number' && Number.isInteger(device)) return device;
  if (typeof device === 'string') {
    const m = /^cuda(?::(\d+))?$/.exec(device);
    if (m) return m[1] === undefined ? -1 : Number(m[1]);
  }
  throw new TorchError(`${where}: expected a CUDA device index or 'cuda:N', got ${JSON.stringify(device)}`);
}

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
  /**
   * torch.cuda.set_device: the device that 'cuda' without an index means from now on (the CUDA runtime's
   * current device, of this thread). A negative index does nothing, as in PyTorch.
   */
  setDevice(device: number | string): void {
    const index = deviceIndex(device, 'cuda.setDevice');
    if (index >= 0) native.cuda.setDevice(index);
  },
  /** torch.cuda.current_device(): the index 'cuda' stands for. */
  currentDevice(): number {
    return native.cuda.currentDevice();
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
  compiled: native.cuda.compiled,
};
