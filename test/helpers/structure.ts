// Measures the code's shape for test/structure.test.ts: the length of every function body in lib/ (with
// the TypeScript compiler's own parser, so arrows, methods, accessors and constructors all count), the
// relative-import graph of lib/ (type-only imports included: a cycle of types is still a cycle a reader
// has to untangle), and the length of every top-level or namespace-level function in native/*.cc (a
// brace scan over the source with comments, strings and character literals blanked out).
import * as fs from 'fs';
import * as path from 'path';
import ts from 'typescript';

export interface LongFunction {
  /** file:function, the file relative to the repository root. */
  where: string;
  lines: number;
}

/** Every .ts file under dir (recursively), skipping the folders named in skip (relative to dir). */
export function tsFiles(dir: string, skip: readonly string[] = []): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) {
        if (!skip.includes(path.relative(dir, full))) walk(full);
      } else if (entry.name.endsWith('.ts')) {
        out.push(full);
      }
    }
  };
  walk(dir);
  return out.sort();
}

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
}

type FunctionNode = ts.FunctionLikeDeclaration & { body: ts.Node };

function isFunctionWithBody(node: ts.Node): node is FunctionNode {
  return (ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isArrowFunction(node)
    || ts.isFunctionExpression(node) || ts.isConstructorDeclaration(node) || ts.isGetAccessorDeclaration(node)
    || ts.isSetAccessorDeclaration(node)) && node.body !== undefined;
}

/** A readable name: the declared one, else the variable, property or argument position the function sits in. */
function functionName(node: FunctionNode): string {
  const owner = ts.isClassLike(node.parent) && node.parent.name ? `${node.parent.name.text}.` : '';
  if (ts.isConstructorDeclaration(node)) return `${owner}constructor`;
  if (node.name && (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name))) return `${owner}${node.name.text}`;
  const parent = node.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent))
    && ts.isIdentifier(parent.name)) return `${owner}${parent.name.text}`;
  return '<anonymous>';
}

/** Lines from the line of the body's opening brace (or an arrow's expression) to its last line, inclusive. */
function bodyLines(node: FunctionNode, source: ts.SourceFile): number {
  const start = source.getLineAndCharacterOfPosition(node.body.getStart(source)).line;
  const end = source.getLineAndCharacterOfPosition(node.body.getEnd()).line;
  return end - start + 1;
}

/** Every function, method, arrow, accessor and constructor in the files whose body is over max lines. */
export function longTsFunctions(files: readonly string[], root: string, max: number): LongFunction[] {
  const out: LongFunction[] = [];
  for (const file of files) {
    const source = parse(file);
    const visit = (node: ts.Node): void => {
      if (isFunctionWithBody(node)) {
        const lines = bodyLines(node, source);
        if (lines > max) out.push({ where: `${path.relative(root, file)}:${functionName(node)}`, lines });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return out;
}

/** The relative module specifiers a file names: imports, re-exports (type-only ones too) and import() types/calls. */
function specifiers(source: ts.SourceFile): string[] {
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier
      && ts.isStringLiteral(node.moduleSpecifier)) out.push(node.moduleSpecifier.text);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      out.push(node.argument.literal.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword
      && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0])) out.push(node.arguments[0].text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out.filter((s) => s.startsWith('.'));
}

function resolve(from: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts')]) {
    if (candidate.endsWith('.ts') && fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/** file → the files it imports (relative imports that resolve to .ts files only). */
export function importGraph(files: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets = specifiers(parse(file)).map((s) => resolve(file, s)).filter((t): t is string => t !== undefined);
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** The strongly connected components with more than one file, or a file importing itself (Tarjan). */
export function importCycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  const connect = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) connect(v);
  return out;
}

/** For a component, one shortest cycle through its first file, as 'a → b → a' (what to read first). */
export function describeCycle(graph: Map<string, string[]>, component: readonly string[], root: string): string {
  const inside = new Set(component);
  const start = component[0];
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const chain = [v];
        while (chain[0] !== start) chain.unshift(previous.get(chain[0])!);
        return [...chain, start].map((f) => path.relative(root, f)).join(' → ');
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return component.map((f) => path.relative(root, f)).join(', ');
}

/** C++ source with comments, string and character literals replaced by spaces (newlines kept, so lines still count). */
function blankCpp(text: string): string {
  return text.replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\/|R"(\w*)\([\s\S]*?\)\1"|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'/g,
    (m) => m.replace(/[^\n]/g, ' '));
}

/** What a `{` opens, from the text since the previous `;`, `{` or `}` at the same level. */
function braceKind(header: string): 'container' | 'function' | 'other' {
  const h = header.replace(/\s+/g, ' ').trim();
  if (/^(?:inline )?namespace\b/.test(h) || /^extern "C"$/.test(h) || h === 'extern') return 'container';
  if (/^(?:template ?<.*> ?)?(?:class|struct|union)\b[^=(]*$/.test(h)) return 'container';
  if (/^(?:enum)\b/.test(h) || /=\s*$/.test(h) || /=/.test(h.split('(')[0])) return 'other';
  return /\)/.test(h) ? 'function' : 'other';
}

/** The name before the parameter list of a function header, e.g. 'Tensor::Add' or 'Convert'. */
function cppName(header: string): string {
  const h = header.replace(/\s+/g, ' ').trim().replace(/^.*\n/, '');
  const beforeParams = h.slice(0, h.indexOf('('));
  return beforeParams.split(' ').pop() || '<anonymous>';
}

/** Every top-level, namespace-level or class-level function definition in a .cc file over max lines. */
export function longCppFunctions(file: string, root: string, max: number): LongFunction[] {
  const text = blankCpp(fs.readFileSync(file, 'utf8'));
  const out: LongFunction[] = [];
  let line = 0;
  let headerStart = 0;
  const containers: boolean[] = [];
  let functionOpen: { name: string; line: number; depth: number } | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') line++;
    else if (c === '{') {
      const atContainerLevel = containers.every((x) => x) && functionOpen === undefined;
      const kind = atContainerLevel ? braceKind(text.slice(headerStart, i).replace(/^\s*#.*$/gm, '')) : 'other';
      containers.push(kind === 'container');
      if (kind === 'function') functionOpen = { name: cppName(text.slice(headerStart, i)), line, depth: containers.length };
      headerStart = i + 1;
    } else if (c === '}') {
      if (functionOpen && containers.length === functionOpen.depth) {
        const lines = line - functionOpen.line + 1;
        if (lines > max) out.push({ where: `${path.relative(root, file)}:${functionOpen.name}`, lines });
        functionOpen = undefined;
      }
      containers.pop();
      headerStart = i + 1;
    } else if (c === ';') {
      headerStart = i + 1;
    }
  }
  return out;
}
