// Timing ours against Python's, interleaved: one round of our loop, then one round of Python's same loop in
// a Python process that stays up between rounds, and again. On a shared machine whatever else runs
// (another process, a frequency change) then falls on both sides alike, and the ratio is taken per round,
// so a slow stretch moves one round's ratio, not one side's median. Both clocks are the process's CPU time
// (or both the wall clock).
import { spawn, type ChildProcessWithoutNullStreams } from 'child_process';
import * as readline from 'readline';
import { PYTHON } from '../test/helpers/python';

export type Clock = 'cpu' | 'wall';

/** Now in nanoseconds: the process's CPU time (user + system, all threads) or the wall clock. */
export function nowNs(clock: Clock): number {
  if (clock === 'wall') return Number(process.hrtime.bigint());
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

/** Nanoseconds per call of `fn` over `iters` calls. */
export function timeNs(fn: () => void, iters: number, clock: Clock): number {
  const t0 = nowNs(clock);
  for (let i = 0; i < iters; i++) fn();
  return (nowNs(clock) - t0) / iters;
}

// The Python side's loop: after the caller's set-up (which defines FNS, a dict of name -> function), each
// stdin line "name n" runs FNS[name] n times and answers the nanoseconds per call.
const SERVER = `
import sys, json, time
_clock = time.process_time_ns if CLOCK == "cpu" else time.perf_counter_ns
print(json.dumps({"torch": torch.__version__}), flush=True)
for _line in sys.stdin:
    _name, _n = _line.split()
    _fn, _n = FNS[_name], int(_n)
    _t0 = _clock()
    for _ in range(_n): _fn()
    print(json.dumps({"ns": (_clock() - _t0) / _n}), flush=True)
`;

/** A Python process that times the functions its set-up script puts in `FNS`, one request at a time. */
export class PythonTimer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  private stderr = '';

  constructor(setup: string, clock: Clock) {
    this.child = spawn(PYTHON, ['-c', `CLOCK = ${JSON.stringify(clock)}\n${setup}\n${SERVER}`]);
    this.child.stderr.on('data', (d) => (this.stderr += d));
    this.lines = readline.createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  private async next(): Promise<any> {
    const r = await this.lines.next();
    if (r.done) throw new Error(`the Python timer exited: ${this.stderr.slice(-2000)}`);
    return JSON.parse(r.value);
  }

  /** Python torch's version, once the set-up ran. */
  async version(): Promise<string> {
    return (await this.next()).torch;
  }

  async time(name: string, iters: number): Promise<number> {
    this.child.stdin.write(`${name} ${iters}\n`);
    return (await this.next()).ns;
  }

  close(): void {
    this.child.stdin.end();
  }
}

export interface Workload {
  /** Our side: nanoseconds per call over `iters` calls. */
  ours: (iters: number) => number;
  /** The name of Python's function in FNS. */
  python: string;
  /** Calls per round, on each side. */
  iters: number;
}

export interface Interleaved {
  ours: number;
  python: number;
  /** The median of the rounds' ratios (ours / Python's). */
  ratio: number;
  rounds: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs each workload's rounds, ours then Python's, for `rounds` rounds; one warm-up round first. */
export async function interleave(py: PythonTimer, work: Record<string, Workload>, rounds: number): Promise<Record<string, Interleaved>> {
  const ours: Record<string, number[]> = {};
  const theirs: Record<string, number[]> = {};
  for (let r = -1; r < rounds; r++) {
    for (const [name, w] of Object.entries(work)) {
      const a = w.ours(w.iters);
      const b = await py.time(w.python, w.iters);
      if (r < 0) continue;
      (ours[name] ??= []).push(a);
      (theirs[name] ??= []).push(b);
    }
  }
  const out: Record<string, Interleaved> = {};
  for (const name of Object.keys(work)) {
    const ratios = ours[name].map((a, i) => a / theirs[name][i]);
    out[name] = { ours: median(ours[name]), python: median(theirs[name]), ratio: +median(ratios).toFixed(3), rounds };
  }
  return out;
}
