// The ResNet family against the seed report's PyTorch model (defined inline below, with the usual
// option-A LambdaLayer added): parameter counts, state-dict keys, logits and gradients.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { models, nn, Tensor, tidy, memory } from '../../lib';
import { runPython } from '../helpers/python';

import { SEED_MODEL } from '../helpers/seed_model';

beforeAll(() => torch.setNumThreads(1));

describe('parameter counts', () => {
  it('ResNet-20 with the seed’s projection shortcut (B) has 272,474 parameters', () => {
    expect(models.resnet20().parameterCount()).toBe(272474);
    expect(models.resnet20({ shortcut: 'B' }).parameterCount()).toBe(272474);
  });

  it('option A (parameter-free shortcut): 20/32/44/56/110 have 0.27M/0.46M/0.66M/0.85M/1.7M', () => {
    const counts = [models.resnet20, models.resnet32, models.resnet44, models.resnet56, models.resnet110].map((f) =>
      tidy(() => f({ shortcut: 'A' }).parameterCount()),
    );
    expect(counts).toEqual([269722, 464154, 658586, 853018, 1727962]);
  });

  it('option B counts of every depth and numClasses equal the PyTorch model’s', () => {
    const ours = [3, 5, 7, 9, 18].map((n) => new models.ResNet(models.BasicBlock, [n, n, n]).parameterCount());
    ours.push(models.resnet20({ numClasses: 100 }).parameterCount());
    const py = runPython(
      SEED_MODEL +
        `counts = [sum(p.numel() for p in ResNet(BasicBlock, [n, n, n]).parameters()) for n in (3, 5, 7, 9, 18)]
counts.append(sum(p.numel() for p in ResNet(BasicBlock, [3, 3, 3], num_classes=100).parameters()))
print(json.dumps(counts))`,
    );
    expect(ours).toEqual(py);
  });
});

describe('state-dict keys', () => {
  for (const option of ['B', 'A'] as const) {
    it(`shortcut ${option}: the full ordered key list equals PyTorch's model.state_dict().keys()`, () => {
      const keys = Object.keys(models.resnet20({ shortcut: option }).stateDict());
      const py = runPython(SEED_MODEL + `print(json.dumps(list(ResNet20(inp).state_dict().keys())))`, option);
      expect(keys).toEqual(py);
      if (option === 'B') {
        expect(keys).toContain('layer2.0.shortcut.0.weight');
        expect(keys).toContain('layer2.0.shortcut.1.running_mean');
        expect(keys.slice(0, 6)).toEqual([
          'conv1.weight', 'bn1.weight', 'bn1.bias', 'bn1.running_mean', 'bn1.running_var', 'bn1.num_batches_tracked',
        ]);
        expect(keys.slice(-2)).toEqual(['linear.weight', 'linear.bias']);
      }
    });
  }
});

// Gives batch-norm non-trivial affine parameters and running statistics, so eval mode tests them.
function perturb(model: nn.Module): void {
  torch.noGrad(() => {
    for (const [name, t] of Object.entries(model.stateDict())) {
      if (name.endsWith('bn1.weight') || name.endsWith('bn2.weight') || name.endsWith('shortcut.1.weight')) {
        t.copy_(torch.randn(t.shape).mul(0.2).add(1));
      } else if (name.endsWith('.bias') && !name.startsWith('linear')) {
        t.copy_(torch.randn(t.shape).mul(0.1));
      } else if (name.endsWith('running_mean')) {
        t.copy_(torch.randn(t.shape).mul(0.1));
      } else if (name.endsWith('running_var')) {
        t.copy_(torch.rand(t.shape).mul(0.5).add(0.75));
      }
    }
  });
}

type Nested = number | Nested[];
const flat = (x: Nested): number[] => (Array.isArray(x) ? x.flatMap(flat) : [x]);
function maxDiff(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  return Math.max(0, ...a.map((v, i) => Math.abs(v - b[i])));
}
const values = (t: Tensor) => flat(t.toArray() as Nested);

describe('ResNet-20 equals the PyTorch model with the same weights', () => {
  for (const option of ['B', 'A'] as const) {
    it(`shortcut ${option}: eval and train logits, running statistics and every gradient agree to 1e-4`, () => {
      torch.manualSeed(2024);
      const model = models.resnet20({ shortcut: option });
      perturb(model);
      const weights = Object.fromEntries(
        Object.entries(model.stateDict()).map(([k, t]) => [k, { shape: t.shape, dtype: t.dtype, data: values(t) }]),
      );
      const x = torch.randn([4, 3, 32, 32]);
      const target = torch.tensor([3, 0, 9, 3], { dtype: 'int64' });

      model.eval();
      const evalLogits = values(torch.noGrad(() => model.forward(x)));
      model.train();
      const trainOut = model.forward(x);
      const loss = nn.functional.crossEntropy(trainOut, target);
      loss.backward();
      const grads = Object.fromEntries(model.namedParameters().map(([n, p]) => [n, values(p.grad!)]));
      const after = Object.fromEntries(model.namedBuffers().map(([n, b]) => [n, values(b)]));

      const py = runPython(
        SEED_MODEL +
          `
torch.set_num_threads(1)
model = ResNet20(inp['option'])
sd = {k: torch.tensor(v['data'], dtype=torch.long if v['dtype'] == 'int64' else torch.float32).view(v['shape'])
      for k, v in inp['weights'].items()}
model.load_state_dict(sd)
x = torch.tensor(inp['x'])
target = torch.tensor(inp['target'])
model.eval()
with torch.no_grad():
    eval_logits = model(x)
model.train()
out = model(x)
loss = F.cross_entropy(out, target)
loss.backward()
print(json.dumps({
  'eval': eval_logits.flatten().tolist(), 'train': out.flatten().tolist(), 'loss': loss.item(),
  'grads': {n: p.grad.flatten().tolist() for n, p in model.named_parameters()},
  'buffers': {n: b.flatten().tolist() for n, b in model.named_buffers()}}))
`,
        { option, weights, x: x.toArray(), target: [3, 0, 9, 3] },
      );
      expect(maxDiff(evalLogits, py.eval)).toBeLessThan(1e-4);
      expect(maxDiff(values(trainOut), py.train)).toBeLessThan(1e-4);
      // Train and eval outputs differ, so batch statistics were really used.
      expect(maxDiff(evalLogits, py.train)).toBeGreaterThan(1e-3);
      expect(loss.item()).toBeCloseTo(py.loss, 5);
      expect(Object.keys(grads)).toEqual(Object.keys(py.grads));
      for (const [n, g] of Object.entries(grads)) expect(maxDiff(g, py.grads[n]), n).toBeLessThan(1e-4);
      expect(Object.keys(after)).toEqual(Object.keys(py.buffers));
      for (const [n, b] of Object.entries(after)) expect(maxDiff(b, py.buffers[n]), n).toBeLessThan(1e-5);
      expect(after['bn1.num_batches_tracked']).toEqual([1]);
    });
  }
});

describe('ResNet-32, 44, 56 and 110 with option-A shortcuts equal the PyTorch model with the same weights', () => {
  it('parameter counts and the eval and train logits (weights through a .pth file) agree to 1e-4', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-depths-'));
    try {
      torch.manualSeed(7);
      const x = torch.randn([2, 3, 32, 32]);
      const ours = [5, 7, 9, 18].map((n) =>
        tidy(() => {
          const model = new models.ResNet(models.BasicBlock, [n, n, n], { shortcut: 'A' });
          perturb(model);
          torch.save(model.stateDict(), path.join(dir, `n${n}.pth`));
          model.eval();
          const evalLogits = values(torch.noGrad(() => model.forward(x)));
          model.train();
          return { n, count: model.parameterCount(), eval: evalLogits, train: values(torch.noGrad(() => model.forward(x))) };
        }),
      );
      const py = runPython(
        SEED_MODEL +
          `
torch.set_num_threads(1)
x = torch.tensor(inp['x'])
out = []
for n in (5, 7, 9, 18):
    model = ResNet(BasicBlock, [n, n, n], option='A')
    model.load_state_dict(torch.load(inp['dir'] + '/n%d.pth' % n))
    model.eval()
    with torch.no_grad():
        e = model(x).flatten().tolist()
        model.train()
        t = model(x).flatten().tolist()
    out.append({'n': n, 'count': sum(p.numel() for p in model.parameters()), 'eval': e, 'train': t})
print(json.dumps(out))
`,
        { x: x.toArray(), dir },
      );
      expect(ours.map((o) => [o.n, o.count])).toEqual(py.map((o: { n: number; count: number }) => [o.n, o.count]));
      ours.forEach((o, i) => {
        expect(maxDiff(o.eval, py[i].eval), `n=${o.n} eval`).toBeLessThan(1e-4);
        expect(maxDiff(o.train, py[i].train), `n=${o.n} train`).toBeLessThan(1e-4);
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ResNet memory', () => {
  it('a training step inside tidy() leaves the live-tensor count flat', () => {
    const model = models.resnet20({ shortcut: 'A' });
    const opt = new torch.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 1e-4 });
    const x = torch.randn([2, 3, 32, 32]);
    const y = torch.tensor([1, 2], { dtype: 'int64' });
    const step = () =>
      tidy(() => {
        opt.zeroGrad();
        const loss = nn.functional.crossEntropy(model.forward(x), y);
        loss.backward();
        opt.step();
        return loss.item() as number;
      });
    step(); // creates the momentum buffers
    const start = memory().liveTensors;
    const losses = [0, 1, 2, 3, 4].map(step);
    expect(memory().liveTensors).toBe(start);
    // Five steps on one batch: the loss goes down.
    expect(losses[4]).toBeLessThan(losses[0]);
    // Forward alone as well (tidy keeps what it returns: the logits are disposed here).
    for (let i = 0; i < 5; i++) tidy(() => model.forward(x)).dispose();
    expect(memory().liveTensors).toBe(start);
  });
});
