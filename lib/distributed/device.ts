// The device of one rank of a distributed run, torchrun's convention of one process per GPU: the rank with
// LOCAL_RANK=i uses cuda:i (PyTorch scripts write torch.device('cuda', local_rank) and
// torch.cuda.set_device(local_rank)); without CUDA every rank uses the CPU.
import { cuda } from '../cuda';
import { TorchError } from '../errors';

/**
 * The device for LOCAL_RANK `localRank` on a machine with `cudaDevices` visible GPUs: 'cpu' without one,
 * 'cuda:LOCAL_RANK' with, 'cuda' (the current device) when LOCAL_RANK is not set. A LOCAL_RANK with no GPU
 * of its own is a TorchError: ranks sharing a GPU is never what a launcher meant.
 */
export function localDevice(localRank: string | undefined, cudaDevices: number): string {
  if (cudaDevices <= 0) return 'cpu';
  if (localRank === undefined || localRank === '') return 'cuda';
  if (!/^\d+$/.test(localRank)) throw new TorchError(`distributed.defaultDevice: LOCAL_RANK must be a non-negative integer, got '${localRank}'`);
  const index = Number(localRank);
  if (index >= cudaDevices) {
    throw new TorchError(
      `distributed.defaultDevice: LOCAL_RANK ${index} has no GPU of its own: this machine has ${cudaDevices} CUDA device(s) (start at most ${cudaDevices} ranks per machine, --nproc-per-node)`,
    );
  }
  return `cuda:${index}`;
}

/** libtorch-node: this rank's default device, from LOCAL_RANK (set by torchrun and `libtorch-node launch`) and the visible GPUs. */
export function defaultDevice(): string {
  return localDevice(process.env.LOCAL_RANK, cuda.isAvailable() ? cuda.deviceCount() : 0);
}
