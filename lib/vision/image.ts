// PNG and JPEG ⇄ uint8 tensors [C, H, W], as torchvision.io.decode_image / Pillow read them.
// PNG through pngjs, JPEG through jpeg-js (pure JS, no native build, bounded memory).
import * as fs from 'fs';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { TorchError } from '../errors';
import { tensor as fromTyped, type Tensor } from '../tensor';
import { tidy } from '../memory';
import { atomicWrite } from '../utils/atomic';
import { optionKeys, readOptions } from '../utils/options';

export interface DecodeOptions {
  /**
   * Channels of the result: 1 (grayscale, Pillow's convert('L')), 3 (RGB), 4 (RGBA), or 0 (default):
   * as stored in the file (1 for grayscale, 3 for colour, 4 for anything with transparency).
   */
  channels?: 0 | 1 | 3 | 4;
  /** The largest image decoded, in megapixels (default 100, jpeg-js's guard against decompression bombs). */
  maxMegapixels?: number;
}

// The keys of DecodeOptions, a list the compiler keeps complete, for readOptions at the entry.
const DECODE = optionKeys<DecodeOptions>({ channels: true, maxMegapixels: true });

type Format = 'png' | 'jpeg';

function sniff(bytes: Uint8Array): Format | null {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}

// A JPEG cut short has no end-of-image marker after its last scan. (0xFF 0xD9 cannot occur inside
// entropy-coded data, where 0xFF is always followed by 0x00 or a restart marker.)
function jpegComplete(bytes: Uint8Array): boolean {
  let sos = -1;
  for (let i = bytes.length - 2; i >= 2; i--) {
    if (bytes[i] === 0xff && bytes[i + 1] === 0xda) {
      sos = i;
      break;
    }
  }
  if (sos < 0) return false;
  for (let i = sos + 2; i < bytes.length - 1; i++) if (bytes[i] === 0xff && bytes[i + 1] === 0xd9) return true;
  return false;
}

// The number of colour components in the frame header (SOFn): 1 for a grayscale JPEG.
function jpegComponents(bytes: Uint8Array): number {
  let i = 2;
  while (i + 9 < bytes.length && bytes[i] === 0xff) {
    const marker = bytes[i + 1];
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return bytes[i + 9];
    i += 2 + ((bytes[i + 2] << 8) | bytes[i + 3]);
  }
  return 3;
}

/** Interleaved pixels (HWC, `stride` bytes each) → [channels, H, W] uint8, converting as Pillow does. */
function toChw(px: Uint8Array, stride: number, h: number, w: number, channels: number): Tensor {
  const n = h * w;
  const out = new Uint8Array(channels * n);
  if (channels === 1) {
    // Pillow's L = R·299/1000 + G·587/1000 + B·114/1000, in its fixed-point form (ImagingConvert L24).
    for (let i = 0; i < n; i++) {
      const r = px[i * stride], g = px[i * stride + 1], b = px[i * stride + 2];
      out[i] = stride < 3 ? r : (r * 19595 + g * 38470 + b * 7471 + 0x8000) >>> 16;
    }
  } else {
    for (let c = 0; c < channels; c++) {
      const plane = c * n;
      if (c === 3 && stride < 4) out.fill(255, plane, plane + n);
      else for (let i = 0; i < n; i++) out[plane + i] = px[i * stride + (stride < 3 ? 0 : c)];
    }
  }
  return fromTyped(out, { dtype: 'uint8', shape: [channels, h, w] });
}

function decodePng(bytes: Uint8Array, options: DecodeOptions): Tensor {
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  // pngjs gives RGBA; the file's own channel count comes from its colour type (and tRNS transparency).
  const own = png.alpha ? 4 : png.color ? 3 : 1;
  checkSize(png.width, png.height, options);
  return toChw(png.data, 4, png.height, png.width, options.channels || own);
}

function decodeJpeg(bytes: Uint8Array, options: DecodeOptions): Tensor {
  if (!jpegComplete(bytes)) throw new Error('truncated JPEG data (no end-of-image marker)');
  const img = jpeg.decode(bytes, {
    useTArray: true,
    formatAsRGBA: false,
    maxResolutionInMP: options.maxMegapixels ?? 100,
    maxMemoryUsageInMB: 1024,
  }) as { width: number; height: number; data: Uint8Array; comps?: number };
  const stride = img.data.length / (img.width * img.height);
  return toChw(img.data, stride, img.height, img.width, options.channels || (jpegComponents(bytes) === 1 ? 1 : 3));
}

function checkSize(w: number, h: number, options: DecodeOptions): void {
  const max = (options.maxMegapixels ?? 100) * 1e6;
  if (w * h > max) throw new Error(`the image is ${w}×${h}, over the ${max / 1e6} megapixel limit`);
}

/**
 * torchvision.io.decode_image: a PNG or JPEG file (path) or its bytes → uint8 [C, H, W].
 * Errors name the file (or 'buffer') and say what is wrong: not an image, truncated, corrupt.
 */
export function decodeImage(input: string | Uint8Array, options: DecodeOptions = {}): Tensor {
  options = readOptions('decodeImage', options, DECODE);
  const name = typeof input === 'string' ? `'${input}'` : 'buffer';
  if (![undefined, 0, 1, 3, 4].includes(options.channels)) throw new TorchError(`decodeImage: channels must be 0, 1, 3 or 4, got ${options.channels}`);
  let bytes: Uint8Array;
  if (typeof input === 'string') {
    try {
      bytes = fs.readFileSync(input);
    } catch (e) {
      throw new TorchError(`decodeImage: cannot read ${name}: ${(e as Error).message}`);
    }
  } else if (input instanceof Uint8Array) {
    bytes = input;
  } else {
    throw new TorchError('decodeImage: expected a file path or a Uint8Array/Buffer of PNG or JPEG bytes');
  }
  const format = sniff(bytes);
  if (format === null) throw new TorchError(`decodeImage: ${name} is not a PNG or JPEG image`);
  try {
    return format === 'png' ? decodePng(bytes, options) : decodeJpeg(bytes, options);
  } catch (e) {
    if (e instanceof TorchError) throw e;
    const why = typeof e === 'string' ? e : (e as Error).message;
    throw new TorchError(`decodeImage: ${name} is not a valid ${format === 'png' ? 'PNG' : 'JPEG'} image: ${why}`);
  }
}

/** An image [C, H, W] (C = 1, 3 or 4; uint8, or float in [0, 1]) → PNG bytes. */
export function encodePng(image: Tensor): Buffer {
  if (image.ndim !== 3 || ![1, 3, 4].includes(image.shape[0])) {
    throw new TorchError(`toPng: expected an image [C, H, W] with 1, 3 or 4 channels, got shape [${image.shape.join(', ')}]`);
  }
  const [c, h, w] = image.shape;
  // HWC uint8 on the CPU: floats are scaled from [0, 1] and rounded, as torchvision's to_pil_image.
  const hwc = tidy(() => {
    const u8 = image.dtype === 'uint8' ? image.cpu() : image.cpu().mul(255).round().clamp(0, 255).to('uint8');
    return u8.permute([1, 2, 0]).contiguous().toTypedArray() as Uint8Array;
  });
  const colorType = c === 1 ? 0 : c === 3 ? 2 : 6;
  const png = new PNG({ width: w, height: h });
  png.data = Buffer.from(hwc.buffer, hwc.byteOffset, hwc.byteLength);
  return PNG.sync.write(png, { colorType, inputColorType: colorType, inputHasAlpha: c === 4 });
}

/** toPng(image): the PNG bytes; toPng(image, file) also writes them to file (atomically: temp, fsync, rename). */
export function toPng(image: Tensor, file?: string): Buffer {
  const bytes = encodePng(image);
  if (file !== undefined) {
    try {
      atomicWrite(file, (fd) => fs.writeFileSync(fd, bytes));
    } catch (e) {
      throw new TorchError(`toPng: cannot write '${file}': ${(e as Error).message}`);
    }
  }
  return bytes;
}
