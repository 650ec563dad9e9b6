// The code's shape, checked: no function over 80 lines in lib/ (generated code excepted) or native/*.cc,
// and no import cycle in lib/ (type-only imports included; shared types live in a leaf module instead).
// The measurements are in test/helpers/structure.ts; each failure lists every offender.
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import {
  LongFunction, describeCycle, importCycles, importGraph, longCppFunctions, longTsFunctions, tsFiles,
} from './helpers/structure';

const root = path.join(__dirname, '..');
const MAX_LINES = 80;


const report = (long: LongFunction[]): string => long.map((f) => `${f.where} ${f.lines} lines`).join('\n');

describe('code structure', () => {
  it(`has no function, method, arrow or constructor over ${MAX_LINES} lines in lib/ (lib/generated excepted)`, () => {
    const long = longTsFunctions(tsFiles(path.join(root, 'lib'), ['generated']), root, MAX_LINES);
    expect(report(long)).toBe('');
  });

  it(`has no top-level or namespace-level function over ${MAX_LINES} lines in native/*.cc`, () => {
    const dir = path.join(root, 'native');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.cc')).sort();
    const long = files.flatMap((f) => longCppFunctions(path.join(dir, f), root, MAX_LINES));
    expect(report(long)).toBe('');
  });

  it('finds the functions of every native/*.cc (a scan lost in a file would find none and pass it unread)', () => {
    const dir = path.join(root, 'native');
    const unread = fs.readdirSync(dir).filter((f) => f.endsWith('.cc') && longCppFunctions(path.join(dir, f), root, 0).length === 0);
    expect(unread).toEqual([]);
  });

  it('has no import cycle in lib/, type-only imports included', () => {
    const graph = importGraph(tsFiles(path.join(root, 'lib')));
    const cycles = importCycles(graph).map((c) => describeCycle(graph, c, root));
    expect(cycles.join('\n')).toBe('');
  });

  it('measures what it claims: a 81-line body, a cycle and a long C++ function are found', () => {
    const dir = fs.mkdtempSync(path.join(require('os').tmpdir(), 'structure-'));
    const body = Array.from({ length: 79 }, (_, i) => `  const v${i} = ${i};`).join('\n');
    fs.writeFileSync(path.join(dir, 'a.ts'), `import type { B } from './b';\nexport function long(): void {\n${body}\n}\n`);
    fs.writeFileSync(path.join(dir, 'b.ts'), `import { long } from './a';\nexport type B = typeof long;\nexport const ok = () => 1;\n`);
    fs.writeFileSync(path.join(dir, 'c.cc'), `namespace tn {\nnamespace {\nint Long(int x) {\n${body.replace(/const/g, 'int')}\n}\n}\n}\n`);
    const ts = tsFiles(dir);
    expect(longTsFunctions(ts, dir, MAX_LINES)).toEqual([{ where: 'a.ts:long', lines: 81 }]);
    expect(longTsFunctions(ts, dir, 81)).toEqual([]);
    expect(importCycles(importGraph(ts)).map((c) => describeCycle(importGraph(ts), c, dir))).toEqual(['a.ts → b.ts → a.ts']);
    expect(longCppFunctions(path.join(dir, 'c.cc'), dir, MAX_LINES)).toEqual([{ where: 'c.cc:Long', lines: 81 }]);
    fs.rmSync(dir, { recursive: true });
  });
});
