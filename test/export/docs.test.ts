// docs/export.md runs as written: its sh block (`npx libtorch-node export`) compiles a checkpoint of this
// library in a user's project, and its ts block loads and runs the package there, printing what its
// comments say.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { pythonCanCompile } from './fixtures';

const root = path.join(__dirname, '..', '..');
const built = fs.existsSync(path.join(root, 'dist/index.mjs')) && fs.existsSync(path.join(root, 'dist/cli/index.js'));
const canCompile = torch.export.isAvailable() && pythonCanCompile();
let project = '';
afterAll(() => {
  if (project) fs.rmSync(project, { recursive: true, force: true });
});

function blocks(lang: string): string[] {
  const markdown = fs.readFileSync(path.join(root, 'docs/export.md'), 'utf8');
  return [...markdown.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]);
}

describe.skipIf(!built || !canCompile)('docs/export.md (needs dist/ from `npm run build:ts`, libtorch 2.x and its Python with torch._inductor)', () => {
  it('the export command and the code block run as written in a user’s project', () => {
    project = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-export-docs-'));
    fs.mkdirSync(path.join(project, 'node_modules/.bin'), { recursive: true });
    fs.symlinkSync(root, path.join(project, 'node_modules/libtorch-node'));
    fs.symlinkSync(path.join(root, 'bin/libtorch-node.js'), path.join(project, 'node_modules/.bin/libtorch-node'));
    fs.mkdirSync(path.join(project, 'checkpoint'));
    torch.manualSeed(2);
    torch.save({ net: torch.models.resnet20().stateDict(), acc: 50, epoch: 3 }, path.join(project, 'checkpoint/ckpt.pth'));
    const env = { ...process.env, OMP_NUM_THREADS: '1', PATH: `${path.join(root, 'node_modules/.bin')}:${process.env.PATH}` };

    const [sh] = blocks('sh');
    const exported = spawnSync('sh', ['-c', sh], { cwd: project, encoding: 'utf8', env });
    expect(exported.status, exported.stdout + exported.stderr).toBe(0);
    expect(fs.existsSync(path.join(project, 'resnet20.pt2'))).toBe(true);

    const [ts] = blocks('ts');
    fs.writeFileSync(path.join(project, 'page.mts'), ts + "\nconsole.log('shape', JSON.stringify(logits.shape), probs.sum().item().toFixed(4));\n");
    const r = spawnSync(path.join(root, 'node_modules/.bin/tsx'), ['page.mts'], { cwd: project, encoding: 'utf8', env });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('((Tensor,), {}) -> Tensor');
    expect(r.stdout).toContain('forward: input 0 (x): dimension 0 (batch) is 300, outside the exported bounds [1, 256]');
    expect(r.stdout).toContain('shape [8,10] 1.0000');
  }, 600_000);
});
