// The library's own reads of a checkpoint pass a map_location, as PyTorch code does: a run trained on a
// GPU (its storages saved at 'cuda:0') has its configuration peeked and its state read on the CPU,
// whatever this machine has, and no process puts it on cuda:0 by default.
import * as fs from 'fs';
import * as path from 'path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { loadForResume } from '../../lib/train/checkpoint';
import { readStoredRun } from '../../lib/train/resume';
import { hasPythonTorch, runPython } from '../helpers/python';
import { tmpDir } from './helpers';

const dir = tmpDir('resume-device');

describe.skipIf(!hasPythonTorch())("a last.pth whose storages were saved at 'cuda:0'", () => {
  beforeAll(() => {
    // Python here may have no GPU: the location tag is patched, as a GPU run would write it.
    runPython(
      `import torch, torch.serialization as s, collections
s.location_tag = lambda storage: 'cuda:0'
net = collections.OrderedDict([('w', torch.arange(6.).reshape(2, 3).t()), ('b', torch.tensor([1.5]))])
torch.save({'net': net, 'epoch': 4, 'config': {'epochs': 9, 'device': 'cuda:0'}, 'rng_state': {'cpu': torch.get_rng_state()}}, inp['path'])
print(1)`,
      { path: path.join(dir, 'last.pth') },
    );
  });

  it('the stored configuration and finished epochs are read without CUDA', () => {
    expect(readStoredRun(dir)).toEqual({ config: { epochs: 9, device: 'cuda:0' }, epochsDone: 5 });
  });

  it('loadForResume reads the state on the CPU, layouts kept', () => {
    const { state, full } = loadForResume(dir);
    expect(full).toBe(true);
    expect([state.net.w.device, state.net.b.device, (state.rng_state as Record<string, torch.Tensor>).cpu.device]).toEqual(['cpu', 'cpu', 'cpu']);
    expect(state.net.w.toArray()).toEqual([[0, 3], [1, 4], [2, 5]]);
    expect(state.net.w.isContiguous()).toBe(false);
    torch.dispose(state as never);
  });

  it.skipIf(torch.cuda.isAvailable())('while torch.load without a map_location refuses it here (no CUDA)', () => {
    expect(fs.existsSync(path.join(dir, 'last.pth'))).toBe(true);
    expect(() => torch.load(path.join(dir, 'last.pth'))).toThrow(/Attempting to deserialize object on a CUDA device/);
  });
});
