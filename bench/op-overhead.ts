// Per-op overhead: nanoseconds per small op call from TypeScript versus the same loop in Python torch
// on the same machine and libtorch; and the op bound directly (bindOp, as lib/generated makes torch.add)
// against the same op as users call it (x.add, F.conv2d: the generated method and the nn.functional wrapper,
// both over the same generic call; there are no hand-written op bindings). Run: npx tsx bench/op-overhead.ts [--iters 100000] [--repeats 5] [--clock cpu|wall]
// Ours and Python's run interleaved, round by round (bench/interleave.ts); --repeats is the number of rounds.
// --clock cpu (the default) times the process's CPU time, not the wall clock: on a shared machine the wall
// clock counts the time other processes ran; both sides run one thread, so CPU time is the op's cost.
// --instructions counts instructions under callgrind instead (bench/instructions.ts): a child process per
// side and op, run with N and with 3N iterations after the same set-up and warm-up, the difference over 2N;
// it also measures the `add` inside a `tidy` scope. Sizes: --iters (default 20,000 for add, 1/20 for conv).
import * as torch from '../lib';
import { bindOp } from '../lib/ops';
import { PYTHON } from '../test/helpers/python';
import { DIST, instructionRatios, nodeChild, pythonChild, wantsInstructions } from './instructions';
import { interleave, PythonTimer, timeNs, type Clock } from './interleave';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const ITERS = arg('--iters', 100_000);
const REPEATS = arg('--repeats', 5);
const CLOCK = (process.argv.includes('--clock') ? process.argv[process.argv.indexOf('--clock') + 1] : 'cpu') as Clock;

// Our side's loops. Each result is disposed at once, as Python's refcount frees it at once; `tidyAdd` is
// 100 adds inside one tidy(), freed at its end (Python: the same loop, each freed by its refcount).
function ourLoops() {
  torch.setNumThreads(1);
  const a = torch.ones([1]);
  const b = torch.ones([1]);
  const x = torch.randn([1, 16, 8, 8]);
  const w = torch.randn([16, 16, 3, 3]);
  const conv = torch.nn.functional.conv2d;
  // The same two ops bound directly, as the generated torch.add / F.conv2d make them.
  const gAdd = bindOp<(a: torch.Tensor, b: torch.Tensor) => torch.Tensor>('torch.add', ['add.Tensor', 'add.Scalar']);
  const gConv = bindOp<(...a: unknown[]) => torch.Tensor>('F.conv2d', ['conv2d', 'conv2d.padding']);
  return {
    add: () => a.add(b).dispose(),
    tidyAdd: () => torch.tidy(() => { for (let i = 0; i < 100; i++) a.add(b); }),
    conv2d: () => conv(x, w, null, { stride: 1, padding: 1 }).dispose(),
    genericAdd: () => gAdd(a, b).dispose(),
    genericConv: () => gConv(x, w, null, 1, 1).dispose(),
  };
}

const PY_SETUP = `
import torch
import torch.nn.functional as F
torch.set_num_threads(1)
a = torch.ones(1); b = torch.ones(1)
x = torch.randn(1, 16, 8, 8); w = torch.randn(16, 16, 3, 3)
def add100():
    for _ in range(100): torch.add(a, b)
FNS = {"add": lambda: torch.add(a, b), "add100": add100, "conv": lambda: F.conv2d(x, w, None, 1, 1)}
`;

// --- instruction counts -------------------------------------------------------------------------------
// One op in a child process (plain Node on the built dist/, no TypeScript loader in the count): set-up, a
// fixed warm-up, then `iters` calls. Ops: add | tidyAdd (100 adds in one tidy scope) | conv2d.
const NODE_CHILD = `
const torch = require(${JSON.stringify(DIST)});
const [op, iters] = [process.argv[1], Number(process.argv[2])];
torch.setNumThreads(1);
const a = torch.ones([1]), b = torch.ones([1]);
const x = torch.randn([1, 16, 8, 8]), w = torch.randn([16, 16, 3, 3]);
const conv = torch.nn.functional.conv2d;
const { bindOp } = require(${JSON.stringify(DIST)} + '/ops');
const gAdd = bindOp('torch.add', ['add.Tensor', 'add.Scalar']);
const gConv = bindOp('F.conv2d', ['conv2d', 'conv2d.padding']);
const fn = {
  add: () => a.add(b).dispose(),
  genericAdd: () => gAdd(a, b).dispose(),
  genericConv2d: () => gConv(x, w, null, 1, 1).dispose(),
  tidyAdd: () => torch.tidy(() => { for (let i = 0; i < 100; i++) a.add(b); }),
  conv2d: () => conv(x, w, null, { stride: 1, padding: 1 }).dispose(),
};
// The same warm-up whatever the op: the N and 3N runs then differ only in the loop.
for (let i = 0; i < 2000; i++) fn.add();
for (let i = 0; i < 20; i++) fn.tidyAdd();
for (let i = 0; i < 100; i++) fn.conv2d();
for (let i = 0; i < 2000; i++) fn.genericAdd();
for (let i = 0; i < 100; i++) fn.genericConv2d();
for (let i = 0; i < iters; i++) fn[op]();
`;

const PY_CHILD = `
import sys, torch
import torch.nn.functional as F
torch.set_num_threads(1)
op, iters = sys.argv[1], int(sys.argv[2])
a = torch.ones(1); b = torch.ones(1)
x = torch.randn(1, 16, 8, 8); w = torch.randn(16, 16, 3, 3)
def add(): torch.add(a, b)
def add100():
    for _ in range(100): torch.add(a, b)
def conv(): F.conv2d(x, w, None, 1, 1)
fn = {"add": add, "tidyAdd": add100, "conv2d": conv, "genericAdd": add, "genericConv2d": conv}
for _ in range(2000): add()
for _ in range(20): add100()
for _ in range(100): conv()
for _ in range(iters): fn[op]()
`;

function instructions(): void {
  const iters = arg('--iters', 20_000);
  const conv = Math.max(1, iters / 20);
  const sizes: Record<string, number> = { add: iters, tidyAdd: Math.max(1, iters / 100), conv2d: conv, genericAdd: iters, genericConv2d: conv };
  const r = instructionRatios(
    (op, k) => nodeChild(NODE_CHILD, [op, String(k)]),
    (op, k) => pythonChild(PY_CHILD, [op, String(k)]),
    sizes,
  );
  // tidyAdd's iteration is 100 adds in one scope (Python: 100 adds).
  const t = r.tidyAdd;
  // generic*: the same op bound directly (bindOp, as lib/generated makes torch.add); Python's is the same op.
  const per = {
    add1: r.add,
    add1Generic: r.genericAdd,
    add1InTidy: { ours: Math.round(t.ours / 100), python: Math.round(t.python / 100), ratio: t.ratio },
    conv2d_1x16x8x8: r.conv2d,
    conv2dGeneric: r.genericConv2d,
  };
  console.log(JSON.stringify({ libtorch: torch.libtorchVersion, python: PYTHON, mode: 'instructions per op (callgrind)', iterations: sizes, ...per }, null, 2));
}

if (wantsInstructions()) {
  instructions();
} else {
  void main();
}

async function main(): Promise<void> {
  const loops = ourLoops();
  const py = new PythonTimer(PY_SETUP, CLOCK);
  const pythonTorch = await py.version();
  const mine = (fn: () => void, per = 1) => (n: number) => timeNs(fn, n, CLOCK) / per;
  const r = await interleave(
    py,
    {
      add1: { ours: mine(loops.add), python: 'add', iters: ITERS },
      add1InTidy: { ours: mine(loops.tidyAdd), python: 'add100', iters: ITERS / 100 },
      conv2d_1x16x8x8: { ours: mine(loops.conv2d), python: 'conv', iters: ITERS / 10 },
    },
    REPEATS,
  );
  py.close();
  // The bound op against the method (or functional) form: ours only, also interleaved round by round.
  const bound = { add: [] as number[], method: [] as number[], conv: [] as number[], functional: [] as number[] };
  for (let i = 0; i < REPEATS; i++) {
    bound.add.push(timeNs(loops.genericAdd, ITERS, CLOCK));
    bound.method.push(timeNs(loops.add, ITERS, CLOCK));
    bound.conv.push(timeNs(loops.genericConv, ITERS / 10, CLOCK));
    bound.functional.push(timeNs(loops.conv2d, ITERS / 10, CLOCK));
  }
  const med = (xs: number[]) => Math.round([...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)]);
  const per = (k: keyof typeof r, div = 1) => ({
    typescript: Math.round(r[k].ours / div),
    python: Math.round(r[k].python / div),
    ratio: r[k].ratio,
  });
  const result = {
    machine: `${require('os').cpus()[0].model}, ${require('os').cpus().length} cores`,
    libtorch: torch.libtorchVersion,
    pythonTorch,
    clock: CLOCK,
    iterations: ITERS,
    rounds: REPEATS,
    note: 'interleaved: a round of ours, then the same round in Python; values are medians, ratio is the median of the rounds\' ratios',
    nsPerOp: { add1: per('add1'), add1InTidy: per('add1InTidy', 100), conv2d_1x16x8x8: per('conv2d_1x16x8x8') },
    boundVsMethod: {
      add1: { bound: med(bound.add), method: med(bound.method), ratio: +(med(bound.add) / med(bound.method)).toFixed(3) },
      conv2d_1x16x8x8: { bound: med(bound.conv), functional: med(bound.functional), ratio: +(med(bound.conv) / med(bound.functional)).toFixed(3) },
    },
  };
  console.log(JSON.stringify(result, null, 2));
}
