// A PNG encoder for 8-bit grey, RGB and RGBA images (zlib from Node, no filter: small images, exact
// pixels). Used for TensorBoard image summaries and the report's image grid.
import { TorchError } from '../errors';
import { deflateSync } from 'zlib';
import { crc32 } from './crc';

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

const COLOR_TYPE: Record<number, number> = { 1: 0, 3: 2, 4: 6 };

/** Encodes `pixels` (height × width × channels bytes, row-major, channels 1, 3 or 4) as a PNG file. */
export function encodePng(pixels: Uint8Array, width: number, height: number, channels: 1 | 3 | 4): Buffer {
  if (!(channels in COLOR_TYPE)) throw new TorchError(`encodePng: channels must be 1, 3 or 4, got ${channels}`);
  if (pixels.length !== width * height * channels) {
    throw new TorchError(`encodePng: ${pixels.length} bytes for a ${height}x${width}x${channels} image (expected ${width * height * channels})`);
  }
  const stride = width * channels;
  const raw = new Uint8Array(height * (stride + 1)); // each row: filter byte 0, then the row
  for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = COLOR_TYPE[channels];
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}
