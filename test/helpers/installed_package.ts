// A user's project that installed the package, for type-checking code against the published types: its
// node_modules/libtorch-node holds package.json and the .d.ts files `npm pack` ships (copied from dist/, so
// `npm run build:ts` must have run; nothing is fetched). Used by test/docs_typecheck.test.ts and
// test/types.test.ts.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.join(__dirname, '../..');
const tsc = path.join(root, 'node_modules/typescript/bin/tsc');

/** Whether dist/ holds the declarations (`npm run build:ts`). */
export const typesBuilt = fs.existsSync(path.join(root, 'dist/index.d.ts'));

/** The files `npm pack` would put in the package (package.json's "files", plus package.json and README). */
export function packedFiles(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
  return (JSON.parse(out) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
}

/** A new project in a temp dir (the caller removes it) with the package's packed declarations installed. */
export function installedProject(packed: string[] = packedFiles()): string {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), 'libtorch-node-consumer-'));
  const pkg = path.join(project, 'node_modules/libtorch-node');
  for (const file of packed.filter((f) => f === 'package.json' || f.endsWith('.d.ts'))) {
    fs.mkdirSync(path.dirname(path.join(pkg, file)), { recursive: true });
    fs.copyFileSync(path.join(root, file), path.join(pkg, file));
  }
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  return project;
}

export type UserModule = 'nodenext' | 'commonjs';

/** A user's tsconfig: strict, the package's declarations checked too, @types/node from this repo (offline). */
export function userCompilerOptions(module: UserModule): Record<string, unknown> {
  return {
    target: 'ES2022',
    module,
    moduleResolution: module === 'nodenext' ? 'nodenext' : 'node10',
    lib: ['ES2022', 'esnext.disposable'],
    strict: true,
    esModuleInterop: true,
    skipLibCheck: false,
    noEmit: true,
    types: ['node'],
    typeRoots: [path.join(root, 'node_modules/@types')],
  };
}

/** Writes tsconfig.json for `files` in `dir` and runs the repo's tsc on it: its `error TS` lines. */
export function typeCheck(dir: string, compilerOptions: Record<string, unknown>, files: string[]): { status: number | null; messages: string[] } {
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files }, null, 2));
  const r = spawnSync(process.execPath, [tsc, '-p', dir, '--pretty', 'false'], { encoding: 'utf8' });
  return { status: r.status, messages: r.stdout.split('\n').filter((l) => /error TS\d+/.test(l)) };
}
