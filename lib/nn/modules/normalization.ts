// nn.LayerNorm and nn.GroupNorm (torch/nn/modules/normalization.py).
import { TorchError } from '../../errors';
import { Tensor, ones, zeros } from '../../tensor';
import * as F from '../functional';
import { Module } from '../module';
import { readOptions } from '../../utils/options';
import { FACTORY, pyBool, pyFloat, type FactoryOptions } from './utils';

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
    const f = { device: options.device, dtype: options.dtype };
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

/** nn.GroupNorm(numGroups, numChannels, {eps=1e-5, affine=true}). */
export class GroupNorm extends Module {
  declare weight: Tensor | null;
  declare bias: Tensor | null;
  readonly eps: number;
  readonly affine: boolean;
  constructor(readonly numGroups: number, readonly numChannels: number, options: FactoryOptions & { eps?: number; affine?: boolean } = {}) {
    super();
    options = readOptions('nn.GroupNorm', options, [...FACTORY, 'eps', 'affine']);
    if (numChannels % numGroups !== 0) throw new TorchError('GroupNorm: num_channels must be divisible by num_groups');
    this.eps = options.eps ?? 1e-5;
    this.affine = options.affine ?? true;
    const f = { device: options.device, dtype: options.dtype };
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
