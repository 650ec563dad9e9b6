// The activation layers (torch/nn/modules/activation.py; MultiheadAttention is in attention.ts).
import { TorchError } from '../../errors';
import type { Tensor } from '../../tensor';
import * as F from '../functional';
import { Module } from '../module';

/** nn.ReLU(inplace=false). */
export class ReLU extends Module {
  constructor(readonly inplace = false) {
    super();
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
  constructor(readonly dim: number) {
    super();
    if (!Number.isInteger(dim)) throw new TorchError(`Softmax: dim must be an integer, got ${dim}`);
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
  constructor(readonly dim: number) {
    super();
    if (!Number.isInteger(dim)) throw new TorchError(`LogSoftmax: dim must be an integer, got ${dim}`);
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
