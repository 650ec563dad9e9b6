// The package entry points: require() and import of 'libtorch-node' (the compiled dist/), with types.
import { execFileSync } from 'child_process';
import { existsSync } from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..');
const built = existsSync(path.join(root, 'dist/index.js')) && existsSync(path.join(root, 'dist/index.mjs'));
if (!built) console.warn('test/package: dist/ is missing (run `npm run build:ts`): skipped');

const node = (args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();

describe.skipIf(!built)('package entry points', () => {
  it('require("libtorch-node") works', () => {
    const out = node(['-e', "const t = require('libtorch-node'); console.log(t.tensor([1, 2]).add(1).toArray().join(','))"]);
    expect(out).toBe('2,3');
  });

  it('import from "libtorch-node" works, named and default, on the same instance as require', () => {
    const script =
      "import { tensor, TorchError } from 'libtorch-node'; import torch from 'libtorch-node';" +
      "import { createRequire } from 'module'; const req = createRequire(import.meta.url);" +
      "console.log(tensor([3]).mul(2).item(), torch.tensor === tensor, req('libtorch-node').TorchError === TorchError)";
    expect(node(['--input-type=module', '-e', script])).toBe('6 true true');
  });

  it('ships type declarations', () => {
    expect(existsSync(path.join(root, 'dist/index.d.ts'))).toBe(true);
    expect(existsSync(path.join(root, 'dist/tensor.d.ts'))).toBe(true);
  });
});
