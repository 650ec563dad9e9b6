// SummaryWriter: event files read back by TensorBoard's own reader, and compared record by record with
// what PyTorch's torch.utils.tensorboard.SummaryWriter writes for the same calls.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { hasTensorboard, hasTorchTensorboard, tbPython as py } from '../helpers/tensorboard';

const { SummaryWriter, crc32c, maskedCrc32c, frameRecord } = torch.utils.tensorboard;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-tb-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// The same calls on both sides; fixed walltimes make the records comparable byte for byte.
const histValues = Array.from({ length: 257 }, (_, i) => Math.sin(i * 0.7) * (i % 7) * 0.3);
const imgValues = Array.from({ length: 3 * 4 * 5 }, (_, i) => ((i * 37) % 61) / 50 - 0.1); // some outside [0, 1]
const greyBatch = Array.from({ length: 3 * 1 * 2 * 3 }, (_, i) => i * 14);

function writeOurs(dir: string): void {
  const w = new SummaryWriter(dir);
  for (let step = 0; step < 4; step++) w.addScalar('train/loss', 2.5 / (step + 1), step, 1700000000 + step);
  w.addScalar('zero', 0, 0, 1700000000.25);
  w.addScalar('nostep', -1.5, undefined, 1700000001.5);
  w.addScalar('new', 0.1, 7, 1700000002, { newStyle: true });
  w.addScalar('newd', 0.1, 8, 1700000002, { newStyle: true, doublePrecision: true });
  w.addScalars('acc', { train: 55.5, test: 50.25 }, 3, 1700000003);
  w.addScalars('acc', { train: 60, test: 52 }, 4, 1700000004);
  w.addHistogram('weights', torch.tensor(histValues, { dtype: 'float32' }), 5, 'tensorflow', 1700000005);
  w.addHistogram('uniform', histValues, 6, 10, 1700000006);
  w.addHistogram('capped', histValues, 6, 'tensorflow', 1700000006, 20);
  w.addImage('chw', torch.tensor(imgValues, { dtype: 'float32' }).view(3, 4, 5), 9, 1700000009);
  w.addImage('hwc', torch.tensor(imgValues, { dtype: 'float32' }).view(4, 5, 3), 9, 1700000009, 'HWC');
  w.addImages('grid', torch.tensor(greyBatch, { dtype: 'uint8' }).view(3, 1, 2, 3), 10, 1700000010);
  w.addText('notes', 'lr **0.1**, ünïcode', 11, 1700000011);
  w.close();
}

const PY_WRITE = `
import torch
from torch.utils.tensorboard import SummaryWriter
w = SummaryWriter(inp['dir'])
for step in range(4): w.add_scalar('train/loss', 2.5 / (step + 1), step, 1700000000 + step)
w.add_scalar('zero', 0, 0, 1700000000.25)
w.add_scalar('nostep', -1.5, None, 1700000001.5)
w.add_scalar('new', 0.1, 7, 1700000002, new_style=True)
w.add_scalar('newd', 0.1, 8, 1700000002, new_style=True, double_precision=True)
w.add_scalars('acc', {'train': 55.5, 'test': 50.25}, 3, 1700000003)
w.add_scalars('acc', {'train': 60, 'test': 52}, 4, 1700000004)
h = torch.tensor(inp['hist'], dtype=torch.float32)
w.add_histogram('weights', h, 5, 'tensorflow', 1700000005)
w.add_histogram('uniform', torch.tensor(inp['hist'], dtype=torch.float64).numpy(), 6, 10, 1700000006)
w.add_histogram('capped', torch.tensor(inp['hist'], dtype=torch.float64).numpy(), 6, 'tensorflow', 1700000006, max_bins=20)
img = torch.tensor(inp['img'], dtype=torch.float32)
w.add_image('chw', img.view(3, 4, 5), 9, 1700000009)
w.add_image('hwc', img.view(4, 5, 3), 9, 1700000009, dataformats='HWC')
w.add_images('grid', torch.tensor(inp['grey'], dtype=torch.uint8).view(3, 1, 2, 3), 10, 1700000010)
w.add_text('notes', 'lr **0.1**, ünïcode', 11, 1700000011)
w.close()
print('null')
`;

// Every record of every event file under a folder, by run (sub-folder): TensorBoard's record reader,
// each record parsed as TensorBoard's Event proto (no migration of legacy summaries).
const PY_READ = `
import os, io
import numpy as np
from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader
from tensorboard.compat.proto import event_pb2
from PIL import Image
out = {}
for root, dirs, files in os.walk(inp['dir']):
    for f in sorted(files):
        if not f.startswith('events.out.tfevents.'): continue
        p = os.path.join(root, f)
        run = os.path.relpath(root, inp['dir'])
        raw = list(RawEventFileLoader(p).Load())
        events = []
        for e in map(event_pb2.Event.FromString, raw):
            d = {'step': e.step, 'wall_time': e.wall_time, 'file_version': e.file_version, 'values': []}
            for v in e.summary.value:
                x = {'tag': v.tag, 'kind': v.WhichOneof('value')}
                if x['kind'] == 'simple_value': x['value'] = v.simple_value
                if x['kind'] == 'histo':
                    hp = v.histo
                    x['histo'] = dict(min=hp.min, max=hp.max, num=hp.num, sum=hp.sum, sum_squares=hp.sum_squares,
                                      bucket_limit=list(hp.bucket_limit), bucket=list(hp.bucket))
                if x['kind'] == 'image':
                    im = np.asarray(Image.open(io.BytesIO(v.image.encoded_image_string)))
                    x['image'] = dict(height=v.image.height, width=v.image.width, colorspace=v.image.colorspace,
                                      shape=list(im.shape), pixels=im.reshape(-1).tolist())
                if x['kind'] == 'tensor':
                    x['tensor'] = str(v.tensor)
                    x['plugin'] = v.metadata.plugin_data.plugin_name
                d['values'].append(x)
            events.append(d)
        out[run] = {'raw': [r.hex() for r in raw], 'events': events}
print(json.dumps(out))
`;

type Read = Record<string, { raw: string[]; events: { step: number; wall_time: number; file_version: string; values: any[] }[] }>;

describe('CRC-32C and TFRecord framing', () => {
  it('computes the standard CRC-32C check value and its TensorFlow mask', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    // mask: rotate right by 15, add 0xa282ead8 (mod 2^32): worked out by hand for 0xe3069283
    const rot = ((0xe3069283 >>> 15) | (0xe3069283 << 17)) >>> 0;
    expect(maskedCrc32c(new TextEncoder().encode('123456789'))).toBe((rot + 0xa282ead8) % 2 ** 32);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeros
  });

  it('frames a record as length, masked CRC of the length, data, masked CRC of the data', () => {
    const rec = frameRecord(Uint8Array.from([1, 2, 3]));
    expect(rec.length).toBe(3 + 16);
    expect(rec.readBigUInt64LE(0)).toBe(3n);
    expect(rec.readUInt32LE(8)).toBe(maskedCrc32c(rec.subarray(0, 8)));
    expect([...rec.subarray(12, 15)]).toEqual([1, 2, 3]);
    expect(rec.readUInt32LE(15)).toBe(maskedCrc32c(Uint8Array.from([1, 2, 3])));
  });
});

describe('SummaryWriter', () => {
  it('names files and folders as PyTorch does and reopens after close', () => {
    const dir = path.join(tmp, 'names');
    const w = new SummaryWriter(dir, { filenameSuffix: '.x' });
    w.addScalars('a/b', { c: 1 }, 0);
    w.close();
    w.addScalar('after', 1, 0);
    w.close();
    const files = fs.readdirSync(dir).filter((f) => f.startsWith('events.out.tfevents.'));
    expect(files.length).toBe(2);
    for (const f of files) expect(f).toMatch(new RegExp(`^events\\.out\\.tfevents\\.\\d{10}\\.${os.hostname()}\\.${process.pid}\\.\\d+\\.x$`));
    expect(fs.readdirSync(path.join(dir, 'a_b_c')).length).toBe(1);
    const def = new SummaryWriter(undefined, { comment: '_lr0.1' });
    def.close();
    expect(def.getLogdir()).toMatch(new RegExp(`^runs/[A-Z][a-z]{2}\\d{2}_\\d{2}-\\d{2}-\\d{2}_${os.hostname()}_lr0\\.1$`));
    fs.rmSync(def.getLogdir(), { recursive: true });
  });

  it("takes Python's keywords first: SummaryWriter({ log_dir }) / ({ logDir, filenameSuffix }) as SummaryWriter(dir, { … })", () => {
    for (const options of [{ log_dir: path.join(tmp, 'kw1') }, { logDir: path.join(tmp, 'kw2'), filenameSuffix: '.y' }]) {
      const w = new SummaryWriter(options as never);
      w.addScalar('s', 1, 0);
      w.close();
      const dir = Object.values(options)[0] as string;
      expect(w.getLogdir()).toBe(dir);
      expect(fs.readdirSync(dir).filter((f) => f.startsWith('events.out.tfevents.')).length).toBe(1);
    }
    expect(fs.readdirSync(path.join(tmp, 'kw2'))[0]).toMatch(/\.y$/);
    expect(() => new SummaryWriter('a', { logDir: 'b' } as never)).toThrow("SummaryWriter: got multiple values for 'logDir'");
    expect(() => new SummaryWriter({ log_dri: 'x' } as never)).toThrow("SummaryWriter: unknown option 'log_dri'; did you mean 'logDir'?");
    expect(() => new SummaryWriter(5 as never)).toThrow('SummaryWriter: logDir must be a string, not number 5');
  });

  it('rejects bad input with a message that names the call', () => {
    const w = new SummaryWriter(path.join(tmp, 'bad'));
    expect(() => w.addScalar('x', torch.zeros([2]))).toThrow(/addScalar\('x'\).*one element/);
    expect(() => w.addImage('i', torch.zeros([3, 4]))).toThrow(/dataformats 'CHW'/);
    expect(() => w.addImage('i', torch.zeros([2, 4, 4]))).toThrow(/1, 3 or 4 channels/);
    expect(() => w.addHistogram('h', [])).toThrow(/no element/);
    w.close();
  });

  it.skipIf(!hasTensorboard)('writes event files that TensorBoard reads back with the same tags, steps and values', () => {
    const dir = path.join(tmp, 'ours-read');
    writeOurs(dir);
    const read = py<Read>(PY_READ, { dir });
    expect(Object.keys(read).sort()).toEqual(['.', 'acc_test', 'acc_train']);
    const main = read['.'].events;
    expect(main[0].file_version).toBe('brain.Event:2');
    const scalars = main.filter((e) => e.values[0]?.tag === 'train/loss');
    expect(scalars.map((e) => [e.step, e.wall_time])).toEqual([0, 1, 2, 3].map((s) => [s, 1700000000 + s]));
    expect(scalars.map((e) => e.values[0].value)).toEqual([2.5, 1.25, 2.5 / 3, 0.625].map(Math.fround));
    expect(read.acc_train.events.slice(1).map((e) => [e.step, e.values[0].tag, e.values[0].value])).toEqual([
      [3, 'acc', 55.5],
      [4, 'acc', 60],
    ]);
    const hist = main.find((e) => e.values[0]?.tag === 'uniform')!.values[0].histo;
    // 10 equal bins over [min, max]: the counts add up to every value, the limits end at the max
    expect(hist.num).toBe(257);
    expect(hist.bucket.reduce((a: number, b: number) => a + b, 0)).toBe(257);
    expect(hist.bucket_limit[hist.bucket_limit.length - 1]).toBe(Math.max(...histValues));
    // TensorBoard's EventAccumulator (what `tensorboard --logdir` serves) sees the same series
    const acc = py<{ tags: Record<string, string[]>; loss: [number, number][]; hist: number }>(
      `from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
ea = EventAccumulator(inp['dir'], size_guidance={'histograms': 0, 'images': 0, 'tensors': 0})
ea.Reload()
t = ea.Tags()
print(json.dumps({'tags': {k: sorted(t[k]) for k in ('scalars', 'histograms', 'images', 'tensors')},
                  'loss': [[e.step, e.value] for e in ea.Scalars('train/loss')],
                  'hist': ea.Histograms('weights')[0].histogram_value.num}))`,
      { dir },
    );
    expect(acc.tags).toEqual({
      scalars: ['nostep', 'train/loss', 'zero'],
      histograms: ['capped', 'uniform', 'weights'],
      images: ['chw', 'grid', 'hwc'],
      tensors: ['new', 'newd', 'notes/text_summary'],
    });
    expect(acc.loss).toEqual([0, 1, 2, 3].map((s) => [s, Math.fround(2.5 / (s + 1))]));
    expect(acc.hist).toBe(257);
    const text = main.find((e) => e.values[0]?.tag === 'notes/text_summary')!.values[0];
    expect(text.plugin).toBe('text');
    expect(text.tensor).toContain('DT_STRING');
    const img = main.find((e) => e.values[0]?.tag === 'chw')!.values[0].image;
    expect([img.height, img.width, img.colorspace, ...img.shape]).toEqual([4, 5, 3, 4, 5, 3]);
    // pixel (y=1, x=2), channel 0 of the CHW input: clip(v * 255, 0, 255) truncated
    const v = Math.fround(imgValues[0 * 20 + 1 * 5 + 2]);
    expect(img.pixels[(1 * 5 + 2) * 3]).toBe(Math.trunc(Math.min(255, Math.max(0, Math.fround(v * 255)))));
  });

  it.skipIf(!hasTensorboard)('leaves a file TensorBoard still reads when the process dies mid-record', () => {
    const dir = path.join(tmp, 'partial');
    const w = new SummaryWriter(dir, { maxQueue: 1 });
    for (let s = 0; s < 3; s++) w.addScalar('loss', s, s, 1700000000);
    w.close();
    const file = path.join(dir, fs.readdirSync(dir)[0]);
    fs.truncateSync(file, fs.statSync(file).size - 5); // the last record cut short
    const read = py<Read>(PY_READ, { dir });
    expect(read['.'].events.slice(1).map((e) => e.step)).toEqual([0, 1]);
  });

  it.skipIf(!hasTorchTensorboard)("writes the same records as PyTorch's SummaryWriter for the same calls", () => {
    const ours = path.join(tmp, 'ours');
    const theirs = path.join(tmp, 'theirs');
    writeOurs(ours);
    py(PY_WRITE, { dir: theirs, hist: histValues, img: imgValues, grey: greyBatch });
    const a = py<Read>(PY_READ, { dir: ours });
    const b = py<Read>(PY_READ, { dir: theirs });
    expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
    for (const run of Object.keys(a)) {
      const [ea, eb] = [a[run].events, b[run].events];
      expect(ea.length).toBe(eb.length);
      for (let i = 1; i < ea.length; i++) {
        // the first record (file_version) carries the time the file was opened; the others have fixed walltimes
        const kind = ea[i].values[0].kind;
        if (kind === 'simple_value' || kind === 'tensor') {
          const same = a[run].raw[i] === b[run].raw[i];
          expect(same, `${run} record ${i} (${ea[i].values[0].tag}): ${a[run].raw[i].slice(0, 200)} vs ${b[run].raw[i].slice(0, 200)}`).toBe(true);
        } else if (kind === 'histo') {
          const [ha, hb] = [ea[i].values[0].histo, eb[i].values[0].histo];
          expect({ ...ha, sum: 0, sum_squares: 0 }).toEqual({ ...hb, sum: 0, sum_squares: 0 });
          // numpy sums pairwise and with BLAS; ours adds in order: equal to rounding
          expect(Math.abs(ha.sum - hb.sum)).toBeLessThan(1e-12 * ha.sum_squares);
          expect(Math.abs(ha.sum_squares - hb.sum_squares)).toBeLessThan(1e-12 * ha.sum_squares);
          expect([ea[i].step, ea[i].wall_time]).toEqual([eb[i].step, eb[i].wall_time]);
        } else {
          // PNG bytes differ by encoder (PIL's zlib settings); the decoded pixels must not
          expect(ea[i].values[0]).toEqual(eb[i].values[0]);
          expect([ea[i].step, ea[i].wall_time]).toEqual([eb[i].step, eb[i].wall_time]);
        }
      }
    }
  });
});
