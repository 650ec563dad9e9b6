// torch.export: programs exported with torch.export.export and compiled ahead of time by AOTInductor
// (Python: torch._inductor.aoti_compile_and_package), loaded and run from Node. load() is the C++
// torch::inductor::AOTIModelPackageLoader and Python's torch._inductor.aoti_load_package; the model it
// returns is Python's AOTICompiledModel: forward(...inputs) takes and returns what the exported
// forward did, as PyTorch's pytree flattens it (tensors in arrays for tuples and lists, objects for dicts).
//
// What loading trusts: a .pt2 package holds a compiled shared library that load() maps into this
// process and forward() runs with its rights (any file, any syscall). Load only packages you would run
// as a program. What can be checked before that is checked: the file, its zip, the device it was
// compiled for, the PyTorch that compiled it (when it says), and each call's inputs against the shapes
// it was exported with (when the package carries them: see examples/export_pt2.py).
import * as fs from 'fs';
import { TorchError } from '../errors';
import { native, type NativeAotiPackage } from '../native';
import type { Tensor } from '../tensor';
import { describeSpec, flatten, parseTreeSpec, unflatten, type TreeSpec } from './pytree';
import { optionKeys, readOptions } from '../utils/options';
import { checkReadablePath } from '../utils/validate';

export { parseTreeSpec, flatten, unflatten } from './pytree';
export type { TreeSpec } from './pytree';

/** Metadata keys examples/export_pt2.py writes (Python: aot_inductor.metadata) for the checks below. */
export const INPUTS_KEY = 'libtorch_node.inputs';
export const TORCH_KEY = 'libtorch_node.torch';

export interface LoadOptions {
  /** 'cpu', 'cuda' or 'cuda:N': must be the kind the package was compiled for (default: that kind, device 0). */
  device?: string;
  /** Models the package keeps for concurrent calls (AOTIModelPackageLoader's num_runners; default 1: calls queue). */
  runners?: number;
}

// The keys of LoadOptions, a list the compiler keeps complete, for readOptions at the entry.
const EXPORT_LOAD = optionKeys<LoadOptions>({ device: true, runners: true });

/** A dimension exported as dynamic: any size in [min, max] (max null: unbounded). */
export interface DynamicDim {
  min: number;
  max: number | null;
  /** The torch.export.Dim's name, when the exporter recorded it. */
  name?: string;
}

/** One flat input as exported: its name in the graph, dtype and shape. */
export interface InputSpec {
  name: string;
  dtype: string;
  shape: (number | DynamicDim)[];
}

/**
 * A loaded AOTInductor package (Python's AOTICompiledModel). Calls may run concurrently, forwardAsync
 * on the libuv pool; with `runners: 1` they take turns on the one compiled model.
 */
export class AOTICompiledModel {
  /** The package's metadata: AOTI_DEVICE_KEY, AOTI_PLATFORM, … and what the exporter added. */
  readonly metadata: Readonly<Record<string, string>>;
  /** The device the package runs on: 'cpu' or 'cuda:N'. */
  readonly device: string;
  /** The flat inputs' names, dtypes and shapes, when the package carries them (INPUTS_KEY), else null. */
  readonly inputSpecs: readonly InputSpec[] | null;
  private readonly inSpec: TreeSpec;
  private readonly outSpec: TreeSpec;

  constructor(private readonly handle: NativeAotiPackage, device: string, readonly path: string) {
    this.device = device;
    this.metadata = Object.freeze(handle.metadata());
    const [inSpec, outSpec] = handle.callSpec();
    this.inSpec = parseTreeSpec(inSpec, 'export.load');
    this.outSpec = parseTreeSpec(outSpec, 'export.load');
    this.inputSpecs = this.metadata[INPUTS_KEY] ? (JSON.parse(this.metadata[INPUTS_KEY]) as InputSpec[]) : null;
  }

  /** The exported forward's inputs and outputs as PyTorch prints their structure: '((Tensor, Tensor), {})'. */
  get signature(): string {
    return `${describeSpec(this.inSpec)} -> ${describeSpec(this.outSpec)}`;
  }

  forward(...inputs: unknown[]): any {
    return unflatten(this.handle.run(this.prepare('forward', inputs)), this.outSpec);
  }
  /** Python's `model(x)`. */
  call(...inputs: unknown[]): any {
    return this.forward(...inputs);
  }
  /** forward on the libuv pool: the promise resolves with the outputs (a TorchError rejects it). */
  async forwardAsync(...inputs: unknown[]): Promise<any> {
    const flat = await this.handle.runAsync(this.prepare('forwardAsync', inputs));
    return unflatten(flat, this.outSpec);
  }
  /** The weights' names in the exported module (state_dict keys). */
  constantFqns(): string[] {
    return this.handle.constantFqns();
  }
  /** Frees the compiled model and its weights now (calls already running finish first). */
  dispose(): void {
    this.handle.dispose();
  }
  get isDisposed(): boolean {
    return this.handle.isDisposed;
  }

  // The flat tensors for the package, checked against its call spec and, when it has them, its input specs.
  private prepare(where: string, inputs: unknown[]): Tensor[] {
    if (this.handle.isDisposed) throw new TorchError(`${where}: the package was disposed`);
    const [argsSpec, kwargsSpec] = this.inSpec.children_spec;
    const nArgs = argsSpec.children_spec.length;
    const hasKwargs = kwargsSpec.children_spec.length > 0;
    if (inputs.length !== nArgs + (hasKwargs ? 1 : 0)) {
      throw new TorchError(`${where}: expected ${nArgs} input${nArgs === 1 ? '' : 's'}${hasKwargs ? ' and an object of keyword inputs' : ''} ${describeSpec(argsSpec)}, got ${inputs.length}`);
    }
    const flat = flatten(inputs.slice(0, nArgs), argsSpec, `${where}: inputs`);
    if (hasKwargs) flatten(inputs[nArgs], kwargsSpec, `${where}: keyword inputs`, flat);
    flat.forEach((t, i) => this.checkInput(where, t, i));
    return flat;
  }

  private checkInput(where: string, t: Tensor, i: number): void {
    const deviceType = this.device.split(':')[0];
    const spec = this.inputSpecs?.[i];
    const name = `input ${i}${spec ? ` (${spec.name})` : ''}`;
    if (t.device.split(':')[0] !== deviceType) throw new TorchError(`${where}: ${name} is on ${t.device}, the package runs on ${this.device}`);
    if (!spec) return;
    if (t.dtype !== spec.dtype) throw new TorchError(`${where}: ${name}: expected dtype ${spec.dtype}, got ${t.dtype}`);
    const shape = t.shape;
    const want = `[${spec.shape.map((d) => (typeof d === 'number' ? d : (d.name ?? `${d.min}..${d.max ?? ''}`))).join(', ')}]`;
    if (shape.length !== spec.shape.length) {
      throw new TorchError(`${where}: ${name}: expected ${spec.shape.length} dimensions ${want}, got shape [${shape.join(', ')}]`);
    }
    spec.shape.forEach((d, k) => {
      if (typeof d === 'number') {
        if (shape[k] !== d) throw new TorchError(`${where}: ${name}: dimension ${k} must be ${d} (exported shape ${want}), got shape [${shape.join(', ')}]`);
      } else if (shape[k] < d.min || (d.max !== null && shape[k] > d.max)) {
        const dim = d.name ? `dimension ${k} (${d.name})` : `dimension ${k}`;
        throw new TorchError(`${where}: ${name}: ${dim} is ${shape[k]}, outside the exported bounds [${d.min}, ${d.max ?? 'inf'}]`);
      }
    });
  }
}

function readMetadata(file: string): Record<string, string> {
  try {
    return native.export.readMetadata(file);
  } catch (e) {
    const why = (e as Error).message.replace(/^export\.load: /, '');
    throw new TorchError(`export.load('${file}'): not a readable AOTInductor package (.pt2) (${why})`);
  }
}

function versionParts(v: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

// The device the package runs on, from what it was compiled for, what was asked, and what this machine has.
function packageDevice(file: string, meta: Record<string, string>, asked: string | undefined): [string, number | null] {
  const kind = meta.AOTI_DEVICE_KEY ?? 'cpu';
  const where = `export.load('${file}')`;
  if (kind !== 'cpu' && kind !== 'cuda') throw new TorchError(`${where}: the package was compiled for ${kind}; this library runs cpu and cuda packages`);
  const [askedKind, askedIndex] = (asked ?? kind).split(':');
  if (askedKind !== kind) {
    throw new TorchError(`${where}: the package was compiled for ${kind} and cannot run on ${asked}; compile one for ${askedKind} (examples/export_pt2.py --device ${askedKind})`);
  }
  if (kind === 'cuda' && !native.cuda.isAvailable()) {
    throw new TorchError(`${where}: the package was compiled for CUDA and CUDA is not available here; compile one for cpu (examples/export_pt2.py --device cpu)`);
  }
  if (kind === 'cpu') return ['cpu', null];
  const index = askedIndex === undefined ? 0 : Number(askedIndex);
  return [`cuda:${index}`, index];
}

/**
 * Loads an AOTInductor package (.pt2, from torch._inductor.aoti_compile_and_package): Python's
 * torch._inductor.aoti_load_package(path), C++'s AOTIModelPackageLoader(path). Needs libtorch 2.6+.
 */
export function load(file: string, options: LoadOptions = {}): AOTICompiledModel {
  options = readOptions('export.load', options, EXPORT_LOAD);
  if (!native.export.available) native.export.load(file, null, 1);  // throws: which libtorch is needed
  checkReadablePath(file, 'export.load', true);
  const meta = readMetadata(file);
  const [device, index] = packageDevice(file, meta, options.device);
  const made = meta[TORCH_KEY];
  if (made) {
    const [pm, pn] = versionParts(made);
    const [lm, ln] = versionParts(native.libtorchVersion());
    if (pm > lm || (pm === lm && pn > ln)) {
      throw new TorchError(`export.load('${file}'): the package was compiled by PyTorch ${made}, newer than this libtorch (${native.libtorchVersion()}); compile it with PyTorch ${lm}.${ln} or run a libtorch ≥ ${pm}.${pn}`);
    }
  }
  const runners = options.runners ?? 1;
  if (!Number.isInteger(runners) || runners < 1) throw new TorchError(`export.load: runners must be a positive integer, got ${runners}`);
  return new AOTICompiledModel(native.export.load(file, index, runners), device, file);
}

/** Python's name for load(): torch._inductor.aoti_load_package. */
export const aotiLoadPackage = load;

/** Whether this libtorch can run AOTInductor packages (2.x; not 1.13). */
export function isAvailable(): boolean {
  return native.export.available;
}

/** Whether `file` is an AOTInductor package: a zip whose records include data/aotinductor/ (or such a folder, unpacked). */
export function isPackageFile(file: string): boolean {
  let fd: number | undefined;
  try {
    if (fs.statSync(file).isDirectory()) return fs.readdirSync(file).some((d) => fs.existsSync(`${file}/${d}/data/aotinductor`));
    // The zip's central directory, at the end of the file, names every record.
    fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const tail = Buffer.alloc(Math.min(size, 1 << 20));
    fs.readSync(fd, tail, 0, tail.length, size - tail.length);
    return tail.toString('latin1').includes('/data/aotinductor/');
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
