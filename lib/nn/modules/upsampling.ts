// nn.Upsample (torch/nn/modules/upsampling.py).
import type { Tensor } from '../../tensor';
import * as F from '../functional';
import type { InterpolateMode } from '../functional';
import { Module } from '../module';
import { readOptions } from '../../utils/options';

/** nn.Upsample({size, scaleFactor, mode='nearest', alignCorners}). */
export class Upsample extends Module {
  readonly options: { size?: number | number[]; scaleFactor?: number | number[]; mode?: InterpolateMode; alignCorners?: boolean; recomputeScaleFactor?: boolean };
  constructor(options: { size?: number | number[]; scaleFactor?: number | number[]; mode?: InterpolateMode; alignCorners?: boolean; recomputeScaleFactor?: boolean } = {}) {
    super();
    this.options = readOptions('nn.Upsample', options, ['size', 'scaleFactor', 'mode', 'alignCorners', 'recomputeScaleFactor']);
  }
  forward(input: Tensor): Tensor {
    return F.interpolate(input, this.options);
  }
}
