// The storages of a .pth file (archive/data/<key>): a tensor's whole storage, its raw little-endian bytes,
// and the storage type names. (Loading reads storages natively: see load.ts.)
import * as os from 'os';
import type { DType } from '../dtype';
import { TorchError } from '../errors';
import { native } from '../native';
import type { Tensor } from '../tensor';

/** PyTorch's legacy storage class names (torch.FloatStorage, …) by dtype, as torch.save pickles them. */
export const STORAGE_OF: Record<DType, string> = {
  float32: 'FloatStorage',
  float64: 'DoubleStorage',
  float16: 'HalfStorage',
  bfloat16: 'BFloat16Storage',
  int64: 'LongStorage',
  int32: 'IntStorage',
  int16: 'ShortStorage',
  int8: 'CharStorage',
  uint8: 'ByteStorage',
  bool: 'BoolStorage',
};

export const DTYPE_OF_STORAGE: ReadonlyMap<string, DType> = new Map(
  Object.entries(STORAGE_OF).map(([d, s]) => [s, d as DType]),
);

export const ELEMENT_SIZE: Record<DType, number> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

if (os.endianness() !== 'LE') {
  // The format is little-endian and we reinterpret bytes as typed arrays in place.
  throw new TorchError('serialization: big-endian hosts are not supported');
}

/** What torch.save writes for a tensor: its storage, and where in it the tensor lies. */
export interface StorageView {
  /** A uint8 view of the tensor's whole storage, on its device (dispose it when written). */
  bytes: Tensor;
  /** The storage's identity: tensors sharing a storage have the same id (the file holds it once). */
  id: string;
  /** The tensor's storage offset, in elements. */
  offset: number;
  /** The tensor's strides, in elements. */
  stride: number[];
}

/**
 * A tensor's storage, storage offset and strides, as PyTorch's _rebuild_tensor_v2 records them: a view of
 * part of a larger tensor, a channels_last or a transposed tensor keep their layout through save and load.
 */
export function storageOf(t: Tensor): StorageView {
  return native.storageOf(t) as StorageView;
}

/** The location torch.save records for a storage: 'cpu' or 'cuda:N' (PyTorch's location_tag). */
export function locationOf(t: Tensor): string {
  const device = t.device;
  return device === 'cuda' ? 'cuda:0' : device;
}
