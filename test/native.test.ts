// The typed boundary: the Tensor interface (lib/tensor_types.ts) and the native Tensor class (the accessors and
// non-op methods of native/tensor.cc; every op is a generated method, lib/generated/) must name the same
// members, so a member added on one side only fails here instead of at a user's call.
import * as path from 'path';
import * as ts from 'typescript';
import { describe, expect, it } from 'vitest';

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
