// nn.PixelShuffle (torch/nn/modules/pixelshuffle.py).
import type { Tensor } from '../../tensor';
import * as F from '../functional';
import { Module } from '../module';

/** nn.PixelShuffle(upscaleFactor). */
export class PixelShuffle extends Module {
  constructor(readonly upscaleFactor: number) {
    super();
  }
  forward(input: Tensor): Tensor {
    return F.pixelShuffle(input, this.upscaleFactor);
  }
}
