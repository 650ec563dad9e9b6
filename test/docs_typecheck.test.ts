// Every TypeScript block of README.md and docs/*.md type-checks as a user's file, strict, each block a
// module of its own that imports 'libtorch-node'. Twice over:
// - against lib/ (the import mapped to lib/index.ts, so no build is needed), as an ES module project;
// - against the published types, as a project that installed the package: node_modules/libtorch-node holds
//   package.json and the .d.ts files `npm pack` ships (needs dist/ from `npm run build:ts`), checked under
//   `module: nodenext` and under `module: commonjs`. A block with top-level await is an ES module, as the pages
//   say (its first line says so): saved as .mts under nodenext; wrapped in `(async () => { … })()` under
//   commonjs, as docs/api.md tells a CommonJS user to do.
// The pages are found by listing docs/, so a page added later is checked too. (test/readme.test.ts and the
// other docs tests run some blocks; running does not type-check.)
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { installedProject, packedFiles, typeCheck, typesBuilt, userCompilerOptions, type UserModule } from './helpers/installed_package';

const root = path.join(__dirname, '..');
const pages = ['README.md', ...fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
if (!typesBuilt) console.warn('test/docs_typecheck: dist/ is missing (run `npm run build:ts`): the published types are not checked');

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

/** Whether `code` awaits outside any function (`await x`, `for await`): then it runs only as an ES module. */
function usesTopLevelAwait(code: string): boolean {
  const source = ts.createSourceFile('block.ts', code, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const visit = (node: ts.Node): boolean => {
    if (ts.isFunctionLike(node) || ts.isClassStaticBlockDeclaration(node)) return false;
    if (ts.isAwaitExpression(node) || (ts.isForOfStatement(node) && node.awaitModifier !== undefined)) return true;
    return ts.forEachChild(node, visit) ?? false;
  };
  return ts.forEachChild(source, visit) ?? false;
}

/** The first line of every block with top-level await: it tells the reader the block is an ES module. */
const ES_MODULE_MARK = /^\/\/ An ES module \(top-level await\): save it as \.mts/;

/** A block as api.md tells a CommonJS user to write it: imports and declarations first, the rest in an async IIFE. */
function wrappedForCommonJs(code: string): string {
  const lines = code.split('\n');
  // Imports and `declare` lines are single statements here; a multi-line import would need a parser.
  const hoisted = (l: string) => /^(import|declare) /.test(l);
  return [...lines.filter(hoisted), '(async () => {', ...lines.filter((l) => !hoisted(l)), '})();'].join('\n');
}

const blocks = pages.flatMap((p) => tsBlocks(p, fs.readFileSync(path.join(root, p), 'utf8')));
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** The file name a block is checked under: the page and the line, so that tsc's messages say where. */
const fileOf = (b: Block, ext: string) => `${b.page.replace(/[/.]/g, '_')}_line${b.line}${ext}`;

function typeCheckAgainstLib(): { status: number | null; messages: string[] } {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'libtorch-node-docs-tsc-'));
  dirs.push(work);
  for (const b of blocks) fs.writeFileSync(path.join(work, fileOf(b, '.ts')), `${b.code}\nexport {};\n`);
  const compilerOptions = {
    ...userCompilerOptions('commonjs'),
    // A user's ES module project: top-level await, as the pages use it.
    module: 'esnext',
    moduleResolution: 'bundler',
    skipLibCheck: true,
    baseUrl: work,
    paths: { 'libtorch-node': [path.join(root, 'lib/index.ts')] },
  };
  return typeCheck(work, compilerOptions, blocks.map((b) => fileOf(b, '.ts')));
}

/** Checks every block in `project` (the package installed) under `module`, in a folder of its own. */
function typeCheckInstalled(project: string, module: UserModule): { status: number | null; messages: string[] } {
  const work = path.join(project, module);
  fs.mkdirSync(work);
  const files = blocks.map((b) => {
    const esm = usesTopLevelAwait(b.code);
    const file = fileOf(b, esm && module === 'nodenext' ? '.mts' : '.ts');
    const code = esm && module === 'commonjs' ? wrappedForCommonJs(b.code) : b.code;
    fs.writeFileSync(path.join(work, file), `${code}\nexport {};\n`);
    return file;
  });
  return typeCheck(work, userCompilerOptions(module), files);
}

/** The relative modules a .d.ts file imports or re-exports (`from './x'`, `import './x'`, `import('./x')`). */
function relativeImports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from|import|import\()\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]);
  return specs.map((s) => {
    const base = path.resolve(path.dirname(file), s);
    return [`${base}.d.ts`, path.join(base, 'index.d.ts')].find((f) => fs.existsSync(f)) ?? `${base}.d.ts`;
  });
}

/** Every .d.ts file reached from dist/index.d.ts by its imports. */
function reachedFromIndex(): Set<string> {
  const seen = new Set<string>();
  const todo = [path.join(root, 'dist/index.d.ts')];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file) || !fs.existsSync(file)) continue;
    seen.add(file);
    todo.push(...relativeImports(file));
  }
  return seen;
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

  it('tells top-level await (await, for await) from await inside functions', () => {
    expect(usesTopLevelAwait('const r = await f();')).toBe(true);
    expect(usesTopLevelAwait('for await (const b of loader) g(b);')).toBe(true);
    expect(usesTopLevelAwait('if (x) { console.log(await f()); }')).toBe(true);
    expect(usesTopLevelAwait('async function main() { await f(); }\nconst g = async () => { for await (const b of l) h(b); };')).toBe(false);
    expect(usesTopLevelAwait('class A { async m() { await f(); } }')).toBe(false);
    expect(wrappedForCommonJs("import * as t from 'x';\ndeclare const a: number;\nawait f(a);\n")).toBe(
      "import * as t from 'x';\ndeclare const a: number;\n(async () => {\nawait f(a);\n\n})();");
  });

  it('every block with top-level await says on its first line that it is an ES module (.mts)', () => {
    const unmarked = blocks.filter((b) => usesTopLevelAwait(b.code) && !ES_MODULE_MARK.test(b.code));
    expect(unmarked.map((b) => `${b.page}:${b.line}`)).toEqual([]);
    // The mark on a block without top-level await would mislead.
    const misleading = blocks.filter((b) => !usesTopLevelAwait(b.code) && ES_MODULE_MARK.test(b.code));
    expect(misleading.map((b) => `${b.page}:${b.line}`)).toEqual([]);
  });

  it('every ts block of README.md and docs/*.md type-checks (strict) against lib/', () => {
    const r = typeCheckAgainstLib();
    expect(r.messages).toEqual([]);
    expect(r.status).toBe(0);
  }, 300_000);
});

describe.skipIf(!typesBuilt)('the published types (dist/ from `npm run build:ts`, as `npm pack` ships it)', () => {
  const packed = typesBuilt ? packedFiles() : [];
  const project = typesBuilt ? installedProject(packed) : '';
  if (project) dirs.push(project);

  it('every .d.ts that augments a type (declare module / declare global) is packed and reached from dist/index.d.ts', () => {
    const augmenting = fs.readdirSync(path.join(root, 'dist'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.d.ts'))
      .filter((f) => /^\s*declare (module|global)\b/m.test(fs.readFileSync(path.join(root, 'dist', f), 'utf8')))
      .map((f) => `dist/${f.split(path.sep).join('/')}`);
    expect(augmenting).toContain('dist/generated/tensor_methods.d.ts');
    const reached = reachedFromIndex();
    expect(augmenting.filter((f) => !reached.has(path.join(root, f)))).toEqual([]);
    expect(augmenting.filter((f) => !packed.includes(f))).toEqual([]);
  });

  it('every ts block type-checks (strict) in a project that installed the package, module nodenext', () => {
    const r = typeCheckInstalled(project, 'nodenext');
    expect(r.messages).toEqual([]);
    expect(r.status).toBe(0);
  }, 300_000);

  it('every ts block type-checks (strict) in a project that installed the package, module commonjs', () => {
    const r = typeCheckInstalled(project, 'commonjs');
    expect(r.messages).toEqual([]);
    expect(r.status).toBe(0);
  }, 300_000);
});
