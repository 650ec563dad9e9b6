// nn.BatchNorm2d (a libtorch module) and nn.BatchNorm1d (on F.batchNorm) (torch/nn/modules/batchnorm.py).
import { TorchError } from '../../errors';
import { Tensor, ones, zeros } from '../../tensor';
import * as F from '../functional';
import { Module } from '../module';
import { readOptions } from '../../utils/options';
import { NativeLayer } from './native_layer';
import { FACTORY, pyFloat, type FactoryOptions } from './utils';

/**
 * PyTorch's _NormBase state: weight and bias when affine, running_mean, running_var and num_batches_tracked
 * when tracking running statistics (absent ones registered as null, so state-dict keys match PyTorch's).
 */
export function registerNormState(
  m: Module & { affine: boolean; trackRunningStats: boolean },
  numFeatures: number,
  options: FactoryOptions,
): void {
  const f = { device: options.device, dtype: options.dtype };
  m.registerParameter('weight', m.affine ? ones([numFeatures], f) : null);
  m.registerParameter('bias', m.affine ? zeros([numFeatures], f) : null);
  m.registerBuffer('running_mean', m.trackRunningStats ? zeros([numFeatures], f) : null);
  m.registerBuffer('running_var', m.trackRunningStats ? ones([numFeatures], f) : null);
  m.registerBuffer('num_batches_tracked', m.trackRunningStats ? zeros([], { device: options.device, dtype: 'int64' }) : null);
}

export interface BatchNorm2dOptions extends FactoryOptions {
  eps?: number;
  /** null: cumulative moving average, as PyTorch's momentum=None. */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
}

const BATCH_NORM_KEYS = [...FACTORY, 'eps', 'momentum', 'affine', 'trackRunningStats'];

/** nn.BatchNorm2d(numFeatures, {eps=1e-5, momentum=0.1, affine=true, trackRunningStats=true}). */
export class BatchNorm2d extends NativeLayer {
  declare weight: Tensor | null;
  declare bias: Tensor | null;
  declare running_mean: Tensor | null;
  declare running_var: Tensor | null;
  declare readonly num_batches_tracked: Tensor | null;
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;

  constructor(numFeatures: number, options: BatchNorm2dOptions = {}) {
    options = readOptions('nn.BatchNorm2d', options, BATCH_NORM_KEYS);
    super('BatchNorm2d', { ...options, numFeatures });
    // PyTorch registers None for what is absent, so the attributes exist either way.
    for (const name of ['weight', 'bias']) if (!this._parameters.has(name)) this.registerParameter(name, null);
    for (const name of ['running_mean', 'running_var', 'num_batches_tracked']) {
      if (!this._buffers.has(name)) this.registerBuffer(name, null);
    }
    this.numFeatures = numFeatures;
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    this.affine = options.affine ?? true;
    this.trackRunningStats = options.trackRunningStats ?? true;
  }

  /** PyTorch's camelCase-free names are the state-dict keys; these are the friendly accessors. */
  get runningMean(): Tensor | null {
    return this.running_mean;
  }
  get runningVar(): Tensor | null {
    return this.running_var;
  }
  get numBatchesTracked(): Tensor | null {
    return this.num_batches_tracked;
  }

  extraRepr(): string {
    const py = (b: boolean) => (b ? 'True' : 'False');
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum ?? 'None'}, affine=${py(this.affine)}, track_running_stats=${py(this.trackRunningStats)}`;
  }
}

/** nn.BatchNorm1d(numFeatures, {eps=1e-5, momentum=0.1, affine=true, trackRunningStats=true}) over [N, C] or [N, C, L]. */
export class BatchNorm1d extends Module {
  declare weight: Tensor | null;
  declare bias: Tensor | null;
  declare running_mean: Tensor | null;
  declare running_var: Tensor | null;
  declare num_batches_tracked: Tensor | null;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;

  constructor(readonly numFeatures: number, options: BatchNorm2dOptions = {}) {
    super();
    options = readOptions('nn.BatchNorm1d', options, BATCH_NORM_KEYS);
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    this.affine = options.affine ?? true;
    this.trackRunningStats = options.trackRunningStats ?? true;
    registerNormState(this, numFeatures, options);
  }

  forward(input: Tensor): Tensor {
    if (input.ndim !== 2 && input.ndim !== 3) throw new TorchError(`BatchNorm1d: expected 2D or 3D input (got ${input.ndim}D input)`);
    let factor = this.momentum ?? 0;
    if (this.training && this.num_batches_tracked) {
      this.num_batches_tracked.add_(1);
      // momentum=None: a cumulative average, 1/n (reads the counter, as PyTorch does).
      if (this.momentum === null) factor = 1 / (this.num_batches_tracked.item() as number);
    }
    const useBatchStats = this.training || (this.running_mean === null && this.running_var === null);
    const stats = !this.training || this.trackRunningStats;
    return F.batchNorm(input, stats ? this.running_mean : null, stats ? this.running_var : null, {
      weight: this.weight,
      bias: this.bias,
      training: useBatchStats,
      momentum: factor,
      eps: this.eps,
    });
  }
  extraRepr(): string {
    const py = (b: boolean) => (b ? 'True' : 'False');
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${this.momentum ?? 'None'}, affine=${py(this.affine)}, track_running_stats=${py(this.trackRunningStats)}`;
  }
}
