// CRC-32C (Castagnoli), the checksum of TFRecord framing, and TensorFlow's "masked" form of it
// (tensorflow/core/lib/hash/crc32c.h): a CRC of data that itself holds CRCs is a weak check, so the
// stored value is rotated and offset.
import { crc32c } from '../crc';
export { crc32c };

export function maskedCrc32c(bytes: Uint8Array): number {
  const crc = crc32c(bytes);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}
