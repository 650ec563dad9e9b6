// What test/native.test.ts compares: the addon's declared shape (lib/native_types.ts, read with the TypeScript
// compiler), its shape at run time (the loaded addon object walked), and the export tables of native/*.cc.
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

/** A namespace (or the addon's top level): its members, and for each whether the build may lack it. */
export interface DeclaredNamespace {
  members: Map<string, { optional: boolean }>;
  /** Members that are native classes, with the interface their prototype is declared by (when declared in the file). */
  classes: Map<string, string>;
}

/** The interfaces of a source file, by name, as their member nodes. */
function interfacesOf(file: string): Map<string, ts.NodeArray<ts.TypeElement>> {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out = new Map<string, ts.NodeArray<ts.TypeElement>>();
  source.forEachChild((node) => {
    if (ts.isInterfaceDeclaration(node)) out.set(node.name.text, node.members);
  });
  return out;
}

function memberName(m: ts.TypeElement): string | undefined {
  return m.name && (ts.isIdentifier(m.name) || ts.isStringLiteral(m.name)) ? m.name.text : undefined;
}

function referenceName(type: ts.TypeNode | undefined): string | undefined {
  return type && ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName) ? type.typeName.text : undefined;
}

/** The interface a class member's instances are declared by: NativeClass<X>, or `new (…) => X`. */
function classInstanceType(type: ts.TypeNode | undefined): string | undefined {
  if (!type) return undefined;
  if (ts.isConstructorTypeNode(type)) return referenceName(type.type) ?? '';
  if (referenceName(type) === 'NativeClass' && ts.isTypeReferenceNode(type)) return referenceName(type.typeArguments?.[0]) ?? '';
  return undefined;
}

function declaredNamespace(members: ts.NodeArray<ts.TypeElement>): DeclaredNamespace {
  const out: DeclaredNamespace = { members: new Map(), classes: new Map() };
  for (const m of members) {
    const name = memberName(m);
    if (name === undefined) continue;
    out.members.set(name, { optional: m.questionToken !== undefined });
    const instance = ts.isPropertySignature(m) ? classInstanceType(m.type) : undefined;
    if (instance !== undefined) out.classes.set(name, instance);
  }
  return out;
}

/**
 * The addon as lib/native_types.ts declares it: '' is the top level (interface NativeAddon), and each member
 * typed by another interface of the file (NativeCuda, …) is a namespace, read from that interface.
 */
export function declaredAddon(file: string): Map<string, DeclaredNamespace> {
  const interfaces = interfacesOf(file);
  const top = interfaces.get('NativeAddon');
  if (!top) throw new Error(`${file} declares no interface NativeAddon`);
  const out = new Map<string, DeclaredNamespace>([['', declaredNamespace(top)]]);
  for (const m of top) {
    const name = memberName(m);
    const ref = ts.isPropertySignature(m) ? referenceName(m.type) : undefined;
    const ns = ref === undefined ? undefined : interfaces.get(ref);
    if (name !== undefined && ns && ref !== 'NativeClass') out.set(name, declaredNamespace(ns));
  }
  return out;
}

/** The member names of one interface of the file (a native class's prototype). */
export function declaredInterface(file: string, name: string): Set<string> {
  const members = interfacesOf(file).get(name);
  if (!members) throw new Error(`${file} declares no interface ${name}`);
  return new Set([...members].map(memberName).filter((n): n is string => n !== undefined));
}

/** The loaded addon walked: '' the top level's keys, and each namespace object's keys. */
export function runtimeAddon(addon: Record<string, unknown>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>([['', new Set(Object.keys(addon))]]);
  for (const [name, value] of Object.entries(addon)) {
    if (value !== null && typeof value === 'object') out.set(name, new Set(Object.keys(value)));
  }
  return out;
}

/** A native class's prototype members (what DefineClass and DefineMethods put there). */
export function prototypeNames(cls: unknown): Set<string> {
  const proto = (cls as { prototype: object }).prototype;
  return new Set(Object.getOwnPropertyNames(proto).filter((n) => n !== 'constructor'));
}

export interface EntryTable {
  file: string;
  table: string;
  /** The namespace the table is exported into ('' for the top level), as its Init function says. */
  namespace: string;
  names: string[];
}

type Sources = Map<string, string>;

/**
 * The namespace the object `variable` of `file` is, at `at`: `exports` is the top level; `exports.Set("ns", variable)`
 * names it; a parameter of the enclosing Init function is what its callers (in any file) pass.
 */
function namespaceOf(sources: Sources, file: string, variable: string, at: number, depth = 0): string | undefined {
  if (variable === 'exports') return '';
  const text = sources.get(file)!;
  const set = new RegExp(`exports\\.Set\\("(\\w+)",\\s*${variable}\\)`).exec(text);
  if (set) return set[1];
  if (depth > 3) return undefined;
  const fns = [...text.slice(0, at).matchAll(/void (\w+)\(Napi::Env \w*,\s*Napi::Object (\w+)\)/g)];
  const fn = fns[fns.length - 1];
  if (!fn || fn[2] !== variable) return undefined;
  for (const [caller, callerText] of sources) {
    for (const call of callerText.matchAll(new RegExp(`(?<![\\w:])${fn[1]}\\(env,\\s*(\\w+)\\)`, 'g'))) {
      const found = namespaceOf(sources, caller, call[1], call.index, depth + 1);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** The classes native/*.cc defines on a namespace object (`target.Set("Name", …)` in a class's Init), by file. */
export function nativeClasses(nativeDir: string): { file: string; name: string }[] {
  return fs
    .readdirSync(nativeDir)
    .filter((f) => f.endsWith('.cc'))
    .sort()
    .flatMap((file) => [...fs.readFileSync(path.join(nativeDir, file), 'utf8').matchAll(/target\.Set\("(\w+)",/g)].map((m) => ({ file, name: m[1] })));
}

/** Every `Entry name[] = {…}` table of native/*.cc (each #if branch separately), with the names it exports. */
export function entryTables(nativeDir: string): EntryTable[] {
  const sources: Sources = new Map();
  for (const f of fs.readdirSync(nativeDir).filter((f) => f.endsWith('.cc')).sort()) {
    sources.set(f, fs.readFileSync(path.join(nativeDir, f), 'utf8'));
  }
  const out: EntryTable[] = [];
  for (const [file, text] of sources) {
    const exports = [...text.matchAll(/Export\(env,\s*(\w+),\s*(\w+)\)/g)];
    for (const t of text.matchAll(/\bEntry\s+(\w+)\[\]\s*=\s*\{([\s\S]*?)\n\s*\};/g)) {
      const call = exports.find((e) => e[2] === t[1] && e.index > t.index);
      const namespace = call ? namespaceOf(sources, file, call[1], call.index) : undefined;
      const names = [...t[2].matchAll(/\{"(\w+)",/g)].map((m) => m[1]);
      out.push({ file, table: t[1], namespace: namespace ?? `<unresolved: ${call?.[1] ?? 'no Export call'}>`, names });
    }
  }
  return out;
}
