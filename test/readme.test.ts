// The README's API page runs as written: its code block is extracted and run as an ES module by tsx
// (top-level await, as the README says), importing 'libtorch-node' as a user's project does.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasCifar } from './train/helpers';

const root = path.join(__dirname, '..');
const built = fs.existsSync(path.join(root, 'dist/index.mjs'));
if (!built) console.warn('test/readme: dist/ is missing (run `npm run build:ts`): skipped');

/** The ```ts blocks of a README section, in order. */
function codeBlocks(markdown: string, heading: string): string[] {
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README: no section '${heading}'`);
  const next = markdown.indexOf('\n## ', start + heading.length + 2);
  const section = markdown.slice(start, next < 0 ? undefined : next);
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
}

// What the page's comments promise, checked after it ran.
const checks = `
const expect = (what, ok) => { if (!ok) throw new Error('README claim failed: ' + what); };
expect('parameterCount 272474', model.parameterCount() === 272474);
expect('Net output [1, 16, 8, 8]', JSON.stringify(new Net().forward(torch.randn([1, 3, 8, 8])).shape) === '[1,16,8,8]');
// PyTorch's order: a module's own parameters, then its children's.
expect('Net state dict keys', JSON.stringify(Object.keys(new Net().stateDict())) === '["scale","conv.weight"]');
expect('item() of a sum', torch.tensor([[1, 2], [3, 4]]).sum().item() === 10);
expect('checkpoint read back', ckpt.acc === 91.2 && ckpt.epoch === 10 && Object.getPrototypeOf(ckpt.net) === Object.prototype);
expect('one epoch trained', result.history.length === 1);
console.log('README API page: ok');
`;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!built || !hasCifar)('README', () => {
  it('the API page runs as written, and its comments hold', () => {
    const blocks = codeBlocks(fs.readFileSync(path.join(root, 'README.md'), 'utf8'), '## The API in a page');
    expect(blocks.length).toBe(1);
    // A user's project: the package linked into node_modules, the page saved as an ES module.
    const project = fs.mkdtempSync(path.join(os.tmpdir(), 'libtorch-node-readme-'));
    dirs.push(project);
    fs.mkdirSync(path.join(project, 'node_modules'));
    fs.symlinkSync(root, path.join(project, 'node_modules/libtorch-node'));
    fs.writeFileSync(path.join(project, 'api.mts'), blocks[0] + checks);
    const r = spawnSync(path.join(root, 'node_modules/.bin/tsx'), ['api.mts'], {
      cwd: project,
      encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: '1' },
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('Total number of parameters: 272474');
    expect(r.stdout).toContain('README API page: ok');
  }, 300_000);
});
