// torch.nn.Module in TypeScript: children, parameters and buffers under PyTorch's dotted names.
//
// As in Python, assigning a Module to a field registers it as a child under the field's name
// (`this.conv1 = new nn.Conv2d(...)` gives `conv1.weight`): the base constructor returns a Proxy
// whose defineProperty trap plays the part of nn.Module.__setattr__. Registration order is the
// order of first assignment, which is what fixes PyTorch's state_dict order.
import { TorchError } from '../errors';
import { keep, tidy } from '../memory';
import { native } from '../native';
import { MemoryFormat, Tensor, isTensor, noGrad } from '../tensor';
import type { DType } from '../dtype';
import { DTYPES } from '../dtype';
import { checkOneOf, checkOptions, describeValue } from '../utils/validate';
import { forwardAsync } from '../jit/traced';
import { readOptions } from '../utils/options';
import { zeroGrads } from '../optim/optimizer';

/** name → tensor in PyTorch's order (insertion order of a plain object; keys are never integer-like). */
export type StateDict = Record<string, Tensor>;

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

// Tensors made by Parameter(): assigning one to a module field registers it, as nn.Parameter in Python.
const PARAMETERS = new WeakSet<Tensor>();

/**
 * nn.Parameter(data, requiresGrad=true): marks a tensor as a parameter, so that `this.w = nn.Parameter(t)`
 * in a Module registers it (parameters(), stateDict(), optimizers see it). A plain tensor assigned to a
 * field stays a plain attribute, as in PyTorch: use Parameter (or registerBuffer for state that is not trained).
 */
export function Parameter(data: Tensor, requiresGrad = true): Tensor {
  if (!isTensor(data)) throw new TorchError(`Parameter: expected a Tensor, got ${typeof data}`);
  const p = data.requiresGrad === requiresGrad ? data : data.detach().requiresGrad_(requiresGrad);
  PARAMETERS.add(p);
  return p;
}

/** True for tensors made by Parameter() or registered as a module's parameter. */
export function isParameter(t: unknown): boolean {
  return isTensor(t) && PARAMETERS.has(t);
}

export type ToTarget = string | { device?: string; dtype?: DType; memoryFormat?: MemoryFormat };

export abstract class Module {
  /** True in training mode (batch-norm uses batch statistics), false after eval(). */
  training = true;
  readonly _parameters = new Map<string, Tensor | null>();
  readonly _buffers = new Map<string, Tensor | null>();
  readonly _modules = new Map<string, Module>();

  constructor() {
    // Plays nn.Module.__setattr__: a Module assigned to a field becomes a child; a Tensor assigned
    // to a registered parameter or buffer name replaces it.
    return new Proxy(this, {
      defineProperty(target, prop, desc) {
        if (typeof prop === 'string' && 'value' in desc) {
          const v: unknown = desc.value;
          const registered = target._parameters.get(prop) ?? target._buffers.get(prop);
          if (registered && isTensor(v) && v !== registered && target.adoptsAssignedTensors()) {
            // A native layer computes with its own tensors: the new value goes into them (keeping
            // the handles everyone holds), so forward and stateDict both see it.
            tidy(() => native.nn.setData(registered, v.detach()));
            return Reflect.defineProperty(target, prop, { ...desc, value: registered });
          }
          if (v instanceof Module) target._modules.set(prop, v);
          else if (target._modules.has(prop) && v == null) target._modules.delete(prop);
          else if (target._parameters.has(prop) && (v === null || isTensor(v))) target._parameters.set(prop, v && keep(v));
          else if (isTensor(v) && PARAMETERS.has(v) && !target._buffers.has(prop)) {
            checkName(prop, target, 'Parameter');
            target._parameters.set(prop, keep(v));
          }
          else if (target._buffers.has(prop) && (v === null || isTensor(v))) target._buffers.set(prop, v && keep(v));
        }
        return Reflect.defineProperty(target, prop, desc);
      },
    });
  }

  abstract forward(...args: any[]): any;

  /** True for layers backed by a libtorch module, whose forward reads the module's own tensors. */
  protected adoptsAssignedTensors(): boolean {
    return false;
  }

  /** Python's `model(x)`: the same as forward(x). */
  call(...args: Parameters<this['forward']>): ReturnType<this['forward']> {
    return (this.forward as (...a: unknown[]) => ReturnType<this['forward']>)(...args);
  }

  /**
   * forward(...inputs) on the libuv pool, resolving with the output: the event loop stays free. The
   * first call per input shape records forward's ops with libtorch's tracer (one synchronous forward,
   * as torch.jit.trace); so forward must be tensors in, tensors out, without data-dependent branches.
   * Wrap in noGrad() for inference. Do not change the module (to(), train()) while a call runs.
   */
  forwardAsync(...inputs: Tensor[]): Promise<any> {
    return forwardAsync(this, ...inputs);
  }

  /**
   * register_parameter: the tensor becomes a leaf that requires grad (an nn.Parameter) and is kept
   * out of every tidy(), since the module owns it. null registers a None parameter (e.g. bias=False).
   */
  registerParameter(name: string, param: Tensor | null): Tensor | null {
    checkName(name, this, 'registerParameter');
    if (param !== null) {
      if (!isTensor(param)) throw new TorchError(`registerParameter: '${name}' must be a Tensor or null`);
      keep(param);
      if (!param.requiresGrad && param.dtype !== 'int64' && param.dtype !== 'bool') param.requiresGrad = true;
      PARAMETERS.add(param);
    }
    this._parameters.set(name, param);
    (this as Record<string, unknown>)[name] = param;
    return param;
  }

  /** register_buffer: state that is saved in the state dict but not trained (running_mean …). */
  registerBuffer(name: string, buffer: Tensor | null): Tensor | null {
    checkName(name, this, 'registerBuffer');
    if (buffer !== null) keep(buffer);
    this._buffers.set(name, buffer);
    (this as Record<string, unknown>)[name] = buffer;
    return buffer;
  }

  /** add_module / register_module. */
  registerModule<M extends Module>(name: string, module: M): M {
    if (!(module instanceof Module)) throw new TorchError(`registerModule: '${name}' is not a Module`);
    if (name.includes('.') || name === '') throw new TorchError(`registerModule: module name can't contain ".", got: '${name}'`);
    (this as Record<string, unknown>)[name] = module; // registered by the proxy's trap
    this._modules.set(name, module);
    return module;
  }
  addModule<M extends Module>(name: string, module: M): M {
    return this.registerModule(name, module);
  }

  *namedChildren(): IterableIterator<[string, Module]> {
    yield* this._modules.entries();
  }
  children(): Module[] {
    return [...this._modules.values()];
  }

  /** Every module in pre-order, itself first under '' (shared modules once), as PyTorch. */
  namedModules(prefix = '', memo = new Set<Module>()): [string, Module][] {
    const out: [string, Module][] = [];
    if (memo.has(this)) return out;
    memo.add(this);
    out.push([prefix, this]);
    for (const [name, child] of this._modules) {
      out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name, memo));
    }
    return out;
  }
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  namedParameters(prefix = '', recurse = true): [string, Tensor][] {
    return this.namedMembers('_parameters', prefix, recurse);
  }
  parameters(recurse = true): Tensor[] {
    return this.namedParameters('', recurse).map(([, p]) => p);
  }
  namedBuffers(prefix = '', recurse = true): [string, Tensor][] {
    return this.namedMembers('_buffers', prefix, recurse);
  }
  buffers(recurse = true): Tensor[] {
    return this.namedBuffers('', recurse).map(([, b]) => b);
  }

  private namedMembers(kind: '_parameters' | '_buffers', prefix: string, recurse: boolean): [string, Tensor][] {
    const seen = new Set<Tensor>();
    const out: [string, Tensor][] = [];
    const mods: [string, Module][] = recurse ? this.namedModules(prefix) : [[prefix, this]];
    for (const [modPrefix, mod] of mods) {
      for (const [name, t] of mod[kind]) {
        if (t === null || seen.has(t)) continue;
        seen.add(t);
        out.push([modPrefix ? `${modPrefix}.${name}` : name, t]);
      }
    }
    return out;
  }

  /** The number of scalar parameters (sum of numel), optionally only those that require grad. */
  parameterCount(onlyTrainable = false): number {
    let n = 0;
    for (const p of this.parameters()) if (!onlyTrainable || p.requiresGrad) n += p.numel();
    return n;
  }

  /** train(mode): sets the mode of this module and every descendant. */
  train(mode = true): this {
    this.training = mode;
    for (const child of this._modules.values()) child.train(mode);
    return this;
  }
  eval(): this {
    return this.train(false);
  }

  /**
   * to('cuda') / to('float64') / to({device, dtype}): moves parameters and buffers in place (their
   * handles stay valid, as PyTorch's param.data = …); a dtype applies to floating-point tensors only.
   * A parameter's .grad moves with it (device, dtype, 4-D layout), as PyTorch's Module._apply does.
   */
  to(target: ToTarget): this {
    if (typeof target !== 'string') checkOptions(target ?? null, 'Module.to', 'target');
    // Checked before anything moves: a misspelt format must not leave the module half converted.
    if (typeof target === 'object' && target.memoryFormat !== undefined) checkOneOf(target.memoryFormat, ['contiguous', 'channels_last'], 'Module.to', 'memoryFormat');
    let device: string | undefined;
    let dtype: DType | undefined;
    if (typeof target === 'string') {
      if ((DTYPES as readonly string[]).includes(target) || ['float', 'double', 'half', 'long', 'int'].includes(target)) {
        dtype = target as DType;
      } else {
        device = target;
      }
    } else {
      device = target.device;
      dtype = target.dtype;
    }
    for (const m of this.modules()) m.applyTo(device ?? null, dtype ?? null);
    const format = typeof target === 'object' ? target.memoryFormat : undefined;
    if (format !== undefined) {
      // As PyTorch's module.to(memory_format=...): 4-D parameters and buffers change layout in place.
      for (const t of [...this.parameters(), ...this.buffers()]) {
        if (t.ndim === 4 && !t.isContiguous(format)) tidy(() => native.nn.setData(t, t.detach().contiguous(format)));
      }
    }
    this.gradsFollowParameters(format);
    return this;
  }

  // PyTorch's _apply runs the same conversion on p.grad (p.grad.data = fn(p.grad)): a gradient stays on
  // its parameter's device and dtype (and 4-D layout), ready for the next accumulation or optimizer step.
  private gradsFollowParameters(format: MemoryFormat | undefined): void {
    for (const p of this.parameters()) {
      const g = p.grad;
      if (!g) continue;
      const relayout = format !== undefined && g.ndim === 4 && !g.isContiguous(format);
      if (g.device === p.device && g.dtype === p.dtype && !relayout) continue;
      tidy(() => {
        const moved = g.detach().to({ device: p.device, dtype: p.dtype as DType });
        native.nn.setData(g, relayout ? moved.contiguous(format) : moved);
      });
    }
  }
  cuda(index?: number): this {
    return this.to(index === undefined ? 'cuda' : `cuda:${index}`);
  }
  cpu(): this {
    return this.to('cpu');
  }
  float(): this {
    return this.to('float32');
  }
  double(): this {
    return this.to('float64');
  }

  /** Moves this module's own parameters and buffers (not its children's). Native layers override it. */
  protected applyTo(device: string | null, dtype: DType | null): void {
    for (const t of [...this._parameters.values(), ...this._buffers.values()]) {
      if (t === null) continue;
      const float = t.dtype.startsWith('float') || t.dtype === 'bfloat16';
      const target = { device: device ?? t.device, dtype: dtype && float ? dtype : t.dtype };
      if (target.device === t.device && target.dtype === t.dtype) continue;
      tidy(() => native.nn.setData(t, t.detach().to(target))); // the temporaries are freed, t lives on
    }
  }

  /** zero_grad: gradients set to null (PyTorch 2.x default) or zeroed in place. */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    options = readOptions('Module.zeroGrad', options, ['setToNone']);
    zeroGrads(this.parameters(), options.setToNone ?? true);
  }

  /**
   * state_dict: parameters then buffers of each module, modules in pre-order (PyTorch's order).
   * Values are detached handles sharing storage with the module's tensors (keepVars: the tensors themselves).
   */
  stateDict(options: { prefix?: string; keepVars?: boolean } = {}): StateDict {
    options = readOptions('Module.stateDict', options, ['prefix', 'keepVars']);
    const out: StateDict = {};
    // Like PyTorch, no de-duplication: a module shared under two names is saved under both.
    const visit = (mod: Module, base: string): void => {
      for (const members of [mod._parameters, mod._buffers]) {
        for (const [name, t] of members) {
          if (t !== null) out[base + name] = options.keepVars ? t : t.detach();
        }
      }
      for (const [name, child] of mod._modules) visit(child, `${base}${name}.`);
    };
    visit(this, options.prefix ?? ''); // PyTorch's prefix includes its dot: 'module.'
    return out;
  }

  /**
   * load_state_dict: copies values into the module's tensors. strict (default) requires exactly the
   * module's keys. Shape mismatches are always errors (as PyTorch), and nothing is copied when there
   * is any error. A 'module.' prefix on every key (torch.nn.DataParallel checkpoints) is removed.
   */
  loadStateDict(stateDict: StateDict | Map<string, Tensor>, options: { strict?: boolean } = {}): LoadStateDictResult {
    options = readOptions('Module.loadStateDict', options, ['strict']);
    // PyTorch: "Expected state_dict to be dict-like, got <class 'NoneType'>."
    if (stateDict === null || typeof stateDict !== 'object' || Array.isArray(stateDict) || isTensor(stateDict)) {
      throw new TorchError(`Expected state_dict to be dict-like, got ${describeValue(stateDict)}.`);
    }
    const strict = options.strict ?? true;
    let entries: [string, unknown][] =
      stateDict instanceof Map ? [...stateDict.entries()] : Object.entries(stateDict as Record<string, unknown>);
    // DataParallel's prefix is stripped only when it cannot be the model's own name (a child called `module`).
    const ownKeysPrefixed = [...this.namedParameters(), ...this.namedBuffers()].some(([k]) => k.startsWith('module.'));
    if (!ownKeysPrefixed && entries.length > 0 && entries.every(([k]) => k.startsWith('module.'))) {
      entries = entries.map(([k, v]) => [k.slice('module.'.length), v]);
    }
    const given = new Map(entries);
    const own = this.stateDict({ keepVars: true });
    const missingKeys = Object.keys(own).filter((k) => !given.has(k));
    const unexpectedKeys = [...given.keys()].filter((k) => !(k in own));
    // PyTorch's order and text: missing, then unexpected (each ending '. '), then each tensor's problem.
    const errors: string[] = [];
    if (strict && missingKeys.length) errors.push(`Missing key(s) in state_dict: ${quoteList(missingKeys)}. `);
    if (strict && unexpectedKeys.length) errors.push(`Unexpected key(s) in state_dict: ${quoteList(unexpectedKeys)}. `);
    for (const [k, target] of Object.entries(own)) {
      if (!given.has(k)) continue;
      const v = given.get(k);
      if (!isTensor(v)) {
        errors.push(`While copying the parameter named "${k}", expected torch.Tensor or Tensor-like object from checkpoint but received <class '${pythonClass(v)}'>`);
      } else if (v.shape.join(',') !== target.shape.join(',')) {
        errors.push(
          `size mismatch for ${k}: copying a param with shape torch.Size([${v.shape.join(', ')}]) from checkpoint, ` +
            `the shape in current model is torch.Size([${target.shape.join(', ')}]).`,
        );
      }
    }
    if (errors.length) {
      throw new TorchError(`Error(s) in loading state_dict for ${this.constructor.name}:\n\t${errors.join('\n\t')}`);
    }
    noGrad(() => {
      for (const [k, target] of Object.entries(own)) {
        const v = given.get(k);
        if (isTensor(v)) target.copy_(v);
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  /** apply(fn): fn on every submodule, children first, then itself (PyTorch's order). */
  apply(fn: (m: Module) => void): this {
    for (const child of this._modules.values()) child.apply(fn);
    fn(this);
    return this;
  }

  /** get_submodule('layer1.0.conv1'). */
  getSubmodule(target: string): Module {
    let mod: Module = this;
    if (target === '') return mod;
    for (const part of target.split('.')) {
      const next = mod._modules.get(part);
      if (!next) throw new TorchError(`${mod.constructor.name} has no attribute \`${part}\``);
      mod = next;
    }
    return mod;
  }

  /** The part of the repr between the parentheses, as PyTorch's extra_repr. */
  extraRepr(): string {
    return '';
  }

  toString(): string {
    const extra = this.extraRepr();
    if (this._modules.size === 0) return `${this.constructor.name}(${extra})`;
    const lines = [...this._modules].map(([name, m]) => `  (${name}): ${m.toString().split('\n').join('\n  ')}`);
    return `${this.constructor.name}(${extra ? `\n  ${extra}` : ''}\n${lines.join('\n')}\n)`;
  }
}

function checkName(name: string, mod: Module, where: string): void {
  if (typeof name !== 'string' || name === '' || name.includes('.')) {
    throw new TorchError(`${where}: name must be a non-empty string without ".", got '${String(name)}'`);
  }
  if (mod._modules.has(name)) throw new TorchError(`${where}: attribute '${name}' already exists as a submodule`);
}

// The Python class a JS value stands for, as PyTorch names a non-tensor state-dict value.
function pythonClass(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  return Array.isArray(v) ? 'list' : 'dict';
}

function quoteList(keys: string[]): string {
  return keys.map((k) => `"${k}"`).join(', ');
}
