// nn layers and functional ops against Python torch on the same inputs and weights.
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { nn } from '../../lib';
import { arr, flat, maxDiff } from '../helpers/compare';
import { runPython } from '../helpers/python';

const F = nn.functional;


beforeAll(() => torch.setNumThreads(1));

describe('default initialisation', () => {
  it('Conv2d and Linear draw the same weights as PyTorch from the same seed', () => {
    torch.manualSeed(7);
    const conv = new nn.Conv2d(3, 16, 3, { padding: 1 });
    const lin = new nn.Linear(64, 10);
    const py = runPython(`
import torch
torch.manual_seed(7)
conv = torch.nn.Conv2d(3, 16, 3, padding=1)
lin = torch.nn.Linear(64, 10)
print(json.dumps([conv.weight.tolist(), conv.bias.tolist(), lin.weight.tolist(), lin.bias.tolist()]))
`);
    expect(maxDiff(arr(conv.weight), py[0])).toBeLessThan(1e-7);
    expect(maxDiff(arr(conv.bias!), py[1])).toBeLessThan(1e-7);
    expect(maxDiff(arr(lin.weight), py[2])).toBeLessThan(1e-7);
    expect(maxDiff(arr(lin.bias!), py[3])).toBeLessThan(1e-7);
  });

  it('weights are kaiming_uniform(a=sqrt(5)): U(-1/sqrt(fan_in), 1/sqrt(fan_in))', () => {
    const conv = new nn.Conv2d(64, 64, 3, { bias: false });
    const w = flat(arr(conv.weight));
    const bound = 1 / Math.sqrt(64 * 9);
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const variance = w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length;
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.99 * bound);
    expect(Math.abs(mean)).toBeLessThan(0.02 * bound);
    expect(variance / (bound * bound / 3)).toBeGreaterThan(0.97);
    expect(variance / (bound * bound / 3)).toBeLessThan(1.03);
  });

  it('BatchNorm2d starts at weight 1, bias 0, mean 0, var 1, num_batches_tracked 0 (int64)', () => {
    const bn = new nn.BatchNorm2d(4);
    expect(flat(arr(bn.weight!))).toEqual([1, 1, 1, 1]);
    expect(flat(arr(bn.bias!))).toEqual([0, 0, 0, 0]);
    expect(flat(arr(bn.running_mean!))).toEqual([0, 0, 0, 0]);
    expect(flat(arr(bn.running_var!))).toEqual([1, 1, 1, 1]);
    expect(bn.num_batches_tracked!.dtype).toBe('int64');
    expect(bn.num_batches_tracked!.item()).toBe(0);
    expect(bn.weight!.requiresGrad).toBe(true);
    expect(bn.running_mean!.requiresGrad).toBe(false);
  });
});

describe('layers equal PyTorch with the same weights', () => {
  it('Conv2d (stride 2, padding 1, bias), BatchNorm2d in train then eval, Linear', () => {
    torch.manualSeed(1);
    const x = torch.randn([2, 3, 8, 8]);
    const conv = new nn.Conv2d(3, 5, 3, { stride: 2, padding: 1 });
    const bn = new nn.BatchNorm2d(5);
    const lin = new nn.Linear(5 * 4 * 4, 3);
    const yTrain = bn.call(conv.call(x));
    const meanAfter = arr(bn.running_mean!);
    const varAfter = arr(bn.running_var!);
    bn.eval();
    const yEval = bn.forward(conv.forward(x));
    const z = lin.forward(yEval.flatten(1));
    const py = runPython(
      `
import torch
T = torch.tensor
x = T(inp['x'])
conv = torch.nn.Conv2d(3, 5, 3, stride=2, padding=1)
bn = torch.nn.BatchNorm2d(5)
lin = torch.nn.Linear(80, 3)
with torch.no_grad():
    conv.weight.copy_(T(inp['cw'])); conv.bias.copy_(T(inp['cb']))
    lin.weight.copy_(T(inp['lw'])); lin.bias.copy_(T(inp['lb']))
y_train = bn(conv(x))
m, v = bn.running_mean.tolist(), bn.running_var.tolist()
bn.eval()
y_eval = bn(conv(x))
z = lin(y_eval.flatten(1))
print(json.dumps([y_train.tolist(), m, v, y_eval.tolist(), z.tolist(), bn.num_batches_tracked.item()]))
`,
      { x: arr(x), cw: arr(conv.weight), cb: arr(conv.bias!), lw: arr(lin.weight), lb: arr(lin.bias!) },
    );
    expect(maxDiff(arr(yTrain), py[0])).toBeLessThan(1e-5);
    expect(maxDiff(meanAfter, py[1])).toBeLessThan(1e-6);
    expect(maxDiff(varAfter, py[2])).toBeLessThan(1e-6);
    expect(maxDiff(arr(yEval), py[3])).toBeLessThan(1e-5);
    expect(maxDiff(arr(z), py[4])).toBeLessThan(1e-5);
    expect(bn.num_batches_tracked!.item()).toBe(py[5]);
    expect(py[5]).toBe(1);
  });
});

describe('nn.functional equals torch.nn.functional', () => {
  it('relu, avgPool2d, adaptiveAvgPool2d, linear, conv2d, batchNorm, crossEntropy, logSoftmax, pad', () => {
    torch.manualSeed(3);
    const x = torch.randn([2, 3, 6, 6]);
    const w = torch.randn([4, 3, 3, 3]);
    const b = torch.randn([4]);
    const lw = torch.randn([5, 6]);
    const logits = torch.randn([4, 5]);
    const target = torch.tensor([0, 4, 2, 2], { dtype: 'int64' });
    const rm = torch.zeros([3]);
    const rv = torch.ones([3]);
    const bnW = torch.randn([3]);
    const bnB = torch.randn([3]);
    const ours = {
      relu: arr(F.relu(x)),
      avg: arr(F.avgPool2d(x, 2)),
      avg3: arr(F.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false })),
      adaptive: arr(F.adaptiveAvgPool2d(x, [4, 3])),
      linear: arr(F.linear(x, lw, null)),
      conv: arr(F.conv2d(x, w, b, { stride: 2, padding: 1 })),
      convSame: arr(F.conv2d(x, w, null, { padding: 'same', dilation: 2 })),
      bn: arr(F.batchNorm(x, rm, rv, { weight: bnW, bias: bnB, training: true, momentum: 0.3 })),
      rm: arr(rm),
      rv: arr(rv),
      ce: F.crossEntropy(logits, target).item() as number,
      ceSmooth: F.crossEntropy(logits, target, { labelSmoothing: 0.1 }).item() as number,
      ceSum: F.crossEntropy(logits, target, { reduction: 'sum' }).item() as number,
      logSoftmax: arr(F.logSoftmax(logits, 1)),
      pad: arr(F.pad(x, [1, 2, 0, 1, 2, 2])),
      padReflect: arr(F.pad(x, [1, 1, 2, 2], 'reflect')),
    };
    const py = runPython(
      `
import torch
import torch.nn.functional as F
T = torch.tensor
x, w, b, lw, logits = T(inp['x']), T(inp['w']), T(inp['b']), T(inp['lw']), T(inp['logits'])
target = T(inp['target'], dtype=torch.long)
rm, rv = torch.zeros(3), torch.ones(3)
out = dict(
  relu=F.relu(x), avg=F.avg_pool2d(x, 2),
  avg3=F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False),
  adaptive=F.adaptive_avg_pool2d(x, (4, 3)), linear=F.linear(x, lw),
  conv=F.conv2d(x, w, b, stride=2, padding=1), convSame=F.conv2d(x, w, padding='same', dilation=2),
  bn=F.batch_norm(x, rm, rv, T(inp['bnW']), T(inp['bnB']), training=True, momentum=0.3),
  ce=F.cross_entropy(logits, target), ceSmooth=F.cross_entropy(logits, target, label_smoothing=0.1),
  ceSum=F.cross_entropy(logits, target, reduction='sum'),
  logSoftmax=F.log_softmax(logits, 1), pad=F.pad(x, (1, 2, 0, 1, 2, 2)), padReflect=F.pad(x, (1, 1, 2, 2), mode='reflect'))
out['rm'], out['rv'] = rm, rv
print(json.dumps({k: v.tolist() for k, v in out.items()}))
`,
      {
        x: arr(x), w: arr(w), b: arr(b), lw: arr(lw), logits: arr(logits),
        target: [0, 4, 2, 2], bnW: arr(bnW), bnB: arr(bnB),
      },
    );
    for (const [k, v] of Object.entries(ours)) {
      expect(maxDiff(v, py[k]), k).toBeLessThan(1e-5);
    }
    // The smoothing really changes the loss (so the option is not ignored).
    expect(Math.abs(ours.ce - ours.ceSmooth)).toBeGreaterThan(1e-3);
  });
});

describe('errors name the layer and the problem', () => {
  it('Conv2d on a 2-D input, or with the wrong channel count', () => {
    const conv = new nn.Conv2d(3, 8, 3);
    expect(() => conv.forward(torch.randn([3, 32]))).toThrow(torch.TorchError);
    expect(() => conv.forward(torch.randn([3, 32]))).toThrow(/Conv2d\(3, 8.*expected a 3-D .* or 4-D .*got 2-D input of shape \[3, 32\]/);
    expect(() => conv.forward(torch.randn([2, 4, 8, 8]))).toThrow(/to have 3 channels, but got 4 channels/);
    // An unbatched (C, H, W) input is valid, as in PyTorch.
    expect(conv.forward(torch.randn([3, 8, 8])).shape).toEqual([8, 6, 6]);
  });

  it('BatchNorm2d on a 3-D input, Linear with the wrong width, bad options', () => {
    expect(() => new nn.BatchNorm2d(4).forward(torch.randn([4, 5, 5]))).toThrow(/BatchNorm2d\(4\).*expected 4D input \(got 3D input/);
    expect(() => new nn.Linear(4, 2).forward(torch.randn([3, 5]))).toThrow(/Linear\(in_features=4.*last dimension.*4, got shape \[3, 5\]/);
    expect(() => new nn.Conv2d(3, 8, 3, { groups: 2 })).toThrow(/in_channels must be divisible by groups/);
    expect(() => new nn.Conv2d(3, 8, 3, { padding: 'full' as 'same' })).toThrow(/invalid padding string 'full'/);
    expect(() => F.crossEntropy(torch.randn([2, 3]), torch.tensor([0, 1]))).toThrow(/int64/);
  });
});
