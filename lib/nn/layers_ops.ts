// Layers of torch.nn written in TypeScript on the generated operators (lib/generated/, the generic
// dispatcher call): PyTorch's names, defaults, initialisation and state-dict keys.
import { TorchError } from '../errors';
import { Tensor, ones, zeros, empty } from '../tensor';
import * as F from './functional';
import type { InterpolateMode, Reduction } from './functional';
import type { FactoryOptions } from './layers';
import { Module } from './module';

type Tuple = number | number[];
const tuple = (v: Tuple, n: number, what: string): number[] => {
  const xs = typeof v === 'number' ? new Array(n).fill(v) : [...v];
  if (xs.length !== n) throw new TorchError(`${what}: expected ${n} values, got ${xs.length}`);
  return xs;
};
const pyBool = (b: boolean) => (b ? 'True' : 'False');
const pyTuple = (xs: number[]) => `(${xs.join(', ')}${xs.length === 1 ? ',' : ''})`;

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
    const f = { device: options.device, dtype: options.dtype ?? 'float32' };
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

/** nn.GroupNorm(numGroups, numChannels, {eps=1e-5, affine=true}). */
export class GroupNorm extends Module {
  declare weight: Tensor | null;
  declare bias: Tensor | null;
  readonly eps: number;
  readonly affine: boolean;
  constructor(readonly numGroups: number, readonly numChannels: number, options: FactoryOptions & { eps?: number; affine?: boolean } = {}) {
    super();
    if (numChannels % numGroups !== 0) throw new TorchError('GroupNorm: num_channels must be divisible by num_groups');
    this.eps = options.eps ?? 1e-5;
    this.affine = options.affine ?? true;
    const f = { device: options.device, dtype: options.dtype ?? 'float32' };
    this.registerParameter('weight', this.affine ? ones([numChannels], f) : null);
    this.registerParameter('bias', this.affine ? zeros([numChannels], f) : null);
  }
  forward(input: Tensor): Tensor {
    return F.groupNorm(input, this.numGroups, this.weight, this.bias, this.eps);
  }
  extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${this.eps}, affine=${pyBool(this.affine)}`;
  }
}

/** nn.LeakyReLU(negativeSlope=0.01). */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  forward(input: Tensor): Tensor {
    return F.leakyRelu(input, this.negativeSlope);
  }
}

/** nn.ELU(alpha=1.0). */
export class ELU extends Module {
  constructor(readonly alpha = 1.0) {
    super();
  }
  forward(input: Tensor): Tensor {
    return F.elu(input, this.alpha);
  }
}

/** nn.Hardswish(). */
export class Hardswish extends Module {
  forward(input: Tensor): Tensor {
    return F.hardswish(input);
  }
}

/** nn.Mish(). */
export class Mish extends Module {
  forward(input: Tensor): Tensor {
    return F.mish(input);
  }
}

/** nn.PixelShuffle(upscaleFactor). */
export class PixelShuffle extends Module {
  constructor(readonly upscaleFactor: number) {
    super();
  }
  forward(input: Tensor): Tensor {
    return F.pixelShuffle(input, this.upscaleFactor);
  }
}

/** nn.Upsample({size, scaleFactor, mode='nearest', alignCorners}). */
export class Upsample extends Module {
  constructor(readonly options: { size?: number | number[]; scaleFactor?: number | number[]; mode?: InterpolateMode; alignCorners?: boolean } = {}) {
    super();
  }
  forward(input: Tensor): Tensor {
    return F.interpolate(input, this.options);
  }
}

/** nn.SmoothL1Loss({reduction='mean', beta=1.0}). */
export class SmoothL1Loss extends Module {
  constructor(readonly options: { reduction?: Reduction; beta?: number } = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.smoothL1Loss(input, target, this.options);
  }
}

/** nn.HuberLoss({reduction='mean', delta=1.0}). */
export class HuberLoss extends Module {
  constructor(readonly options: { reduction?: Reduction; delta?: number } = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.huberLoss(input, target, this.options);
  }
}

/** nn.KLDivLoss({reduction='mean', logTarget=false}). */
export class KLDivLoss extends Module {
  constructor(readonly options: { reduction?: Reduction | 'batchmean'; logTarget?: boolean } = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.klDiv(input, target, this.options);
  }
}

/** nn.BCELoss({weight=None, reduction='mean'}). */
export class BCELoss extends Module {
  constructor(readonly options: { weight?: Tensor | null; reduction?: Reduction } = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropy(input, target, this.options);
  }
}
