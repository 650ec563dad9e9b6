// torch.optim.SGD with PyTorch's update rule, one native call per param group per step
// (native/optimizer.cc, multi-tensor kernels; no host-device sync):
//   d_p = grad (+ weight_decay * p); buf = d_p on the first step, then momentum * buf + (1 - dampening) * d_p;
//   d_p = nesterov ? d_p + momentum * buf : buf; p -= lr * d_p.
// fused: true runs PyTorch's fused kernel (_fused_sgd_, libtorch >= 2.4) with the learning rate held in a
// float32 tensor on the parameters' device, written with fill_ when the group's lr changes: no host value
// is baked into a step, so a captured CUDA graph follows the scheduler. Older libtorch: the update above.
import { TorchError } from '../errors';
import { keep } from '../memory';
import { native } from '../native';
import { Tensor, full, noGrad } from '../tensor';
import { checkBool, checkNumber } from '../utils/validate';
import { readOptions } from '../utils/options';
import { libtorchAtLeast, libtorchVersion } from '../utils/version';
import { Optimizer, ParamGroup, ParamsArg } from './optimizer';

export interface SGDOptions {
  lr?: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  maximize?: boolean;
  /**
   * PyTorch's fused kernel with a device-tensor learning rate (SGD(fused=True)). libtorch < 2.4 has none:
   * the optimizer warns once and runs the multi-tensor update (`sgd.fused` reads false). Default false.
   */
  fused?: boolean;
}

/** Whether this libtorch has the fused tensor-lr SGD kernel (2.4 and newer). */
export const fusedSgdAvailable: boolean = native.optim.hasFusedSgd;

let warnedNoFused = false;

export interface SGDParamGroup extends ParamGroup {
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

export class SGD extends Optimizer<SGDParamGroup> {
  /** True when step() runs the fused tensor-lr kernel (asked for with fused: true, and available). */
  readonly fused: boolean;
  /** GradScaler hands the fused kernel its scale and found-inf flag through these, as PyTorch's optimizer.grad_scale. */
  gradScale: Tensor | null = null;
  foundInf: Tensor | null = null;
  /** The fused kernel unscales and skips by itself: GradScaler needs no host read to decide the step. */
  get stepSupportsAmpScaling(): boolean {
    return this.fused;
  }
  // One float32 lr tensor per group on the parameters' device, and the value last written into it.
  private lrTensors = new Map<SGDParamGroup, { t: Tensor; value: number }>();

  /** new SGD(params, {lr=1e-3, momentum=0, dampening=0, weightDecay=0, nesterov=false, maximize=false, fused=false}). */
  constructor(params: ParamsArg, options: SGDOptions = {}) {
    options = readOptions('SGD', options, ['lr', 'momentum', 'dampening', 'weightDecay', 'nesterov', 'maximize', 'fused']);
    const { fused = false, ...rest } = options;
    checkBool(fused, 'SGD', 'fused');
    options = rest;
    super(params, {
      lr: options.lr ?? 1e-3,
      momentum: options.momentum ?? 0,
      dampening: options.dampening ?? 0,
      weightDecay: options.weightDecay ?? 0,
      nesterov: options.nesterov ?? false,
      maximize: options.maximize ?? false,
    });
    if (fused && !fusedSgdAvailable && !warnedNoFused) {
      warnedNoFused = true;
      process.emitWarning(`SGD: fused=true needs libtorch 2.4 or newer (this is ${libtorchVersion}); running the multi-tensor SGD update instead`, 'TorchWarning');
    }
    this.fused = fused && fusedSgdAvailable;
    if (this.fused) {
      for (const g of this.paramGroups) {
        if (g.params.some((p) => !p.dtype.startsWith('float') && p.dtype !== 'bfloat16')) {
          throw new TorchError('SGD: fused=true requires all the params to be floating point Tensors');
        }
      }
    }
  }

  /**
   * The group's learning rate as a float32 tensor on its parameters' device; the group's `lr` number is
   * written into it with fill_ (a device op, no sync) whenever it changed since the last step.
   */
  lrTensor(group: SGDParamGroup): Tensor {
    let entry = this.lrTensors.get(group);
    if (!entry) {
      const t = keep(full([], group.lr, { dtype: 'float32', device: group.params[0].device }));
      entry = { t, value: group.lr };
      this.lrTensors.set(group, entry);
    } else if (entry.value !== group.lr) {
      noGrad(() => entry!.t.fill_(group.lr));
      entry.value = group.lr;
    }
    return entry.t;
  }

  dispose(): void {
    super.dispose();
    for (const { t } of this.lrTensors.values()) t.dispose();
    this.lrTensors.clear();
  }

  protected validate(g: SGDParamGroup): void {
    for (const k of ['momentum', 'dampening', 'weightDecay'] as const) checkNumber(g[k], 'SGD', k);
    for (const k of ['nesterov', 'maximize'] as const) checkBool(g[k], 'SGD', k);
    if (!(g.lr >= 0)) throw new TorchError(`Invalid learning rate: ${g.lr}`);
    if (!(g.momentum >= 0)) throw new TorchError(`Invalid momentum value: ${g.momentum}`);
    if (!(g.weightDecay >= 0)) throw new TorchError(`Invalid weight_decay value: ${g.weightDecay}`);
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) {
      throw new TorchError('Nesterov momentum requires a momentum and zero dampening');
    }
  }

  // PyTorch 2.3 added SGD(fused=...) and writes `fused: None` in every group.
  protected extraGroupKeys(): Record<string, unknown> {
    if (!libtorchAtLeast(2, 3)) return { foreach: null, differentiable: false };
    return { foreach: null, differentiable: false, fused: this.fused ? true : null };
  }

  /** One SGD step over every parameter that has a gradient; closure (optional) recomputes the loss. */
  step(closure?: () => number | Tensor): number | Tensor | undefined {
    const loss = closure?.();
    for (const g of this.paramGroups) {
      const bufs = g.params.map((p) => (this.state.get(p)?.momentumBuffer as Tensor | undefined) ?? null);
      if (this.fused) native.optim.fusedSgdStep(g.params, bufs, this.lrTensor(g), g, this.gradScale, this.foundInf);
      else native.optim.sgdStep(g.params, bufs, g);
      if (g.momentum !== 0) {
        g.params.forEach((p, i) => {
          const b = bufs[i];
          if (b !== null && this.state.get(p)?.momentumBuffer !== b) this.state.set(p, { momentumBuffer: b });
        });
      }
    }
    return loss;
  }
}
