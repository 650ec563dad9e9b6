// The reflected, table-driven CRC-32 family, written once: CRC-32 (IEEE: ZIP, PNG, zlib) and CRC-32C
// (Castagnoli: TFRecord framing). Both start from and end with all ones, and continue from a previous
// value when data comes in pieces.
import * as zlib from 'zlib';

const IEEE = 0xedb88320;
const CASTAGNOLI = 0x82f63b78;
const tables = new Map<number, Uint32Array>();

function tableOf(poly: number): Uint32Array {
  let t = tables.get(poly);
  if (t) return t;
  t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? poly ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  tables.set(poly, t);
  return t;
}

function crcWith(poly: number, data: Uint8Array, crc: number): number {
  const t = tableOf(poly);
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** CRC-32 (IEEE), continuing from `crc`: zlib's own where Node has it (20.15/22.2 on), else the table. */
export function crc32(data: Uint8Array, crc = 0): number {
  const native = (zlib as unknown as { crc32?: (d: Uint8Array, v?: number) => number }).crc32;
  return native ? native(data, crc) >>> 0 : crcWith(IEEE, data, crc);
}

/** CRC-32C (Castagnoli), continuing from `crc`. */
export function crc32c(data: Uint8Array, crc = 0): number {
  return crcWith(CASTAGNOLI, data, crc);
}
