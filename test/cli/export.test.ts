// `libtorch-node export` on a machine without a PyTorch that can export: one line that names each Python
// it tried with its torch version, and what is needed; exit code 1.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../lib/cli';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libtorch-node-cli-export-'));
const ckpt = path.join(dir, 'ckpt.pth');
fs.writeFileSync(ckpt, 'not read: the Python check comes first');

// Debian's python3 with torch 1.13: a torch too old for torch.export's AOTInductor packaging.
const OLD = '/usr/bin/python3';
const oldTorch = (() => {
  const r = spawnSync(OLD, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
})();
const isOld = oldTorch !== null && /^(1\.|2\.[0-5]\.)/.test(oldTorch);

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
  try {
    return { code: await main(argv), out: out.join('\n'), err: err.join('\n') };
  } finally {
    vi.restoreAllMocks();
  }
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('libtorch-node export without a PyTorch ≥ 2.6', () => {
  it.skipIf(!isOld)(`--python ${OLD} (torch < 2.6): one line with its torch version and what is needed, exit 1`, async () => {
    const r = await run(['export', ckpt, path.join(dir, 'out.pt2'), '--python', OLD]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      `libtorch-node export: error: no Python with PyTorch ≥ 2.6 (torch.export and AOTInductor packaging): ${OLD} has torch ${oldTorch}; ` +
        "install it (pip install 'torch>=2.6') and pass --python PATH or set TORCH_NODE_PYTHON",
    );
    expect(fs.existsSync(path.join(dir, 'out.pt2'))).toBe(false);
  });

  it.skipIf(!isOld)('TORCH_NODE_PYTHON first, then python3 and python from PATH: each named with what it has, on one line', async () => {
    // A PATH whose python3 is the old one and which has no `python`.
    const bin = fs.mkdtempSync(path.join(dir, 'bin-'));
    fs.symlinkSync(OLD, path.join(bin, 'python3'));
    vi.stubEnv('PATH', bin);
    vi.stubEnv('TORCH_NODE_PYTHON', path.join(dir, 'no-such-python'));
    const r = await run(['export', ckpt, path.join(dir, 'out.pt2')]);
    expect(r.code).toBe(1);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(r.err).toContain(`${path.join(dir, 'no-such-python')} was not found (or does not run), python3 has torch ${oldTorch}, python was not found (or does not run);`);
  });

  it.skipIf(!fs.existsSync(OLD))('a Python without torch is named as such', async () => {
    // python3 -S -I skips site-packages, where Debian's torch lives: a Python without torch.
    const wrapper = path.join(dir, 'python-without-torch');
    fs.writeFileSync(wrapper, `#!/bin/sh\nexec /usr/bin/python3 -S -I "$@"\n`, { mode: 0o755 });
    const r = await run(['export', ckpt, path.join(dir, 'out.pt2'), '--python', wrapper]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`: ${wrapper} has no torch;`);
  });
});
