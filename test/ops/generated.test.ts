// lib/generated/ is written by scripts/gen-ops.js from PyTorch's native_functions.yaml and committed: this
// regenerates it in memory from the same yaml (found by the checksum in the files' header) and compares.
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import { existsSync, readFileSync, readdirSync } from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { PYTHON } from '../helpers/python';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const gen = require('../../scripts/gen-ops.js');
const ROOT = path.join(__dirname, '..', '..');
const GENERATED = path.join(ROOT, 'lib', 'generated');
const recordedSha = /sha256 ([0-9a-f]{16})/.exec(readFileSync(path.join(GENERATED, 'torch.ts'), 'utf8'))![1];

// Every Python the environment names, and what its torchgen ships.
function candidateYamls(): string[] {
  const pythons = [process.env.TORCH_NODE_PYTHON, PYTHON, 'python3'].filter((p): p is string => !!p);
  const found = new Set<string>();
  for (const py of new Set(pythons)) {
    try {
      const dir = execFileSync(py, ['-c', 'import torchgen, os; print(os.path.dirname(torchgen.__file__))'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      const yaml = path.join(dir, 'packaged', 'ATen', 'native', 'native_functions.yaml');
      if (existsSync(yaml)) found.add(yaml);
    } catch {
      // that Python has no torchgen
    }
  }
  if (process.env.TORCH_NODE_OPS_YAML) found.add(process.env.TORCH_NODE_OPS_YAML);
  return [...found];
}
const sha = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);
const source = candidateYamls().map((p) => ({ p, text: readFileSync(p, 'utf8') })).find((y) => sha(y.text) === recordedSha);

describe('lib/generated/', () => {
  it.skipIf(!source)(
    `equals a regeneration from the native_functions.yaml it was made from (sha256 ${recordedSha}; skipped when no Python here ships that yaml, e.g. without the 2.x wheel: set TORCH_NODE_OPS_YAML)`,
    () => {
      const files: { file: string; text: string }[] = gen.generate(source!.text);
      expect(files.map((f) => f.file).sort()).toEqual(readdirSync(GENERATED).sort());
      for (const f of files) expect(readFileSync(path.join(GENERATED, f.file), 'utf8'), `lib/generated/${f.file} is stale: run node scripts/gen-ops.js --yaml ${source!.p}`).toBe(f.text);
    },
  );

  it("orders overloads as PyTorch's Python argument parser tries them (Tensor before Scalar, int before int[])", () => {
    const parse = (s: string) => gen.parseSchema(s);
    const order = (schemas: string[]) => gen.sortOverloads(schemas.map(parse)).map((s: { overload: string }) => s.overload);
    expect(order(['add.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor', 'add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor'])).toEqual(['Tensor', 'Scalar']);
    expect(order(['f.list(Tensor self, int[] dim) -> Tensor', 'f.one(Tensor self, int dim) -> Tensor'])).toEqual(['one', 'list']);
  });

  it('binds every generated name to operators this libtorch has, or says which version lacks them', () => {
    const text = readFileSync(path.join(GENERATED, 'torch.ts'), 'utf8');
    const names = [...text.matchAll(/bindOp\('[^']+', \[([^\]]+)\]\)/g)].flatMap((m) => m[1].split(', ').map((s) => s.slice(1, -1)));
    const present = names.filter((n) => torch.hasOp(n));
    console.log(`torch.*: ${present.length} of ${names.length} overloads present in libtorch ${torch.libtorchVersion}`);
    // Debian's 1.13 lacks some 2.x operators; every libtorch has the bulk of them.
    expect(present.length / names.length).toBeGreaterThan(0.85);
  });
});
