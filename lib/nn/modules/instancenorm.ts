// nn.InstanceNorm2d on aten::instance_norm (torch/nn/modules/instancenorm.py).
import { TorchError } from '../../errors';
import type { Tensor } from '../../tensor';
import { registerNormState } from './batchnorm';
import { Module } from '../module';
import { bindOp } from '../../ops';
import { readOptions } from '../../utils/options';
import { FACTORY, pyBool, type FactoryOptions } from './utils';

type InstanceNormOp = (
  input: Tensor,
  weight: Tensor | null,
  bias: Tensor | null,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  useInputStats: boolean,
  momentum: number,
  eps: number,
  cudnnEnabled: boolean,
) => Tensor;
const atenInstanceNorm = bindOp<InstanceNormOp>('InstanceNorm2d', ['instance_norm']);

/** nn.InstanceNorm2d(numFeatures, {eps=1e-5, momentum=0.1, affine=false, trackRunningStats=false}). */
export class InstanceNorm2d extends Module {
  declare weight: Tensor | null;
  declare bias: Tensor | null;
  declare running_mean: Tensor | null;
  declare running_var: Tensor | null;
  readonly eps: number;
  readonly momentum: number;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  constructor(
    readonly numFeatures: number,
    options: FactoryOptions & { eps?: number; momentum?: number; affine?: boolean; trackRunningStats?: boolean } = {},
  ) {
    super();
    options = readOptions('nn.InstanceNorm2d', options, [...FACTORY, 'eps', 'momentum', 'affine', 'trackRunningStats']);
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum ?? 0.1;
    this.affine = options.affine ?? false;
    this.trackRunningStats = options.trackRunningStats ?? false;
    registerNormState(this, numFeatures, options);
  }
  forward(input: Tensor): Tensor {
    if (input.ndim !== 3 && input.ndim !== 4) throw new TorchError(`InstanceNorm2d: expected 3D or 4D input (got ${input.ndim}D input)`);
    // An unbatched [C, H, W] input is one sample, as in PyTorch.
    const x = input.ndim === 3 ? input.unsqueeze(0) : input;
    const useInputStats = this.training || !this.trackRunningStats;
    const out: Tensor = atenInstanceNorm(x, this.weight, this.bias, this.running_mean, this.running_var, useInputStats, this.momentum, this.eps, true);
    return input.ndim === 3 ? out.squeeze(0) : out;
  }
  extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${pyBool(this.affine)}, track_running_stats=${pyBool(this.trackRunningStats)}`;
  }
}
