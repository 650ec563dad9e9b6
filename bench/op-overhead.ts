// Per-op overhead: nanoseconds per small op call from TypeScript versus the same loop in Python torch
// on the same machine and libtorch; and the op bound directly (bindOp, as lib/generated makes torch.add)
// against the same op as users call it (x.add, F.conv2d: the generated method and the nn.functional wrapper,
// both over the same generic call; there are no hand-written op bindings). Run: npx tsx bench/op-overhead.ts [--iters 100000] [--repeats 5] [--clock cpu|wall]
// --clock cpu (the default) times the process's CPU time, not the wall clock: on a shared machine the wall
// clock counts the time other processes ran; both sides run one thread, so CPU time is the op's cost.
// --instructions counts instructions under callgrind instead (bench/instructions.ts): a child process per
// side and op, run with N and with 3N iterations after the same set-up and warm-up, the difference over 2N;
// it also measures the `add` inside a `tidy` scope. Sizes: --iters (default 20,000 for add, 1/20 for conv).
import { execFileSync } from 'child_process';
import * as torch from '../lib';
import { PYTHON } from '../test/helpers/python';
import { bindOp } from '../lib/ops';
import { DIST, instructionRatios, nodeChild, pythonChild, wantsInstructions } from './instructions';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const ITERS = arg('--iters', 100_000);
const REPEATS = arg('--repeats', 5);
const CLOCK = process.argv.includes('--clock') ? process.argv[process.argv.indexOf('--clock') + 1] : 'cpu';
const nowNs = (): bigint => {
  if (CLOCK === 'wall') return process.hrtime.bigint();
  const u = process.cpuUsage();
  return BigInt(u.user + u.system) * 1000n;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timeNs(fn: () => void, iters: number): number {
  const t0 = nowNs();
  for (let i = 0; i < iters; i++) fn();
  return Number(nowNs() - t0) / iters;
}

function ours() {
  torch.setNumThreads(1);
  const a = torch.ones([1]);
  const b = torch.ones([1]);
  const x = torch.randn([1, 16, 8, 8]);
  const w = torch.randn([16, 16, 3, 3]);
  const conv = torch.nn.functional.conv2d;
  // Each result is disposed at once, as Python's refcount frees it at once.
  const add = () => a.add(b).dispose();
  const conv2d = () => conv(x, w, null, { stride: 1, padding: 1 }).dispose();
  // The same two ops bound directly, as the generated torch.add / F.conv2d make them.
  const gAdd = bindOp<(a: torch.Tensor, b: torch.Tensor) => torch.Tensor>('torch.add', ['add.Tensor', 'add.Scalar']);
  const gConv = bindOp<(...a: unknown[]) => torch.Tensor>('F.conv2d', ['conv2d', 'conv2d.padding']);
  const genericAdd = () => gAdd(a, b).dispose();
  const genericConv = () => gConv(x, w, null, 1, 1).dispose();
  // 100 adds inside one tidy(), freed at its end (Python: the same loop, each freed by its refcount).
  const tidyAdd = () => torch.tidy(() => { for (let i = 0; i < 100; i++) a.add(b); });
  for (const f of [add, genericAdd]) timeNs(f, ITERS / 10);
  timeNs(tidyAdd, ITERS / 1000);
  for (const f of [conv2d, genericConv]) timeNs(f, ITERS / 100);
  const ns: Record<string, number[]> = { add: [], tidyAdd: [], conv2d: [], genericAdd: [], genericConv: [] };
  for (let r = 0; r < REPEATS; r++) {
    ns.add.push(timeNs(add, ITERS));
    ns.tidyAdd.push(timeNs(tidyAdd, ITERS / 100) / 100);
    ns.genericAdd.push(timeNs(genericAdd, ITERS));
    ns.conv2d.push(timeNs(conv2d, ITERS / 10));
    ns.genericConv.push(timeNs(genericConv, ITERS / 10));
  }
  return { add: median(ns.add), tidyAdd: median(ns.tidyAdd), conv2d: median(ns.conv2d), genericAdd: median(ns.genericAdd), genericConv: median(ns.genericConv) };
}

function python() {
  const script = `
import json, time, torch
import torch.nn.functional as F
torch.set_num_threads(1)
ITERS, REPEATS = ${ITERS}, ${REPEATS}
a = torch.ones(1); b = torch.ones(1)
x = torch.randn(1, 16, 8, 8); w = torch.randn(16, 16, 3, 3)
clock = time.process_time_ns if "${CLOCK}" == "cpu" else time.perf_counter_ns
def t(fn, n):
    t0 = clock()
    for _ in range(n): fn()
    return (clock() - t0) / n
add = lambda: torch.add(a, b)
conv = lambda: F.conv2d(x, w, None, 1, 1)
def add100():
    for _ in range(100): torch.add(a, b)
t(add, ITERS // 10); t(conv, ITERS // 100); t(add100, ITERS // 1000)
adds = sorted(t(add, ITERS) for _ in range(REPEATS))
loops = sorted(t(add100, ITERS // 100) / 100 for _ in range(REPEATS))
convs = sorted(t(conv, ITERS // 10) for _ in range(REPEATS))
print(json.dumps({"add": adds[REPEATS // 2], "tidyAdd": loops[REPEATS // 2], "conv2d": convs[REPEATS // 2], "torch": torch.__version__}))
`;
  return JSON.parse(execFileSync(PYTHON, ['-c', script], { encoding: 'utf8' }).trim().split('\n').pop()!);
}

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
  main();
}

function main(): void {
const ts = ours();
const py = python();
const result = {
  machine: `${require('os').cpus()[0].model}, ${require('os').cpus().length} cores`,
  libtorch: torch.libtorchVersion,
  pythonTorch: py.torch,
  clock: CLOCK,
  iterations: ITERS,
  repeats: REPEATS,
  nsPerOp: {
    add1: { typescript: Math.round(ts.add), python: Math.round(py.add), ratio: +(ts.add / py.add).toFixed(3) },
    add1InTidy: { typescript: Math.round(ts.tidyAdd), python: Math.round(py.tidyAdd), ratio: +(ts.tidyAdd / py.tidyAdd).toFixed(3) },
    conv2d_1x16x8x8: {
      typescript: Math.round(ts.conv2d),
      python: Math.round(py.conv2d),
      ratio: +(ts.conv2d / py.conv2d).toFixed(3),
    },
  },
  boundVsMethod: {
    add1: { bound: Math.round(ts.genericAdd), method: Math.round(ts.add), ratio: +(ts.genericAdd / ts.add).toFixed(3) },
    conv2d_1x16x8x8: { bound: Math.round(ts.genericConv), functional: Math.round(ts.conv2d), ratio: +(ts.genericConv / ts.conv2d).toFixed(3) },
  },
};
console.log(JSON.stringify(result, null, 2));
}
