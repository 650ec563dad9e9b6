// Instruction counts under valgrind's callgrind: the same total whatever else the machine runs, so a
// ratio of ours to Python's holds on a shared machine where wall and CPU times do not.
// A bench script's --instructions mode runs one workload in a child process twice, with N and with 3N
// iterations after the same set-up (and warm-up), and reports (I(3N) - I(N)) / 2N: the start-up (Node or
// Python, loading libtorch, building inputs) cancels out, and so do the one-off costs of the first N
// (V8 optimising the loop, the first major collection). Counting N against 0 iterations instead put
// those inside the window: one mark-compact that fell in it added ~2,700 instructions to each of 40,000
// adds, and where it fell moved from build to build. Each side counts all its threads.
import { spawnSync } from 'child_process';
import * as path from 'path';
import { PYTHON } from '../test/helpers/python';

export interface Command {
  file: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

/** Total instructions ("Collected") of one run of the command under callgrind, all threads. */
export function runCallgrind(cmd: Command): number {
  const r = spawnSync(
    'valgrind',
    ['--tool=callgrind', '--callgrind-out-file=/dev/null', '--smc-check=all-non-file', cmd.file, ...cmd.args],
    { env: { ...process.env, ...cmd.env }, encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  if (r.status !== 0) {
    throw new Error(`callgrind run of ${cmd.file} ${cmd.args.join(' ')} exited ${r.status}: ${String(r.stderr).slice(-2000)}`);
  }
  return parseCollected(String(r.stderr));
}

function parseCollected(stderr: string): number {
  const m = /Collected\s*:\s*(\d+)/.exec(stderr);
  if (!m) throw new Error(`no "Collected" total in callgrind's output: ${stderr.slice(-1000)}`);
  return Number(m[1]);
}

/** A plain-JavaScript child for Node (the built dist/, not TypeScript through a loader: tsx's start-up is
 *  billions of instructions, the same in both runs but slow under valgrind). --single-threaded: V8's
 *  compiler and collector threads finish at times that vary from run to run, and with them how much
 *  work each run does (without it, 10 loads of a 654-byte file counted 1.3e8 fewer than none).
 *  --hash-seed: V8 draws a random hash seed at start-up and tests candidates for primality, a cost that
 *  differs by millions of instructions from run to run (`node -e 0`: ±1.4e6; a process that loads libtorch
 *  saw 6e6 in one run and 1.6e7 in the next); a fixed seed makes it the same in both runs. */
export function nodeChild(source: string, args: string[], env?: NodeJS.ProcessEnv): Command {
  return { file: process.execPath, args: ['--single-threaded', '--hash-seed=1', '-e', source, ...args], env };
}

/** Absolute path of the built library (npm run build:ts) for children's require(); TORCH_NODE_BENCH_DIST
 *  points it at a copy (dist/ beside its build/Release) to count an earlier build. */
export const DIST = process.env.TORCH_NODE_BENCH_DIST ?? path.resolve(__dirname, '../dist');

/** A Python script with its arguments, Python torch's interpreter (TORCH_NODE_PYTHON). A fixed
 *  PYTHONHASHSEED, for the same reason as Node's --hash-seed: the same dict layouts in both runs. */
export function pythonChild(source: string, args: string[], env?: NodeJS.ProcessEnv): Command {
  return { file: PYTHON, args: ['-c', source, ...args], env: { PYTHONHASHSEED: '0', ...env } };
}

export interface Ratio {
  ours: number;
  python: number;
  ratio: number;
}

/** Instructions per iteration of each workload in the steady state: a run of N and a run of 3N iterations
 *  (the child must do the same set-up and warm-up for either), the difference over 2N. */
export function perIteration(make: (workload: string, n: number) => Command, iters: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, n] of Object.entries(iters)) {
    out[name] = (runCallgrind(make(name, 3 * n)) - runCallgrind(make(name, n))) / (2 * n);
  }
  return out;
}

/** Ours and Python's instructions per iteration of each workload, and their ratios. */
export function instructionRatios(
  ours: (workload: string, n: number) => Command,
  python: (workload: string, n: number) => Command,
  iters: Record<string, number>,
): Record<string, Ratio> {
  const o = perIteration(ours, iters);
  const p = perIteration(python, iters);
  const out: Record<string, Ratio> = {};
  for (const k of Object.keys(iters)) out[k] = { ours: Math.round(o[k]), python: Math.round(p[k]), ratio: +(o[k] / p[k]).toFixed(3) };
  return out;
}

export const wantsInstructions = (): boolean => process.argv.includes('--instructions');

/** The value after `--name` on the command line, or undefined. */
export function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
