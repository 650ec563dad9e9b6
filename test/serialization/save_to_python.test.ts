// Checkpoints we write must be what Python's torch.load expects: values, dtypes, shapes, container
// types, aligned records, and a state dict that loads into a real torch.nn module.
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { hasPythonTorch, runPython } from '../helpers/python';
import { PY_REPORT, report, tempDir } from './helpers';

const dir = tempDir('save');

function sampleNet(): Map<string, torch.Tensor> {
  torch.manualSeed(1);
  return new Map<string, torch.Tensor>([
    ['conv.weight', torch.randn([4, 3, 3, 3])],
    ['f16', torch.tensor(new Float32Array([0.5, -2, 65504, 6e-8, 0.1]), { shape: [5], dtype: 'float16' })],
    ['bf16', torch.tensor(new Float32Array([1.5, -3, 1e30, 0.1]), { shape: [2, 2], dtype: 'bfloat16' })],
    ['long', torch.tensor(new BigInt64Array([1n, -2n, 9007199254740993n, -(2n ** 63n)]), { shape: [4] })],
    ['mask', torch.tensor([[true, false], [false, true]])],
    ['scalar', torch.tensor(new Float32Array([7.25]), { shape: [] })],
    ['num_batches_tracked', torch.tensor(new BigInt64Array([42n]), { shape: [] })],
    ['empty', torch.zeros([0, 3])],
    ['f64', torch.tensor(new Float64Array([Math.PI, -1e-300]), { shape: [2] })],
    ['i32', torch.tensor(new Int32Array([-7, 2147483647]), { shape: [2] })],
    ['u8', torch.tensor(new Uint8Array([0, 255, 3]), { shape: [3], dtype: 'uint8' })],
  ]);
}

// Reads the file with torch.load and reports types and every tensor; also checks the zip layout.
const READ = `${PY_REPORT}
import collections, zipfile
d = torch.load(inp['path'])
out = {'type': type(d).__name__, 'keys': list(d.keys()), 'netType': type(d['net']).__name__,
       'net': [[k, report(v)] for k, v in d['net'].items()]}
for k in d:
    if k != 'net':
        out[k] = [type(d[k]).__name__, d[k]]
with zipfile.ZipFile(inp['path']) as z:
    out['names'] = z.namelist()
    out['unaligned'] = []
    with open(inp['path'], 'rb') as f:
        raw = f.read()
    for info in z.infolist():
        # payload offset = local header offset + 30 + name length + extra length (from the local header)
        n = int.from_bytes(raw[info.header_offset + 26:info.header_offset + 28], 'little')
        e = int.from_bytes(raw[info.header_offset + 28:info.header_offset + 30], 'little')
        if (info.header_offset + 30 + n + e) % 64:
            out['unaligned'].append(info.filename)
    out['version'] = z.read('ckpt/version').decode()
    out['byteorder'] = z.read('ckpt/byteorder').decode()
print(json.dumps(out))
`;

describe.skipIf(!hasPythonTorch())('save -> Python torch.load', () => {
  it('writes tensors of every dtype and plain values that Python reads back exactly', () => {
    const file = path.join(dir, 'ckpt.pth');
    const net = sampleNet();
    torch.save({ net, acc: 91.5, epoch: 3, name: 'x', list: [1, 2.5, 'a'], nested: { a: { b: 1 } } }, file);
    const py = runPython(READ, { path: file });
    expect(py.type).toBe('dict');
    expect(py.keys).toEqual(['net', 'acc', 'epoch', 'name', 'list', 'nested']);
    expect(py.netType).toBe('OrderedDict');
    expect(py.net).toEqual([...net].map(([k, t]) => [k, report(t)]));
    // Spot checks that do not go through report(): the values Python saw.
    const byName = Object.fromEntries(py.net);
    expect(byName.long.data).toEqual(['1', '-2', '9007199254740993', '-9223372036854775808']);
    expect(byName.f16.data).toEqual([0.5, -2, 65504, 5.960464477539063e-8, 0.0999755859375]);
    expect(byName.bf16).toMatchObject({ dtype: 'bfloat16', shape: [2, 2] });
    expect(byName.bf16.data.slice(0, 2)).toEqual([1.5, -3]);
    expect(byName.scalar).toEqual({ dtype: 'float32', shape: [], requiresGrad: false, data: [7.25] });
    expect(byName.empty).toEqual({ dtype: 'float32', shape: [0, 3], requiresGrad: false, data: [] });
    expect(byName.mask.data).toEqual([true, false, false, true]);
    expect(py.acc).toEqual(['float', 91.5]);
    expect(py.epoch).toEqual(['int', 3]);
    expect(py.name).toEqual(['str', 'x']);
    expect(py.list).toEqual(['list', [1, 2.5, 'a']]);
    expect(py.nested).toEqual(['dict', { a: { b: 1 } }]);
    expect(py.names).toContain('ckpt/data.pkl');
    expect(py.names).toContain(`ckpt/data/${net.size - 1}`);
    expect(py.unaligned).toEqual([]);
    expect(py.version).toBe('3\n');
    expect(py.byteorder).toBe('little');
  });

  it('reads back its own file with the same values, a state dict as a plain object whether saved from a Map or an object', () => {
    const file = path.join(dir, 'own.pth');
    const net = sampleNet();
    torch.save({ net, plain: Object.fromEntries(net), acc: 91.5, epoch: 3, list: [1, 2.5, 'a', null, true], nested: { a: { b: 1 } } }, file);
    const back = torch.load<Record<string, unknown>>(file);
    for (const loaded of [back.net, back.plain] as Record<string, torch.Tensor>[]) {
      expect(Object.getPrototypeOf(loaded)).toBe(Object.prototype);
      expect(Object.keys(loaded)).toEqual([...net.keys()]);
      for (const [k, t] of net) expect(report(loaded[k]), k).toEqual(report(t));
    }
    expect(back.acc).toBe(91.5);
    expect(back.epoch).toBe(3);
    expect(back.list).toEqual([1, 2.5, 'a', null, true]);
    expect(back.nested).toEqual({ a: { b: 1 } });
  });

  it('writes a state dict that torch.nn.Module.load_state_dict accepts', () => {
    const file = path.join(dir, 'linear.pth');
    const weight = torch.tensor(new Float32Array([1, 2, 3, 4, 5, 6]), { shape: [2, 3] });
    const bias = torch.tensor(new Float32Array([0.5, -0.5]), { shape: [2] });
    torch.save({ net: new Map([['fc.weight', weight], ['fc.bias', bias]]) }, file);
    const y = runPython(
      `import torch
m = torch.nn.Sequential()
m.add_module('fc', torch.nn.Linear(3, 2))
m.load_state_dict(torch.load(inp['path'])['net'])
print(json.dumps(m(torch.tensor([[1.0, 1.0, 1.0]])).tolist()))`,
      { path: file },
    );
    expect(y).toEqual([[6.5, 14.5]]);
  });

  it('writes integers of every width, bigints and special floats as Python ints and floats', () => {
    const file = path.join(dir, 'numbers.pth');
    const ints = [0, 1, 255, 256, 65535, 65536, -1, -128, -129, -(2 ** 31), 2 ** 31 - 1, 2 ** 31, 2 ** 53 - 1, -(2 ** 53 - 1)];
    const bigs = [2n ** 70n, -(2n ** 64n), -(2n ** 63n), 2n ** 63n - 1n, 128n, -128n];
    torch.save({ ints, bigs, floats: [0.5, -0, 1e300, NaN, Infinity, -Infinity] }, file);
    const py = runPython(
      `import torch, math
d = torch.load(inp['path'])
f = [repr(x) for x in d['floats']]
print(json.dumps([[str(i) for i in d['ints']], [str(i) for i in d['bigs']], [type(i).__name__ for i in d['ints'] + d['bigs']], f]))`,
      { path: file },
    );
    expect(py[0]).toEqual(ints.map(String));
    expect(py[1]).toEqual(bigs.map(String));
    expect(new Set(py[2])).toEqual(new Set(['int']));
    expect(py[3]).toEqual(['0.5', '-0.0', '1e+300', 'nan', 'inf', '-inf']);
    const back = torch.load(file) as { ints: number[]; bigs: bigint[]; floats: number[] };
    expect(back.ints).toEqual(ints);
    expect(back.bigs).toEqual([2n ** 70n, -(2n ** 64n), -(2n ** 63n), 2n ** 63n - 1n, 128, -128]);
    expect(back.floats).toEqual([0.5, -0, 1e300, NaN, Infinity, -Infinity]);
  });

  it('writes zip64 records that Python and we both read', () => {
    const file = path.join(dir, 'z64.pth');
    const t = torch.arange(0, 10).float();
    torch.save({ t, n: 1 }, file, { forceZip64: true });
    const py = runPython(`import torch\nd = torch.load(inp['path'])\nprint(json.dumps([d['t'].tolist(), d['n']]))`, { path: file });
    expect(py).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 1]);
    const back = torch.load(file) as { t: torch.Tensor };
    expect(back.t.toArray()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("writes each tensor's requires_grad, which Python's torch.load restores (a leaf, also for a non-leaf)", () => {
    const file = path.join(dir, 'grad.pth');
    const leaf = torch.ones([2], { requiresGrad: true });
    const nonLeaf = leaf.mul(2);
    const model = new torch.nn.Linear(2, 2);
    torch.save({ leaf, nonLeaf, plain: torch.ones([2]), state: model.stateDict() }, file);
    const py = runPython(
      `import torch\nd = torch.load(inp['path'])\nout = {k: [d[k].requires_grad, d[k].is_leaf] for k in ('leaf', 'nonLeaf', 'plain')}\nout['state'] = [v.requires_grad for v in d['state'].values()]\nprint(json.dumps(out))`,
      { path: file },
    );
    // Python saves the same way: torch.save({'leaf': a, 'nonLeaf': a * 2}) reloads both as leaves requiring grad;
    // Module.state_dict() is detached, so a module's checkpoint still says False.
    expect(py).toEqual({ leaf: [true, true], nonLeaf: [true, true], plain: [false, true], state: [false, false] });
    const back = torch.load(file) as Record<string, torch.Tensor>;
    expect([back.leaf.requiresGrad, back.nonLeaf.requiresGrad, back.plain.requiresGrad]).toEqual([true, true, false]);
    expect(back.nonLeaf.gradFnName()).toBeNull();
    leaf.dispose();
    nonLeaf.dispose();
  });
});
