// Checkpoints written by Python's torch.save (1.13 here) load with the same values: state dicts
// (OrderedDict with _metadata), DataParallel's module. prefix, optimizer state with integer keys,
// and tensors that are views (non-contiguous strides, shared storages at offsets).
import * as path from 'path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { hasPythonTorch, runPython } from '../helpers/python';
import { PY_REPORT, report, tempDir } from './helpers';

const dir = tempDir('load');

// A small model in the ResNet style, one training step so that every buffer is non-trivial.
const SAVE_MODEL = `${PY_REPORT}
import collections
torch.manual_seed(0)
class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, bias=False)
        self.bn = torch.nn.BatchNorm2d(4)
        self.fc = torch.nn.Linear(4, 2)
    def forward(self, x):
        return self.fc(self.bn(self.conv(x)).relu().mean((2, 3)))
m = Net()
opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
m(torch.randn(2, 3, 5, 5)).sum().backward()
opt.step()
torch.save({'net': m.state_dict(), 'acc': 90.1, 'epoch': 7}, inp['plain'])
torch.save({'net': torch.nn.DataParallel(m).state_dict(), 'acc': 90.1, 'epoch': 7}, inp['dp'])
torch.save({'net': m.state_dict(), 'optimizer': opt.state_dict(), 'big': 2**70, 'neg': -5, 'tup': (1, 'b'), 'none': None}, inp['opt'])
sd = m.state_dict()
print(json.dumps({
    'net': [[k, report(v)] for k, v in sd.items()],
    'metadata': [[k, dict(v)] for k, v in sd._metadata.items()],
    'optState': [[k, {n: report(t) for n, t in s.items()}] for k, s in opt.state_dict()['state'].items()],
    'paramGroups': opt.state_dict()['param_groups'],
}))
`;

type Report = ReturnType<typeof report>;
let py: {
  net: [string, Report][];
  metadata: [string, Record<string, number>][];
  optState: [number, Record<string, Report>][];
  paramGroups: Record<string, unknown>[];
};
const files = { plain: path.join(dir, 'plain.pth'), dp: path.join(dir, 'dp.pth'), opt: path.join(dir, 'opt.pth') };

describe.skipIf(!hasPythonTorch())('Python torch.save -> load', () => {
  beforeAll(() => {
    py = runPython(SAVE_MODEL, files);
  });

  it("loads {'net': state_dict(), 'acc', 'epoch'} with exact values, key order and types", () => {
    const ckpt = torch.load<{ net: Record<string, torch.Tensor>; acc: number; epoch: number }>(files.plain);
    expect(Object.keys(ckpt)).toEqual(['net', 'acc', 'epoch']);
    expect(ckpt.acc).toBe(90.1);
    expect(ckpt.epoch).toBe(7);
    // The OrderedDict is a plain object, the same shape as a state dict this library saved.
    expect(Object.getPrototypeOf(ckpt.net)).toBe(Object.prototype);
    expect(Object.keys(ckpt.net)).toEqual(py.net.map(([k]) => k));
    expect(Object.entries(ckpt.net).map(([k, t]) => [k, report(t)])).toEqual(py.net);
    // The running stats and the int64 counter, to be sure they are not all defaults.
    const bn = Object.fromEntries(py.net);
    expect(bn['bn.num_batches_tracked']).toEqual({ dtype: 'int64', shape: [], requiresGrad: false, data: ['1'] });
    expect(report(ckpt.net['bn.running_mean']).data.some((v) => v !== 0)).toBe(true);
  });

  it('keeps the state dict _metadata (module versions) and writes it back for Python', () => {
    const ckpt = torch.load<{ net: Record<string, torch.Tensor> & { _metadata?: Record<string, unknown> } }>(files.plain);
    const meta = ckpt.net._metadata!;
    expect(Object.entries(meta)).toEqual(py.metadata);
    expect(Object.keys(ckpt.net)).not.toContain('_metadata'); // not an enumerable property

    // Re-saved by us, Python sees the same tensors and the same _metadata.
    const again = path.join(dir, 'again.pth');
    torch.save(ckpt, again);
    const check = runPython(
      `import torch
a = torch.load(inp['a']); b = torch.load(inp['b'])
same = list(a['net'].keys()) == list(b['net'].keys()) and all(torch.equal(a['net'][k], b['net'][k]) and a['net'][k].dtype == b['net'][k].dtype for k in a['net'])
print(json.dumps([same, a['acc'] == b['acc'], a['epoch'] == b['epoch'], type(b['epoch']).__name__, [[k, dict(v)] for k, v in b['net']._metadata.items()]]))`,
      { a: files.plain, b: again },
    );
    expect(check).toEqual([true, true, true, 'int', py.metadata]);
  });

  it("loads a DataParallel state dict with 'module.' prefixes", () => {
    const ckpt = torch.load<{ net: Record<string, torch.Tensor> }>(files.dp);
    expect(Object.keys(ckpt.net)).toEqual(py.net.map(([k]) => `module.${k}`));
    expect(Object.entries(ckpt.net).map(([k, t]) => [k.replace(/^module\./, ''), report(t)])).toEqual(py.net);
  });

  it('loads an optimizer state dict (integer keys) and Python ints, tuples and None', () => {
    const ckpt = torch.load(files.opt) as {
      optimizer: { state: Map<number, Record<string, torch.Tensor>>; param_groups: Record<string, unknown>[] };
      big: bigint;
      neg: number;
      tup: unknown[];
      none: null;
    };
    const { state, param_groups } = ckpt.optimizer;
    expect(state).toBeInstanceOf(Map);
    expect([...state.keys()]).toEqual(py.optState.map(([k]) => k));
    expect([...state].map(([k, s]) => [k, Object.fromEntries(Object.entries(s).map(([n, t]) => [n, report(t)]))])).toEqual(py.optState);
    expect(param_groups).toEqual(py.paramGroups);
    expect(param_groups[0].params).toEqual([0, 1, 2, 3, 4]);
    expect(ckpt.big).toBe(2n ** 70n);
    expect(ckpt.neg).toBe(-5);
    expect(ckpt.tup).toEqual([1, 'b']);
    expect(ckpt.none).toBeNull();
  });

  it('loads views: transposed, sliced, expanded and storage-sharing tensors', () => {
    const file = path.join(dir, 'views.pth');
    const expected = runPython<[string, Report][]>(
      `${PY_REPORT}
import zipfile
base = torch.arange(24, dtype=torch.float32).reshape(2, 3, 4)
d = {
    't': base[0].t(),                 # stride (1, 4)
    'perm': base.permute(2, 0, 1),    # stride (1, 12, 4)
    'step': base[:, ::2, 1:3],        # offset 1, stride (12, 8, 1)
    'tail': base.reshape(-1)[5:9],    # offset 5 in the same storage
    'expand': torch.tensor([1.5, -2.5]).expand(3, 2),  # stride (0, 1)
    'long_t': torch.arange(6).reshape(2, 3).t(),
    'half_view': base.half()[1, :, ::3],
}
torch.save(d, inp['path'])
with zipfile.ZipFile(inp['path']) as z:
    storages = sorted(n for n in z.namelist() if '/data/' in n)
assert len(storages) == 4, storages  # base, expand, long, half: views share their base's storage
print(json.dumps([[k, report(v)] for k, v in d.items()]))`,
      { path: file },
    );
    const loaded = torch.load(file) as Record<string, torch.Tensor>;
    expect(Object.entries(loaded).map(([k, t]) => [k, report(t)])).toEqual(expected);
    expect(loaded.t.toArray()).toEqual([[0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7, 11]]);
    expect(loaded.tail.toArray()).toEqual([5, 6, 7, 8]);
    // As in PyTorch, each tensor is a view of its storage: the expanded one keeps stride 0, and views
    // of one storage see each other's writes (tail is base[5:9]; t[1][1] is base 5, t[0][2] base 8).
    expect(loaded.expand.isContiguous()).toBe(false);
    loaded.tail.fill_(100);
    const t = loaded.t.toArray() as number[][];
    expect([t[1][1], t[2][1], t[3][1], t[0][2], t[0][0]]).toEqual([100, 100, 100, 100, 0]);
  });

  it('gives dicts with integer or index-like keys as Maps, others as plain objects in order', () => {
    const file = path.join(dir, 'dicts.pth');
    runPython(
      `import torch\ntorch.save({'b': 1, 'a': {'10': 'x', 'k': 'y'}, 'n': {2: 'two', 1: 'one'}, 'p': {'__proto__': 5}}, inp['path'])\nprint(1)`,
      { path: file },
    );
    const d = torch.load(file) as Record<string, unknown>;
    expect(Object.keys(d)).toEqual(['b', 'a', 'n', 'p']);
    expect(d.a).toEqual(new Map([['10', 'x'], ['k', 'y']]));
    expect(d.n).toEqual(new Map([[2, 'two'], [1, 'one']]));
    expect(Object.getPrototypeOf(d.p)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(d.p, '__proto__')?.value).toBe(5);
  });

  it("maps CUDA-saved tensors with {device}, as map_location, and says so when CUDA is missing", () => {
    const file = path.join(dir, 'cuda.pth');
    // Python here has no GPU: make torch.save record the location 'cuda:0' anyway.
    runPython(
      `import torch, torch.serialization as s\ns.location_tag = lambda storage: 'cuda:0'\ntorch.save({'w': torch.arange(3.0)}, inp['path'])\nprint(1)`,
      { path: file },
    );
    const onCpu = torch.load(file, { device: 'cpu' }) as { w: torch.Tensor };
    expect(onCpu.w.device).toBe('cpu');
    expect(onCpu.w.toArray()).toEqual([0, 1, 2]);
    if (torch.cuda.isAvailable()) {
      const w = (torch.load(file) as { w: torch.Tensor }).w;
      expect(w.device).toMatch(/^cuda/);
      expect(w.cpu().toArray()).toEqual([0, 1, 2]);
    } else {
      expect(() => torch.load(file)).toThrow(/Attempting to deserialize object on a CUDA device but torch.cuda.is_available\(\) is False\. .*\{ device: 'cpu' \}/);
    }
  });

  it.skipIf(!torch.cuda.isAvailable())("saves CUDA tensors at 'cuda:0', where Python and we load them back", () => {
    const file = path.join(dir, 'gpu.pth');
    torch.save({ w: torch.arange(0, 4).float().cuda(), h: torch.ones([2], { dtype: 'float16' }).cuda() }, file);
    const py = runPython(
      `import torch\nd = torch.load(inp['path'])\nprint(json.dumps([str(d['w'].device), d['w'].tolist(), str(d['h'].dtype)]))`,
      { path: file },
    );
    expect(py).toEqual(['cuda:0', [0, 1, 2, 3], 'torch.float16']);
    const back = torch.load(file) as { w: torch.Tensor };
    expect(back.w.device).toMatch(/^cuda/);
    expect(back.w.cpu().toArray()).toEqual([0, 1, 2, 3]);
  });

  it('loads dtypes, torch.Size and torch.device values', () => {
    const file = path.join(dir, 'misc.pth');
    runPython(
      `import torch\ntorch.save({'dt': [torch.float16, torch.int64, torch.bool], 'size': torch.Size([2, 3]), 'dev': [torch.device('cpu'), torch.device('cuda', 1)]}, inp['path'])\nprint(1)`,
      { path: file },
    );
    expect(torch.load(file)).toEqual({ dt: ['float16', 'int64', 'bool'], size: [2, 3], dev: ['cpu', 'cuda:1'] });
  });

  it('restores requires_grad of saved Parameters', () => {
    const file = path.join(dir, 'param.pth');
    runPython(`import torch\ntorch.save({'p': torch.nn.Parameter(torch.ones(2)), 't': torch.ones(2)}, inp['path'])\nprint(1)`, { path: file });
    const d = torch.load(file) as Record<string, torch.Tensor>;
    expect(d.p.requiresGrad).toBe(true);
    expect(d.t.requiresGrad).toBe(false);
  });

  it('restores requires_grad of saved plain tensors as leaves, and False for state_dict() values', () => {
    const file = path.join(dir, 'grad.pth');
    runPython(
      `import torch\na = torch.ones(2, requires_grad=True)\ntorch.save({'leaf': a, 'nonLeaf': a * 2, 'state': torch.nn.Linear(2, 2).state_dict()}, inp['path'])\nprint(1)`,
      { path: file },
    );
    const d = torch.load(file) as { leaf: torch.Tensor; nonLeaf: torch.Tensor; state: Record<string, torch.Tensor> };
    expect([d.leaf.requiresGrad, d.nonLeaf.requiresGrad]).toEqual([true, true]);
    expect([d.leaf.gradFnName(), d.nonLeaf.gradFnName()]).toEqual([null, null]); // leaves
    d.nonLeaf.sum().backward();
    expect(d.nonLeaf.grad?.toArray()).toEqual([1, 1]);
    expect(Object.values(d.state).map((t) => t.requiresGrad)).toEqual([false, false]);
  });
});
