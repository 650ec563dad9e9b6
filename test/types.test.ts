// The public types: item() and load<T>() typed precisely (checked by compiling test/types/public.ts with
// tsc, where an `@ts-expect-error` that no longer errs fails too), against lib/ and against the published
// declarations as a project that installed the package sees them, and TrainOptions documented field by
// field with its default.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import * as torch from '../lib';
import { installedProject, typeCheck, typesBuilt, userCompilerOptions } from './helpers/installed_package';

const root = path.join(__dirname, '..');

describe('public types', () => {
  it('compile as the values are: item() number or boolean, load<T>() typed, unknown without T', () => {
    const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
    const args = ['--noEmit', '--strict', '--target', 'ES2022', '--module', 'commonjs', '--moduleResolution', 'node',
      '--esModuleInterop', '--skipLibCheck', '--types', 'node', '--lib', 'ES2022,esnext.disposable', 'test/types/public.ts'];
    let out = '';
    try {
      execFileSync(process.execPath, [tsc, ...args], { cwd: root, encoding: 'utf8' });
    } catch (e) {
      out = (e as { stdout?: string }).stdout ?? String(e);
    }
    expect(out).toBe('');
  }, 300_000);

  it.skipIf(!typesBuilt)('compile the same against the published declarations (dist/, as packed), module nodenext and commonjs', () => {
    const project = installedProject();
    try {
      const source = fs.readFileSync(path.join(root, 'test/types/public.ts'), 'utf8');
      expect(source).toContain("from '../../lib'");
      fs.writeFileSync(path.join(project, 'public.ts'), source.replace("from '../../lib'", "from 'libtorch-node'"));
      for (const module of ['nodenext', 'commonjs'] as const) {
        const r = typeCheck(project, userCompilerOptions(module), ['public.ts']);
        expect(r.messages, module).toEqual([]);
        expect(r.status, module).toBe(0);
      }
    } finally {
      fs.rmSync(project, { recursive: true, force: true });
    }
  }, 300_000);

  it('item() gives booleans for bool tensors and numbers otherwise, as the types say', () => {
    const x = torch.tensor([[1, 2], [3, 4]]);
    expect(x.sum().item()).toBe(10);
    expect(x.sum().eq(10).item()).toBe(true);
    expect(x.sum().gt(10).item()).toBe(false);
  });

  it('every TrainOptions field has JSDoc that states its default', () => {
    const source = fs.readFileSync(path.join(root, 'lib/train/options.ts'), 'utf8');
    const body = source.slice(source.indexOf('export interface TrainOptions {'), source.indexOf('\n}\n', source.indexOf('export interface TrainOptions {')));
    const fields = [...body.matchAll(/(\/\*\*[\s\S]*?\*\/)?\s*\n\s*(\w+)\?:/g)].map((m) => ({ name: m[2], doc: m[1] ?? '' }));
    expect(fields.length).toBeGreaterThan(30);
    expect(fields.filter((f) => !/Default/.test(f.doc)).map((f) => f.name)).toEqual([]);
  });
});
