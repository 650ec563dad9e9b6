// The typed boundary: the Tensor interface (lib/tensor_types.ts) and the native Tensor class (the accessors and
// non-op methods of native/tensor.cc; every op is a generated method, lib/generated/) must name the same
// members, and so must NativeAddon (lib/native_types.ts) and the rest of the addon (its exports, namespaces and
// classes, and the Entry tables of native/*.cc), so an export added on one side only fails here instead of at a
// user's call.
import * as path from 'path';
import * as ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { declaredAddon, declaredInterface, entryTables, nativeClasses, prototypeNames, runtimeAddon } from './helpers/native_addon_shape';

const root = path.join(__dirname, '..');

// The member names of `interface Tensor` in lib/tensor_types.ts, read with the TypeScript compiler.
function interfaceMembers(file: string, name: string): Set<string> {
  const program = ts.createProgram([file], { noResolve: true });
  const source = program.getSourceFile(file)!;
  const out = new Set<string>();
  source.forEachChild((node) => {
    if (!ts.isInterfaceDeclaration(node) || node.name.text !== name) return;
    for (const m of node.members) {
      if (m.name && (ts.isIdentifier(m.name) || ts.isStringLiteral(m.name))) out.add(m.name.text);
    }
  });
  return out;
}

function ownNames(proto: object): Set<string> {
  return new Set(Object.getOwnPropertyNames(proto).filter((n) => n !== 'constructor'));
}

describe('the TypeScript Tensor interface and the native Tensor class agree', () => {
  // The raw addon, before lib/tensor.ts adds its plain-JS methods to the prototype.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const addon = require('node-gyp-build')(root);
  const nativeNames = ownNames(addon.Tensor.prototype);
  const declared = interfaceMembers(path.join(root, 'lib', 'tensor_types.ts'), 'Tensor');

  it('reads both sides', () => {
    expect(nativeNames.has('item')).toBe(true);
    expect(nativeNames.has('shape')).toBe(true);
    expect(declared.has('add')).toBe(true);
    expect(declared.has('toArray')).toBe(true);
  });

  it('every native op and accessor is declared in the Tensor interface', () => {
    const undeclared = [...nativeNames].filter((n) => !declared.has(n));
    expect(undeclared).toEqual([]);
  });

  it('every member of the Tensor interface exists at run time (native, or added by lib/tensor.ts)', async () => {
    await import('../lib/tensor');
    const present = ownNames(addon.Tensor.prototype);
    const missing = [...declared].filter((n) => !present.has(n));
    expect(missing).toEqual([]);
  });
});

// The whole addon: every export and namespace of the loaded addon is declared in lib/native_types.ts (NativeAddon and
// the interface each namespace member names), and every declared member exists unless it is optional (present on
// some builds only). Removing a native export is one line there; adding one without its type fails here.
describe('the NativeAddon interface and the loaded addon agree, namespace by namespace', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const addon = require('node-gyp-build')(root) as Record<string, unknown>;
  const typesFile = path.join(root, 'lib', 'native_types.ts');
  const declared = declaredAddon(typesFile);
  const loaded = runtimeAddon(addon);

  it('reads both sides', () => {
    expect(declared.get('')?.members.has('fromTypedArray')).toBe(true);
    expect(declared.get('cuda')?.members.has('isAvailable')).toBe(true);
    expect(declared.get('jit')?.classes.get('ScriptModule')).toBe('NativeScriptModule');
    expect(loaded.get('')?.has('cuda')).toBe(true);
    expect(loaded.get('distributed')?.has('allReduce')).toBe(true);
    expect(declared.size).toBeGreaterThan(10);
  });

  it('the addon has the same namespaces as NativeAddon declares', () => {
    expect([...loaded.keys()].sort()).toEqual([...declared.keys()].sort());
  });

  it('every export of the addon, top level and in each namespace, is declared', () => {
    const undeclared = [...loaded].flatMap(([ns, names]) => [...names].filter((n) => !declared.get(ns)?.members.has(n)).map((n) => `${ns || '(top)'}.${n}`));
    expect(undeclared).toEqual([]);
  });

  it('every declared member exists at run time, unless it is optional', () => {
    const missing = [...declared].flatMap(([ns, d]) =>
      [...d.members].filter(([n, m]) => !m.optional && !loaded.get(ns)?.has(n)).map(([n]) => `${ns || '(top)'}.${n}`),
    );
    expect(missing).toEqual([]);
  });

  it("each native class's prototype has exactly the members of its declared interface", () => {
    const mismatched: string[] = [];
    for (const [ns, d] of declared) {
      for (const [name, instance] of d.classes) {
        const owner = (ns ? addon[ns] : addon) as Record<string, unknown>;
        // Tensor's prototype is lib/tensor_types.ts's Tensor (the describe above); optional classes may be absent.
        if (!instance.startsWith('Native') || owner[name] === undefined) continue;
        const want = declaredInterface(typesFile, instance);
        const got = prototypeNames(owner[name]);
        const diff = [...[...got].filter((n) => !want.has(n)).map((n) => `+${n}`), ...[...want].filter((n) => !got.has(n)).map((n) => `-${n}`)];
        if (diff.length) mismatched.push(`${ns}.${name}: ${diff.join(' ')}`);
      }
    }
    expect(mismatched).toEqual([]);
  });
});

// The export tables of native/*.cc, including the branches of #if that this build compiled out (CUDA,
// distributed, AOTInductor): each name is declared in the namespace its Init function exports the table into.
describe('every name in the Entry tables of native/*.cc is declared in NativeAddon', () => {
  const declared = declaredAddon(path.join(root, 'lib', 'native_types.ts'));
  const tables = entryTables(path.join(root, 'native'));

  it('finds the tables and the namespace each goes to', () => {
    expect(tables.length).toBeGreaterThan(15);
    expect(tables.find((t) => t.table === 'kCuda')?.namespace).toBe('cuda');
    // reducer.cc's table goes into the object distributed.cc passes to InitReducer.
    expect(tables.find((t) => t.table === 'kReducer')?.namespace).toBe('distributed');
    expect(tables.find((t) => t.table === 'kMemory')?.namespace).toBe('');
    expect(tables.every((t) => t.names.length > 0)).toBe(true);
  });

  it('each table entry is a declared member of its namespace', () => {
    const undeclared = tables.flatMap((t) =>
      t.names.filter((n) => !declared.get(t.namespace)?.members.has(n)).map((n) => `${t.file} ${t.table}: ${t.namespace || '(top)'}.${n}`),
    );
    expect(undeclared).toEqual([]);
  });

  it('each class a native Init defines (ScriptModule, AotiPackage, …) is declared as a native class', () => {
    const classes = nativeClasses(path.join(root, 'native'));
    expect(classes.map((c) => c.name)).toContain('AotiPackage');
    const declaredClasses = new Set([...declared.values()].flatMap((d) => [...d.classes.keys()]));
    expect(classes.filter((c) => !declaredClasses.has(c.name)).map((c) => `${c.file}: ${c.name}`)).toEqual([]);
  });
});

// native/entry.h: class methods, constructors and accessors go through the same try/catch as exported
// functions, so a misuse is a TorchError naming the function, never a crash.
describe('one error path for class members', () => {
  it('a method called on another object, a bad constructor call and a libtorch error in a method are TorchErrors', async () => {
    const torch = await import('../lib');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const addon = require('node-gyp-build')(root);
    const item = addon.Tensor.prototype.item as (this: unknown) => unknown;
    expect(() => item.call({})).toThrow(torch.TorchError);
    expect(() => item.call({})).toThrow(/^item: called on a value that is not its object/);
    expect(() => new addon.nn.NativeModule('Conv9d', {})).toThrow(torch.TorchError);
    expect(() => new addon.nn.NativeModule('Conv9d', {})).toThrow("NativeModule: unknown kind 'Conv9d'");
    // libtorch's own error (item() of 2 elements) from a class method: cleaned, one line.
    const t = torch.tensor([1, 2]);
    expect(() => t.item()).toThrow(torch.TorchError);
    expect(() => t.item()).toThrow(/^item: only a tensor with one element/);
  });
});
