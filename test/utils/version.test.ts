// The libtorch version is known everywhere it matters: the addon, the finder used by both build files,
// and the state-dict formats that follow the user's PyTorch.
import { execFileSync } from 'child_process';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { libtorchAtLeast } from '../../lib/utils/version';
import { hasPythonTorch, runPython } from '../helpers/python';

const root = path.join(__dirname, '../..');
const finder = (flag: string) => execFileSync(process.execPath, [path.join(root, 'scripts/find-libtorch.js'), flag], { encoding: 'utf8' }).trim();

describe('libtorch version', () => {
  it.skipIf(!hasPythonTorch())("libtorchVersion is the tests' Python torch.__version__ (without its local suffix)", () => {
    const py = runPython<string>('import torch\nprint(json.dumps(torch.__version__))');
    // '2.13.0+cpu' → '2.13.0'; Debian's '1.13.0a0' → '1.13.0'.
    expect(torch.libtorchVersion).toBe(py.replace(/\+.*$/, '').replace(/a0$/, ''));
  });

  it('find-libtorch names the version of the libtorch the addon was built against, and of every other one found', () => {
    expect(finder('--version')).toBe(torch.libtorchVersion);
    expect(finder('--summary')).toMatch(new RegExp(`^libtorch ${torch.libtorchVersion.replace(/\./g, '\\.')}\\S* from `));
    const all = finder('--all').split('\n');
    expect(all[0]).toMatch(/^\* libtorch \d+\.\d+\.\d+/);
    for (const line of all) expect(line).not.toMatch(/unknown/);
  });

  it('asks for C++20 from libtorch 2.x builds that require it, never below C++17', () => {
    const std = Number(finder('--cxx-std'));
    expect([17, 20]).toContain(std);
    if (!libtorchAtLeast(2, 0)) expect(std).toBe(17);
  });

  it('compares versions by major and minor', () => {
    const [major, minor] = torch.libtorchVersion.split('.').map(Number);
    expect(libtorchAtLeast(major, minor)).toBe(true);
    expect(libtorchAtLeast(major, minor + 1)).toBe(false);
    expect(libtorchAtLeast(major - 1, 99)).toBe(true);
    expect(libtorchAtLeast(major + 1, 0)).toBe(false);
  });
});
