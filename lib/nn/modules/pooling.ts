// The pooling layers (torch/nn/modules/pooling.py).
import type { Tensor } from '../../tensor';
import * as F from '../functional';
import { Module } from '../module';
import { readOptions } from '../../utils/options';
import type { Pair } from './utils';
import { isOptions } from '../../kwargs';
import { TorchError } from '../../errors';

/** The kernel size and the rest, from (kernelSize, { … }) or Python's all-keyword ({ kernelSize, … }). */
function kernelAndOptions<O extends object>(where: string, first: Pair | (O & { kernelSize?: Pair }), options: O, known: string[]): [Pair, O] {
  if (!isOptions(first)) return [first as Pair, readOptions(where, options, known)];
  const { kernelSize, ...rest } = readOptions(where, first as O & { kernelSize?: Pair }, ['kernelSize', ...known]);
  if (kernelSize === undefined) throw new TorchError(`${where}: missing the argument 'kernelSize'`);
  return [kernelSize, rest as O];
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
  readonly kernelSize: Pair;
  readonly options: F.AvgPool2dOptions;
  constructor(kernelSize: Pair | (F.AvgPool2dOptions & { kernelSize: Pair }), options: F.AvgPool2dOptions = {}) {
    super();
    [this.kernelSize, this.options] = kernelAndOptions('nn.AvgPool2d', kernelSize, options, ['stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride']);
  }
  forward(input: Tensor): Tensor {
    return F.avgPool2d(input, this.kernelSize, this.options);
  }
  extraRepr(): string {
    return `kernel_size=${this.kernelSize}, stride=${this.options.stride ?? this.kernelSize}, padding=${this.options.padding ?? 0}`;
  }
}

/** nn.MaxPool2d(kernelSize, {stride=kernelSize, padding=0, dilation=1, ceilMode=false}). */
export class MaxPool2d extends Module {
  readonly kernelSize: Pair;
  readonly options: F.MaxPool2dOptions;
  constructor(kernelSize: Pair | (F.MaxPool2dOptions & { kernelSize: Pair }), options: F.MaxPool2dOptions = {}) {
    super();
    [this.kernelSize, this.options] = kernelAndOptions('nn.MaxPool2d', kernelSize, options, ['stride', 'padding', 'dilation', 'ceilMode']);
  }
  forward(input: Tensor): Tensor {
    return F.maxPool2d(input, this.kernelSize, this.options);
  }
  extraRepr(): string {
    const o = this.options;
    return `kernel_size=${this.kernelSize}, stride=${o.stride ?? this.kernelSize}, padding=${o.padding ?? 0}, dilation=${o.dilation ?? 1}, ceil_mode=${o.ceilMode ? 'True' : 'False'}`;
  }
}
