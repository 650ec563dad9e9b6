// nn.Flatten (torch/nn/modules/flatten.py).
import type { Tensor } from '../../tensor';
import { Module } from '../module';
import { namedArgs } from '../../kwargs';

/** nn.Flatten(startDim=1, endDim=-1). */
export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;
  /** Flatten(0), Flatten({ startDim: 0 }) (or start_dim), Flatten(1, { endDim: 2 }). */
  constructor(...args: [startDim?: number, endDim?: number] | [options: { startDim?: number; endDim?: number }] | [startDim: number, options: { endDim?: number }]) {
    super();
    const [startDim = 1, endDim = -1] = namedArgs('Flatten', ['startDim', 'endDim'], args) as [number?, number?];
    this.startDim = startDim;
    this.endDim = endDim;
  }
  forward(input: Tensor): Tensor {
    return input.flatten(this.startDim, this.endDim);
  }
  extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}
