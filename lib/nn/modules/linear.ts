// nn.Identity and nn.Linear (torch/nn/modules/linear.py); Linear holds a libtorch module.
import type { Tensor } from '../../tensor';
import { Module } from '../module';
import { readOptions } from '../../utils/options';
import { NativeLayer } from './native_layer';
import { FACTORY, type FactoryOptions } from './utils';

/** nn.Identity: returns its input. */
export class Identity extends Module {
  forward(input: Tensor): Tensor {
    return input;
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
