// Tensor data -> the raw little-endian storage bytes of a .pth file (archive/data/<key>), and the
// storage type names. float16 and bfloat16 travel through float32 on our side (toTypedArray() uses
// Float32Array for them); every float16/bfloat16 value is exactly representable in float32, so the
// round trip is bit-exact apart from NaN payloads. (Loading reads storages natively: see load.ts.)
import * as os from 'os';
import type { DType } from '../dtype';
import { TorchError } from '../errors';
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

// ---- float32 -> float16 bits ----

/** float32 bits -> float16 bits, rounding to nearest even (exact for values that are float16 already). */
function floatBitsToHalf(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  let shift: number;
  let h: number;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    shift = 14 - e;
    h = mant >>> shift;
  } else {
    shift = 13;
    h = (e << 10) | (mant >>> 13);
  }
  const rem = mant & ((1 << shift) - 1);
  const halfway = 1 << (shift - 1);
  if (rem > halfway || (rem === halfway && h & 1)) h++;
  return sign | h;
}

/** A tensor's data as contiguous little-endian storage bytes (copied to the CPU). */
export function tensorBytes(t: Tensor): Uint8Array {
  const typed = t.toTypedArray();
  const raw = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
  if (t.dtype === 'float16' || t.dtype === 'bfloat16') {
    const f32 = new Uint32Array(typed.buffer, typed.byteOffset, typed.length);
    const out = new Uint16Array(f32.length);
    if (t.dtype === 'bfloat16') for (let i = 0; i < f32.length; i++) out[i] = f32[i] >>> 16;
    else for (let i = 0; i < f32.length; i++) out[i] = floatBitsToHalf(f32[i]);
    return new Uint8Array(out.buffer);
  }
  if (t.dtype === 'bool') return Uint8Array.from(raw, (v) => (v ? 1 : 0));
  return raw;
}

/** Row-major strides, as PyTorch computes them (a size-0 dimension counts as 1). */
export function contiguousStrides(shape: number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= Math.max(shape[i], 1);
  }
  return strides;
}
