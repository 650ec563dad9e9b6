// torch.jit: TorchScript modules saved by Python's torch.jit.save, run by libtorch's interpreter.
//
// What loading trusts: a TorchScript file is a program. torch::jit::load compiles the TorchScript
// code inside it and forward() runs it with this process's rights: it can read and write any file
// (torch.load / torch.save ops), allocate without bound, or loop forever. It cannot run Python or
// native code of its choosing, but load only files you would run as code. (torch.load / our
// `load()` of a .pth checkpoint is different: a restricted unpickler, data only.)
import * as fs from 'fs';
import { TorchError } from '../errors';
import { native, type NativeScriptModule } from '../native';
import type { DType } from '../dtype';
import { DTYPES } from '../dtype';
import type { Tensor } from '../tensor';
import { optionKeys, readOptions } from '../utils/options';
import { checkReadablePath } from '../utils/validate';

export { forwardAsync, tracedForward } from './traced';
export type { TraceableModule } from './traced';

export interface LoadOptions {
  /** Where the tensors go ('cpu', 'cuda', 'cuda:1'), as torch.jit.load's map_location. */
  device?: string;
}

// The keys of LoadOptions, a list the compiler keeps complete, for readOptions at the entry.
const JIT_LOAD = optionKeys<LoadOptions>({ device: true });

export type ToTarget = string | { device?: string; dtype?: DType };

/**
 * A function taking and returning what the TorchScript method declares (tensors, numbers, lists …). The inputs
 * are checked against the method's schema natively; the result is what the schema says (JitValue at the native
 * boundary), typed `any` for the caller as nn.Module's forward is, so that `model.forward(x).argmax(1)` reads as in Python.
 */
export type ScriptMethod = (...inputs: unknown[]) => any;

/**
 * torch.jit.ScriptModule: forward and the module's other exported methods, its parameters and
 * buffers under Python's names, train()/eval(), to(). Calls may run concurrently (forwardAsync on
 * the libuv pool); do not call train() or to() while a call is running.
 */
export class ScriptModule {
  /** Each TorchScript method by name: `model.methods.encode(x, 3)`. */
  readonly methods: Readonly<Record<string, ScriptMethod>>;

  constructor(private readonly handle: NativeScriptModule) {
    const methods: Record<string, ScriptMethod> = {};
    for (const name of handle.methodNames()) methods[name] = (...inputs) => this.runMethod(name, ...inputs);
    this.methods = methods;
  }

  /** The module's TorchScript class, e.g. '__torch__.Net'. */
  get typeName(): string {
    return this.handle.typeName;
  }
  get training(): boolean {
    return this.handle.training;
  }

  forward(...inputs: unknown[]): any {
    return this.handle.runMethod('forward', inputs);
  }
  /** Python's `model(x)`. */
  call(...inputs: unknown[]): any {
    return this.forward(...inputs);
  }
  /** forward on the libuv pool; the promise resolves with the output (a TorchError rejects it). */
  forwardAsync(...inputs: unknown[]): Promise<any> {
    return this.runMethodAsync('forward', ...inputs);
  }
  runMethod(name: string, ...inputs: unknown[]): any {
    return this.handle.runMethod(name, inputs);
  }
  runMethodAsync(name: string, ...inputs: unknown[]): Promise<any> {
    try {
      return this.handle.runMethodAsync(name, inputs);
    } catch (e) {
      return Promise.reject(e);
    }
  }
  methodNames(): string[] {
    return this.handle.methodNames();
  }
  hasMethod(name: string): boolean {
    return this.methodNames().includes(name);
  }
  /** The declaration, e.g. 'forward(__torch__.Net self, Tensor x) -> Tensor'. */
  methodSchema(name = 'forward'): string {
    return this.handle.methodSchema(name);
  }

  namedParameters(recurse = true): [string, Tensor][] {
    return this.handle.namedParameters(recurse);
  }
  parameters(recurse = true): Tensor[] {
    return this.namedParameters(recurse).map(([, p]) => p);
  }
  namedBuffers(recurse = true): [string, Tensor][] {
    return this.handle.namedBuffers(recurse);
  }
  buffers(recurse = true): Tensor[] {
    return this.namedBuffers(recurse).map(([, b]) => b);
  }
  /** Parameters and buffers under Python's state_dict keys and order; the tensors are the module's own. */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries(this.handle.stateDict());
  }
  parameterCount(): number {
    let n = 0;
    for (const p of this.parameters()) n += p.numel();
    return n;
  }

  train(mode = true): this {
    this.handle.train(mode);
    return this;
  }
  eval(): this {
    return this.train(false);
  }
  /** to('cuda') / to('float64') / to({device, dtype}): in place, as module.to() in Python. */
  to(target: ToTarget): this {
    let device: string | undefined;
    let dtype: DType | undefined;
    if (typeof target === 'string') {
      if ((DTYPES as readonly string[]).includes(target) || ['float', 'double', 'half', 'long', 'int'].includes(target)) dtype = target as DType;
      else device = target;
    } else {
      ({ device, dtype } = target);
    }
    this.handle.to(device ?? null, dtype ?? null);
    return this;
  }
  /** Frees the module's tensors now (calls already running keep what they use until they end). */
  dispose(): void {
    this.handle.dispose();
  }
  get isDisposed(): boolean {
    return this.handle.isDisposed;
  }
}

/** torch.jit.load(path, map_location): a module saved by torch.jit.save (traced or scripted). */
export function load(file: string, options: LoadOptions = {}): ScriptModule {
  options = readOptions('jit.load', options, JIT_LOAD);
  checkReadablePath(file, 'jit.load');
  return new ScriptModule(native.jit.load(file, options.device ?? null));
}

/** load() on the libuv pool: reading and compiling a large model does not block the event loop. */
export async function loadAsync(file: string, options: LoadOptions = {}): Promise<ScriptModule> {
  options = readOptions('jit.loadAsync', options, JIT_LOAD);
  checkReadablePath(file, 'jit.loadAsync');
  return new ScriptModule(await native.jit.loadAsync(file, options.device ?? null));
}

/** True when the file looks like a TorchScript archive (a zip with code/ and constants.pkl records). */
export function isScriptFile(file: string): boolean {
  // The zip's central directory, at the end of the file, names every record.
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const tail = Buffer.alloc(Math.min(size, 1 << 20));
    fs.readSync(fd, tail, 0, tail.length, size - tail.length);
    const names = tail.toString('latin1');
    return names.includes('/constants.pkl') || names.includes('/code/');
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
