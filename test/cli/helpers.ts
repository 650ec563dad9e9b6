// Runs the real commands as a person does in a terminal: each in its own process group, and Ctrl-C as the
// terminal sends it, a SIGINT to the whole group (npx, npm, tsx and node all receive it).
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const root = path.join(__dirname, '../..');
export const bin = path.join(root, 'bin/libtorch-node.js');
export const built = fs.existsSync(path.join(root, 'dist/cli/index.js'));
if (!built) console.warn('test/cli: dist/ is missing (run `npm run build:ts`): the bin tests are skipped');

export interface Run {
  child: ChildProcess;
  out: () => string;
  /** Resolves when the output contains `text`; rejects if the process exits first. */
  waitFor: (text: string | RegExp) => Promise<void>;
  /** Ctrl-C: SIGINT to the process group. */
  ctrlC: () => void;
  /** The shell's exit status: 130 for an exit(130) and for an end by SIGINT alike. */
  exit: Promise<number | null>;
}

export function start(command: string, args: string[], cwd = root): Run {
  const child = spawn(command, args, { cwd, detached: true, env: { ...process.env, OMP_NUM_THREADS: '1', FORCE_COLOR: '0' } });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  // The status a shell reports: the exit code, or 128 + the signal's number when a signal ended it.
  const exit = new Promise<number | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + os.constants.signals[signal] : null))),
  );
  let exited = false;
  void exit.then(() => (exited = true));
  const waitFor = (text: string | RegExp) =>
    new Promise<void>((resolve, reject) => {
      const seen = () => (typeof text === 'string' ? out.includes(text) : text.test(out));
      const timer = setInterval(() => {
        if (seen()) {
          clearInterval(timer);
          resolve();
        } else if (exited) {
          clearInterval(timer);
          reject(new Error(`exited before printing ${text}:\n${out}`));
        }
      }, 20);
    });
  return { child, out: () => out, waitFor, ctrlC: () => process.kill(-child.pid!, 'SIGINT'), exit };
}

/** Runs a command to its end: {code, out} with stdout and stderr together. */
export function runSync(command: string, args: string[], cwd = root): { code: number | null; out: string } {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  return { code: r.status, out: r.stdout + r.stderr };
}
