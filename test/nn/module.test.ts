// nn.Module: registration by assignment, PyTorch's names and order, state dicts, modes, devices, memory.
import { describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { nn, Tensor, tidy, memory } from '../../lib';
import { runPython } from '../helpers/python';

class Net extends nn.Module {
  conv = new nn.Conv2d(3, 4, 3, { padding: 1, bias: false });
  bn = new nn.BatchNorm2d(4);
  head = new nn.Sequential(new nn.Flatten(), new nn.ReLU(), new nn.Linear(4 * 5 * 5, 2));
  scale: Tensor;
  constructor() {
    super();
    this.scale = this.registerParameter('scale', torch.ones([1]))!;
    this.registerBuffer('steps', torch.zeros([1]));
  }
  forward(x: Tensor): Tensor {
    return this.head.forward(this.bn.forward(this.conv.forward(x))).mul(this.scale);
  }
}

const PY_NET = `
import torch
import torch.nn as nn
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(4)
        self.head = nn.Sequential(nn.Flatten(), nn.ReLU(), nn.Linear(4 * 5 * 5, 2))
        self.scale = nn.Parameter(torch.ones(1))
        self.register_buffer('steps', torch.zeros(1))
net = Net()
`;

describe('Module registration and names', () => {
  it('state-dict keys, parameter and buffer names are PyTorch’s, in PyTorch’s order', () => {
    const net = new Net();
    const py = runPython(
      PY_NET +
        `print(json.dumps([list(net.state_dict().keys()), [n for n, _ in net.named_parameters()],
  [n for n, _ in net.named_buffers()], [n for n, _ in net.named_modules()], sum(p.numel() for p in net.parameters())]))`,
    );
    expect(Object.keys(net.stateDict())).toEqual(py[0]);
    expect(net.namedParameters().map(([n]) => n)).toEqual(py[1]);
    expect(net.namedBuffers().map(([n]) => n)).toEqual(py[2]);
    expect(net.namedModules().map(([n]) => n)).toEqual(py[3]);
    expect(net.parameterCount()).toBe(py[4]);
    expect(net.children().length).toBe(3);
    expect(net.getSubmodule('head.2')).toBeInstanceOf(nn.Linear);
    expect((net.head.at(-1) as nn.Linear).outFeatures).toBe(2);
  });

  it('a shared layer: parameters once, state-dict entries under every name (as PyTorch)', () => {
    const lin = new nn.Linear(2, 2);
    const seq = new nn.Sequential(lin, new nn.ReLU(), lin);
    const py = runPython(`
import torch.nn as nn
lin = nn.Linear(2, 2)
seq = nn.Sequential(lin, nn.ReLU(), lin)
print(json.dumps([list(seq.state_dict().keys()), [n for n, _ in seq.named_parameters()]]))`);
    expect(Object.keys(seq.stateDict())).toEqual(py[0]);
    expect(seq.namedParameters().map(([n]) => n)).toEqual(py[1]);
    expect(Object.keys(seq.stateDict({ prefix: 'module.' }))[0]).toBe('module.0.weight');
  });

  it('parameters are the layers’ own tensors: an in-place update is seen by forward', () => {
    const lin = new nn.Linear(2, 1);
    torch.noGrad(() => {
      lin.parameters()[0].copy_(torch.tensor([[2, 3]]));
      lin.parameters()[1].fill_(1);
    });
    expect(lin.forward(torch.tensor([[1, 1]])).item()).toBe(6);
    expect(lin.weight.requiresGrad).toBe(true);
  });

  it('train()/eval() reach every descendant, native layers included', () => {
    const net = new Net();
    net.eval();
    expect(net.modules().every((m) => !m.training)).toBe(true);
    const x = torch.randn([2, 3, 5, 5]);
    net.forward(x);
    // eval: batch-norm uses and does not update the running statistics.
    expect(net.bn.num_batches_tracked!.item()).toBe(0);
    net.train();
    net.forward(x);
    expect(net.bn.num_batches_tracked!.item()).toBe(1);
    expect(net.modules().every((m) => m.training)).toBe(true);
  });

  it('zeroGrad sets gradients to null by default, or zeroes them', () => {
    const net = new Net();
    net.forward(torch.randn([2, 3, 5, 5])).sum().backward();
    expect(net.conv.weight.grad).not.toBeNull();
    net.zeroGrad({ setToNone: false });
    expect(net.conv.weight.grad!.abs().sum().item()).toBe(0);
    net.zeroGrad();
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it('to(dtype) converts floating tensors in place and keeps num_batches_tracked int64', () => {
    const net = new Net();
    const w = net.conv.weight;
    net.to('float64');
    expect(w.dtype).toBe('float64');
    expect(net.bn.running_mean!.dtype).toBe('float64');
    expect(net.bn.num_batches_tracked!.dtype).toBe('int64');
    expect(net.scale.dtype).toBe('float64');
    expect(net.forward(torch.randn([1, 3, 5, 5], { dtype: 'float64' })).dtype).toBe('float64');
    net.to({ dtype: 'float32', device: 'cpu' });
    expect(w.dtype).toBe('float32');
  });

  it('to() converts each .grad with its parameter (dtype, 4-D layout), as PyTorch’s _apply', () => {
    torch.manualSeed(3);
    const net = new Net();
    const x = torch.randn([2, 3, 5, 5]);
    net.forward(x).sum().backward();
    const before = net.parameters().map((p) => p.grad!.toArray());
    net.to('float64');
    net.parameters().forEach((p, i) => {
      expect(p.grad!.dtype, `parameter ${i}`).toBe('float64');
      expect(p.grad!.toArray()).toEqual(before[i]); // float32 values are exact in float64
    });
    // The next backward accumulates into the float64 gradients, and an optimizer step takes them.
    net.forward(x.double()).sum().backward();
    net.parameters().forEach((p, i) => {
      const twice = torch.tensor(before[i] as number[], { dtype: 'float64' }).mul(2);
      // The second pass runs in float64, the first ran in float32: they agree to float32's precision.
      const rel = (p.grad!.sub(twice).abs().max().item() as number) / (twice.abs().max().item() as number);
      expect(rel, `parameter ${i}`).toBeLessThan(1e-5);
    });
    new torch.optim.SGD(net.parameters(), { lr: 0.1, momentum: 0.9 }).step();
    net.to({ memoryFormat: 'channels_last' });
    expect(net.conv.weight.isContiguous('channels_last')).toBe(true);
    expect(net.conv.weight.grad!.isContiguous('channels_last')).toBe(true);
  });
});

describe('stateDict / loadStateDict', () => {
  it('round-trips values into another instance', () => {
    const a = new Net();
    const b = new Net();
    a.train().forward(torch.randn([2, 3, 5, 5]));
    const res = b.loadStateDict(a.stateDict());
    expect(res).toEqual({ missingKeys: [], unexpectedKeys: [] });
    for (const [k, v] of Object.entries(a.stateDict())) {
      expect(b.stateDict()[k].equal(v), k).toBe(true);
    }
    expect(b.bn.num_batches_tracked!.item()).toBe(1);
  });

  it('strict loading lists missing, unexpected and mis-shaped keys, and copies nothing then', () => {
    const net = new Net();
    const sd = new Net().stateDict();
    const before = net.conv.weight.clone();
    delete sd['bn.running_var'];
    sd['extra.weight'] = torch.zeros([1]);
    sd['head.2.weight'] = torch.zeros([3, 100]);
    let message = '';
    try {
      net.loadStateDict(sd);
    } catch (e) {
      expect(e).toBeInstanceOf(torch.TorchError);
      message = (e as Error).message;
    }
    expect(message).toMatch(/Error\(s\) in loading state_dict for Net/);
    expect(message).toMatch(/Missing key\(s\) in state_dict: "bn.running_var"/);
    expect(message).toMatch(/Unexpected key\(s\) in state_dict: "extra.weight"/);
    expect(message).toMatch(/size mismatch for head.2.weight: copying a param with shape torch.Size\(\[3, 100\]\) from checkpoint, the shape in current model is torch.Size\(\[2, 100\]\)/);
    expect(net.conv.weight.equal(before)).toBe(true);
  });

  it("strict errors read exactly as Python torch's load_state_dict: missing, unexpected, then each tensor's problem", () => {
    const lin = new nn.Linear(3, 2);
    const messageOf = (sd: Record<string, unknown>) => {
      try {
        lin.loadStateDict(sd as nn.StateDict);
      } catch (e) {
        expect(e).toBeInstanceOf(torch.TorchError);
        return (e as Error).message;
      }
      return 'no error';
    };
    const want = runPython<string[]>(`
import torch
m = torch.nn.Linear(3, 2)
out = []
for sd in [{'weight': torch.zeros(2, 4), 'extra.w': torch.zeros(1), 'z': torch.zeros(1)}, {'weight': 3, 'bias': torch.zeros(2)}, {'extra.w': torch.zeros(1)}]:
    try:
        m.load_state_dict(sd)
    except RuntimeError as e:
        out.append(str(e))
print(json.dumps(out))
`);
    expect(messageOf({ weight: torch.zeros([2, 4]), 'extra.w': torch.zeros([1]), z: torch.zeros([1]) })).toBe(want[0]);
    expect(messageOf({ weight: 3, bias: torch.zeros([2]) })).toBe(want[1]);
    expect(messageOf({ 'extra.w': torch.zeros([1]) })).toBe(want[2]);
  });

  it('strict: false reports missing and unexpected keys and loads the rest', () => {
    const net = new Net();
    const src = new Net();
    const sd = src.stateDict();
    delete sd['scale'];
    sd['foo'] = torch.zeros([1]);
    const res = net.loadStateDict(sd, { strict: false });
    expect(res).toEqual({ missingKeys: ['scale'], unexpectedKeys: ['foo'] });
    expect(net.conv.weight.equal(src.conv.weight)).toBe(true);
  });

  it('accepts the module. prefix DataParallel writes, and a Map', () => {
    const src = new Net();
    const prefixed = new Map(Object.entries(src.stateDict()).map(([k, v]) => [`module.${k}`, v]));
    const net = new Net();
    net.loadStateDict(prefixed);
    expect(net.head.at(2).parameters()[0].equal(src.head.at(2).parameters()[0])).toBe(true);
  });

  it('loads a state dict written by PyTorch (values and num_batches_tracked)', () => {
    const py = runPython(
      PY_NET +
        `torch.manual_seed(0)
for p in net.parameters(): torch.nn.init.normal_(p)
net.bn(net.conv(torch.randn(2, 3, 5, 5)))
print(json.dumps({k: [list(v.shape), v.flatten().tolist(), str(v.dtype)] for k, v in net.state_dict().items()}))`,
    );
    const sd: Record<string, Tensor> = {};
    for (const [k, [shape, values, dtype]] of Object.entries(py as Record<string, [number[], number[], string]>)) {
      sd[k] = torch.tensor(values, { shape, dtype: dtype === 'torch.int64' ? 'int64' : 'float32' });
    }
    const net = new Net();
    net.loadStateDict(sd);
    expect(net.bn.num_batches_tracked!.item()).toBe(1);
    expect(net.bn.running_mean!.allclose(sd['bn.running_mean'])).toBe(true);
    expect(net.head.at(2).parameters()[1].allclose(sd['head.2.bias'])).toBe(true);
  });
});

describe('memory', () => {
  it('live tensors stay flat over repeated tidy(() => model.forward(x)), train and eval', () => {
    const net = new Net();
    const x = torch.randn([2, 3, 5, 5]);
    tidy(() => net.forward(x).dispose());
    const start = memory().liveTensors;
    for (let i = 0; i < 50; i++) {
      net.train(i % 2 === 0);
      tidy(() => {
        net.zeroGrad();
        net.forward(x).sum().backward();
      });
    }
    expect(memory().liveTensors).toBe(start);
    expect(net.conv.weight.isDisposed).toBe(false);
  });

  it('a model created inside tidy() keeps its parameters and buffers after it', () => {
    const net = tidy(() => {
      const n = new Net();
      n.to('float64');
      return n;
    });
    expect(net.parameters().some((p) => p.isDisposed)).toBe(false);
    expect(net.buffers().some((b) => b.isDisposed)).toBe(false);
    expect(net.forward(torch.randn([1, 3, 5, 5], { dtype: 'float64' })).shape).toEqual([1, 2]);
  });
});

describe('review fixes', () => {
  it('assigning a tensor to a native layer parameter changes what forward computes', () => {
    const lin = new nn.Linear(3, 2);
    const handle = lin.weight;
    const w = torch.tensor([[1, 0, 0], [0, 2, 0]]);
    lin.weight = w;
    expect(lin.weight).toBe(handle); // the handles others hold stay valid
    const x = torch.tensor([[1, 2, 3]]);
    const y = lin.forward(x);
    const expected = nn.functional.linear(x, w, lin.bias);
    expect(y.sub(expected).abs().max().item()).toBe(0);
    expect(lin.stateDict().weight.equal(w)).toBe(true);
  });

  it("strips DataParallel's `module.` only when the model's own keys do not start with it", () => {
    class Wrapper extends nn.Module {
      module = new nn.Linear(2, 2);
      forward(x: torch.Tensor) {
        return this.module.forward(x);
      }
    }
    const a = new Wrapper();
    const b = new Wrapper();
    b.loadStateDict(a.stateDict()); // keys 'module.weight', 'module.bias' are its own
    expect(b.module.weight.equal(a.module.weight)).toBe(true);
    const plain = new nn.Linear(2, 2);
    plain.loadStateDict(a.stateDict()); // the same keys on a model without `module`: DataParallel's prefix
    expect(plain.weight.equal(a.module.weight)).toBe(true);
  });
});
