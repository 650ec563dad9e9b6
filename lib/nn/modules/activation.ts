// The activation layers (torch/nn/modules/activation.py; MultiheadAttention is in attention.ts).
import { TorchError } from '../../errors';
import type { Tensor } from '../../tensor';
import * as F from '../functional';
import { Module } from '../module';
import { namedArgs } from '../../kwargs';

/** The one argument of a layer, by position or by Python's keyword in an options object. */
function arg<T>(where: string, name: string, args: readonly unknown[]): T | undefined {
  const given = namedArgs(where, [name], args);
  if (given.length > 1) throw new TorchError(`${where}: takes at most 1 argument, got ${given.length}`);
  return given[0] as T | undefined;
}

/** nn.ReLU(inplace=false). */
export class ReLU extends Module {
  readonly inplace: boolean;
  constructor(...args: [inplace?: boolean] | [options: { inplace?: boolean }]) {
    super();
    this.inplace = arg<boolean>('ReLU', 'inplace', args) ?? false;
  }
  forward(input: Tensor): Tensor {
    return F.relu(input, this.inplace);
  }
  extraRepr(): string {
    return this.inplace ? 'inplace=True' : '';
  }
}

/** nn.GELU(approximate='none'). */
export class GELU extends Module {
  constructor(readonly approximate: 'none' | 'tanh' = 'none') {
    super();
  }
  forward(input: Tensor): Tensor {
    return F.gelu(input, this.approximate);
  }
}

/** nn.SiLU(). */
export class SiLU extends Module {
  forward(input: Tensor): Tensor {
    return F.silu(input);
  }
}

/** nn.Sigmoid(). */
export class Sigmoid extends Module {
  forward(input: Tensor): Tensor {
    return input.sigmoid();
  }
}

/** nn.Tanh(). */
export class Tanh extends Module {
  forward(input: Tensor): Tensor {
    return input.tanh();
  }
}

/** nn.Softmax(dim): the dim is required (PyTorch's implicit dim is deprecated). */
export class Softmax extends Module {
  readonly dim: number;
  constructor(...args: [dim: number] | [options: { dim: number }]) {
    super();
    const dim = arg<number>('Softmax', 'dim', args);
    if (!Number.isInteger(dim)) throw new TorchError(`Softmax: dim must be an integer, got ${dim}`);
    this.dim = dim as number;
  }
  forward(input: Tensor): Tensor {
    return F.softmax(input, this.dim);
  }
  extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/** nn.LogSoftmax(dim). */
export class LogSoftmax extends Module {
  readonly dim: number;
  constructor(...args: [dim: number] | [options: { dim: number }]) {
    super();
    const dim = arg<number>('LogSoftmax', 'dim', args);
    if (!Number.isInteger(dim)) throw new TorchError(`LogSoftmax: dim must be an integer, got ${dim}`);
    this.dim = dim as number;
  }
  forward(input: Tensor): Tensor {
    return F.logSoftmax(input, this.dim);
  }
  extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/** nn.LeakyReLU(negativeSlope=0.01). */
export class LeakyReLU extends Module {
  readonly negativeSlope: number;
  constructor(...args: [negativeSlope?: number] | [options: { negativeSlope?: number }]) {
    super();
    this.negativeSlope = arg<number>('LeakyReLU', 'negativeSlope', args) ?? 0.01;
  }
  forward(input: Tensor): Tensor {
    return F.leakyRelu(input, this.negativeSlope);
  }
  extraRepr(): string {
    return `negative_slope=${this.negativeSlope}`;
  }
}

/** nn.ELU(alpha=1.0). */
export class ELU extends Module {
  readonly alpha: number;
  constructor(...args: [alpha?: number] | [options: { alpha?: number }]) {
    super();
    this.alpha = arg<number>('ELU', 'alpha', args) ?? 1.0;
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
