// torch.optim.Adam and AdamW with PyTorch's update rule, one native call per param group per step
// (native/optimizer.cc, _foreach_ kernels, no host-device sync):
//   g = ±grad (Adam: + weight_decay * p; AdamW: p *= 1 - lr * weight_decay)
//   m = β1 m + (1 - β1) g;  v = β2 v + (1 - β2) g²;  v̂ = max(v̂, v) with amsgrad
//   p -= lr / (1 - β1^t) * m / (sqrt(v or v̂) / sqrt(1 - β2^t) + eps)
// State and param-group keys are PyTorch's (step is a CPU float tensor, as PyTorch keeps it).
import { TorchError } from '../errors';
import { native } from '../native';
import { Tensor } from '../tensor';
import { libtorchAtLeast } from '../utils/version';
import { readOptions } from '../utils/options';

const ADAM_KEYS = ['lr', 'betas', 'eps', 'weightDecay', 'amsgrad', 'maximize'];
import { Optimizer, ParamGroup, ParamsArg } from './optimizer';

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  maximize?: boolean;
}

export interface AdamParamGroup extends ParamGroup {
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}


const STATE_KEYS = ['step', 'expAvg', 'expAvgSq', 'maxExpAvgSq'] as const;

abstract class AdamBase extends Optimizer<AdamParamGroup> {
  protected abstract readonly decoupled: boolean;

  constructor(params: ParamsArg, options: AdamOptions, defaultWeightDecay: number) {
    super(params, {
      lr: options.lr ?? 1e-3,
      betas: options.betas ?? [0.9, 0.999],
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? defaultWeightDecay,
      amsgrad: options.amsgrad ?? false,
      maximize: options.maximize ?? false,
    });
  }

  protected validate(g: AdamParamGroup): void {
    if (!(g.lr >= 0)) throw new TorchError(`Invalid learning rate: ${g.lr}`);
    if (!(g.eps >= 0)) throw new TorchError(`Invalid epsilon value: ${g.eps}`);
    const [b1, b2] = g.betas ?? [];
    if (!(b1 >= 0 && b1 < 1)) throw new TorchError(`Invalid beta parameter at index 0: ${b1}`);
    if (!(b2 >= 0 && b2 < 1)) throw new TorchError(`Invalid beta parameter at index 1: ${b2}`);
    if (!(g.weightDecay >= 0)) throw new TorchError(`Invalid weight_decay value: ${g.weightDecay}`);
  }

  /** One step over every parameter that has a gradient; closure (optional) recomputes the loss. */
  step(closure?: () => number | Tensor): number | Tensor | undefined {
    const loss = closure?.();
    for (const g of this.paramGroups) {
      // One slot list per state tensor; empty slots are filled by the native step on a first step.
      const slots = STATE_KEYS.map((k) => g.params.map((p) => (this.state.get(p)?.[k] as Tensor | undefined) ?? null));
      const [b1, b2] = g.betas;
      native.optim.adamStep(g.params, ...slots, {
        lr: g.lr, beta1: b1, beta2: b2, eps: g.eps, weightDecay: g.weightDecay,
        amsgrad: g.amsgrad, maximize: g.maximize, decoupled: this.decoupled,
      });
      g.params.forEach((p, i) => {
        if (slots[0][i] === null) return; // no gradient yet: no state, as PyTorch
        const s: Record<string, unknown> = {};
        STATE_KEYS.forEach((k, j) => slots[j][i] !== null && (s[k] = slots[j][i]));
        this.state.set(p, s);
      });
    }
    return loss;
  }
}

/** torch.optim.Adam(params, {lr=1e-3, betas=[0.9, 0.999], eps=1e-8, weightDecay=0, amsgrad=false, maximize=false}). */
export class Adam extends AdamBase {
  protected readonly decoupled = false;
  constructor(params: ParamsArg, options: AdamOptions = {}) {
    super(params, readOptions('Adam', options, ADAM_KEYS), 0);
  }
  protected extraGroupKeys(): Record<string, unknown> {
    const common = { foreach: null, capturable: false, differentiable: false };
    return libtorchAtLeast(2, 0) ? { ...common, fused: null, decoupled_weight_decay: false } : { ...common, fused: false };
  }
}

/** torch.optim.AdamW(params, {lr=1e-3, betas=[0.9, 0.999], eps=1e-8, weightDecay=1e-2, amsgrad=false, maximize=false}): decoupled weight decay. */
export class AdamW extends AdamBase {
  protected readonly decoupled = true;
  constructor(params: ParamsArg, options: AdamOptions = {}) {
    super(params, readOptions('AdamW', options, ADAM_KEYS), 1e-2);
  }
  protected extraGroupKeys(): Record<string, unknown> {
    if (!libtorchAtLeast(2, 0)) return { foreach: null, capturable: false };
    return { foreach: null, capturable: false, differentiable: false, fused: null, decoupled_weight_decay: true };
  }
}
