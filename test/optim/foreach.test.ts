// The optimizers written over the _foreach_ ops (lib/optim/<name>.ts) against torch.optim's multi-tensor
// path (foreach=True) on the same parameters and gradients: every parameter bit for bit after 30 steps,
// when the Python oracle is the libtorch this addon runs on (another version decays some averages with
// _foreach_lerp_ rather than a multiply and an add, so only the 1e-6 tests in the other files apply).
// Also: PyTorch's x.grad setter, which zeroGrad uses.
import { describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { Tensor, optim } from '../../lib';
import { runPython } from '../helpers/python';

const INIT = [[0.5, -1.25, 2.0, 0.1, 0], [3.0, -0.7], [1e-3, -4.5, 0.25]];
const STEPS = 30;
// Gradients that change with the step, one of them zero: the same doubles on both sides.
const GRADS = `lambda s: [[0.1 * s - 0.3, 0.2, -0.05 * s, 1.5, 0.0], [0.01 * s, -2.0 + 0.1 * s], [0.3, -0.02 * s, 0.7 - 0.04 * s]]`;
const gradsAt = (s: number) => [[0.1 * s - 0.3, 0.2, -0.05 * s, 1.5, 0.0], [0.01 * s, -2.0 + 0.1 * s], [0.3, -0.02 * s, 0.7 - 0.04 * s]];

const CONFIGS: [string, (p: Tensor[]) => optim.Optimizer, string][] = [
  ['SGD nesterov + weight decay', (p) => new optim.SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 }), 'SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01, foreach=True)'],
  ['SGD maximize + dampening', (p) => new optim.SGD(p, { lr: 0.05, momentum: 0.5, dampening: 0.3, maximize: true, weightDecay: 0.1 }), 'SGD(p, lr=0.05, momentum=0.5, dampening=0.3, maximize=True, weight_decay=0.1, foreach=True)'],
  ['Adam amsgrad + weight decay', (p) => new optim.Adam(p, { lr: 0.01, amsgrad: true, weightDecay: 0.1 }), 'Adam(p, lr=0.01, amsgrad=True, weight_decay=0.1, foreach=True)'],
  ['Adam maximize', (p) => new optim.Adam(p, { lr: 0.02, maximize: true, betas: [0.8, 0.95] }), 'Adam(p, lr=0.02, maximize=True, betas=(0.8, 0.95), foreach=True)'],
  ['AdamW', (p) => new optim.AdamW(p, { lr: 0.01, betas: [0.8, 0.99] }), 'AdamW(p, lr=0.01, betas=(0.8, 0.99), foreach=True)'],
  ['RMSprop centered + momentum + weight decay', (p) => new optim.RMSprop(p, { lr: 0.01, momentum: 0.9, centered: true, weightDecay: 0.1 }), 'RMSprop(p, lr=0.01, momentum=0.9, centered=True, weight_decay=0.1, foreach=True)'],
  ['RMSprop maximize', (p) => new optim.RMSprop(p, { lr: 0.005, maximize: true }), 'RMSprop(p, lr=0.005, maximize=True, foreach=True)'],
];

const oracleVersion: string = runPython('import torch\nprint(json.dumps(torch.__version__))');
const sameLibtorch = oracleVersion.split('.').slice(0, 2).join('.') === torch.libtorchVersion.split('.').slice(0, 2).join('.');

describe('the multi-tensor updates equal torch.optim(foreach=True) bit for bit', () => {
  for (const [name, make, py] of CONFIGS) {
    it.skipIf(!sameLibtorch)(`${name} (needs the oracle's libtorch to be this addon's)`, () => {
      const params = INIT.map((v) => torch.tensor(v, { requiresGrad: true }));
      const opt = make(params);
      // The second parameter gets no gradient on even steps: its state and step count fall behind the others'.
      for (let s = 0; s < STEPS; s++) {
        opt.zeroGrad();
        torch.noGrad(() => gradsAt(s).forEach((g, i) => {
          if (i !== 1 || s % 2 === 1) params[i].grad = torch.tensor(g);
        }));
        opt.step();
      }
      const theirs: number[][] = runPython(`
import torch
grads = ${GRADS}
p = [torch.tensor(v, requires_grad=True) for v in inp]
o = torch.optim.${py}
for s in range(${STEPS}):
    o.zero_grad(set_to_none=True)
    for i, (x, g) in enumerate(zip(p, grads(s))):
        if i != 1 or s % 2 == 1: x.grad = torch.tensor(g)
    o.step()
print(json.dumps([x.detach().tolist() for x in p]))
`, INIT);
      // Python's doubles rounded to float32 (they are float32 values), -0 and 0 told apart (toEqual uses Object.is).
      params.forEach((p, i) => expect(Array.from(p.toTypedArray() as Float32Array)).toEqual(theirs[i].map((v) => Math.fround(v))));
    });
  }
});

describe('Tensor.grad setter (PyTorch\'s x.grad = …)', () => {
  it('null drops the gradient; a tensor of the same dtype, device and size replaces it', () => {
    const x = torch.ones([2], { requiresGrad: true });
    x.sum().backward();
    expect(x.grad).not.toBeNull();
    x.grad = null;
    expect(x.grad).toBeNull();
    x.grad = torch.tensor([3, 4]);
    expect(Array.from(x.grad!.toTypedArray() as Float32Array)).toEqual([3, 4]);
  });

  it("refuses another size, dtype or the tensor itself with PyTorch's messages", () => {
    const x = torch.ones([2], { requiresGrad: true });
    expect(() => (x.grad = torch.ones([3]))).toThrow(/assigned grad has data of a different size/);
    expect(() => (x.grad = torch.ones([2], { dtype: 'float64' }))).toThrow(/assigned grad has data of a different type/);
    expect(() => (x.grad = x)).toThrow(/can't assign Variable as its own grad/);
    expect(() => (x.grad = 3 as unknown as Tensor)).toThrow(torch.TorchError);
  });
});
