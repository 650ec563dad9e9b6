// Every example is a command line too: a flag it does not know and a value it cannot take are each one
// line on stderr naming the flag and exit code 2, as for `libtorch-node` (the same helpers parse them).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';

const root = path.join(__dirname, '../..');

function runExample(script: string, args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// [script, its arguments with a bad value, the line expected for it]
const badValues: [string, string[], string][] = [
  ['examples/predict.ts', ['ckpt.pth', 'cat.png', '--top', 'abc'], "examples/predict.ts: --top: expected an integer ≥ 1, got 'abc'"],
  ['examples/report.ts', ['checkpoint', '--device', 'gpu'], "examples/report.ts: --device: expected cpu, cuda or cuda:N, got 'gpu'"],
  ['examples/serve.ts', ['ckpt.pth', '--port', '99999'], "examples/serve.ts: --port: expected an integer from 0 to 65535, got '99999'"],
  ['examples/train.ts', ['--epochs', 'abc'], "examples/train.ts: --epochs: expected an integer ≥ 1, got 'abc'"],
  ['examples/custom-model.ts', ['--lr', '-1'], "examples/custom-model.ts: --lr: expected a positive number, got '-1'"],
];

describe('examples: bad command lines', () => {
  it('every TypeScript example in examples/ is covered here', () => {
    const scripts = fs.readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.ts')).map((f) => `examples/${f}`);
    expect(scripts.sort()).toEqual(badValues.map(([s]) => s).sort());
  });

  it.each(badValues.map(([script]) => script))('%s --bogus: one line naming the flag, exit code 2', (script) => {
    const r = runExample(script, ['--bogus']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim()).toBe(`${script}: Unknown option '--bogus' (see --help)`);
    expect(r.stdout).toBe('');
  }, 60_000);

  it.each(badValues)('%s %j: one line naming the flag and the value, exit code 2', (script, args, line) => {
    const r = runExample(script, args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim()).toBe(line);
    expect(r.stdout).toBe('');
  }, 60_000);

  it('examples/predict.ts with a checkpoint that does not exist: one line, exit code 1', () => {
    const r = runExample('examples/predict.ts', ['no-such.pth', 'cat.png']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^examples\/predict\.ts: error: .*no-such\.pth/);
  }, 60_000);
});
