// Every loss module of torch.nn (lib/nn/loss.ts) against the same PyTorch module on the same inputs:
// the loss for each reduction, the gradient of the first input, and the state-dict keys (the weight
// buffers). The functional forms give the module's value, and take the same options.
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { Tensor, nn } from '../../lib';
import { Nested, arr, maxDiff } from '../helpers/compare';
import { runPython } from '../helpers/python';

const F = nn.functional;
type Reduction = 'mean' | 'sum' | 'none';
const ALL: Reduction[] = ['none', 'mean', 'sum'];

interface Case {
  name: string;
  make: (reduction: Reduction) => nn.Module & { forward(...xs: any[]): Tensor };
  /** The Python constructor; {r} is the reduction. torch, nn and F are in scope. */
  py: string;
  inputs: () => Tensor[];
  reductions?: string[];
}

const pm1 = (n: number[]) => torch.randn(n).sign().add(0.5).sign(); // ±1, never 0
const idx = (xs: number[] | number[][]) => torch.tensor(xs, { dtype: 'int64' });
const cosDist = (a: Tensor, b: Tensor) => F.cosineSimilarity(a, b).neg().add(1);

const CASES: Case[] = [
  { name: 'L1Loss', make: (r) => new nn.L1Loss({ reduction: r }), py: "nn.L1Loss(reduction='{r}')", inputs: () => [torch.randn([4, 3]), torch.randn([4, 3])] },
  { name: 'MSELoss', make: (r) => new nn.MSELoss({ reduction: r }), py: "nn.MSELoss(reduction='{r}')", inputs: () => [torch.randn([4, 3]), torch.randn([4, 3])] },
  {
    name: 'CrossEntropyLoss(weight, ignoreIndex 1, labelSmoothing 0.1), class indices',
    make: (r) => new nn.CrossEntropyLoss({ weight: torch.tensor([1, 2, 0.5, 1]), ignoreIndex: 1, labelSmoothing: 0.1, reduction: r }),
    py: "nn.CrossEntropyLoss(weight=torch.tensor([1, 2, 0.5, 1.]), ignore_index=1, label_smoothing=0.1, reduction='{r}')",
    inputs: () => [torch.randn([5, 4]), idx([0, 1, 3, 2, 1])],
  },
  {
    name: 'CrossEntropyLoss(labelSmoothing 0.2), probability targets',
    make: (r) => new nn.CrossEntropyLoss({ labelSmoothing: 0.2, reduction: r }),
    py: "nn.CrossEntropyLoss(label_smoothing=0.2, reduction='{r}')",
    inputs: () => [torch.randn([3, 4]), torch.randn([3, 4]).softmax(1)],
  },
  {
    name: 'CrossEntropyLoss, K-dimensional [N, C, d] input',
    make: (r) => new nn.CrossEntropyLoss({ reduction: r }),
    py: "nn.CrossEntropyLoss(reduction='{r}')",
    inputs: () => [torch.randn([2, 3, 4]), idx([[0, 2, 1, 1], [2, 2, 0, 1]])],
  },
  {
    name: 'NLLLoss(weight, ignoreIndex 0)',
    make: (r) => new nn.NLLLoss({ weight: torch.tensor([0.3, 1, 2]), ignoreIndex: 0, reduction: r }),
    py: "nn.NLLLoss(weight=torch.tensor([0.3, 1, 2]), ignore_index=0, reduction='{r}')",
    inputs: () => [torch.randn([4, 3]).logSoftmax(1), idx([0, 1, 2, 2])],
  },
  {
    name: 'BCELoss(weight)',
    make: (r) => new nn.BCELoss({ weight: torch.tensor([0.5, 1, 2]), reduction: r }),
    py: "nn.BCELoss(weight=torch.tensor([0.5, 1, 2]), reduction='{r}')",
    inputs: () => [torch.rand([4, 3]).mul(0.9).add(0.05), torch.rand([4, 3])],
  },
  {
    name: 'BCEWithLogitsLoss(weight, posWeight)',
    make: (r) => new nn.BCEWithLogitsLoss({ weight: torch.tensor([0.5, 1, 2]), posWeight: torch.tensor([3, 1, 0.5]), reduction: r }),
    py: "nn.BCEWithLogitsLoss(weight=torch.tensor([0.5, 1, 2]), pos_weight=torch.tensor([3, 1, 0.5]), reduction='{r}')",
    inputs: () => [torch.randn([4, 3]), torch.rand([4, 3])],
  },
  { name: 'SmoothL1Loss(beta 0.5)', make: (r) => new nn.SmoothL1Loss({ beta: 0.5, reduction: r }), py: "nn.SmoothL1Loss(beta=0.5, reduction='{r}')", inputs: () => [torch.randn([5, 3]), torch.randn([5, 3])] },
  { name: 'HuberLoss(delta 0.3)', make: (r) => new nn.HuberLoss({ delta: 0.3, reduction: r }), py: "nn.HuberLoss(delta=0.3, reduction='{r}')", inputs: () => [torch.randn([5, 3]), torch.randn([5, 3])] },
  {
    name: 'KLDivLoss(logTarget)',
    make: (r) => new nn.KLDivLoss({ logTarget: true, reduction: r }),
    py: "nn.KLDivLoss(log_target=True, reduction='{r}')",
    inputs: () => [torch.randn([4, 3]).logSoftmax(1), torch.randn([4, 3]).logSoftmax(1)],
    reductions: [...ALL, 'batchmean'],
  },
  {
    name: 'CTCLoss(blank 0), tensor lengths',
    make: (r) => new nn.CTCLoss({ reduction: r }),
    py: "nn.CTCLoss(reduction='{r}')",
    inputs: () => [torch.randn([6, 2, 4]).logSoftmax(2), idx([[1, 2, 3], [3, 1, 1]]), idx([6, 5]), idx([3, 2])],
  },
  {
    name: 'CTCLoss(blank 3, zeroInfinity), an impossible alignment',
    make: (r) => new nn.CTCLoss({ blank: 3, zeroInfinity: true, reduction: r }),
    py: "nn.CTCLoss(blank=3, zero_infinity=True, reduction='{r}')",
    inputs: () => [torch.randn([3, 2, 4]).logSoftmax(2), idx([[1, 1, 1], [0, 2, 0]]), idx([3, 3]), idx([3, 2])],
  },
  { name: 'PoissonNLLLoss()', make: (r) => new nn.PoissonNLLLoss({ reduction: r }), py: "nn.PoissonNLLLoss(reduction='{r}')", inputs: () => [torch.randn([4, 3]), torch.rand([4, 3]).mul(5).floor()] },
  {
    name: 'PoissonNLLLoss(logInput false, full)',
    make: (r) => new nn.PoissonNLLLoss({ logInput: false, full: true, reduction: r }),
    py: "nn.PoissonNLLLoss(log_input=False, full=True, reduction='{r}')",
    inputs: () => [torch.rand([4, 3]).add(0.1), torch.rand([4, 3]).mul(5).floor()],
  },
  {
    name: 'GaussianNLLLoss(full), one variance per sample',
    make: (r) => new nn.GaussianNLLLoss({ full: true, reduction: r }),
    py: "nn.GaussianNLLLoss(full=True, reduction='{r}')",
    inputs: () => [torch.randn([4, 3]), torch.randn([4, 3]), torch.rand([4]).add(0.1)],
  },
  {
    name: 'GaussianNLLLoss(eps 0.05), elementwise variance',
    make: (r) => new nn.GaussianNLLLoss({ eps: 0.05, reduction: r }),
    py: "nn.GaussianNLLLoss(eps=0.05, reduction='{r}')",
    inputs: () => [torch.randn([4, 3]), torch.randn([4, 3]), torch.rand([4, 3])],
  },
  { name: 'MarginRankingLoss(margin 0.2)', make: (r) => new nn.MarginRankingLoss({ margin: 0.2, reduction: r }), py: "nn.MarginRankingLoss(margin=0.2, reduction='{r}')", inputs: () => [torch.randn([6]), torch.randn([6]), pm1([6])] },
  { name: 'HingeEmbeddingLoss(margin 0.5)', make: (r) => new nn.HingeEmbeddingLoss({ margin: 0.5, reduction: r }), py: "nn.HingeEmbeddingLoss(margin=0.5, reduction='{r}')", inputs: () => [torch.randn([5, 2]), pm1([5, 2])] },
  {
    name: 'MultiLabelMarginLoss',
    make: (r) => new nn.MultiLabelMarginLoss({ reduction: r }),
    py: "nn.MultiLabelMarginLoss(reduction='{r}')",
    inputs: () => [torch.randn([2, 4]), idx([[3, 0, -1, 1], [1, 2, 3, -1]])],
  },
  { name: 'SoftMarginLoss', make: (r) => new nn.SoftMarginLoss({ reduction: r }), py: "nn.SoftMarginLoss(reduction='{r}')", inputs: () => [torch.randn([5, 2]), pm1([5, 2])] },
  {
    name: 'MultiLabelSoftMarginLoss(weight)',
    make: (r) => new nn.MultiLabelSoftMarginLoss({ weight: torch.tensor([1, 0.5, 2, 1]), reduction: r }),
    py: "nn.MultiLabelSoftMarginLoss(weight=torch.tensor([1, 0.5, 2, 1]), reduction='{r}')",
    inputs: () => [torch.randn([3, 4]), torch.rand([3, 4]).round()],
  },
  { name: 'CosineEmbeddingLoss(margin 0.1)', make: (r) => new nn.CosineEmbeddingLoss({ margin: 0.1, reduction: r }), py: "nn.CosineEmbeddingLoss(margin=0.1, reduction='{r}')", inputs: () => [torch.randn([4, 5]), torch.randn([4, 5]), pm1([4])] },
  { name: 'MultiMarginLoss()', make: (r) => new nn.MultiMarginLoss({ reduction: r }), py: "nn.MultiMarginLoss(reduction='{r}')", inputs: () => [torch.randn([3, 4]), idx([0, 3, 1])] },
  {
    name: 'MultiMarginLoss(p 2, margin 0.5, weight)',
    make: (r) => new nn.MultiMarginLoss({ p: 2, margin: 0.5, weight: torch.tensor([1, 2, 0.5, 1]), reduction: r }),
    py: "nn.MultiMarginLoss(p=2, margin=0.5, weight=torch.tensor([1, 2, 0.5, 1.]), reduction='{r}')",
    inputs: () => [torch.randn([3, 4]), idx([0, 3, 1])],
  },
  { name: 'TripletMarginLoss()', make: (r) => new nn.TripletMarginLoss({ reduction: r }), py: "nn.TripletMarginLoss(reduction='{r}')", inputs: () => [torch.randn([4, 5]), torch.randn([4, 5]), torch.randn([4, 5])] },
  {
    name: 'TripletMarginLoss(margin 2, p 1, swap)',
    make: (r) => new nn.TripletMarginLoss({ margin: 2, p: 1, swap: true, reduction: r }),
    py: "nn.TripletMarginLoss(margin=2, p=1, swap=True, reduction='{r}')",
    inputs: () => [torch.randn([4, 5]), torch.randn([4, 5]), torch.randn([4, 5])],
  },
  {
    name: 'TripletMarginWithDistanceLoss() (pairwise distance)',
    make: (r) => new nn.TripletMarginWithDistanceLoss({ reduction: r }),
    py: "nn.TripletMarginWithDistanceLoss(reduction='{r}')",
    inputs: () => [torch.randn([4, 5]), torch.randn([4, 5]), torch.randn([4, 5])],
  },
  {
    name: 'TripletMarginWithDistanceLoss(cosine distance, margin 0.5, swap)',
    make: (r) => new nn.TripletMarginWithDistanceLoss({ distanceFunction: cosDist, margin: 0.5, swap: true, reduction: r }),
    py: "nn.TripletMarginWithDistanceLoss(distance_function=lambda a, b: 1 - F.cosine_similarity(a, b), margin=0.5, swap=True, reduction='{r}')",
    inputs: () => [torch.randn([4, 5]), torch.randn([4, 5]), torch.randn([4, 5])],
  },
];

interface Run {
  reduction: string;
  keys: string[];
  out: Nested;
  grad: Nested;
}
interface Ours {
  inputs: Nested[];
  dtypes: string[];
  runs: Run[];
}

function runOurs(c: Case, inputs: Tensor[]): Run[] {
  return (c.reductions ?? ALL).map((reduction) => {
    const loss = c.make(reduction as Reduction);
    const x0 = inputs[0].detach().requiresGrad_(true);
    const out = loss.forward(x0, ...inputs.slice(1));
    out.mul(torch.linspace(0.5, 1.5, out.numel()).view(out.shape)).sum().backward();
    return { reduction, keys: Object.keys(loss.stateDict()), out: arr(out), grad: arr(x0.grad!) };
  });
}

let ours: Ours[] = [];
let py: Run[][] = [];

beforeAll(() => {
  ours = CASES.map((c, i) => {
    torch.manualSeed(300 + i);
    const inputs = c.inputs();
    return { inputs: inputs.map(arr), dtypes: inputs.map((t) => t.dtype), runs: runOurs(c, inputs) };
  });
  py = runPython(
    `
import torch, torch.nn as nn, torch.nn.functional as F
res = []
for ctor, c in zip(inp['ctors'], inp['cases']):
    runs = []
    for r in c['reductions']:
        loss = eval(ctor.replace('{r}', r), {'torch': torch, 'nn': nn, 'F': F})
        xs = [torch.tensor(v, dtype=getattr(torch, d)) for v, d in zip(c['inputs'], c['dtypes'])]
        xs[0].requires_grad_(True)
        y = loss(*xs)
        (y * torch.linspace(0.5, 1.5, y.numel()).view(y.shape)).sum().backward()
        runs.append({'reduction': r, 'keys': list(loss.state_dict().keys()), 'out': y.tolist(), 'grad': xs[0].grad.tolist()})
    res.append(runs)
print(json.dumps(res))`,
    { ctors: CASES.map((c) => c.py), cases: ours.map((o) => ({ ...o, reductions: o.runs.map((r) => r.reduction) })) },
  );
}, 120_000);

describe('loss modules equal PyTorch for every reduction', () => {
  CASES.forEach((c, i) => {
    it(`${c.name}: loss, input gradient and state-dict keys (reductions ${(c.reductions ?? ALL).join(', ')})`, () => {
      ours[i].runs.forEach((run, j) => {
        const ref = py[i][j];
        expect(run.reduction).toBe(ref.reduction);
        expect(run.keys).toEqual(ref.keys);
        expect(maxDiff(run.out, ref.out)).toBeLessThan(1e-5);
        expect(maxDiff(run.grad, ref.grad)).toBeLessThan(1e-5);
      });
    });
  });
});

describe('the functional forms', () => {
  it('give the module values with the same options, under PyTorch snake_case names too', () => {
    torch.manualSeed(7);
    const x = torch.randn([5, 4]);
    const t = idx([0, 1, 3, 2, 1]);
    const w = torch.tensor([1, 2, 0.5, 1]);
    const mod = new nn.CrossEntropyLoss({ weight: w, ignoreIndex: 1, labelSmoothing: 0.1 }).forward(x, t);
    expect(F.crossEntropy(x, t, { weight: w, ignoreIndex: 1, labelSmoothing: 0.1 }).item()).toBe(mod.item());
    expect(F.crossEntropy(x, t, { weight: w, ignore_index: 1, label_smoothing: 0.1 } as never).item()).toBe(mod.item());
    const [a, p, n] = [torch.randn([3, 4]), torch.randn([3, 4]), torch.randn([3, 4])];
    expect(F.tripletMarginLoss(a, p, n, { margin: 2, swap: true }).item()).toBe(new nn.TripletMarginLoss({ margin: 2, swap: true }).forward(a, p, n).item());
  });

  it('refuse an unknown option naming the closest one, and a bad reduction', () => {
    const x = torch.randn([2, 3]);
    expect(() => F.crossEntropy(x, idx([0, 1]), { labelSmothing: 0.1 } as never)).toThrow("F.crossEntropy: unknown option 'labelSmothing'; did you mean 'labelSmoothing'?");
    expect(() => new nn.CrossEntropyLoss({ ignore_idx: 3 } as never)).toThrow("nn.CrossEntropyLoss: unknown option 'ignore_idx'; did you mean 'ignoreIndex'?");
    expect(() => new nn.TripletMarginLoss({ swp: true } as never)).toThrow(/did you mean 'swap'/);
    expect(() => F.softMarginLoss(x, x, { reduction: 'avg' as never })).toThrow("F.softMarginLoss: reduction must be 'mean', 'sum' or 'none', got 'avg'");
    expect(() => F.multiMarginLoss(x, idx([0, 1]), { p: 3 as never })).toThrow(/only p == 1 and p == 2/);
    expect(() => F.gaussianNllLoss(x, x, torch.full([2, 3], -1))).toThrow(/var has negative entry/);
  });
});
