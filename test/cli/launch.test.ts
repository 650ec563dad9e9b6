// `libtorch-node launch`: torchrun's environment for N ranks, and one failing rank ends them all.
import { spawnSync } from 'child_process';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { parseLaunchArgs } from '../../lib/cli/launch';

const root = path.join(__dirname, '../..');
const fixtures = path.join(root, 'test/distributed/fixtures');

function launch(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(fixtures, 'launch_main.ts'), 'launch', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('launch', () => {
  it.skipIf(!torch.distributed.isAvailable())('runs 2 ranks of a TypeScript script that form one process group', () => {
    const r = launch(['--nproc-per-node', '2', '--standalone', path.join(fixtures, 'collectives.ts')]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.rank).sort()).toEqual([0, 1]);
    for (const l of lines) expect(l.sum.values).toEqual([3, 6, 1]);
  });

  it.skipIf(!torch.distributed.isAvailable())('ends every rank and exits with the failing rank\'s code', () => {
    const r = launch(['--nproc-per-node=2', '--standalone', path.join(fixtures, 'fail_rank.ts')]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('rank 0 joined');
    expect(r.stderr).toContain('libtorch-node launch: rank 1 exited with code 3; ending the other ranks');
  });

  it("parses torchrun's flags and refuses bad ones", () => {
    const c = parseLaunchArgs(['--nproc_per_node', '4', '--nnodes', '2', '--node-rank', '1', '--master-addr', '10.0.0.1', '--master-port', '1234', 'train.ts', '--epochs', '3']);
    expect(c).toMatchObject({ nproc: 4, nnodes: 2, nodeRank: 1, masterAddr: '10.0.0.1', masterPort: 1234, command: ['train.ts', '--epochs', '3'] });
    expect(parseLaunchArgs(['--no-python', 'npx', 'tsx', 'x.ts'])).toMatchObject({ noPython: true, command: ['npx', 'tsx', 'x.ts'] });
    expect(() => parseLaunchArgs(['--nproc-per-node', '0', 'x.ts'])).toThrow("--nproc-per-node must be an integer ≥ 1, got '0'");
    expect(() => parseLaunchArgs(['--nnodes', '2', '--node-rank', '2', 'x.ts'])).toThrow('--node-rank must be below --nnodes (2), got 2');
    expect(() => parseLaunchArgs(['--bogus', 'x.ts'])).toThrow("unknown flag '--bogus'");
    expect(() => parseLaunchArgs(['--nproc-per-node', '2'])).toThrow('expected a script to run');
  });

  it('answers a bad command line with one line and exit code 2', () => {
    const r = launch(['--nproc-per-node', 'two', 'x.ts']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("libtorch-node launch: --nproc-per-node must be an integer ≥ 1, got 'two'");
  });
});
