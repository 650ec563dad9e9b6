// Every TypeScript block of README.md and docs/*.md type-checks as a user's file: each block is written to
// a module of its own that imports 'libtorch-node' (mapped to lib/, so no build is needed), and one
// `tsc --noEmit` checks them all, strict. The pages are found by listing docs/, so a page added later is
// checked too. (test/readme.test.ts and the other docs tests run some blocks; running does not type-check.)
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..');
const pages = ['README.md', ...fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];

interface Block {
  page: string;
  /** The line of the page where the block's code starts (1-based). */
  line: number;
  code: string;
}

/** The ```ts / ```typescript blocks of a markdown page, with where each starts. */
function tsBlocks(page: string, markdown: string): Block[] {
  const out: Block[] = [];
  for (const m of markdown.matchAll(/^```(?:ts|typescript)[ \t]*\n([\s\S]*?)^```/gm)) {
    out.push({ page, line: markdown.slice(0, m.index).split('\n').length + 1, code: m[1] });
  }
  return out;
}

const blocks = pages.flatMap((p) => tsBlocks(p, fs.readFileSync(path.join(root, p), 'utf8')));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'libtorch-node-docs-tsc-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** The file name a block is checked under: the page and the line, so that tsc's messages say where. */
const fileOf = (b: Block) => `${b.page.replace(/[/.]/g, '_')}_line${b.line}.ts`;

function typeCheck(): { status: number | null; messages: string[] } {
  for (const b of blocks) fs.writeFileSync(path.join(work, fileOf(b)), `${b.code}\nexport {};\n`);
  const tsconfig = {
    compilerOptions: {
      // A user's ES module project: top-level await, as the pages use it.
      target: 'ES2022',
      module: 'esnext',
      moduleResolution: 'bundler',
      lib: ['ES2022', 'esnext.disposable'],
      strict: true,
      esModuleInterop: true,
      skipLibCheck: true,
      noEmit: true,
      types: ['node'],
      typeRoots: [path.join(root, 'node_modules/@types')],
      baseUrl: work,
      paths: { 'libtorch-node': [path.join(root, 'lib/index.ts')] },
    },
    files: blocks.map(fileOf),
  };
  fs.writeFileSync(path.join(work, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', work, '--pretty', 'false'], { encoding: 'utf8' });
  const messages = r.stdout.split('\n').filter((l) => /error TS\d+/.test(l));
  return { status: r.status, messages };
}

describe('docs type-check', () => {
  it('finds the ts blocks of README.md and every docs/*.md page', () => {
    expect(pages).toContain('docs/api.md');
    expect(blocks.filter((b) => b.page === 'docs/api.md').length).toBeGreaterThan(0);
    expect(blocks.filter((b) => b.page === 'README.md').length).toBeGreaterThan(0);
  });

  it('a block with a type error is reported with its page and line', () => {
    const found = tsBlocks('x.md', '# t\n\n```ts\nconst n: number = "a";\n```\n');
    expect(found).toEqual([{ page: 'x.md', line: 4, code: 'const n: number = "a";\n' }]);
  });

  it('every ts block of README.md and docs/*.md type-checks (strict), importing libtorch-node', () => {
    const r = typeCheck();
    expect(r.messages).toEqual([]);
    expect(r.status).toBe(0);
  }, 300_000);
});
