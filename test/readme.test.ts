// The README's taste of the API, docs/api.md and docs/ops.md run as written: their code blocks are extracted and run
// as ES modules by tsx (top-level await, as the page says), importing 'libtorch-node' as a user's
// project does.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasCifar } from './train/helpers';

const root = path.join(__dirname, '..');
const built = fs.existsSync(path.join(root, 'dist/index.mjs'));
if (!built) console.warn('test/readme: dist/ is missing (run `npm run build:ts`): skipped');

/** The ```ts blocks of a markdown section (up to the next `## `), in order. */
function codeBlocks(file: string, heading: string): string[] {
  const markdown = '\n' + fs.readFileSync(path.join(root, file), 'utf8');
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`${file}: no section '${heading}'`);
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

/** Runs `code` as an ES module in a user's project: the package linked into node_modules. */
function runAsUser(code: string) {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), 'libtorch-node-readme-'));
  dirs.push(project);
  fs.mkdirSync(path.join(project, 'node_modules'));
  fs.symlinkSync(root, path.join(project, 'node_modules/libtorch-node'));
  fs.writeFileSync(path.join(project, 'page.mts'), code);
  return spawnSync(path.join(root, 'node_modules/.bin/tsx'), ['page.mts'], {
    cwd: project,
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1' },
  });
}

describe.skipIf(!built)('README', () => {
  it('the taste of the API runs as written, and the network it trains learns', () => {
    const blocks = codeBlocks('README.md', '## A taste of the API');
    expect(blocks.length).toBe(1);
    const check = `
const after = nn.functional.crossEntropy(net.forward(x), y).item();
if (!(after < 0.5)) throw new Error('README claim failed: 50 steps fit 8 points, loss ' + after);
if (Object.keys(torch.load('net.pth').net).length !== 4) throw new Error('README claim failed: net.pth');
console.log('README taste: ok');
`;
    const r = runAsUser(blocks[0] + check);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('README taste: ok');
  }, 120_000);

  it('docs/ops.md runs as written: tuples as arrays, keyword options, in-place ops, functional convolutions', () => {
    const blocks = codeBlocks('docs/ops.md', "# Every ATen operator (generated from PyTorch's declarations)");
    expect(blocks.length).toBe(1);
    const check = `
const claim = (what, ok) => { if (!ok) throw new Error('docs/ops.md claim failed: ' + what); };
claim('topk values [4, 3]', JSON.stringify(values.shape) === '[4,3]' && indices.dtype === 'int64');
claim('topk named fields', x.topk(3).values.shape[1] === 3);
claim('scatter_ wrote 2.5 in place', x.select(1, 2).select(0, 2).item() === 2.5);
claim('convTranspose2d shape', JSON.stringify(nn.functional.convTranspose2d(img, w, bias, 2, 1).shape) === '[1,3,9,9]');
claim('interpolate doubles', JSON.stringify(nn.functional.interpolate(img, { scaleFactor: 2, mode: 'bilinear' }).shape) === '[1,2,10,10]');
claim('x.T', JSON.stringify(x.T.shape) === '[8,4]');
claim('unique with inverse and counts', JSON.stringify([vals, inverse, counts].map((t) => t.toArray().map(Number))) === '[[0,1,2],[2,0,2,1],[1,1,2]]');
claim('strides', JSON.stringify([x.stride(), x.stride(0), x.T.stride()]) === '[[8,1],8,[1,8]]');
claim('tensordot dims forms', JSON.stringify(torch.tensordot(a, b, { dims: [[1], [0]] }).shape) === '[2,4]' && JSON.stringify(nn.functional.glu(x).shape) === '[4,4]');
console.log('docs/ops.md: ok');
`;
    const r = runAsUser(blocks[0] + check);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('docs/ops.md: ok');
  }, 120_000);

  it.skipIf(!hasCifar)('docs/api.md runs as written, and its comments hold', () => {
    const blocks = codeBlocks('docs/api.md', '# The API in a page');
    expect(blocks.length).toBe(1);
    const r = runAsUser(blocks[0] + checks);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('Total number of parameters: 272474');
    expect(r.stdout).toContain('README API page: ok');
  }, 300_000);
});
