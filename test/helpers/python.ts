// Runs a Python torch reference (Debian's python3-torch, the same libtorch version) on the same inputs.
// The script reads JSON from stdin as `inp` and must print one JSON value as its last line.
import { execFileSync } from 'child_process';
import { existsSync } from 'fs';

/** Debian's interpreter: the one python3-torch installs into (a pyenv python3 on PATH has no torch). */
export const PYTHON = process.env.TORCH_NODE_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

export function hasPythonTorch(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function runPython<T = any>(script: string, input: unknown = null): T {
  const prelude = 'import json, sys\ninp = json.loads(sys.stdin.read())\n';
  const out = execFileSync(PYTHON, ['-c', prelude + script], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, OMP_NUM_THREADS: '1' },
  });
  const lines = out.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as T;
}
