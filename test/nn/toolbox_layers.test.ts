// The new layers inside two small models built the same way in PyTorch: our state dict loads into the
// Python model (strict: the keys are PyTorch's), and forward, loss, every gradient and the batch-norm
// running statistics agree, in train and eval mode. Dropout masks agree for the same seed.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { Tensor, nn } from '../../lib';
import { Nested, arr, maxDiff } from '../helpers/compare';
import { runPython } from '../helpers/python';

const F = nn.functional;

class Toolbox extends nn.Module {
  emb = new nn.Embedding(10, 4, { paddingIdx: 0 });
  blocks = new nn.ModuleList([new nn.Linear(4, 6), new nn.Linear(6, 6)]);
  norms = new nn.ModuleDict({ ln: new nn.LayerNorm(6), bn: new nn.BatchNorm1d(6) });
  acts = new nn.ModuleList([new nn.GELU(), new nn.SiLU(), new nn.Tanh(), new nn.Sigmoid()]);
  scale = nn.Parameter(torch.full([6], 0.5));
  head = new nn.Linear(6, 3);
  softmax = new nn.Softmax(1);
  forward(idx: Tensor): Tensor {
    const [fc1, fc2] = [...this.blocks] as nn.Linear[];
    const [gelu, silu, tanh, sigmoid] = [...this.acts];
    let x = this.emb.forward(idx).mean(1);
    x = gelu.forward(fc1.forward(x));
    x = silu.forward(fc2.forward(x));
    x = this.norms.get('bn').forward(this.norms.get('ln').forward(x));
    x = tanh.forward(x).mul(this.scale);
    return this.softmax.forward(sigmoid.forward(this.head.forward(x)).mul(4));
  }
}

const PY_TOOLBOX = `
import torch, torch.nn as nn, torch.nn.functional as F
class Toolbox(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 4, padding_idx=0)
        self.blocks = nn.ModuleList([nn.Linear(4, 6), nn.Linear(6, 6)])
        self.norms = nn.ModuleDict({'ln': nn.LayerNorm(6), 'bn': nn.BatchNorm1d(6)})
        self.acts = nn.ModuleList([nn.GELU(), nn.SiLU(), nn.Tanh(), nn.Sigmoid()])
        self.scale = nn.Parameter(torch.full((6,), 0.5))
        self.head = nn.Linear(6, 3)
        self.softmax = nn.Softmax(1)
    def forward(self, idx):
        x = self.emb(idx).mean(1)
        x = self.acts[0](self.blocks[0](x))
        x = self.acts[1](self.blocks[1](x))
        x = self.norms['bn'](self.norms['ln'](x))
        x = self.acts[2](x) * self.scale
        return self.softmax(self.acts[3](self.head(x)) * 4)
class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.drop2d = nn.Dropout2d(0.25)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.bn = nn.BatchNorm1d(4, momentum=None)
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(4, 5)
        self.log_softmax = nn.LogSoftmax(1)
    def forward(self, x):
        x = self.drop2d(self.pool(F.relu(self.conv(x))))
        x = self.bn(self.gap(x).flatten(1))
        return self.log_softmax(self.fc(self.drop(x)))
`;

class Cnn extends nn.Module {
  conv = new nn.Conv2d(3, 4, 3, { padding: 1 });
  pool = new nn.MaxPool2d(2);
  drop2d = new nn.Dropout2d(0.25);
  gap = new nn.AdaptiveAvgPool2d(1);
  bn = new nn.BatchNorm1d(4, { momentum: null });
  drop = new nn.Dropout(0.5);
  fc = new nn.Linear(4, 5);
  log_softmax = new nn.LogSoftmax(1);
  forward(x: Tensor): Tensor {
    x = this.drop2d.forward(this.pool.forward(F.relu(this.conv.forward(x))));
    x = this.bn.forward(this.gap.forward(x).flatten(1));
    return this.log_softmax.forward(this.fc.forward(this.drop.forward(x)));
  }
}

// Runs a model in train mode twice (seeded), then in eval mode; records outputs, gradients, buffers.
function exercise(model: nn.Module & { forward(x: Tensor): Tensor }, x: Tensor, target: Tensor, seed: number) {
  const outs: Nested[] = [];
  for (let i = 0; i < 2; i++) {
    torch.manualSeed(seed + i);
    model.zeroGrad();
    const out = model.forward(x);
    F.nllLoss(model instanceof Toolbox ? out.log() : out, target).backward();
    outs.push(arr(out));
  }
  const grads = Object.fromEntries(model.namedParameters().map(([k, p]) => [k, arr(p.grad!)]));
  model.eval();
  const evalOut = arr(torch.noGrad(() => model.forward(x)));
  model.train();
  const buffers = Object.fromEntries(model.namedBuffers().map(([k, b]) => [k, arr(b)]));
  return { outs, grads, evalOut, buffers };
}

const PY_EXERCISE = `
def exercise(model, x, target, seed, log_out):
    outs = []
    for i in range(2):
        torch.manual_seed(seed + i)
        model.zero_grad()
        out = model(x)
        F.nll_loss(out.log() if log_out else out, target).backward()
        outs.append(out.tolist())
    grads = {k: p.grad.tolist() for k, p in model.named_parameters()}
    model.eval()
    with torch.no_grad(): ev = model(x).tolist()
    model.train()
    return {'outs': outs, 'grads': grads, 'evalOut': ev, 'buffers': {k: b.tolist() for k, b in model.named_buffers()}}
`;

let dir: string;
let ours: ReturnType<typeof exercise>[];
let py: ReturnType<typeof exercise>[];
let toolbox: Toolbox;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libtorch-node-layers-'));
  torch.manualSeed(3);
  toolbox = new Toolbox();
  const cnn = new Cnn();
  torch.save({ toolbox: toolbox.stateDict(), cnn: cnn.stateDict() }, path.join(dir, 'init.pth'));
  const idx = torch.tensor([[1, 0, 3], [4, 4, 9], [0, 0, 2], [7, 5, 1], [2, 8, 6]], { dtype: 'int64' });
  const x = torch.randn([6, 3, 6, 6]);
  const t1 = torch.tensor([0, 2, 1, 1, 0], { dtype: 'int64' });
  const t2 = torch.tensor([4, 3, 0, 1, 2, 2], { dtype: 'int64' });
  // The toolbox's output is a softmax: its loss takes the log, as the Python side does.
  ours = [exercise(toolbox, idx, t1, 10), exercise(cnn, x, t2, 20)];
  py = runPython(
    PY_TOOLBOX +
      PY_EXERCISE +
      `
sd = torch.load(inp['dir'] + '/init.pth')
tb, cnn = Toolbox(), Cnn()
tb.load_state_dict(sd['toolbox']); cnn.load_state_dict(sd['cnn'])
T = torch.tensor
print(json.dumps([exercise(tb, T(inp['idx']), T(inp['t1']), 10, True), exercise(cnn, T(inp['x']), T(inp['t2']), 20, False)]))`,
    { dir, idx: arr(idx), x: arr(x), t1: arr(t1), t2: arr(t2) },
  );
}, 120_000);

describe('new layers equal PyTorch inside models (strict state-dict load, forward, gradients, buffers)', () => {
  ['Embedding, ModuleList, ModuleDict, LayerNorm, BatchNorm1d, GELU, SiLU, Tanh, Sigmoid, Softmax, nn.Parameter', 'Conv2d, MaxPool2d, Dropout2d, AdaptiveAvgPool2d, BatchNorm1d(momentum None), Dropout, LogSoftmax'].forEach(
    (name, m) => {
      it(`${name}: train-mode outputs (dropout masks included) and gradients`, () => {
        ours[m].outs.forEach((o, i) => expect(maxDiff(o, py[m].outs[i]), `forward ${i}`).toBeLessThan(1e-5));
        expect(Object.keys(ours[m].grads)).toEqual(Object.keys(py[m].grads));
        for (const k of Object.keys(py[m].grads)) expect(maxDiff(ours[m].grads[k], py[m].grads[k]), k).toBeLessThan(1e-5);
      });
      it(`${name}: running statistics and eval-mode output`, () => {
        expect(Object.keys(ours[m].buffers)).toEqual(Object.keys(py[m].buffers));
        for (const k of Object.keys(py[m].buffers)) expect(maxDiff(ours[m].buffers[k], py[m].buffers[k]), k).toBeLessThan(1e-5);
        expect(maxDiff(ours[m].evalOut, py[m].evalOut)).toBeLessThan(1e-5);
      });
    },
  );

  it("the embedding's padding row gets no gradient", () => {
    expect((ours[0].grads['emb.weight'] as number[][])[0]).toEqual([0, 0, 0, 0]);
  });
});

describe('nn.Parameter and containers', () => {
  it('a Parameter assigned to a field is registered; a plain tensor stays an attribute, as in PyTorch', () => {
    class M extends nn.Module {
      w = nn.Parameter(torch.ones([2]));
      frozen = nn.Parameter(torch.zeros([1]), false);
      plain = torch.ones([3]);
      forward(x: Tensor) {
        return x.mul(this.w);
      }
    }
    const m = new M();
    expect(m.namedParameters().map(([k]) => k)).toEqual(['w', 'frozen']);
    expect(Object.keys(m.stateDict())).toEqual(['w', 'frozen']);
    expect(m.w.requiresGrad).toBe(true);
    expect(m.frozen.requiresGrad).toBe(false);
    expect(nn.isParameter(m.w)).toBe(true);
    expect(nn.isParameter(m.plain)).toBe(false);
    // The optimizer sees it and trains it.
    const opt = new torch.optim.SGD(m.parameters(), { lr: 0.5 });
    m.forward(torch.tensor([1, 2])).sum().backward();
    opt.step();
    expect(m.w.toArray()).toEqual([0.5, 0]);
    // Kept out of tidy(): the module owns it.
    torch.tidy(() => m.forward(torch.ones([2])));
    expect(m.w.isDisposed).toBe(false);
  });

  it('ModuleList and ModuleDict index, iterate and refuse a forward call', () => {
    const list = new nn.ModuleList([new nn.ReLU(), new nn.Tanh()]).append(new nn.GELU());
    expect(list.length).toBe(3);
    expect(list.at(-1)).toBeInstanceOf(nn.GELU);
    expect([...list].map((l) => l.constructor.name)).toEqual(['ReLU', 'Tanh', 'GELU']);
    expect(() => list.at(5)).toThrow(/index 5 is out of range/);
    expect(() => list.forward()).toThrow(/ModuleList has no forward/);
    const dict = new nn.ModuleDict({ a: new nn.Linear(2, 2) });
    dict.set('b', new nn.Identity());
    expect(dict.keys()).toEqual(['a', 'b']);
    expect(Object.keys(dict.stateDict())).toEqual(['a.weight', 'a.bias']);
    expect(dict.delete('a')).toBe(true);
    expect(dict.keys()).toEqual(['b']);
    expect(() => dict.get('a')).toThrow(/ModuleDict: no module named 'a'/);
    expect(() => dict.set('keys', new nn.ReLU())).toThrow(/attribute 'keys' already exists/);
  });

  it('layers reject bad arguments with messages that name them', () => {
    expect(() => new nn.Dropout(2)).toThrow(/Dropout: dropout probability has to be between 0 and 1, but got 2/);
    expect(() => new nn.BatchNorm1d(3).forward(torch.zeros([2, 3, 4, 5]))).toThrow(/BatchNorm1d: expected 2D or 3D input \(got 4D input\)/);
    expect(() => new nn.Embedding(3, 2, { paddingIdx: 3 })).toThrow(/padding_idx must be within num_embeddings/);
    expect(() => new nn.Softmax(0.5)).toThrow(/Softmax: dim must be an integer/);
    expect(() => F.embedding(torch.zeros([2]), torch.zeros([3, 2]))).toThrow(/embedding: input must be int64 or int32 indices/);
  });

  it('print like PyTorch', () => {
    expect(new nn.MaxPool2d(2).toString()).toBe('MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)');
    expect(new nn.Dropout(0.1).toString()).toBe('Dropout(p=0.1, inplace=False)');
    expect(new nn.LayerNorm(6).toString()).toBe('LayerNorm((6,), eps=1e-05, elementwise_affine=True)');
    expect(new nn.BatchNorm1d(4, { momentum: null }).toString()).toBe('BatchNorm1d(4, eps=1e-05, momentum=None, affine=True, track_running_stats=True)');
  });
});
