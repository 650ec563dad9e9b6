// nn.Dropout and nn.Dropout2d (torch/nn/modules/dropout.py).
import { TorchError } from '../../errors';
import type { Tensor } from '../../tensor';
import * as F from '../functional';
import { Module } from '../module';
import { namedArgs } from '../../kwargs';

type DropoutArgs = [p?: number, inplace?: boolean] | [options: { p?: number; inplace?: boolean }] | [p: number, options: { inplace?: boolean }];

function checkP(p: number, where: string): number {
  if (!(p >= 0 && p <= 1)) throw new TorchError(`${where}: dropout probability has to be between 0 and 1, but got ${p}`);
  return p;
}

/** nn.Dropout(p=0.5, inplace=false): active in train(), the identity in eval(); draws from the global generator (manualSeed). */
export class Dropout extends Module {
  readonly p: number;
  readonly inplace: boolean;
  /** Dropout(0.2), Dropout({ p: 0.2 }) or Dropout(0.2, { inplace: true }), as Python's keywords. */
  constructor(...args: DropoutArgs) {
    super();
    const where = new.target.name;
    const [p = 0.5, inplace = false] = namedArgs(where, ['p', 'inplace'], args) as [number?, boolean?];
    this.p = checkP(p, where);
    this.inplace = inplace;
  }
  forward(input: Tensor): Tensor {
    return F.dropout(input, this.p, this.training, this.inplace);
  }
  extraRepr(): string {
    return `p=${this.p}, inplace=${this.inplace ? 'True' : 'False'}`;
  }
}

/** nn.Dropout2d(p=0.5, inplace=false): zeroes whole channels in train(). */
export class Dropout2d extends Dropout {
  forward(input: Tensor): Tensor {
    return F.dropout2d(input, this.p, this.training, this.inplace);
  }
}
