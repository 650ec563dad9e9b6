// The layers of torch.nn. Conv2d, BatchNorm2d and Linear hold a libtorch module (native/module.cc):
// its constructor runs PyTorch's default initialisation, forward is one native call, and the
// parameters/buffers registered here are handles on the libtorch module's own tensors.
import { TorchError } from '../errors';
import { native, type NativeLayer as NativeModule } from '../native';
import { Tensor, ones, randn, zeros } from '../tensor';
import type { DType } from '../dtype';
import * as F from './functional';
import { Module } from './module';
import { readOptions } from '../utils/options';

type Pair = number | [number, number];
const FACTORY = ['device', 'dtype'] as const;

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
    options = readOptions('nn.Conv2d', options, [...FACTORY, 'stride', 'padding', 'dilation', 'groups', 'bias', 'paddingMode']);
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

const BATCH_NORM_KEYS = [...FACTORY, 'eps', 'momentum', 'affine', 'trackRunningStats'];

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
    options = readOptions('nn.BatchNorm2d', options, BATCH_NORM_KEYS);
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
    options = readOptions('nn.Linear', options, [...FACTORY, 'bias']);
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
  readonly options: F.AvgPool2dOptions;
  constructor(readonly kernelSize: Pair, options: F.AvgPool2dOptions = {}) {
    super();
    this.options = readOptions('nn.AvgPool2d', options, ['stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride']);
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

/** nn.MaxPool2d(kernelSize, {stride=kernelSize, padding=0, dilation=1, ceilMode=false}). */
export class MaxPool2d extends Module {
  readonly options: F.MaxPool2dOptions;
  constructor(readonly kernelSize: Pair, options: F.MaxPool2dOptions = {}) {
    super();
    this.options = readOptions('nn.MaxPool2d', options, ['stride', 'padding', 'dilation', 'ceilMode']);
  }
  forward(input: Tensor): Tensor {
    return F.maxPool2d(input, this.kernelSize, this.options);
  }
  extraRepr(): string {
    const o = this.options;
    return `kernel_size=${this.kernelSize}, stride=${o.stride ?? this.kernelSize}, padding=${o.padding ?? 0}, dilation=${o.dilation ?? 1}, ceil_mode=${o.ceilMode ? 'True' : 'False'}`;
  }
}

/** A float as Python's repr writes it where JS differs (1e-05, not 0.00001). */
function pyFloat(v: number): string {
  if (v === 0 || Math.abs(v) >= 1e-4) return String(v);
  const [m, e] = v.toExponential().split('e');
  return `${m}e${e[0]}${e.slice(1).padStart(2, '0')}`;
}

function checkP(p: number, where: string): number {
  if (!(p >= 0 && p <= 1)) throw new TorchError(`${where}: dropout probability has to be between 0 and 1, but got ${p}`);
  return p;
}

/** nn.Dropout(p=0.5, inplace=false): active in train(), the identity in eval(); draws from the global generator (manualSeed). */
export class Dropout extends Module {
  constructor(readonly p = 0.5, readonly inplace = false) {
    super();
    checkP(p, 'Dropout');
  }
  forward(input: Tensor): Tensor {
    return F.dropout(input, this.p, this.training, this.inplace);
  }
  extraRepr(): string {
    return `p=${this.p}, inplace=${this.inplace ? 'True' : 'False'}`;
  }
}

/** nn.Dropout2d(p=0.5, inplace=false): zeroes whole channels in train(). */
export class Dropout2d extends Dropout {
  constructor(p = 0.5, inplace = false) {
    super(checkP(p, 'Dropout2d'), inplace);
  }
  forward(input: Tensor): Tensor {
    return F.dropout2d(input, this.p, this.training, this.inplace);
  }
}

/** nn.BatchNorm1d(numFeatures, {eps=1e-5, momentum=0.1, affine=true, trackRunningStats=true}) over [N, C] or [N, C, L]. */
export class BatchNorm1d extends Module {
  declare weight: Tensor | null;
  declare bias: Tensor | null;
  declare running_mean: Tensor | null;
  declare running_var: Tensor | null;
  declare num_batches_tracked: Tensor | null;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;

  constructor(readonly numFeatures: number, options: BatchNorm2dOptions = {}) {
    super();
    options = readOptions('nn.BatchNorm1d', options, BATCH_NORM_KEYS);
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    this.affine = options.affine ?? true;
    this.trackRunningStats = options.trackRunningStats ?? true;
    const f = { device: options.device, dtype: options.dtype ?? 'float32' };
    this.registerParameter('weight', this.affine ? ones([numFeatures], f) : null);
    this.registerParameter('bias', this.affine ? zeros([numFeatures], f) : null);
    this.registerBuffer('running_mean', this.trackRunningStats ? zeros([numFeatures], f) : null);
    this.registerBuffer('running_var', this.trackRunningStats ? ones([numFeatures], f) : null);
    this.registerBuffer('num_batches_tracked', this.trackRunningStats ? zeros([], { device: options.device, dtype: 'int64' }) : null);
  }

  forward(input: Tensor): Tensor {
    if (input.ndim !== 2 && input.ndim !== 3) throw new TorchError(`BatchNorm1d: expected 2D or 3D input (got ${input.ndim}D input)`);
    let factor = this.momentum ?? 0;
    if (this.training && this.num_batches_tracked) {
      this.num_batches_tracked.add_(1);
      // momentum=None: a cumulative average, 1/n (reads the counter, as PyTorch does).
      if (this.momentum === null) factor = 1 / (this.num_batches_tracked.item() as number);
    }
    const useBatchStats = this.training || (this.running_mean === null && this.running_var === null);
    const stats = !this.training || this.trackRunningStats;
    return F.batchNorm(input, stats ? this.running_mean : null, stats ? this.running_var : null, {
      weight: this.weight,
      bias: this.bias,
      training: useBatchStats,
      momentum: factor,
      eps: this.eps,
    });
  }
  extraRepr(): string {
    const py = (b: boolean) => (b ? 'True' : 'False');
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${this.momentum ?? 'None'}, affine=${py(this.affine)}, track_running_stats=${py(this.trackRunningStats)}`;
  }
}

/** nn.LayerNorm(normalizedShape, {eps=1e-5, elementwiseAffine=true, bias=true}). */
export class LayerNorm extends Module {
  declare weight: Tensor | null;
  declare bias: Tensor | null;
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  constructor(normalizedShape: number | number[], options: FactoryOptions & { eps?: number; elementwiseAffine?: boolean; bias?: boolean } = {}) {
    super();
    options = readOptions('nn.LayerNorm', options, [...FACTORY, 'eps', 'elementwiseAffine', 'bias']);
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.eps = options.eps ?? 1e-5;
    this.elementwiseAffine = options.elementwiseAffine ?? true;
    const f = { device: options.device, dtype: options.dtype ?? 'float32' };
    this.registerParameter('weight', this.elementwiseAffine ? ones(this.normalizedShape, f) : null);
    this.registerParameter('bias', this.elementwiseAffine && (options.bias ?? true) ? zeros(this.normalizedShape, f) : null);
  }
  forward(input: Tensor): Tensor {
    return F.layerNorm(input, this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.eps });
  }
  extraRepr(): string {
    return `(${this.normalizedShape.join(', ')}${this.normalizedShape.length === 1 ? ',' : ''}), eps=${pyFloat(this.eps)}, elementwise_affine=${this.elementwiseAffine ? 'True' : 'False'}`;
  }
}

/** nn.Embedding(numEmbeddings, embeddingDim, {paddingIdx}): weight ~ N(0, 1), the padding row zero. */
export class Embedding extends Module {
  declare weight: Tensor;
  readonly paddingIdx: number | null;
  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, options: FactoryOptions & { paddingIdx?: number } = {}) {
    super();
    options = readOptions('nn.Embedding', options, [...FACTORY, 'paddingIdx']);
    let pad = options.paddingIdx ?? null;
    if (pad !== null) {
      if (pad >= numEmbeddings || pad < -numEmbeddings) throw new TorchError('Embedding: padding_idx must be within num_embeddings');
      if (pad < 0) pad += numEmbeddings;
    }
    this.paddingIdx = pad;
    const w = randn([numEmbeddings, embeddingDim], { device: options.device, dtype: options.dtype ?? 'float32' });
    if (pad !== null) w.select(0, pad).zero_();
    this.registerParameter('weight', w);
  }
  forward(input: Tensor): Tensor {
    return F.embedding(input, this.weight, this.paddingIdx);
  }
  extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, padding_idx=${this.paddingIdx}` : ''}`;
  }
}

/** nn.GELU(approximate='none'). */
export class GELU extends Module {
  constructor(readonly approximate: 'none' | 'tanh' = 'none') {
    super();
  }
  forward(input: Tensor): Tensor {
    return F.gelu(input, this.approximate);
  }
}

/** nn.SiLU(). */
export class SiLU extends Module {
  forward(input: Tensor): Tensor {
    return F.silu(input);
  }
}

/** nn.Sigmoid(). */
export class Sigmoid extends Module {
  forward(input: Tensor): Tensor {
    return input.sigmoid();
  }
}

/** nn.Tanh(). */
export class Tanh extends Module {
  forward(input: Tensor): Tensor {
    return input.tanh();
  }
}

/** nn.Softmax(dim): the dim is required (PyTorch's implicit dim is deprecated). */
export class Softmax extends Module {
  constructor(readonly dim: number) {
    super();
    if (!Number.isInteger(dim)) throw new TorchError(`Softmax: dim must be an integer, got ${dim}`);
  }
  forward(input: Tensor): Tensor {
    return F.softmax(input, this.dim);
  }
  extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/** nn.LogSoftmax(dim). */
export class LogSoftmax extends Module {
  constructor(readonly dim: number) {
    super();
    if (!Number.isInteger(dim)) throw new TorchError(`LogSoftmax: dim must be an integer, got ${dim}`);
  }
  forward(input: Tensor): Tensor {
    return F.logSoftmax(input, this.dim);
  }
  extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/** nn.ModuleList(modules): children named '0', '1', … (state-dict keys `0.weight`); no forward of its own. */
export class ModuleList extends Module {
  constructor(modules: Iterable<Module> = []) {
    super();
    for (const m of modules) this.append(m);
  }
  get length(): number {
    return this._modules.size;
  }
  /** list[i] (negative indices count from the end). */
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
  extend(modules: Iterable<Module>): this {
    for (const m of modules) this.append(m);
    return this;
  }
  [Symbol.iterator](): Iterator<Module> {
    return this.children()[Symbol.iterator]();
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
