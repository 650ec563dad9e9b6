// docs/pytorch.md runs as written (its import of 'libtorch-node' pointed at lib/), and what its comments say
// holds: shapes, dtypes, the printed repr. test/docs_typecheck.test.ts type-checks it.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.join(__dirname, '../..');
const page = path.join(__dirname, `.page-${process.pid}.ts`);
afterAll(() => fs.rmSync(page, { force: true }));

function codeBlocks(file: string): string[] {
  return [...fs.readFileSync(path.join(root, file), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
}

describe('docs/pytorch.md', () => {
  const blocks = codeBlocks('docs/pytorch.md');
  fs.writeFileSync(page, blocks.join('\n').replace(/from 'libtorch-node'/g, "from '../../lib'"));

  // Its type-check (against lib/ and against the published types) is test/docs_typecheck.test.ts's, with every page's.
  it('has one code block', () => {
    expect(blocks.length).toBe(1);
  });

  it('runs, and prints the shapes and the repr its comments give', () => {
    const r = spawnSync(path.join(root, 'node_modules/.bin/tsx'), [page], { cwd: root, encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('[ 2, 3, 1 ] float64 [ 2, 1 ] [ 2, 1 ] [ 2 ] int64 [ 2, 4 ] [ 1, 3, 16, 16 ] [ 3 ] [ 2, 2 ] int64 float32');
    expect(lines.slice(1).join('\n')).toBe('tensor([[ 0.5000, -1.2500],\n        [ 3.0000,  4.0000]])');
  }, 120_000);
});
