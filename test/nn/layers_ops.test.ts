// The layers written on the generated operators (lib/nn/layers_ops.ts) against the same PyTorch layers:
// the same seed gives the same initial parameters (PyTorch's initialisation, PyTorch's state-dict keys),
// and forward values and parameter gradients agree on the same input.
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { Tensor, nn } from '../../lib';
import { Nested, arr, maxDiff } from '../helpers/compare';
import { runPython } from '../helpers/python';

interface Case {
  name: string;
  make: () => nn.Module & { forward(...xs: any[]): any };
  /** For layers that return tuples: one tensor of everything returned (ours, then the same in Python). */
  pick?: [(out: any) => Tensor, string];
  /** The Python constructor, evaluated with torch and nn in scope. */
  py: string;
  inputs: () => Tensor[];
}

const CASES: Case[] = [
  { name: 'Conv1d(3, 4, 3, stride 2, padding 1)', make: () => new nn.Conv1d(3, 4, 3, { stride: 2, padding: 1 }), py: 'nn.Conv1d(3, 4, 3, stride=2, padding=1)', inputs: () => [torch.randn([2, 3, 9])] },
  { name: "Conv1d(4, 4, 3, groups 2, padding 'same', no bias)", make: () => new nn.Conv1d(4, 4, 3, { groups: 2, padding: 'same', bias: false }), py: "nn.Conv1d(4, 4, 3, groups=2, padding='same', bias=False)", inputs: () => [torch.randn([1, 4, 7])] },
  { name: 'ConvTranspose2d(4, 6, 3, stride 2, padding 1, outputPadding 1, groups 2)', make: () => new nn.ConvTranspose2d(4, 6, 3, { stride: 2, padding: 1, outputPadding: 1, groups: 2 }), py: 'nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)', inputs: () => [torch.randn([2, 4, 5, 5])] },
  { name: 'GroupNorm(2, 6)', make: () => new nn.GroupNorm(2, 6), py: 'nn.GroupNorm(2, 6)', inputs: () => [torch.randn([3, 6, 4])] },
  { name: 'LeakyReLU(0.2)', make: () => new nn.LeakyReLU(0.2), py: 'nn.LeakyReLU(0.2)', inputs: () => [torch.randn([4, 5])] },
  { name: 'ELU(0.7)', make: () => new nn.ELU(0.7), py: 'nn.ELU(0.7)', inputs: () => [torch.randn([4, 5])] },
  { name: 'Hardswish()', make: () => new nn.Hardswish(), py: 'nn.Hardswish()', inputs: () => [torch.randn([4, 5]).mul(4)] },
  { name: 'Mish()', make: () => new nn.Mish(), py: 'nn.Mish()', inputs: () => [torch.randn([4, 5])] },
  { name: 'PixelShuffle(2)', make: () => new nn.PixelShuffle(2), py: 'nn.PixelShuffle(2)', inputs: () => [torch.randn([1, 8, 3, 3])] },
  { name: "Upsample(scaleFactor 2, 'bilinear')", make: () => new nn.Upsample({ scaleFactor: 2, mode: 'bilinear' }), py: "nn.Upsample(scale_factor=2, mode='bilinear')", inputs: () => [torch.randn([1, 2, 3, 4])] },
  { name: 'SmoothL1Loss(beta 0.5)', make: () => new nn.SmoothL1Loss({ beta: 0.5 }), py: 'nn.SmoothL1Loss(beta=0.5)', inputs: () => [torch.randn([5, 3]), torch.randn([5, 3])] },
  { name: "HuberLoss(delta 0.3, reduction 'sum')", make: () => new nn.HuberLoss({ delta: 0.3, reduction: 'sum' }), py: "nn.HuberLoss(delta=0.3, reduction='sum')", inputs: () => [torch.randn([5, 3]), torch.randn([5, 3])] },
  { name: "KLDivLoss(reduction 'batchmean')", make: () => new nn.KLDivLoss({ reduction: 'batchmean' }), py: "nn.KLDivLoss(reduction='batchmean')", inputs: () => [torch.randn([4, 3]).logSoftmax(1), torch.rand([4, 3]).softmax(1)] },
  { name: 'KLDivLoss(logTarget)', make: () => new nn.KLDivLoss({ logTarget: true }), py: 'nn.KLDivLoss(log_target=True)', inputs: () => [torch.randn([4, 3]).logSoftmax(1), torch.randn([4, 3]).logSoftmax(1)] },
  { name: 'InstanceNorm2d(3, affine)', make: () => new nn.InstanceNorm2d(3, { affine: true }), py: 'nn.InstanceNorm2d(3, affine=True)', inputs: () => [torch.randn([2, 3, 4, 5])] },
  { name: 'InstanceNorm2d(3), unbatched input', make: () => new nn.InstanceNorm2d(3), py: 'nn.InstanceNorm2d(3)', inputs: () => [torch.randn([3, 4, 4])] },
  {
    name: 'LSTM(4, 5, 2 layers, bidirectional, batchFirst)',
    make: () => new nn.LSTM(4, 5, { numLayers: 2, bidirectional: true, batchFirst: true }),
    py: 'nn.LSTM(4, 5, num_layers=2, bidirectional=True, batch_first=True)',
    inputs: () => [torch.randn([3, 6, 4])],
    pick: [(r) => torch.cat([r[0].flatten(), r[1][0].flatten(), r[1][1].flatten()]), 'lambda r: torch.cat([r[0].flatten(), r[1][0].flatten(), r[1][1].flatten()])'],
  },
  {
    name: 'GRU(4, 3) with an initial state, and an unbatched sequence',
    make: () => new nn.GRU(4, 3),
    py: 'nn.GRU(4, 3)',
    inputs: () => [torch.randn([5, 4]), torch.randn([1, 3])],
    pick: [(r) => torch.cat([r[0].flatten(), r[1].flatten()]), 'lambda r: torch.cat([r[0].flatten(), r[1].flatten()])'],
  },
  { name: 'BCELoss', make: () => new nn.BCELoss(), py: 'nn.BCELoss()', inputs: () => [torch.rand([6]).mul(0.9).add(0.05), torch.rand([6])] },
];

interface Result {
  state: Record<string, Nested>;
  out: Nested;
  inputGrad: Nested;
  grads: Record<string, Nested>;
}
let ours: (Result & { inputs: Nested[] })[] = [];
let py: (Result & { keys: string[] })[] = [];

beforeAll(() => {
  ours = CASES.map((c, i) => {
    torch.manualSeed(100 + i);
    const layer = c.make();
    const xs = c.inputs();
    const x0 = xs[0].detach().requiresGrad_(true);
    const raw = layer.forward(x0, ...xs.slice(1));
    const out: Tensor = c.pick ? c.pick[0](raw) : raw;
    out.mul(torch.linspace(0.5, 1.5, out.numel()).view(out.shape)).sum().backward();
    return {
      state: Object.fromEntries(Object.entries(layer.stateDict()).map(([k, v]) => [k, arr(v as Tensor)])),
      inputs: xs.map(arr),
      out: arr(out),
      inputGrad: arr(x0.grad!),
      grads: Object.fromEntries(layer.namedParameters().map(([k, p]) => [k, arr(p.grad!)])),
    };
  });
  py = runPython(
    `
import torch, torch.nn as nn
out = []
for i, (ctor, pick, c) in enumerate(zip(inp['ctors'], inp['picks'], inp['cases'])):
    torch.manual_seed(100 + i)
    layer = eval(ctor, {'torch': torch, 'nn': nn})
    state = {k: v.tolist() for k, v in layer.state_dict().items()}
    xs = [torch.tensor(v) for v in c['inputs']]
    xs[0].requires_grad_(True)
    y = layer(*xs)
    if pick: y = eval(pick, {'torch': torch})(y)
    (y * torch.linspace(0.5, 1.5, y.numel()).view(y.shape)).sum().backward()
    out.append({'keys': list(layer.state_dict().keys()), 'state': state, 'out': y.tolist(), 'inputGrad': xs[0].grad.tolist(),
                'grads': {k: p.grad.tolist() for k, p in layer.named_parameters()}})
print(json.dumps(out))`,
    { ctors: CASES.map((c) => c.py), picks: CASES.map((c) => (c.pick ? c.pick[1] : null)), cases: ours },
  );
}, 120_000);

describe('layers on the generated ops equal PyTorch', () => {
  CASES.forEach((c, i) => {
    it(`${c.name}: state-dict keys, initial values, forward and gradients`, () => {
      expect(Object.keys(ours[i].state)).toEqual(py[i].keys);
      for (const k of py[i].keys) expect(maxDiff(ours[i].state[k], py[i].state[k])).toBeLessThan(1e-6);
      expect(maxDiff(ours[i].out, py[i].out)).toBeLessThan(1e-5);
      expect(maxDiff(ours[i].inputGrad, py[i].inputGrad)).toBeLessThan(1e-5);
      expect(Object.keys(ours[i].grads).sort()).toEqual(Object.keys(py[i].grads).sort());
      for (const k of Object.keys(py[i].grads)) expect(maxDiff(ours[i].grads[k], py[i].grads[k])).toBeLessThan(1e-5);
    });
  });

  it('refuses channels that the groups do not divide, as PyTorch does', () => {
    expect(() => new nn.Conv1d(3, 4, 3, { groups: 2 })).toThrow(/in_channels must be divisible by groups/);
    expect(() => new nn.GroupNorm(4, 6)).toThrow(/num_channels must be divisible by num_groups/);
  });
});
