// Tensor data <-> the raw little-endian storage bytes of a .pth file (archive/data/<key>).
// float16 and bfloat16 travel through float32 on our side (tensor()/toTypedArray() use Float32Array
// for them); every float16/bfloat16 value is exactly representable in float32, so the round trip
// is bit-exact apart from NaN payloads.
import * as os from 'os';
import type { DType } from '../dtype';
import { TorchError } from '../errors';
import { tensor, type Tensor } from '../tensor';

type Typed = Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array | BigInt64Array;

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

// ---- float16 / bfloat16 bit conversions ----

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

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

/** Contiguous storage bytes (any alignment) -> a typed array that tensor() accepts for `dtype`. */
export function bytesToTyped(bytes: Uint8Array, dtype: DType): Typed {
  // A fresh copy: aligned for the typed array and independent of the file buffer.
  const buf = new Uint8Array(bytes.length);
  buf.set(bytes);
  const ab = buf.buffer;
  switch (dtype) {
    case 'float32':
      return new Float32Array(ab);
    case 'float64':
      return new Float64Array(ab);
    case 'int64':
      return new BigInt64Array(ab);
    case 'int32':
      return new Int32Array(ab);
    case 'int16':
      return new Int16Array(ab);
    case 'int8':
      return new Int8Array(ab);
    case 'uint8':
    case 'bool':
      return buf;
    case 'float16':
      return Float32Array.from(new Uint16Array(ab), halfToFloat);
    case 'bfloat16': {
      // bfloat16 is the upper half of a float32.
      const bits = new Uint16Array(ab);
      const out = new Uint32Array(bits.length);
      for (let i = 0; i < bits.length; i++) out[i] = bits[i] << 16;
      return new Float32Array(out.buffer);
    }
  }
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

/**
 * torch.as_strided on raw storage bytes: the elements of a (size, stride, offset) view, gathered
 * in row-major order into a new tensor. `where` names the record for errors.
 */
export function rebuildTensor(
  storage: Uint8Array,
  dtype: DType,
  offset: number,
  size: number[],
  stride: number[],
  device: string,
  where: string,
): Tensor {
  const es = ELEMENT_SIZE[dtype];
  const storageNumel = Math.floor(storage.length / es);
  const numel = size.reduce((a, b) => a * b, 1);
  if (size.length !== stride.length) throw new TorchError(`load: ${where}: size [${size}] and stride [${stride}] differ in length`);
  let out: Uint8Array;
  if (numel === 0) {
    out = new Uint8Array(0);
  } else {
    // The furthest element the view reaches must lie inside the storage (negative strides cannot occur).
    let last = offset;
    for (let d = 0; d < size.length; d++) {
      if (stride[d] < 0) throw new TorchError(`load: ${where}: negative stride ${stride[d]}`);
      last += (size[d] - 1) * stride[d];
    }
    if (offset < 0 || last >= storageNumel) {
      throw new TorchError(`load: ${where}: a tensor of size [${size}], stride [${stride}], offset ${offset} reaches element ${last} but the storage holds ${storageNumel}`);
    }
    const contiguous = contiguousStrides(size).every((s, d) => s === stride[d] || size[d] === 1);
    if (contiguous) {
      out = storage.subarray(offset * es, (offset + numel) * es);
    } else {
      out = new Uint8Array(numel * es);
      const idx = new Array<number>(size.length).fill(0);
      for (let i = 0; i < numel; i++) {
        let e = offset;
        for (let d = 0; d < size.length; d++) e += idx[d] * stride[d];
        out.set(storage.subarray(e * es, (e + 1) * es), i * es);
        for (let d = size.length - 1; d >= 0; d--) {
          if (++idx[d] < size[d]) break;
          idx[d] = 0;
        }
      }
    }
  }
  return tensor(bytesToTyped(out, dtype), { shape: size, dtype, device });
}
