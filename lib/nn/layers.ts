// The layers of torch.nn. Conv2d, BatchNorm2d and Linear hold a libtorch module (native/module.cc):
// its constructor runs PyTorch's default initialisation, forward is one native call, and the
// parameters/buffers registered here are handles on the libtorch module's own tensors.
import { TorchError } from '../errors';
import { native } from '../native';
import { Tensor } from '../tensor';
import type { DType } from '../dtype';
import * as F from './functional';
import { Module } from './module';

type Pair = number | [number, number];

interface NativeModule {
  forward(x: Tensor): Tensor;
  namedParameters(): [string, Tensor][];
  namedBuffers(): [string, Tensor][];
  train(mode: boolean): void;
  to(device: string | null, dtype: DType | null): void;
  readonly name: string;
}

/** PyTorch's factory kwargs: where the new parameters live. */
export interface FactoryOptions {
  device?: string;
  dtype?: DType;
}

abstract class NativeLayer extends Module {
  protected readonly impl: NativeModule;

  constructor(kind: string, options: FactoryOptions & Record<string, unknown>) {
    super();
    this.impl = new native.nn.NativeModule(kind, options);
    for (const [name, t] of this.impl.namedParameters()) this.registerParameter(name, t);
    for (const [name, t] of this.impl.namedBuffers()) this.registerBuffer(name, t);
    if (options.device !== undefined || options.dtype !== undefined) {
      this.to({ device: options.device, dtype: options.dtype });
    }
  }

  forward(input: Tensor): Tensor {
    return this.impl.forward(input);
  }

  protected adoptsAssignedTensors(): boolean {
    return true;
  }

  train(mode = true): this {
    this.impl.train(mode);
    return super.train(mode);
  }

  protected applyTo(device: string | null, dtype: DType | null): void {
    this.impl.to(device, dtype);
  }
}

function pair(x: Pair): [number, number] {
  return typeof x === 'number' ? [x, x] : [x[0], x[1]];
}

export interface Conv2dOptions extends FactoryOptions {
  stride?: Pair;
  padding?: Pair | 'same' | 'valid';
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
  paddingMode?: 'zeros' | 'reflect' | 'replicate' | 'circular';
}

/** nn.Conv2d(inChannels, outChannels, kernelSize, {stride=1, padding=0, dilation=1, groups=1, bias=true, paddingMode='zeros'}). */
export class Conv2d extends NativeLayer {
  declare weight: Tensor;
  declare bias: Tensor | null;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number] | 'same' | 'valid';
  readonly dilation: [number, number];
  readonly groups: number;
  readonly paddingMode: string;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options: Conv2dOptions = {}) {
    super('Conv2d', { ...options, inChannels, outChannels, kernelSize });
    if (!this._parameters.has('bias')) this.registerParameter('bias', null);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = pair(kernelSize);
    this.stride = pair(options.stride ?? 1);
    const p = options.padding ?? 0;
    this.padding = typeof p === 'string' ? p : pair(p);
    this.dilation = pair(options.dilation ?? 1);
    this.groups = options.groups ?? 1;
    this.paddingMode = options.paddingMode ?? 'zeros';
  }

  extraRepr(): string {
    const t = (x: [number, number]) => `(${x[0]}, ${x[1]})`;
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${t(this.kernelSize)}, stride=${t(this.stride)}`;
    if (typeof this.padding === 'string') s += `, padding=${this.padding}`;
    else if (this.padding[0] || this.padding[1]) s += `, padding=${t(this.padding)}`;
    if (this.dilation[0] !== 1 || this.dilation[1] !== 1) s += `, dilation=${t(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ', bias=False';
    return s;
  }
}

export interface BatchNorm2dOptions extends FactoryOptions {
  eps?: number;
  /** null: cumulative moving average, as PyTorch's momentum=None. */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
}

/** nn.BatchNorm2d(numFeatures, {eps=1e-5, momentum=0.1, affine=true, trackRunningStats=true}). */
export class BatchNorm2d extends NativeLayer {
  declare weight: Tensor | null;
  declare bias: Tensor | null;
  declare running_mean: Tensor | null;
  declare running_var: Tensor | null;
  declare readonly num_batches_tracked: Tensor | null;
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;

  constructor(numFeatures: number, options: BatchNorm2dOptions = {}) {
    super('BatchNorm2d', { ...options, numFeatures });
    // PyTorch registers None for what is absent, so the attributes exist either way.
    for (const name of ['weight', 'bias']) if (!this._parameters.has(name)) this.registerParameter(name, null);
    for (const name of ['running_mean', 'running_var', 'num_batches_tracked']) {
      if (!this._buffers.has(name)) this.registerBuffer(name, null);
    }
    this.numFeatures = numFeatures;
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    this.affine = options.affine ?? true;
    this.trackRunningStats = options.trackRunningStats ?? true;
  }

  /** PyTorch's camelCase-free names are the state-dict keys; these are the friendly accessors. */
  get runningMean(): Tensor | null {
    return this.running_mean;
  }
  get runningVar(): Tensor | null {
    return this.running_var;
  }
  get numBatchesTracked(): Tensor | null {
    return this.num_batches_tracked;
  }

  extraRepr(): string {
    const py = (b: boolean) => (b ? 'True' : 'False');
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum ?? 'None'}, affine=${py(this.affine)}, track_running_stats=${py(this.trackRunningStats)}`;
  }
}

export interface LinearOptions extends FactoryOptions {
  bias?: boolean;
}

/** nn.Linear(inFeatures, outFeatures, {bias=true}): y = x Wᵀ + b. */
export class Linear extends NativeLayer {
  declare weight: Tensor;
  declare bias: Tensor | null;
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super('Linear', { ...options, inFeatures, outFeatures });
    if (!this._parameters.has('bias')) this.registerParameter('bias', null);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
  }

  extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias ? 'True' : 'False'}`;
  }
}

/** nn.ReLU(inplace=false). */
export class ReLU extends Module {
  constructor(readonly inplace = false) {
    super();
  }
  forward(input: Tensor): Tensor {
    return F.relu(input, this.inplace);
  }
  extraRepr(): string {
    return this.inplace ? 'inplace=True' : '';
  }
}

/** nn.Identity: returns its input. */
export class Identity extends Module {
  forward(input: Tensor): Tensor {
    return input;
  }
}

/** nn.AdaptiveAvgPool2d(outputSize). */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: Pair) {
    super();
  }
  forward(input: Tensor): Tensor {
    return F.adaptiveAvgPool2d(input, this.outputSize);
  }
  extraRepr(): string {
    return `output_size=${JSON.stringify(this.outputSize)}`;
  }
}

/** nn.AvgPool2d(kernelSize, {stride=kernelSize, padding=0, …}). */
export class AvgPool2d extends Module {
  constructor(readonly kernelSize: Pair, readonly options: F.AvgPool2dOptions = {}) {
    super();
  }
  forward(input: Tensor): Tensor {
    return F.avgPool2d(input, this.kernelSize, this.options);
  }
}

/** nn.Flatten(startDim=1, endDim=-1). */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }
  forward(input: Tensor): Tensor {
    return input.flatten(this.startDim, this.endDim);
  }
}

/** nn.Sequential(...modules): children named '0', '1', …; forward chains them. */
export class Sequential extends Module {
  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => this.registerModule(String(i), m));
  }
  get length(): number {
    return this._modules.size;
  }
  /** seq[i] in Python (negative indices count from the end). */
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
  forward(input: any): any {
    let x = input;
    for (const m of this._modules.values()) x = m.forward(x);
    return x;
  }
}
