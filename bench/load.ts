// torch.load's time and memory on three files, beside Python's torch.load of the same files:
//   stride0   a 600-byte file: one 4-byte storage viewed as 2^28 elements with stride 0
//   shared    2,000 tensors over one 4 MiB storage (4.2 MB file)
//   resnet20  a ResNet-20 state dict (1.1 MB), the ordinary case
// Memory is the growth of libtorch's CPU bytes while the result is alive (torch.memory(), unique
// storages) and of the process RSS. Each file is loaded `runs` times; medians are printed as JSON.
// Run: npx tsx bench/load.ts [runs] [--clock cpu|wall]   (TORCH_NODE_PYTHON picks the Python; none: Python is
// skipped). Times are interleaved with Python's, round by round, `runs` rounds (bench/interleave.ts).
// npx tsx bench/load.ts --instructions [loads]: instructions per torch.load under callgrind, ours and
// Python's: after 2 warm-up loads of every file, a run loading the file 3 × `loads` times less a run
// loading it `loads` times, over 2 × `loads` (default 10; the 654-byte stride0 file 100 times that, so
// that its count stands above the run-to-run noise). --files stride0,resnet20 counts only those.
// --warmup N: N warm-up loads of every file instead of 2.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as torch from '../lib';
import { PickleWriter, pushTensor, writeCheckpoint } from '../test/serialization/hostile_helpers';
import { hasPythonTorch } from '../test/helpers/python';
import { argValue, DIST, instructionRatios, nodeChild, pythonChild, wantsInstructions } from './instructions';
import { interleave, PythonTimer, timeNs, type Clock, type Interleaved, type Workload } from './interleave';

const CLOCK = (argValue('--clock') ?? 'wall') as Clock;

const runs = Number(process.argv.slice(2).find((a, i, all) => /^\d+$/.test(a) && all[i - 1] !== '--files' && all[i - 1] !== '--warmup') ?? (wantsInstructions() ? 10 : 5));
const warmup = Number(argValue('--warmup') ?? 2);
if (!Number.isInteger(warmup) || warmup < 0) throw new Error(`--warmup takes a number of loads, not '${argValue('--warmup')}'`);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-load-'));

function stride0(): string {
  const file = path.join(dir, 'stride0.pth');
  const w = new PickleWriter().proto();
  pushTensor(w, '0', 1, 0, [2 ** 28], [0]).stop();
  writeCheckpoint(file, w.bytes(), { '0': new Uint8Array(new Float32Array([1]).buffer) });
  return file;
}

function shared(): string {
  const file = path.join(dir, 'shared.pth');
  const n = 1 << 20;
  const w = new PickleWriter().proto().emptyList();
  for (let i = 0; i < 2000; i += 100) {
    w.mark();
    for (let j = 0; j < 100; j++) pushTensor(w, '0', n, 0, [n], [1]);
    w.appends();
  }
  writeCheckpoint(file, w.stop().bytes(), { '0': new Uint8Array(4 * n) });
  return file;
}

function resnet(): string {
  const file = path.join(dir, 'resnet20.pth');
  const sd = torch.models.resnet20().stateDict();
  torch.save(sd, file);
  return file;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cpuBytes = (): number => torch.memory().devices.cpu?.bytes ?? 0;

// Memory: what one load holds while its result is alive (ours only; Python has no such count).
function memoryOf(file: string): { libtorchMB: number; rssMB: number } {
  const lib: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < runs; i++) {
    const b0 = cpuBytes();
    const r0 = process.memoryUsage().rss;
    const v = torch.load(file);
    lib.push((cpuBytes() - b0) / 2 ** 20);
    rss.push((process.memoryUsage().rss - r0) / 2 ** 20);
    torch.dispose(v);
  }
  return { libtorchMB: median(lib), rssMB: median(rss) };
}

// Time: ours and Python's interleaved, `runs` rounds of a few loads each (bench/interleave.ts); --clock cpu
// times process CPU time, the default the wall clock.
async function timings(files: Record<string, string>): Promise<Record<string, Interleaved> | null> {
  if (!hasPythonTorch()) return null;
  const fns = Object.entries(files).map(([k, f]) => `${JSON.stringify(k)}: (lambda: torch.load(${JSON.stringify(f)}))`);
  const py = new PythonTimer(`import torch\nFNS = {${fns.join(', ')}}`, CLOCK);
  await py.version();
  const work: Record<string, Workload> = {};
  for (const [k, f] of Object.entries(files)) {
    const load = () => torch.dispose(torch.load(f));
    work[k] = { ours: (n) => timeNs(load, n, CLOCK), python: k, iters: k === 'stride0' ? 50 : 5 };
  }
  const r = await interleave(py, work, runs);
  py.close();
  return r;
}

// argv: the file to load, the number of loads, the number of warm-up loads, then all the files: every child
// loads each of them `warmup` times first, so that every file's runs start from the same state.
const NODE_CHILD = `
const torch = require(${JSON.stringify(DIST)});
const [file, n, warmup, ...all] = process.argv.slice(1);
for (const f of all) for (let i = 0; i < Number(warmup); i++) torch.dispose(torch.load(f));
for (let i = 0; i < Number(n); i++) torch.dispose(torch.load(file));
`;
const PY_CHILD = `
import sys, torch
file, n, warmup, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
for f in files:
    for _ in range(warmup): v = torch.load(f); del v
for _ in range(n): v = torch.load(file); del v
`;

function instructions(files: Record<string, string>): void {
  const only = process.argv.includes('--files') ? process.argv[process.argv.indexOf('--files') + 1].split(',') : Object.keys(files);
  const sizes = Object.fromEntries(only.map((k) => [k, k === 'stride0' ? 100 * runs : runs]));
  const r = instructionRatios(
    (k, n) => nodeChild(NODE_CHILD, [files[k], String(n), String(warmup), ...Object.values(files)]),
    (k, n) => pythonChild(PY_CHILD, [files[k], String(n), String(warmup), ...Object.values(files)]),
    sizes,
  );
  console.log(JSON.stringify({ libtorch: torch.libtorchVersion, mode: 'instructions per torch.load (callgrind)', warmup, loads: sizes, ...r }, null, 2));
}

if (wantsInstructions()) {
  instructions({ stride0: stride0(), shared: shared(), resnet20: resnet() });
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

async function main(): Promise<void> {
  const files = { stride0: stride0(), shared: shared(), resnet20: resnet() };
  const times = await timings(files);
  const out: Record<string, unknown> = { libtorch: torch.libtorchVersion, runs, clock: CLOCK };
  for (const [name, file] of Object.entries(files)) {
    const t = times?.[name];
    const time = t ? { oursMs: +(t.ours / 1e6).toFixed(3), pythonMs: +(t.python / 1e6).toFixed(3), ratio: t.ratio } : null;
    out[name] = { fileBytes: fs.statSync(file).size, time, memory: memoryOf(file) };
  }
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify(out, null, 2));
}

void main();
