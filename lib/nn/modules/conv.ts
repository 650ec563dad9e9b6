// The convolutions (torch/nn/modules/conv.py): Conv2d holds a libtorch module; Conv1d and ConvTranspose2d
// are written on the generated operators, with PyTorch's initialisation.
import { TorchError } from '../../errors';
import { Tensor, empty } from '../../tensor';
import * as F from '../functional';
import { Module } from '../module';
import { readOptions } from '../../utils/options';
import { NativeLayer } from './native_layer';
import { FACTORY, pair, pyTuple, tuple, type FactoryOptions, type Pair, type Tuple } from './utils';

export interface ConvNdOptions extends FactoryOptions {
  stride?: Tuple;
  padding?: Tuple | 'same' | 'valid';
  dilation?: Tuple;
  groups?: number;
  bias?: boolean;
}

abstract class ConvNd extends Module {
  declare weight: Tensor;
  declare bias: Tensor | null;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[] | 'same' | 'valid';
  readonly dilation: number[];
  readonly groups: number;
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Tuple,
    dims: number,
    transposed: boolean,
    options: ConvNdOptions,
    readonly name: string,
  ) {
    super();
    const known = [...FACTORY, 'stride', 'padding', 'dilation', 'groups', 'bias', ...(transposed ? ['outputPadding'] : [])];
    options = readOptions(`nn.${name}`, options, known);
    this.groups = options.groups ?? 1;
    if (inChannels % this.groups !== 0) throw new TorchError(`${name}: in_channels must be divisible by groups`);
    if (outChannels % this.groups !== 0) throw new TorchError(`${name}: out_channels must be divisible by groups`);
    this.kernelSize = tuple(kernelSize, dims, `${name}: kernelSize`);
    this.stride = tuple(options.stride ?? 1, dims, `${name}: stride`);
    const p = options.padding ?? 0;
    this.padding = typeof p === 'string' ? p : tuple(p, dims, `${name}: padding`);
    this.dilation = tuple(options.dilation ?? 1, dims, `${name}: dilation`);
    const shape = transposed
      ? [inChannels, outChannels / this.groups, ...this.kernelSize]
      : [outChannels, inChannels / this.groups, ...this.kernelSize];
    // PyTorch's reset_parameters: kaiming_uniform_(a=sqrt(5)) is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), the bias
    // the same bound; fan_in is weight.size(1) times the kernel's elements.
    const f = { device: options.device, dtype: options.dtype };
    const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    this.registerParameter('weight', empty(shape, f).uniform_(-bound, bound));
    this.registerParameter('bias', options.bias ?? true ? empty([outChannels], f).uniform_(-bound, bound) : null);
  }
  extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${pyTuple(this.kernelSize)}, stride=${pyTuple(this.stride)}`;
    if (typeof this.padding === 'string') s += `, padding=${this.padding}`;
    else if (this.padding.some((x) => x !== 0)) s += `, padding=${pyTuple(this.padding)}`;
    if (this.dilation.some((x) => x !== 1)) s += `, dilation=${pyTuple(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ', bias=False';
    return s;
  }
}

/** nn.Conv1d(inChannels, outChannels, kernelSize, {stride=1, padding=0, dilation=1, groups=1, bias=true}). */
export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: Tuple, options: ConvNdOptions = {}) {
    super(inChannels, outChannels, kernelSize, 1, false, options, 'Conv1d');
  }
  forward(input: Tensor): Tensor {
    return F.conv1d(input, this.weight, this.bias, this.stride, this.padding as never, this.dilation, this.groups);
  }
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

export interface ConvTransposeNdOptions extends FactoryOptions {
  stride?: Tuple;
  padding?: Tuple;
  outputPadding?: Tuple;
  dilation?: Tuple;
  groups?: number;
  bias?: boolean;
}

/** nn.ConvTranspose2d(inChannels, outChannels, kernelSize, {stride=1, padding=0, outputPadding=0, groups=1, bias=true, dilation=1}). */
export class ConvTranspose2d extends ConvNd {
  readonly outputPadding: number[];
  constructor(inChannels: number, outChannels: number, kernelSize: Tuple, options: ConvTransposeNdOptions = {}) {
    options = readOptions('nn.ConvTranspose2d', options, [...FACTORY, 'stride', 'padding', 'outputPadding', 'dilation', 'groups', 'bias']);
    super(inChannels, outChannels, kernelSize, 2, true, options, 'ConvTranspose2d');
    this.outputPadding = tuple(options.outputPadding ?? 0, 2, 'ConvTranspose2d: outputPadding');
  }
  forward(input: Tensor): Tensor {
    return F.convTranspose2d(input, this.weight, this.bias, this.stride, this.padding as number[], this.outputPadding, this.groups, this.dilation);
  }
  extraRepr(): string {
    const s = super.extraRepr();
    return this.outputPadding.some((x) => x !== 0) ? `${s}, output_padding=${pyTuple(this.outputPadding)}` : s;
  }
}
