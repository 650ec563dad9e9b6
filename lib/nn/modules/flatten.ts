// nn.Flatten (torch/nn/modules/flatten.py).
import type { Tensor } from '../../tensor';
import { Module } from '../module';

/** nn.Flatten(startDim=1, endDim=-1). */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }
  forward(input: Tensor): Tensor {
    return input.flatten(this.startDim, this.endDim);
  }
}
