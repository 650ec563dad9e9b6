// The containers (torch/nn/modules/container.py): Sequential, ModuleList, ModuleDict.
import { TorchError } from '../../errors';
import { Module } from '../module';

/** What Sequential and ModuleList share: children named '0', '1', …, read by position as a Python list. */
export abstract class IndexedModules extends Module {
  get length(): number {
    return this._modules.size;
  }
  /** seq[i] / list[i] in Python (negative indices count from the end). */
  at(index: number): Module {
    const mods = this.children();
    const m = mods[index < 0 ? index + mods.length : index];
    if (!m) throw new TorchError(`index ${index} is out of range`);
    return m;
  }
  append(module: Module): this {
    this.registerModule(String(this._modules.size), module);
    return this;
  }
  [Symbol.iterator](): Iterator<Module> {
    return this.children()[Symbol.iterator]();
  }
}

/** nn.Sequential(...modules): children named '0', '1', …; forward chains them. */
export class Sequential extends IndexedModules {
  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => this.registerModule(String(i), m));
  }
  forward(input: any): any {
    let x = input;
    for (const m of this._modules.values()) x = m.forward(x);
    return x;
  }
}

/** nn.ModuleList(modules): children named '0', '1', … (state-dict keys `0.weight`); no forward of its own. */
export class ModuleList extends IndexedModules {
  constructor(modules: Iterable<Module> = []) {
    super();
    for (const m of modules) this.append(m);
  }
  extend(modules: Iterable<Module>): this {
    for (const m of modules) this.append(m);
    return this;
  }
  forward(): never {
    throw new TorchError('ModuleList has no forward: iterate over it in your module’s forward');
  }
}

/** nn.ModuleDict({name: module}): children under their keys, in insertion order; no forward of its own. */
export class ModuleDict extends Module {
  constructor(modules: Record<string, Module> | Iterable<[string, Module]> = {}) {
    super();
    const entries = Symbol.iterator in Object(modules) ? (modules as Iterable<[string, Module]>) : Object.entries(modules);
    for (const [k, m] of entries) this.set(k, m);
  }
  get size(): number {
    return this._modules.size;
  }
  get(key: string): Module {
    const m = this._modules.get(key);
    if (!m) throw new TorchError(`ModuleDict: no module named '${key}'`);
    return m;
  }
  set(key: string, module: Module): this {
    // As add_module: a key may not hide a method or field (`keys`, `training` …).
    if (!this._modules.has(key) && key in this) throw new TorchError(`ModuleDict: attribute '${key}' already exists`);
    this.registerModule(key, module);
    return this;
  }
  has(key: string): boolean {
    return this._modules.has(key);
  }
  delete(key: string): boolean {
    const had = this._modules.delete(key);
    if (had) delete (this as Record<string, unknown>)[key];
    return had;
  }
  keys(): string[] {
    return [...this._modules.keys()];
  }
  values(): Module[] {
    return [...this._modules.values()];
  }
  entries(): [string, Module][] {
    return [...this._modules.entries()];
  }
  [Symbol.iterator](): Iterator<string> {
    return this.keys()[Symbol.iterator]();
  }
  forward(): never {
    throw new TorchError('ModuleDict has no forward: call its modules in your module’s forward');
  }
}
