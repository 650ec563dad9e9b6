// torch.load(f, {mmap: true}), as PyTorch's mmap=True: storages are views of the mapped file, equal to
// what Python's torch.load returns; the mapping outlives the load and the file; writes stay private; and
// a file whose records all overlap one region costs that region once, not once per record.
import * as fs from 'fs';
import * as path from 'path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { hasPythonTorch, runPython } from '../helpers/python';
import { PY_REPORT, report, tempDir } from './helpers';
import { writeOverlappingCheckpoint } from './hostile_helpers';

const dir = tempDir('mmap');

/** The process's address space (VmSize), bytes: what a mapping costs whether or not its pages are read. */
function addressSpace(): number {
  const m = /VmSize:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  if (!m) throw new Error('no VmSize in /proc/self/status');
  return Number(m[1]) * 1024;
}

const SAVE = `${PY_REPORT}
torch.manual_seed(0)
m = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Linear(5, 2))
base = torch.arange(24, dtype=torch.float64).reshape(4, 6)
torch.save({'net': m.state_dict(), 'view': base[1:3, ::2], 'base': base, 'ints': torch.tensor([1, -2, 2**40])}, inp['file'])
sd = torch.load(inp['file'], mmap=True) if 'mmap' in torch.load.__code__.co_varnames else torch.load(inp['file'])
print(json.dumps({k: report(v) for k, v in [*sd['net'].items(), ('view', sd['view']), ('base', sd['base']), ('ints', sd['ints'])]}))
`;

describe.skipIf(!hasPythonTorch())('load with mmap: the same values as Python', () => {
  const file = path.join(dir, 'python.pth');
  let py: Record<string, ReturnType<typeof report>>;
  beforeAll(() => {
    py = runPython(SAVE, { file });
  });

  it('a state dict, a strided view and int64s equal Python torch.load, with and without mmap', () => {
    for (const mmap of [true, false]) {
      const ck = torch.load<{ net: Record<string, torch.Tensor>; view: torch.Tensor; base: torch.Tensor; ints: torch.Tensor }>(file, { mmap });
      const ours = Object.fromEntries([...Object.entries(ck.net), ['view', ck.view], ['base', ck.base], ['ints', ck.ints]].map(([k, t]) => [k, report(t as torch.Tensor)]));
      expect(ours).toEqual(py);
      torch.dispose(ck);
    }
  });

  it('a view and its base share the mapped memory; writes change this process only, never the file', () => {
    const before = fs.readFileSync(file);
    const ck = torch.load<{ view: torch.Tensor; base: torch.Tensor }>(file, { mmap: true });
    ck.view.fill_(-1);
    expect(ck.base.select(0, 1).select(0, 0).item()).toBe(-1);
    expect(ck.base.select(0, 1).select(0, 1).item()).toBe(7);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    const again = torch.load<{ base: torch.Tensor }>(file, { mmap: true });
    expect(again.base.select(0, 1).select(0, 0).item()).toBe(6);
    torch.dispose([ck, again]);
  });
});

describe('load with mmap: bounded by the file', () => {
  it('tensors outlive the load and the file itself (the mapping lives while a tensor does)', () => {
    const file = path.join(dir, 'gone.pth');
    torch.save({ w: torch.arange(0, 1000, 1, { dtype: 'float32' }) }, file);
    const { w } = torch.load<{ w: torch.Tensor }>(file, { mmap: true });
    fs.rmSync(file);
    expect(w.sum().item()).toBe((999 * 1000) / 2);
    w.dispose();
  });

  it('400 records overlapping one 4 MiB region cost about 4 MiB of address space, not 400 × 4 MiB', () => {
    const file = path.join(dir, 'overlap.pth');
    const n = 1 << 20;
    const data = new Float32Array(n).map((_, i) => i % 251);
    writeOverlappingCheckpoint(file, 400, new Uint8Array(data.buffer));
    expect(fs.statSync(file).size).toBeLessThan(4 * n + 100_000);
    const before = addressSpace();
    const ts = torch.load<torch.Tensor[]>(file, { mmap: true });
    const grown = addressSpace() - before;
    expect(ts).toHaveLength(400);
    expect(ts[399].select(0, 1000).item()).toBe(1000 % 251);
    expect(ts[0].sum().item()).toBe(ts[399].sum().item());
    // The file is mapped once (4.1 MB); the rest is the 400 handles and the heap's slack.
    expect(grown).toBeLessThan(64 * 2 ** 20);
    torch.dispose(ts);
  });

  it('mmap must be a boolean', () => {
    const file = path.join(dir, 'flag.pth');
    torch.save({ w: torch.ones([2]) }, file);
    expect(() => torch.load(file, { mmap: 'yes' as unknown as boolean })).toThrow(/mmap/);
  });
});
