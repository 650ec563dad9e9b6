// The pooling layers (torch/nn/modules/pooling.py).
import type { Tensor } from '../../tensor';
import * as F from '../functional';
import { Module } from '../module';
import { readOptions } from '../../utils/options';
import type { Pair } from './utils';

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
