// torch.save writes each tensor's real storage, storage offset and strides (PyTorch's _rebuild_tensor_v2),
// at its device's location, and torch.load rebuilds them: a channels_last tensor, a transposed view, a slice
// at an offset and views sharing one storage keep their layout through our files, Python's and back.
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { storageOf } from '../../lib/serialization/storage';
import { ZipReader } from '../../lib/serialization/zip';
import { hasPythonTorch, runPython } from '../helpers/python';
import { tempDir } from './helpers';

const dir = tempDir('layout');

/** The tensors each test saves: their layouts are what the file must keep. */
function layouts(): Record<string, torch.Tensor> {
  const base = torch.arange(0, 2 * 3 * 4 * 5).float().reshape([2, 3, 4, 5]);
  const flat = torch.arange(0, 20).to('float64');
  return {
    channelsLast: base.contiguous('channels_last'),
    transposed: torch.arange(0, 12).reshape([3, 4]).t(),
    slice: flat.narrow(0, 5, 10).reshape([2, 5]),
    sliceOfSame: flat.narrow(0, 12, 4),
  };
}

/** What a file must keep of a tensor: values, shape, strides, offset. */
function geometry(t: torch.Tensor) {
  const s = storageOf(t);
  const g = { shape: t.shape, stride: s.stride, offset: s.offset, storageBytes: s.bytes.numel(), values: t.flatten().toArray() };
  s.bytes.dispose();
  return g;
}

function storageId(t: torch.Tensor): string {
  const s = storageOf(t);
  s.bytes.dispose();
  return s.id;
}

const EXPECTED = {
  channelsLast: { shape: [2, 3, 4, 5], stride: [60, 1, 15, 3], offset: 0, storageBytes: 480 },
  transposed: { shape: [4, 3], stride: [1, 4], offset: 0, storageBytes: 96 },
  slice: { shape: [2, 5], stride: [5, 1], offset: 5, storageBytes: 160 },
  sliceOfSame: { shape: [4], stride: [1], offset: 12, storageBytes: 160 },
};

describe('torch.save keeps storages, offsets and strides (ours -> ours)', () => {
  it('a channels_last tensor, a transposed view and slices at offsets load with the same strides and offsets', () => {
    const saved = layouts();
    const file = path.join(dir, 'ours.pth');
    torch.save(saved, file);
    const back = torch.load<Record<string, torch.Tensor>>(file);
    for (const [name, t] of Object.entries(saved)) {
      const g = geometry(back[name]);
      expect({ name, ...g }).toEqual({ name, ...EXPECTED[name as keyof typeof EXPECTED], values: t.flatten().toArray() });
    }
    expect(back.channelsLast.isContiguous('channels_last')).toBe(true);
    expect(back.channelsLast.isContiguous()).toBe(false);
  });

  it('saveAsync writes the same storages, offsets and strides', async () => {
    const saved = layouts();
    const file = path.join(dir, 'async.pth');
    await torch.saveAsync(saved, file);
    const back = await torch.loadAsync<Record<string, torch.Tensor>>(file);
    for (const [name, t] of Object.entries(saved)) {
      expect({ name, ...geometry(back[name]) }).toEqual({ name, ...EXPECTED[name as keyof typeof EXPECTED], values: t.flatten().toArray() });
    }
  });

  it('views of one storage are written once and share it again after load', () => {
    const saved = layouts();
    const file = path.join(dir, 'shared.pth');
    torch.save({ a: saved.slice, b: saved.sliceOfSame, c: saved.transposed }, file);
    const zip = ZipReader.open(file);
    const records = [...zip.entries.keys()].filter((k) => k.includes('/data/')).sort();
    zip.close();
    expect(records).toEqual(['shared/data/0', 'shared/data/1']);
    const back = torch.load<Record<string, torch.Tensor>>(file);
    expect(storageId(back.a)).toBe(storageId(back.b));
    expect(storageId(back.a)).not.toBe(storageId(back.c));
    // Element 12 of the storage is a[1][2] and b[0]: one write shows in both.
    torch.noGrad(() => back.b.fill_(-1));
    expect(back.a.toArray()).toEqual([[5, 6, 7, 8, 9], [10, 11, -1, -1, -1]]);
  });

  it('float16, bfloat16 and bool storages are written as their raw bytes', () => {
    const h = torch.tensor([1.5, -0.0001, 65504, 3.14159]).to('float16');
    const bf = torch.tensor([1.5, -1e-30, 3e38, 3.14159]).to('bfloat16');
    const b = torch.tensor([true, false, true]);
    const file = path.join(dir, 'raw.pth');
    torch.save({ h, bf, b }, file);
    const back = torch.load<Record<string, torch.Tensor>>(file);
    expect(back.h.to('float32').toArray()).toEqual(h.to('float32').toArray());
    expect(back.bf.to('float32').toArray()).toEqual(bf.to('float32').toArray());
    expect(back.b.toArray()).toEqual([true, false, true]);
  });

  it('a storage viewed as two dtypes is refused, as PyTorch refuses it', () => {
    const x = torch.zeros([4], { dtype: 'int32' });
    const y = x.view('float32');
    expect(() => torch.save([x, y], path.join(dir, 'twotypes.pth'))).toThrow(/same data as different types/);
  });

  it('records the CPU location of CPU tensors', () => {
    const file = path.join(dir, 'loc.pth');
    torch.save({ w: torch.ones([2]) }, file);
    const seen: string[] = [];
    torch.load(file, { device: (s, loc) => (seen.push(loc), s) });
    expect(seen).toEqual(['cpu']);
  });
});

const PY_GEOMETRY = `
import torch
def geometry(t):
    return {'shape': list(t.shape), 'stride': list(t.stride()), 'offset': t.storage_offset(),
            'storageBytes': t.storage().size() * t.element_size(), 'values': t.flatten().tolist()}
`;

describe.skipIf(!hasPythonTorch())('layouts through Python torch', () => {
  it('Python reads our file with the same strides, offsets and shared storages', () => {
    const saved = layouts();
    const file = path.join(dir, 'to_python.pth');
    torch.save(saved, file);
    const py = runPython(
      `${PY_GEOMETRY}
d = torch.load(inp['path'])
out = {k: geometry(v) for k, v in d.items()}
out['shared'] = d['slice'].storage().data_ptr() == d['sliceOfSame'].storage().data_ptr()
out['channelsLast'] = [out['channelsLast'], d['channelsLast'].is_contiguous(memory_format=torch.channels_last)]
print(json.dumps(out))`,
      { path: file },
    );
    for (const [name, t] of Object.entries(saved)) {
      const g = name === 'channelsLast' ? py[name][0] : py[name];
      expect({ name, ...g }).toEqual({ name, ...EXPECTED[name as keyof typeof EXPECTED], values: t.flatten().toArray() });
    }
    expect(py.channelsLast[1]).toBe(true);
    expect(py.shared).toBe(true);
  });

  it("Python's channels_last, transposed and sliced tensors load with Python's strides and offsets", () => {
    const file = path.join(dir, 'from_python.pth');
    const py = runPython(
      `${PY_GEOMETRY}
base = torch.arange(2 * 3 * 4 * 5.).reshape(2, 3, 4, 5)
flat = torch.arange(20, dtype=torch.float64)
d = {'channelsLast': base.contiguous(memory_format=torch.channels_last), 'transposed': torch.arange(12).reshape(3, 4).t(),
     'slice': flat[5:15].reshape(2, 5), 'sliceOfSame': flat[12:16]}
torch.save(d, inp['path'])
print(json.dumps({k: geometry(v) for k, v in d.items()}))`,
      { path: file },
    );
    const back = torch.load<Record<string, torch.Tensor>>(file);
    for (const name of Object.keys(EXPECTED)) {
      expect({ name, ...geometry(back[name]) }).toEqual({ name, ...py[name] });
      const { values: _, ...pyLayout } = py[name];
      expect({ name, ...pyLayout }).toEqual({ name, ...EXPECTED[name as keyof typeof EXPECTED] });
    }
    expect(storageId(back.slice)).toBe(storageId(back.sliceOfSame));
  });

  it.skipIf(!torch.cuda.isAvailable())('CUDA tensors are saved at cuda:N, which Python reads there and we load back there', () => {
    const file = path.join(dir, 'gpu.pth');
    const w = torch.arange(0, 24).float().reshape([2, 3, 2, 2]).cuda().contiguous('channels_last');
    torch.save({ w, h: torch.ones([2], { dtype: 'float16' }).cuda() }, file);
    const py = runPython(
      `import torch
locs = []
d = torch.load(inp['path'], map_location=lambda s, loc: (locs.append(loc), s)[1])
print(json.dumps([locs, list(d['w'].stride()), d['w'].flatten().tolist(), str(d['h'].dtype)]))`,
      { path: file },
    );
    expect(py).toEqual([['cuda:0', 'cuda:0'], [12, 1, 6, 3], w.cpu().flatten().toArray(), 'torch.float16']);
    const back = torch.load<{ w: torch.Tensor }>(file);
    expect(back.w.device).toBe('cuda:0');
    expect(geometry(back.w).stride).toEqual([12, 1, 6, 3]);
  });
});
