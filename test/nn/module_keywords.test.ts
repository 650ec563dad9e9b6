// Layers take Python's keyword arguments as one options object (nn.Dropout(p=0.2) as new nn.Dropout({ p: 0.2 })),
// in camelCase or PyTorch's spelling: the module is the one the positional call makes, printed as Python prints it.
import { describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { nn } from '../../lib';
import { hasPythonTorch, runPython } from '../helpers/python';

const havePython = hasPythonTorch();

const CASES: [string, () => nn.Module, () => nn.Module, string][] = [
  ['Dropout(p=0.2)', () => new nn.Dropout({ p: 0.2 }), () => new nn.Dropout(0.2), 'torch.nn.Dropout(p=0.2)'],
  ['Dropout2d(0.3, inplace=True)', () => new nn.Dropout2d(0.3, { inplace: true }), () => new nn.Dropout2d(0.3, true), 'torch.nn.Dropout2d(0.3, inplace=True)'],
  ['Softmax(dim=1)', () => new nn.Softmax({ dim: 1 }), () => new nn.Softmax(1), 'torch.nn.Softmax(dim=1)'],
  ['LogSoftmax(dim=-1)', () => new nn.LogSoftmax({ dim: -1 }), () => new nn.LogSoftmax(-1), 'torch.nn.LogSoftmax(dim=-1)'],
  ['LeakyReLU(negative_slope=0.2)', () => new nn.LeakyReLU({ negative_slope: 0.2 } as never), () => new nn.LeakyReLU(0.2), 'torch.nn.LeakyReLU(negative_slope=0.2)'],
  ['ReLU(inplace=True)', () => new nn.ReLU({ inplace: true }), () => new nn.ReLU(true), 'torch.nn.ReLU(inplace=True)'],
  ['Flatten(start_dim=0)', () => new nn.Flatten({ start_dim: 0 } as never), () => new nn.Flatten(0), 'torch.nn.Flatten(start_dim=0)'],
  ['MaxPool2d(kernel_size=2)', () => new nn.MaxPool2d({ kernel_size: 2 } as never), () => new nn.MaxPool2d(2), 'torch.nn.MaxPool2d(kernel_size=2)'],
  ['AvgPool2d(kernel_size=3, stride=1)', () => new nn.AvgPool2d({ kernelSize: 3, stride: 1 }), () => new nn.AvgPool2d(3, { stride: 1 }), 'torch.nn.AvgPool2d(kernel_size=3, stride=1)'],
];

describe('layers take keyword arguments as one options object', () => {
  it.skipIf(!havePython)("each prints as Python's module and computes what the positional form computes (Python torch needed for the reprs)", () => {
    const py = runPython(`import torch\nprint(json.dumps([repr(eval(s)) for s in inp["stmts"]]))`, { stmts: CASES.map((c) => c[3]) }) as string[];
    torch.manualSeed(0);
    const x = torch.randn([2, 3, 4, 4]);
    CASES.forEach(([name, byName, byPosition], i) => {
      const a = byName();
      const b = byPosition();
      expect(String(a), name).toBe(py[i]);
      expect(String(b), name).toBe(py[i]);
      a.eval();
      b.eval();
      expect(a.forward(x.clone()).equal(b.forward(x.clone())), name).toBe(true);
    });
  });

  it('an unknown keyword or a value given twice is a TorchError naming it', () => {
    expect(() => new nn.Dropout({ prob: 0.2 } as never)).toThrow("Dropout: unknown option 'prob'; did you mean 'p'?");
    expect(() => Reflect.construct(nn.Softmax, [1, { dim: 1 }])).toThrow("Softmax: got multiple values for 'dim'");
    expect(() => new nn.MaxPool2d({ stride: 2 } as never)).toThrow("nn.MaxPool2d: missing the argument 'kernelSize'");
    expect(() => new nn.MaxPool2d({ kernelSize: 2, strid: 2 } as never)).toThrow("nn.MaxPool2d: unknown option 'strid'; did you mean 'stride'?");
    expect(() => new nn.Dropout({ p: 1.5 })).toThrow('Dropout: dropout probability has to be between 0 and 1, but got 1.5');
  });
});
