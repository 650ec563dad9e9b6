// torch.optim.SGD with PyTorch's update rule, one native call per param group per step
// (native/optimizer.cc, multi-tensor kernels; no host-device sync):
//   d_p = grad (+ weight_decay * p); buf = d_p on the first step, then momentum * buf + (1 - dampening) * d_p;
//   d_p = nesterov ? d_p + momentum * buf : buf; p -= lr * d_p.
import { TorchError } from '../errors';
import { native } from '../native';
import { Tensor } from '../tensor';
import { libtorchAtLeast } from '../utils/version';
import { Optimizer, ParamGroup, ParamsArg } from './optimizer';

export interface SGDOptions {
  lr?: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  maximize?: boolean;
}

export interface SGDParamGroup extends ParamGroup {
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

export class SGD extends Optimizer<SGDParamGroup> {
  /** new SGD(params, {lr=1e-3, momentum=0, dampening=0, weightDecay=0, nesterov=false, maximize=false}). */
  constructor(params: ParamsArg, options: SGDOptions = {}) {
    super(params, {
      lr: options.lr ?? 1e-3,
      momentum: options.momentum ?? 0,
      dampening: options.dampening ?? 0,
      weightDecay: options.weightDecay ?? 0,
      nesterov: options.nesterov ?? false,
      maximize: options.maximize ?? false,
    });
  }

  protected validate(g: SGDParamGroup): void {
    if (!(g.lr >= 0)) throw new TorchError(`Invalid learning rate: ${g.lr}`);
    if (!(g.momentum >= 0)) throw new TorchError(`Invalid momentum value: ${g.momentum}`);
    if (!(g.weightDecay >= 0)) throw new TorchError(`Invalid weight_decay value: ${g.weightDecay}`);
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) {
      throw new TorchError('Nesterov momentum requires a momentum and zero dampening');
    }
  }

  // PyTorch 2.3 added SGD(fused=...) and writes `fused: None` in every group.
  protected extraGroupKeys(): Record<string, unknown> {
    return libtorchAtLeast(2, 3) ? { foreach: null, differentiable: false, fused: null } : { foreach: null, differentiable: false };
  }

  /** One SGD step over every parameter that has a gradient; closure (optional) recomputes the loss. */
  step(closure?: () => number | Tensor): number | Tensor | undefined {
    const loss = closure?.();
    for (const g of this.paramGroups) {
      const bufs = g.params.map((p) => (this.state.get(p)?.momentumBuffer as Tensor | undefined) ?? null);
      native.optim.sgdStep(g.params, bufs, g);
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
