// decodeImage against Pillow's decoding of the same files (exact for PNG), resize against
// torch.nn.functional.interpolate (torchvision's algorithm for uint8 tensors), normalize, toPng
// round trips, and errors that name the file.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { TorchError, vision } from '../../lib';
import { maxDiff, type Nested } from '../helpers/compare';
import { hasPythonTorch, runPython } from '../helpers/python';

const havePython = hasPythonTorch() && (() => {
  try {
    runPython('import PIL\nprint(1)');
    return true;
  } catch {
    return false;
  }
})();

let dir: string;
let ref: Record<string, { shape: number[]; data: number[] }>;

// Python writes the images and returns Pillow's decoding of each (CHW, flattened), plus resizes.
const GENERATE = `
import numpy as np, torch, torch.nn.functional as F
from PIL import Image
d = inp['dir']
rng = np.random.default_rng(0)
noise = rng.integers(0, 256, (13, 17, 3), dtype=np.uint8)
y, x = np.mgrid[0:40, 0:48]
smooth = np.stack([x * 4 + 30, y * 5 + 20, 200 - (x + y) * 2], -1).astype(np.uint8)
smooth[(y - 20) ** 2 + (x - 24) ** 2 < 100] = [240, 60, 60]
Image.fromarray(noise).save(d + '/rgb.png')
Image.fromarray(np.dstack([noise, rng.integers(0, 256, (13, 17), dtype=np.uint8)])).save(d + '/rgba.png')
Image.fromarray(noise[:, :, 1]).save(d + '/gray.png')
Image.fromarray(smooth).convert('P', palette=Image.ADAPTIVE, colors=16).save(d + '/palette.png')
Image.fromarray(noise).save(d + '/q444.jpg', quality=90, subsampling=0)
Image.fromarray(smooth).save(d + '/q420.jpg', quality=90)
Image.fromarray(noise[:, :, 0]).save(d + '/gray.jpg', quality=90)
def chw(a):
    a = np.asarray(a)
    a = a[:, :, None] if a.ndim == 2 else a
    return {'shape': [a.shape[2], a.shape[0], a.shape[1]], 'data': a.transpose(2, 0, 1).flatten().tolist()}
out = {}
for name, mode in [('rgb.png', 'RGB'), ('rgba.png', 'RGBA'), ('gray.png', 'L'), ('palette.png', 'RGB'),
                   ('q444.jpg', 'RGB'), ('q420.jpg', 'RGB'), ('gray.jpg', 'L')]:
    out[name] = chw(Image.open(d + '/' + name).convert(mode))
out['rgba.png:RGB'] = chw(Image.open(d + '/rgba.png').convert('RGB'))
out['rgb.png:L'] = chw(Image.open(d + '/rgb.png').convert('L'))
out['q420.jpg:L'] = chw(Image.open(d + '/q420.jpg').convert('RGB').convert('L'))
img = torch.tensor(np.asarray(Image.open(d + '/rgb.png'))).permute(2, 0, 1)
def resize(size, mode, aa):
    y = F.interpolate(img[None].float(), size=size, mode=mode, antialias=aa, **({} if mode == 'nearest' else {'align_corners': False}))
    y = y.round().clamp(0, 255).to(torch.uint8)[0] if mode != 'nearest' else y.to(torch.uint8)[0]
    return {'shape': list(y.shape), 'data': y.flatten().tolist()}
out['down'] = resize([7, 9], 'bilinear', True)
out['up'] = resize([20, 30], 'bilinear', False)
out['nearest'] = resize([5, 6], 'nearest', False)
norm = (img.float() / 255 - torch.tensor([0.4914, 0.4822, 0.4465])[:, None, None]) / torch.tensor([0.2023, 0.1994, 0.2010])[:, None, None]
out['normalized'] = {'shape': list(norm.shape), 'data': norm.flatten().tolist()}
print(json.dumps(out))
`;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-vision-'));
  if (havePython) ref = runPython(GENERATE, { dir });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const data = (t: torch.Tensor) => Array.from(t.toTypedArray() as ArrayLike<number>);
const file = (name: string) => path.join(dir, name);

function diffStats(ours: torch.Tensor, want: { shape: number[]; data: number[] }): { max: number; mean: number } {
  expect(ours.shape).toEqual(want.shape);
  const a = data(ours);
  let max = 0;
  let sum = 0;
  a.forEach((v, i) => {
    const d = Math.abs(v - want.data[i]);
    max = Math.max(max, d);
    sum += d;
  });
  return { max, mean: sum / a.length };
}

describe.skipIf(!havePython)('decodeImage equals Pillow', () => {
  for (const name of ['rgb.png', 'rgba.png', 'gray.png', 'palette.png']) {
    it(`${name}: exactly, with the file's own channel count`, () => {
      const img = vision.decodeImage(file(name));
      expect(img.dtype).toBe('uint8');
      expect(data(img)).toEqual(ref[name].data);
      expect(img.shape).toEqual(ref[name].shape);
    });
  }

  it('reads a Buffer as it reads the file', () => {
    expect(data(vision.decodeImage(fs.readFileSync(file('rgb.png'))))).toEqual(ref['rgb.png'].data);
  });

  it('channels: 3 drops alpha and channels: 1 is Pillow’s convert("L"), exactly', () => {
    expect(data(vision.decodeImage(file('rgba.png'), { channels: 3 }))).toEqual(ref['rgba.png:RGB'].data);
    expect(data(vision.decodeImage(file('rgb.png'), { channels: 1 }))).toEqual(ref['rgb.png:L'].data);
  });

  // JPEG decoders may differ: the standard bounds the IDCT's error, not its exact rounding, so
  // libjpeg (Pillow) and jpeg-js differ by a unit or two per sample; the YCbCr → RGB conversion adds
  // up to 1.402 × that in R and B. Subsampled chroma is upsampled by replication in jpeg-js and by
  // interpolation ("fancy upsampling") in libjpeg: equal on average, apart at colour edges.
  it('a grayscale JPEG within 1 of Pillow', () => {
    expect(diffStats(vision.decodeImage(file('gray.jpg')), ref['gray.jpg']).max).toBeLessThanOrEqual(1);
  });
  it('a 4:4:4 JPEG within 3 of Pillow', () => {
    const img = vision.decodeImage(file('q444.jpg'));
    expect(img.shape).toEqual([3, 13, 17]);
    expect(diffStats(img, ref['q444.jpg']).max).toBeLessThanOrEqual(3);
  });
  // Luminance is stored at full resolution in a 4:2:0 file, so the luminance of the decoded pixels
  // obeys the 4:4:4 bound; the colour differences are the upsampling's and are not compared.
  it('a 4:2:0 JPEG: luminance within 3 of Pillow’s', () => {
    const img = vision.decodeImage(file('q420.jpg'));
    expect(img.shape).toEqual([3, 40, 48]);
    expect(diffStats(vision.decodeImage(file('q420.jpg'), { channels: 1 }), ref['q420.jpg:L']).max).toBeLessThanOrEqual(3);
  });
});

describe.skipIf(!havePython)('resize and normalize equal torch', () => {
  it('bilinear with antialias (downscale), bilinear (upscale) and nearest, exactly', () => {
    const img = vision.decodeImage(file('rgb.png'));
    expect(diffStats(vision.resize(img, [7, 9]), ref.down).max).toBe(0);
    expect(diffStats(vision.resize(img, [20, 30], { antialias: false }), ref.up).max).toBe(0);
    expect(diffStats(vision.resize(img, [5, 6], { mode: 'nearest' }), ref.nearest).max).toBe(0);
  });

  it('a number resizes the smaller edge, keeping the aspect ratio, on a batch too', () => {
    const img = vision.decodeImage(file('q420.jpg')); // 40 × 48
    expect(vision.resize(img, 20).shape).toEqual([3, 20, 24]);
    expect(vision.resize(img.unsqueeze(0), 10).shape).toEqual([1, 3, 10, 12]);
  });

  it('normalize scales uint8 to [0, 1] then standardizes per channel', () => {
    const out = vision.normalize(vision.decodeImage(file('rgb.png')), [0.4914, 0.4822, 0.4465], [0.2023, 0.1994, 0.201]);
    expect(out.dtype).toBe('float32');
    expect(maxDiff(out.toArray() as Nested, ref.normalized.data.length ? (unflat(ref.normalized) as Nested) : [])).toBeLessThan(1e-5);
  });
});

function unflat(r: { shape: number[]; data: number[] }): Nested {
  const build = (dims: number[], offset: number): Nested => {
    if (dims.length === 0) return r.data[offset];
    const size = dims.slice(1).reduce((a, b) => a * b, 1);
    return Array.from({ length: dims[0] }, (_, i) => build(dims.slice(1), offset + i * size));
  };
  return build(r.shape, 0);
}

describe('toPng', () => {
  it('round-trips uint8 images of 1, 3 and 4 channels exactly, and floats as round(x·255)', () => {
    for (const c of [1, 3, 4]) {
      const img = torch.randint(0, 256, [c, 5, 7], { dtype: 'uint8' });
      expect(data(vision.decodeImage(vision.toPng(img)))).toEqual(data(img));
    }
    const f = torch.tensor([[[0, 0.5, 1]], [[0.2, 0.4, 0.6]], [[1, 1, 0]]]);
    expect(data(vision.decodeImage(vision.toPng(f)))).toEqual([0, 128, 255, 51, 102, 153, 255, 255, 0]);
  });

  it.skipIf(!havePython)('Pillow reads the PNG we write as the same pixels', () => {
    const img = torch.randint(0, 256, [3, 6, 9], { dtype: 'uint8' });
    vision.toPng(img, file('ours.png'));
    const py = runPython(`from PIL import Image\nimport numpy as np\nprint(json.dumps(np.asarray(Image.open(inp)).transpose(2, 0, 1).flatten().tolist()))`, file('ours.png'));
    expect(py).toEqual(data(img));
  });

  it('rejects a shape that is not an image', () => {
    expect(() => vision.toPng(torch.zeros([2, 4, 4], { dtype: 'uint8' }))).toThrow(/expected an image \[C, H, W\] with 1, 3 or 4 channels/);
  });
});

describe('decodeImage errors name the file', () => {
  it('a missing file, a text file, a truncated PNG and a truncated JPEG', () => {
    const png = vision.toPng(torch.randint(0, 256, [3, 16, 16], { dtype: 'uint8' }));
    fs.writeFileSync(file('cut.png'), png.subarray(0, png.length - 30));
    fs.writeFileSync(file('notes.txt'), 'hello');
    const jpg = havePython ? fs.readFileSync(file('q444.jpg')) : null;
    if (jpg) fs.writeFileSync(file('cut.jpg'), jpg.subarray(0, jpg.length >> 1));
    const cases: [string, RegExp][] = [
      [file('missing.png'), /^decodeImage: cannot read '.*missing\.png'/],
      [file('notes.txt'), /^decodeImage: '.*notes\.txt' is not a PNG or JPEG image$/],
      [file('cut.png'), /^decodeImage: '.*cut\.png' is not a valid PNG image: /],
    ];
    if (jpg) cases.push([file('cut.jpg'), /^decodeImage: '.*cut\.jpg' is not a valid JPEG image: truncated/]);
    for (const [f, pattern] of cases) {
      expect(() => vision.decodeImage(f)).toThrow(TorchError);
      expect(() => vision.decodeImage(f)).toThrow(pattern);
    }
    expect(() => vision.decodeImage(Buffer.from('GIF89a'))).toThrow(/^decodeImage: buffer is not a PNG or JPEG image$/);
  });
});
