// torch.getDefaultDtype / torch.setDefaultDtype (lib/tensor.ts over native/factories.cc), compared with the
// reference Python torch: the dtypes that factories, torch.tensor and nn modules take under a float64
// default, the repr's dtype suffix, and the refusals. Every test that changes the default restores float32
// (afterEach), so the other tests of this file's process see PyTorch's initial default.
import * as path from 'path';
import { afterEach, describe, expect, it } from 'vitest';
import * as torch from '../lib';
import { hasPythonTorch, runPython } from './helpers/python';

const PY = hasPythonTorch();
const NO_PY = 'needs /usr/bin/python3 with torch (the reference)';

// Python's dtypes and reprs for the same calls, after torch.set_default_dtype(torch.float64).
const REFERENCE = `
import torch
name = lambda d: str(d).replace('torch.', '')
out = {'initial': name(torch.get_default_dtype())}
torch.set_default_dtype(torch.float64)
out['dtypes'] = {
  'default': name(torch.get_default_dtype()),
  'tensor([1.5])': name(torch.tensor([1.5]).dtype),
  'tensor(2.5)': name(torch.tensor(2.5).dtype),
  'tensor([1, 2])': name(torch.tensor([1, 2]).dtype),
  'tensor([True])': name(torch.tensor([True]).dtype),
  'ones(2)': name(torch.ones(2).dtype),
  'zeros(2)': name(torch.zeros(2).dtype),
  'empty(2)': name(torch.empty(2).dtype),
  'rand(2)': name(torch.rand(2).dtype),
  'randn(2)': name(torch.randn(2).dtype),
  'arange(0, 1, 0.5)': name(torch.arange(0, 1, 0.5).dtype),
  'arange(3)': name(torch.arange(3).dtype),
  'full([2], 1.5)': name(torch.full([2], 1.5).dtype),
  'full([2], 1)': name(torch.full([2], 1).dtype),
  'Linear.weight': name(torch.nn.Linear(2, 2).weight.dtype),
  'Linear.bias': name(torch.nn.Linear(2, 2).bias.dtype),
  'Conv2d.weight': name(torch.nn.Conv2d(1, 1, 1).weight.dtype),
  'BatchNorm2d.running_mean': name(torch.nn.BatchNorm2d(2).running_mean.dtype),
  'BatchNorm2d.num_batches_tracked': name(torch.nn.BatchNorm2d(2).num_batches_tracked.dtype),
  'LayerNorm.weight': name(torch.nn.LayerNorm(2).weight.dtype),
  'Embedding.weight': name(torch.nn.Embedding(3, 2).weight.dtype),
  'LSTM.weight_ih_l0': name(torch.nn.LSTM(2, 2).weight_ih_l0.dtype),
  'GRU.bias_hh_l0': name(torch.nn.GRU(2, 2).bias_hh_l0.dtype),
  'Conv1d.weight': name(torch.nn.Conv1d(1, 1, 1).weight.dtype),
  'ConvTranspose2d.weight': name(torch.nn.ConvTranspose2d(1, 1, 1).weight.dtype),
  'GroupNorm.bias': name(torch.nn.GroupNorm(1, 2).bias.dtype),
  'MultiheadAttention.in_proj_weight': name(torch.nn.MultiheadAttention(4, 2).in_proj_weight.dtype),
  'float()': name(torch.ones(2).float().dtype),
}
out['reprs'] = {
  'float64': repr(torch.tensor([1.5, 2.0])),
  'float32': repr(torch.tensor([1.5, 2.0], dtype=torch.float32)),
  'int64': repr(torch.tensor([1, 2])),
  'empty float64': repr(torch.tensor([])),
  'empty float32': repr(torch.tensor([], dtype=torch.float32)),
}
torch.set_default_dtype(torch.float32)
out['float32 reprs'] = {
  'float64': repr(torch.tensor([1.5, 2.0], dtype=torch.float64)),
  'float32': repr(torch.tensor([1.5, 2.0])),
  'empty float64': repr(torch.tensor([], dtype=torch.float64)),
}
errors = {}
for key, value in [('int64', torch.int64), ('bool', torch.bool), ('foo', 'foo'), ('None', None)]:
  try:
    torch.set_default_dtype(value)
    errors[key] = None
  except TypeError as e:
    errors[key] = str(e)
out['errors'] = errors
out['after errors'] = name(torch.get_default_dtype())
halves = {}
for d in (torch.float16, torch.bfloat16):
  torch.set_default_dtype(d)
  halves[name(d)] = [name(torch.get_default_dtype()), name(torch.ones(1).dtype), name(torch.tensor([1.5]).dtype)]
torch.set_default_dtype(torch.float32)
out['halves'] = halves
print(json.dumps(out))
`;

interface Reference {
  initial: string;
  dtypes: Record<string, string>;
  reprs: Record<string, string>;
  'float32 reprs': Record<string, string>;
  errors: Record<string, string | null>;
  'after errors': string;
  halves: Record<string, string[]>;
}

const reference = (): Reference => runPython<Reference>(REFERENCE);

const param = (m: torch.nn.Module, name: string): string => new Map(m.namedParameters()).get(name)!.dtype;

// The same calls here; tensor([1, 2]) says int64 (a JS number does not say integer: docs/pytorch.md).
function jsDtypes(): Record<string, string> {
  const { nn } = torch;
  return {
    default: torch.getDefaultDtype(),
    'tensor([1.5])': torch.tensor([1.5]).dtype,
    'tensor(2.5)': torch.tensor(2.5).dtype,
    'tensor([1, 2])': torch.tensor([1, 2], { dtype: 'int64' }).dtype,
    'tensor([True])': torch.tensor([true]).dtype,
    'ones(2)': torch.ones(2).dtype,
    'zeros(2)': torch.zeros(2).dtype,
    'empty(2)': torch.empty(2).dtype,
    'rand(2)': torch.rand(2).dtype,
    'randn(2)': torch.randn(2).dtype,
    'arange(0, 1, 0.5)': torch.arange(0, 1, 0.5).dtype,
    'arange(3)': torch.arange(3).dtype,
    'full([2], 1.5)': torch.full([2], 1.5).dtype,
    'full([2], 1)': torch.full([2], 1).dtype,
    'Linear.weight': new nn.Linear(2, 2).weight.dtype,
    'Linear.bias': new nn.Linear(2, 2).bias!.dtype,
    'Conv2d.weight': new nn.Conv2d(1, 1, 1).weight.dtype,
    'BatchNorm2d.running_mean': new nn.BatchNorm2d(2).running_mean!.dtype,
    'BatchNorm2d.num_batches_tracked': new nn.BatchNorm2d(2).num_batches_tracked!.dtype,
    'LayerNorm.weight': new nn.LayerNorm(2).weight!.dtype,
    'Embedding.weight': new nn.Embedding(3, 2).weight.dtype,
    'LSTM.weight_ih_l0': param(new nn.LSTM(2, 2), 'weight_ih_l0'),
    'GRU.bias_hh_l0': param(new nn.GRU(2, 2), 'bias_hh_l0'),
    'Conv1d.weight': new nn.Conv1d(1, 1, 1).weight.dtype,
    'ConvTranspose2d.weight': new nn.ConvTranspose2d(1, 1, 1).weight.dtype,
    'GroupNorm.bias': new nn.GroupNorm(1, 2).bias!.dtype,
    'MultiheadAttention.in_proj_weight': param(new nn.MultiheadAttention(4, 2), 'in_proj_weight'),
    'float()': torch.ones(2).float().dtype,
  };
}

describe('torch.getDefaultDtype / torch.setDefaultDtype', () => {
  afterEach(() => torch.setDefaultDtype('float32'));

  it("is 'float32' at start, as PyTorch's", () => {
    expect(torch.getDefaultDtype()).toBe('float32');
    expect(torch.tensor([1.5]).dtype).toBe('float32');
    expect(new torch.nn.Linear(2, 2).weight.dtype).toBe('float32');
  });

  it.skipIf(!PY)(`PyTorch's initial default is float32 too (${NO_PY})`, () => {
    expect(reference().initial).toBe('float32');
  });

  it('sets and reads back every floating dtype; factories and torch.tensor follow', () => {
    for (const d of ['float64', 'float16', 'bfloat16', 'float32'] as const) {
      torch.setDefaultDtype(d);
      expect(torch.getDefaultDtype()).toBe(d);
      expect(torch.ones(1).dtype).toBe(d);
      expect(torch.tensor([1.5]).dtype).toBe(d);
    }
  });

  it('under float64: tensor of JS numbers follows the default; int64 and bool stay (a TypedArray keeps its type)', () => {
    torch.setDefaultDtype('float64');
    expect(torch.tensor([1.5]).dtype).toBe('float64');
    expect(torch.tensor([1, 2]).dtype).toBe('float64'); // Python: int64; a JS number does not say integer
    expect(torch.tensor([1, 2], { dtype: 'int64' }).dtype).toBe('int64');
    expect(torch.tensor(new BigInt64Array([1n, 2n])).dtype).toBe('int64');
    expect(torch.tensor(new Float32Array([1.5])).dtype).toBe('float32');
    expect(torch.tensor([true, false]).dtype).toBe('bool');
    expect(torch.tensor([1.5], { dtype: 'float32' }).dtype).toBe('float32');
    expect(torch.tensor([1.25, 0.1]).toArray()).toEqual([1.25, 0.1]); // float64 keeps 0.1 exactly as JS has it
  });

  it.skipIf(!PY)(`under float64: the dtypes of factories, torch.tensor and nn parameters are PyTorch's (${NO_PY})`, () => {
    const ref = reference();
    torch.setDefaultDtype('float64');
    const js = jsDtypes();
    expect(js).toEqual(ref.dtypes);
    expect(js['Linear.weight']).toBe('float64'); // the comparison is not vacuous
    expect(js['arange(3)']).toBe('int64');
  });

  it.skipIf(!PY)(`the repr omits dtype= for the default dtype, as PyTorch's (${NO_PY})`, () => {
    const ref = reference();
    torch.setDefaultDtype('float64');
    const here = {
      float64: String(torch.tensor([1.5, 2.0])),
      float32: String(torch.tensor([1.5, 2.0], { dtype: 'float32' })),
      int64: String(torch.tensor([1, 2], { dtype: 'int64' })),
      'empty float64': String(torch.tensor([])),
      'empty float32': String(torch.tensor([], { dtype: 'float32' })),
    };
    expect(here).toEqual(ref.reprs);
    expect(here.float64).toBe('tensor([1.5000, 2.0000])');
    expect(here.float32).toBe('tensor([1.5000, 2.0000], dtype=torch.float32)');
    torch.setDefaultDtype('float32');
    expect({
      float64: String(torch.tensor([1.5, 2.0], { dtype: 'float64' })),
      float32: String(torch.tensor([1.5, 2.0])),
      'empty float64': String(torch.tensor([], { dtype: 'float64' })),
    }).toEqual(ref['float32 reprs']);
  });

  it('refuses a non-floating dtype, an unknown name and a non-string, naming setDefaultDtype and the value', () => {
    torch.setDefaultDtype('float64');
    const refused = (v: unknown): string => {
      try {
        torch.setDefaultDtype(v as torch.DType);
      } catch (e) {
        expect(e).toBeInstanceOf(torch.TorchError);
        return (e as Error).message;
      }
      throw new Error(`setDefaultDtype(${String(v)}) was accepted`);
    };
    expect(refused('int64')).toBe('setDefaultDtype: only floating-point types are supported as the default type, got int64');
    expect(refused('bool')).toBe('setDefaultDtype: only floating-point types are supported as the default type, got bool');
    expect(refused('foo')).toBe(
      "setDefaultDtype: invalid dtype 'foo': only floating-point types are supported as the default type (float32, float64, float16 or bfloat16)",
    );
    expect(refused(undefined)).toMatch(/^setDefaultDtype: invalid dtype undefined: only floating-point types/);
    expect(refused(Symbol('x'))).toMatch(/^setDefaultDtype: invalid dtype \(a symbol\): only floating-point types/);
    expect(torch.getDefaultDtype()).toBe('float64'); // a refusal changes nothing
  });

  it.skipIf(!PY)(`refuses what PyTorch refuses, with its message, and accepts float16 and bfloat16 as it does (${NO_PY})`, () => {
    const ref = reference();
    const message = (v: unknown): string | null => {
      try {
        torch.setDefaultDtype(v as torch.DType);
        return null;
      } catch (e) {
        return (e as Error).message;
      }
    };
    for (const [key, value] of [['int64', 'int64'], ['bool', 'bool'], ['foo', 'foo'], ['None', null]] as const) {
      const pythonMessage = ref.errors[key];
      expect(pythonMessage, key).not.toBeNull();
      expect(message(value), key).toContain(pythonMessage!.replace('invalid dtype object: ', ''));
    }
    expect(torch.getDefaultDtype()).toBe(ref['after errors']);
    for (const d of ['float16', 'bfloat16'] as const) {
      torch.setDefaultDtype(d);
      expect([torch.getDefaultDtype(), torch.ones(1).dtype, torch.tensor([1.5]).dtype], d).toEqual(ref.halves[d]);
    }
  });

  it('is process-wide: a worker thread sees the default the main thread set', async () => {
    const { Worker } = await import('worker_threads');
    const root = path.join(__dirname, '..');
    const code = `
      const native = require(${JSON.stringify(require.resolve('node-gyp-build'))})(${JSON.stringify(root)});
      const ones = native.ops.bind('torch.ones', ['ones'], false);
      require('worker_threads').parentPort.postMessage([native.getDefaultDtype(), ones([1]).dtype]);`;
    torch.setDefaultDtype('float64');
    const worker = new Worker(code, { eval: true });
    const seen = await new Promise((resolve, reject) => {
      worker.on('message', resolve);
      worker.on('error', reject);
    });
    await worker.terminate();
    expect(seen).toEqual(['float64', 'float64']);
  });
});

// Beyond the factories and nn: the optimizers' step counters (torch/optim's _get_scalar_dtype; 1.13's
// torch.tensor(0.)) and ToTensor's uint8 conversion (torchvision's to_tensor: torch.get_default_dtype()).
const OPTIM_AND_IMAGES = `
import torch
name = lambda d: str(d).replace('torch.', '')
def adam_step():
  p = torch.nn.Parameter(torch.zeros(2))
  opt = torch.optim.Adam([p], lr=0.1)
  p.grad = torch.ones(2)
  opt.step()
  return [name(opt.state[p]['step'].dtype), p.tolist()]
out = {'float32': adam_step()}
torch.set_default_dtype(torch.float64)
out['float64'] = adam_step()
u8 = torch.tensor(inp, dtype=torch.uint8)
img = u8.to(dtype=torch.get_default_dtype()).div(255)  # torchvision's to_tensor for a uint8 image
out['toTensor'] = [name(img.dtype), img.tolist()]
print(json.dumps(out))
`;

describe('the optimizers and the image transforms under a float64 default', () => {
  afterEach(() => torch.setDefaultDtype('float32'));
  const pixels = [0, 1, 51, 128, 254, 255];

  it.skipIf(!PY)(`Adam's step tensor takes PyTorch's dtype, float32 by default and float64 under float64 (${NO_PY})`, () => {
    const ref = runPython<Record<string, [string, number[]]>>(OPTIM_AND_IMAGES, pixels);
    const adamStep = (): [string, number[]] => {
      const p = torch.zeros(2, { requiresGrad: true });
      const opt = new torch.optim.Adam([p], { lr: 0.1 });
      p.sum().backward();
      opt.step();
      return [(opt.state.get(p)!.step as torch.Tensor).dtype, p.toArray() as number[]];
    };
    expect(adamStep()).toEqual(ref.float32);
    torch.setDefaultDtype('float64');
    expect(adamStep()).toEqual(ref.float64);
    expect(ref.float64[0]).toBe('float64');
  });

  it.skipIf(!PY)(`data.toFloat and vision.normalize scale uint8 into the default dtype, as ToTensor (${NO_PY})`, () => {
    const ref = runPython<Record<string, [string, number[]]>>(OPTIM_AND_IMAGES, pixels);
    torch.setDefaultDtype('float64');
    const u8 = torch.tensor(Uint8Array.from(pixels));
    const f = torch.data.toFloat()(u8.view([1, 1, 2, 3]));
    expect([f.dtype, f.flatten().toArray()]).toEqual(ref.toTensor);
    const n = torch.vision.normalize(u8.view([1, 2, 3]), [0], [1]);
    expect([n.dtype, n.flatten().toArray()]).toEqual(ref.toTensor);
    expect(torch.data.toFloat()(torch.tensor([0.5], { dtype: 'float32' })).dtype).toBe('float64');
  });

  it('x.float() and Module.float() stay float32, as in PyTorch', () => {
    torch.setDefaultDtype('float64');
    expect(torch.ones(2).float().dtype).toBe('float32');
    expect(new torch.nn.Linear(2, 2).float().weight.dtype).toBe('float32');
  });
});
