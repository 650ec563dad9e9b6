// torch.load's { device } is PyTorch's map_location in its three forms (a device string, a
// {saved location: device} object, a function (storage, location) => storage), and without it a storage
// goes back where it was saved: a file holding 'cuda:0' storages needs CUDA, as in PyTorch.
import * as path from 'path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { hasPythonTorch, runPython } from '../helpers/python';
import { tempDir } from './helpers';

const dir = tempDir('map-location');
const cudaFile = path.join(dir, 'cuda.pth');
const noCuda = !torch.cuda.isAvailable();

/** Python writes the file with its storages tagged 'cuda:0' (this machine may have no GPU: the tag is patched). */
const SAVE_CUDA_TAGGED = `
import torch, torch.serialization as s
s.location_tag = lambda storage: 'cuda:0'
base = torch.arange(24.).reshape(1, 2, 3, 4)
torch.save({'w': base.contiguous(memory_format=torch.channels_last), 'n': torch.tensor([7, 8])}, inp['path'])
try:
    torch.load(inp['path'])
    message = None
except RuntimeError as e:
    message = str(e)
print(json.dumps(message))
`;

describe.skipIf(!hasPythonTorch())("map_location on a file saved at 'cuda:0'", () => {
  let pythonError: string | null;
  beforeAll(() => {
    pythonError = runPython(SAVE_CUDA_TAGGED, { path: cudaFile });
  });

  it.skipIf(!noCuda)("without map_location and without CUDA: PyTorch's error, naming the file", () => {
    expect(pythonError).toMatch(/^Attempting to deserialize object on a CUDA device but torch.cuda.is_available\(\) is False\./);
    const first = pythonError!.split('. ')[0];
    let err: Error | undefined;
    try {
      torch.load(cudaFile);
    } catch (e) {
      err = e as Error;
    }
    expect(err).toBeInstanceOf(torch.TorchError);
    expect(err!.message.startsWith(`load: '${cudaFile}': ${first}.`)).toBe(true);
    expect(err!.message).toMatch(/use torch.load with \{ device: 'cpu' \} \(map_location\) to map your storages to the CPU\.$/);
  });

  it.skipIf(noCuda)('without map_location and with CUDA: the storages go back to cuda:0', () => {
    const back = torch.load<{ w: torch.Tensor; n: torch.Tensor }>(cudaFile);
    expect([back.w.device, back.n.device]).toEqual(['cuda:0', 'cuda:0']);
    expect(back.w.isContiguous('channels_last')).toBe(true);
  });

  it("a device string: { device: 'cpu' } loads it on the CPU with its layout", () => {
    const back = torch.load<{ w: torch.Tensor; n: torch.Tensor }>(cudaFile, { device: 'cpu' });
    expect([back.w.device, back.n.device]).toEqual(['cpu', 'cpu']);
    expect(back.w.isContiguous('channels_last')).toBe(true);
    expect(back.w.flatten().toArray()).toEqual(Array.from({ length: 24 }, (_, i) => i));
    expect(back.n.toArray()).toEqual([7, 8]);
  });

  it("Python's spelling: { map_location: 'cpu' } and { mapLocation: 'cpu' } are device; both with device is refused", () => {
    for (const options of [{ map_location: 'cpu' }, { mapLocation: 'cpu' }]) {
      const back = torch.load<{ w: torch.Tensor; n: torch.Tensor }>(cudaFile, options as torch.LoadOptions);
      expect([back.w.device, back.n.device]).toEqual(['cpu', 'cpu']);
      expect(back.w.flatten().toArray()).toEqual(Array.from({ length: 24 }, (_, i) => i));
    }
    expect(() => torch.load(cudaFile, { mapLocation: 'cpu', device: 'cpu' })).toThrow('load: give map_location (mapLocation) or device, not both');
  });

  it("an object: { 'cuda:0': 'cpu' } maps the saved location", () => {
    const back = torch.load<{ w: torch.Tensor }>(cudaFile, { device: { 'cuda:0': 'cpu' } });
    expect(back.w.device).toBe('cpu');
  });

  it.skipIf(!noCuda)('an object that does not list the saved location leaves it where it was saved (CUDA needed)', () => {
    expect(() => torch.load(cudaFile, { device: { 'cuda:1': 'cpu' } })).toThrow(/Attempting to deserialize object on a CUDA device/);
  });

  it("a function gets each storage's bytes on the CPU and its saved location, and places it", () => {
    const calls: [string, string, number][] = [];
    const back = torch.load<{ w: torch.Tensor; n: torch.Tensor }>(cudaFile, {
      device: (storage, location) => {
        calls.push([storage.device, location, storage.numel()]);
        return storage;
      },
    });
    // Two storages: 24 float32 and 2 int64 elements.
    expect(calls).toEqual([['cpu', 'cuda:0', 96], ['cpu', 'cuda:0', 16]]);
    expect(back.w.device).toBe('cpu');
    expect(back.w.isContiguous('channels_last')).toBe(true);
    expect(back.n.toArray()).toEqual([7, 8]);
  });

  it('a function under mmap gets the mapped storage', () => {
    const locations: string[] = [];
    const back = torch.load<{ n: torch.Tensor }>(cudaFile, { mmap: true, device: (s, loc) => (locations.push(loc), s) });
    expect(locations).toEqual(['cuda:0', 'cuda:0']);
    expect(back.n.toArray()).toEqual([7, 8]);
  });

  it.skipIf(!noCuda)('a function returning null leaves the default placement (CUDA needed)', () => {
    expect(() => torch.load(cudaFile, { device: () => null })).toThrow(/Attempting to deserialize object on a CUDA device/);
  });

  it('a function returning something other than the storage is an error naming the file', () => {
    expect(() => torch.load(cudaFile, { device: () => torch.zeros([3]) })).toThrow(
      new RegExp(`^load: '${cudaFile}': the map_location function must return the storage it was given \\(a 1-D uint8 tensor of 96 bytes\\)`),
    );
  });
});

describe('map_location forms on CPU files', () => {
  const file = path.join(dir, 'cpu.pth');

  it.skipIf(!noCuda)("a device string naming CUDA without CUDA: PyTorch's error", () => {
    torch.save({ w: torch.ones([2]) }, file);
    expect(() => torch.load(file, { device: 'cuda:0' })).toThrow(/Attempting to deserialize object on a CUDA device but torch.cuda.is_available\(\) is False/);
  });

  it("an unknown location is refused: PyTorch's don't know how to restore", () => {
    torch.save({ w: torch.ones([2]) }, file);
    expect(() => torch.load(file, { device: { cpu: 'tpu:3' } })).toThrow(`load: '${file}': don't know how to restore data location 'tpu:3' of storage '0'`);
  });

  it('a value of another kind is refused', () => {
    torch.save({ w: torch.ones([2]) }, file);
    expect(() => torch.load(file, { device: 3 as never })).toThrow(/argument 'device' \(map_location\) must be a device string, an object of saved location -> device strings, or a function/);
    expect(() => torch.load(file, { device: { cpu: 1 } as never })).toThrow(/argument 'device' \(map_location\)/);
  });

  it.skipIf(noCuda)("a CUDA device beyond the machine's: PyTorch's device_count error", () => {
    torch.save({ w: torch.ones([2]) }, file);
    expect(() => torch.load(file, { device: 'cuda:99' })).toThrow(
      new RegExp(`Attempting to deserialize object on CUDA device 99 but torch.cuda.device_count\\(\\) is ${torch.cuda.deviceCount()}\\.`),
    );
  });

  it.skipIf(noCuda)('a function moving storages to CUDA', () => {
    torch.save({ w: torch.arange(0, 6).float().reshape([2, 3]).t() }, file);
    const back = torch.load<{ w: torch.Tensor }>(file, { device: (s) => s.to('cuda:0') });
    expect(back.w.device).toBe('cuda:0');
    expect(back.w.cpu().toArray()).toEqual([[0, 3], [1, 4], [2, 5]]);
  });
});
