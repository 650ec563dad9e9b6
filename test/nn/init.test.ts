// nn.init against Python's torch.nn.init: after the same manual seed, every initializer that draws
// with uniform_/normal_/randperm gives exactly Python's values (same ATen calls in the same order);
// orthogonal_ goes through a QR decomposition and is compared to a tolerance. calculateGain and the
// fan rules are PyTorch's.
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { Tensor, nn } from '../../lib';
import { Nested, arr, maxDiff } from '../helpers/compare';
import { runPython } from '../helpers/python';

const init = nn.init;

interface Case {
  name: string;
  shape: number[];
  ours: (t: Tensor) => Tensor;
  /** Python statement on `w`, with torch, nn.init as init and math in scope. */
  py: string;
  exact: boolean;
}

const CASES: Case[] = [
  { name: 'uniform_(w, -0.5, 2)', shape: [3, 4], ours: (t) => init.uniform_(t, -0.5, 2), py: 'init.uniform_(w, -0.5, 2)', exact: true },
  { name: 'normal_(w, 1, 0.3)', shape: [3, 4], ours: (t) => init.normal_(t, 1, 0.3), py: 'init.normal_(w, 1, 0.3)', exact: true },
  { name: 'trunc_normal_(w, 0.5, 2, -1, 3)', shape: [40], ours: (t) => init.truncNormal_(t, 0.5, 2, -1, 3), py: 'init.trunc_normal_(w, 0.5, 2, -1, 3)', exact: true },
  { name: 'trunc_normal_(w, 0, 5, -0.5, 0.5) (little mass inside: proposals on [a, b] from 2.12)', shape: [50], ours: (t) => init.truncNormal_(t, 0, 5, -0.5, 0.5), py: 'init.trunc_normal_(w, 0, 5, -0.5, 0.5)', exact: true },
  { name: 'trunc_normal_(w) (defaults)', shape: [6, 5], ours: (t) => init.truncNormal_(t), py: 'init.trunc_normal_(w)', exact: true },
  { name: 'constant_(w, 0.25)', shape: [2, 3], ours: (t) => init.constant_(t, 0.25), py: 'init.constant_(w, 0.25)', exact: true },
  { name: 'ones_(w)', shape: [2, 3], ours: (t) => init.ones_(t), py: 'init.ones_(w)', exact: true },
  { name: 'zeros_(w)', shape: [2, 3], ours: (t) => init.zeros_(t), py: 'init.zeros_(w)', exact: true },
  { name: 'eye_(w) (rectangular)', shape: [3, 5], ours: (t) => init.eye_(t), py: 'init.eye_(w)', exact: true },
  { name: 'dirac_(w) (conv2d weight)', shape: [4, 3, 3, 3], ours: (t) => init.dirac_(t), py: 'init.dirac_(w)', exact: true },
  { name: 'dirac_(w, groups 2) (conv1d weight)', shape: [4, 3, 5], ours: (t) => init.dirac_(t, 2), py: 'init.dirac_(w, 2)', exact: true },
  { name: 'xavier_uniform_(w, gain relu)', shape: [5, 3, 2, 2], ours: (t) => init.xavierUniform_(t, init.calculateGain('relu')), py: "init.xavier_uniform_(w, gain=init.calculate_gain('relu'))", exact: true },
  { name: 'xavier_normal_(w)', shape: [6, 4], ours: (t) => init.xavierNormal_(t), py: 'init.xavier_normal_(w)', exact: true },
  { name: 'kaiming_uniform_(w, a=sqrt(5)) (nn.Linear\'s init)', shape: [8, 5], ours: (t) => init.kaimingUniform_(t, { a: Math.sqrt(5) }), py: 'init.kaiming_uniform_(w, a=math.sqrt(5))', exact: true },
  {
    name: "kaiming_uniform_(w, mode='fan_out', nonlinearity='relu')",
    shape: [4, 3, 3, 3],
    ours: (t) => init.kaimingUniform_(t, { mode: 'fan_out', nonlinearity: 'relu' }),
    py: "init.kaiming_uniform_(w, mode='fan_out', nonlinearity='relu')",
    exact: true,
  },
  {
    name: "kaiming_normal_(w, a=0.2, nonlinearity='leaky_relu') under snake_case-free options",
    shape: [6, 4, 3],
    ours: (t) => init.kaimingNormal_(t, { a: 0.2, nonlinearity: 'leaky_relu' }),
    py: "init.kaiming_normal_(w, a=0.2, nonlinearity='leaky_relu')",
    exact: true,
  },
  { name: "kaiming_normal_(w, mode='fan_out', nonlinearity='tanh')", shape: [5, 7], ours: (t) => init.kaimingNormal_(t, { mode: 'fan_out', nonlinearity: 'tanh' }), py: "init.kaiming_normal_(w, mode='fan_out', nonlinearity='tanh')", exact: true },
  { name: 'sparse_(w, 0.3, std 0.5)', shape: [7, 4], ours: (t) => init.sparse_(t, 0.3, 0.5), py: 'init.sparse_(w, 0.3, std=0.5)', exact: true },
  { name: 'orthogonal_(w) (tall)', shape: [6, 4], ours: (t) => init.orthogonal_(t), py: 'init.orthogonal_(w)', exact: false },
  { name: 'orthogonal_(w, gain 2) (wide conv weight)', shape: [3, 2, 2, 2], ours: (t) => init.orthogonal_(t, 2), py: 'init.orthogonal_(w, gain=2)', exact: false },
  // Python's keyword arguments as one options object.
  { name: 'uniform_(w, a=-1, b=0.5) as { a, b }', shape: [3, 4], ours: (t) => init.uniform_(t, { a: -1, b: 0.5 }), py: 'init.uniform_(w, a=-1, b=0.5)', exact: true },
  { name: 'normal_(w, mean=1, std=0.5) as { mean, std }', shape: [3, 4], ours: (t) => init.normal_(t, { mean: 1, std: 0.5 }), py: 'init.normal_(w, mean=1, std=0.5)', exact: true },
  { name: 'xavier_normal_(w, gain=2) as { gain }', shape: [6, 4], ours: (t) => init.xavierNormal_(t, { gain: 2 }), py: 'init.xavier_normal_(w, gain=2)', exact: true },
  { name: 'xavier_uniform_(w, gain=2) as { gain }', shape: [6, 4], ours: (t) => init.xavierUniform_(t, { gain: 2 }), py: 'init.xavier_uniform_(w, gain=2)', exact: true },
  { name: 'constant_(w, val=3) as { val }', shape: [2, 3], ours: (t) => init.constant_(t, { val: 3 }), py: 'init.constant_(w, val=3)', exact: true },
  { name: 'sparse_(w, sparsity=0.5, std=0.1) as { sparsity, std }', shape: [6, 3], ours: (t) => init.sparse_(t, { sparsity: 0.5, std: 0.1 }), py: 'init.sparse_(w, sparsity=0.5, std=0.1)', exact: true },
];

let ours: Nested[] = [];
let py: { values: Nested[]; gains: number[]; fans: number[][] } = { values: [], gains: [], fans: [] };
const GAINS: [nn.init.Nonlinearity, number | null][] = [
  ['linear', null], ['conv2d', null], ['sigmoid', null], ['tanh', null], ['relu', null], ['leaky_relu', null], ['leaky_relu', 0.2], ['selu', null],
];
const FAN_SHAPES = [[5, 3], [4, 3, 3, 3], [6, 2, 5]];

beforeAll(() => {
  ours = CASES.map((c, i) => {
    torch.manualSeed(500 + i);
    return arr(c.ours(torch.empty(c.shape)));
  });
  py = runPython(
    `
import torch, math
import torch.nn.init as init
values = []
for i, (shape, stmt) in enumerate(zip(inp['shapes'], inp['stmts'])):
    torch.manual_seed(500 + i)
    w = torch.empty(shape)
    exec(stmt, {'torch': torch, 'init': init, 'math': math, 'w': w})
    values.append(w.tolist())
gains = [init.calculate_gain(n, p) for n, p in inp['gains']]
fans = [list(init._calculate_fan_in_and_fan_out(torch.empty(s))) for s in inp['fanShapes']]
print(json.dumps({'values': values, 'gains': gains, 'fans': fans}))`,
    { shapes: CASES.map((c) => c.shape), stmts: CASES.map((c) => c.py), gains: GAINS, fanShapes: FAN_SHAPES },
  );
}, 120_000);

describe('nn.init equals torch.nn.init after the same seed', () => {
  CASES.forEach((c, i) => {
    it(`${c.name}: ${c.exact ? 'exactly' : 'to 1e-5'} Python's values`, () => {
      expect(maxDiff(ours[i], py.values[i])).toBeLessThanOrEqual(c.exact ? 0 : 1e-5);
    });
  });

  it("calculateGain and the fan rules are PyTorch's", () => {
    expect(GAINS.map(([n, p]) => init.calculateGain(n, p))).toEqual(py.gains);
    expect(FAN_SHAPES.map((s) => init.calculateFanInAndFanOut(torch.empty(s)))).toEqual(py.fans);
  });

  it('an initializer fills a parameter in place without recording autograd (libtorch refuses in-place ops on such leaves otherwise)', () => {
    const w = nn.Parameter(torch.empty([3, 3]));
    expect(init.kaimingUniform_(w)).toBe(w);
    expect(init.orthogonal_(w)).toBe(w);
    expect(w.requiresGrad).toBe(true);
    w.mul(2).sum().backward();
    expect(arr(w.grad!)).toEqual([[2, 2, 2], [2, 2, 2], [2, 2, 2]]);
  });

  it('refuses what PyTorch refuses, in one line', () => {
    expect(() => init.xavierUniform_(torch.empty([4]))).toThrow(/fewer than 2 dimensions/);
    expect(() => init.kaimingNormal_(torch.empty([2, 2]), { mode: 'fan_avg' as never })).toThrow(/mode fan_avg not supported/);
    expect(() => init.kaimingNormal_(torch.empty([2, 2]), { nonlinearty: 'relu' } as never)).toThrow("nn.init.kaimingNormal_: unknown option 'nonlinearty'; did you mean 'nonlinearity'?");
    expect(() => init.calculateGain('softmax' as never)).toThrow(/unsupported nonlinearity 'softmax'/);
    expect(() => init.dirac_(torch.empty([3, 3]))).toThrow(/3, 4, or 5 dimensions/);
    expect(() => init.eye_(torch.empty([2, 2, 2]))).toThrow(/2 dimensions/);
    expect(() => init.xavierNormal_(torch.empty([2, 2]), { gian: 2 } as never)).toThrow("nn.init.xavierNormal_: unknown option 'gian'; did you mean 'gain'?");
    expect(() => init.normal_(torch.empty([2, 2]), 'a' as never)).toThrow("nn.init.normal_: argument 'mean' must be a number, not the string 'a'");
    expect(() => init.constant_(torch.empty([2, 2]), {} as never)).toThrow("nn.init.constant_: missing the argument 'val'");
    expect(() => init.uniform_(torch.empty([2]), 0, { a: 1 } as never)).toThrow("nn.init.uniform_: got multiple values for 'a'");
  });
});
