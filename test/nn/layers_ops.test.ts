// The layers written on the generated operators (in lib/nn/modules/) against the same PyTorch layers:
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

describe('attention layers equal PyTorch with the same weights (our state dict loaded strictly into PyTorch)', () => {
  it('MultiheadAttention (batchFirst, a key padding mask and a bool attention mask) and TransformerEncoderLayer (post- and pre-norm)', () => {
    torch.manualSeed(11);
    const mha = new nn.MultiheadAttention(8, 2, { batchFirst: true });
    const enc = new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0 });
    const encPre = new nn.TransformerEncoderLayer(8, 4, { dimFeedforward: 12, dropout: 0, normFirst: true, activation: 'gelu', batchFirst: true });
    const q = torch.randn([2, 3, 8]);
    const kv = torch.randn([2, 5, 8]);
    const kpm = torch.tensor([[false, false, false, true, true], [false, false, false, false, false]]);
    const am = torch.tensor([[false, true, false, false, false], [false, false, false, false, false], [true, false, false, false, false]]);
    const src = torch.randn([4, 2, 8]);
    const run = (m: nn.Module, f: () => Tensor[]) => {
      const outs = f();
      outs.map((o) => o.mul(torch.linspace(0.5, 1.5, o.numel()).view(o.shape)).sum()).reduce((a, b) => a.add(b)).backward();
      return {
        state: Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, arr(v as Tensor)])),
        outs: outs.map(arr),
        grads: Object.fromEntries(m.namedParameters().map(([k, p]) => [k, arr(p.grad!)])),
      };
    };
    const ours = [
      run(mha, () => { const [o, w] = mha.forward(q, kv, kv, { keyPaddingMask: kpm, attnMask: am }); return [o, w!]; }),
      run(enc, () => [enc.forward(src)]),
      run(encPre, () => [encPre.forward(src.transpose(0, 1), { srcKeyPaddingMask: torch.tensor([[false, false, true, true], [false, false, false, true]]) })]),
    ];
    const py = runPython(
      `
import torch, torch.nn as nn
c = inp
t = lambda v, **k: torch.tensor(v, **k)
mods = [nn.MultiheadAttention(8, 2, batch_first=True),
        nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0),
        nn.TransformerEncoderLayer(8, 4, dim_feedforward=12, dropout=0.0, norm_first=True, activation='gelu', batch_first=True)]
q, kv, src = t(c['q']), t(c['kv']), t(c['src'])
calls = [lambda m: list(m(q, kv, kv, key_padding_mask=t(c['kpm']), attn_mask=t(c['am']))),
         lambda m: [m(src)],
         lambda m: [m(src.transpose(0, 1), src_key_padding_mask=t([[False, False, True, True], [False, False, False, True]]))]]
res = []
for m, call, o in zip(mods, calls, c['ours']):
    m.load_state_dict({k: t(v) for k, v in o['state'].items()}, strict=True)
    outs = call(m)
    sum((y * torch.linspace(0.5, 1.5, y.numel()).view(y.shape)).sum() for y in outs).backward()
    res.append({'keys': list(m.state_dict().keys()), 'outs': [y.tolist() for y in outs], 'grads': {k: p.grad.tolist() for k, p in m.named_parameters()}})
print(json.dumps(res))`,
      { q: arr(q), kv: arr(kv), src: arr(src), kpm: kpm.toArray(), am: am.toArray(), ours },
    );
    ours.forEach((o, i) => {
      expect(Object.keys(o.state).sort()).toEqual([...py[i].keys].sort());
      expect(o.outs.length).toBe(py[i].outs.length);
      o.outs.forEach((out: Nested, k: number) => expect(maxDiff(out, py[i].outs[k])).toBeLessThan(1e-5));
      for (const k of Object.keys(py[i].grads)) expect(maxDiff(o.grads[k], py[i].grads[k])).toBeLessThan(1e-4);
    });
  });
});
