// torch.optim.RMSprop with PyTorch's update rule, one native call per param group per step:
//   g = ±grad + weight_decay * p;  v = α v + (1 - α) g²;  centered: a = α a + (1 - α) g, v' = v - a²
//   d = sqrt(v or v') + eps;  momentum: b = μ b + g / d, p -= lr b;  else p -= lr g / d
// PyTorch 1.x keeps `step` as an int in the state, 2.x as a CPU tensor: the state dict follows the libtorch.
import { readOptions } from '../utils/options';
import { TorchError } from '../errors';
import { native } from '../native';
import { keep } from '../memory';
import { Tensor, isTensor, tensor } from '../tensor';
import { libtorchAtLeast } from '../utils/version';
import { Optimizer, OptimizerStateDict, ParamGroup, ParamsArg } from './optimizer';

export interface RMSpropOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
  maximize?: boolean;
}

export interface RMSpropParamGroup extends ParamGroup {
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
  maximize: boolean;
}

const STATE_KEYS = ['step', 'squareAvg', 'momentumBuffer', 'gradAvg'] as const;

/** torch.optim.RMSprop(params, {lr=1e-2, alpha=0.99, eps=1e-8, weightDecay=0, momentum=0, centered=false, maximize=false}). */
export class RMSprop extends Optimizer<RMSpropParamGroup> {
  constructor(params: ParamsArg, options: RMSpropOptions = {}) {
    options = readOptions('RMSprop', options, ['lr', 'alpha', 'eps', 'weightDecay', 'momentum', 'centered', 'maximize']);
    super(params, {
      lr: options.lr ?? 1e-2,
      momentum: options.momentum ?? 0,
      alpha: options.alpha ?? 0.99,
      eps: options.eps ?? 1e-8,
      centered: options.centered ?? false,
      weightDecay: options.weightDecay ?? 0,
      maximize: options.maximize ?? false,
    });
  }

  protected validate(g: RMSpropParamGroup): void {
    if (!(g.lr >= 0)) throw new TorchError(`Invalid learning rate: ${g.lr}`);
    if (!(g.eps >= 0)) throw new TorchError(`Invalid epsilon value: ${g.eps}`);
    if (!(g.momentum >= 0)) throw new TorchError(`Invalid momentum value: ${g.momentum}`);
    if (!(g.weightDecay >= 0)) throw new TorchError(`Invalid weight_decay value: ${g.weightDecay}`);
    if (!(g.alpha >= 0)) throw new TorchError(`Invalid alpha value: ${g.alpha}`);
  }

  protected extraGroupKeys(): Record<string, unknown> {
    return libtorchAtLeast(2, 0) ? { capturable: false, foreach: null, differentiable: false } : { foreach: null, differentiable: false };
  }

  /** Reads both layouts: an int step (PyTorch 1.x) or a tensor step (2.x), kept in this libtorch's form. */
  loadStateDict(stateDict: OptimizerStateDict): void {
    super.loadStateDict(stateDict);
    for (const s of this.state.values()) {
      if (s.step === undefined) continue;
      const n = isTensor(s.step) ? (s.step.item() as number) : Number(s.step);
      if (isTensor(s.step) && !libtorchAtLeast(2, 0)) s.step.dispose();
      if (libtorchAtLeast(2, 0) && !isTensor(s.step)) s.step = keep(tensor(n)); // float32 on the CPU, as PyTorch
      else if (!libtorchAtLeast(2, 0)) s.step = n;
    }
  }

  step(closure?: () => number | Tensor): number | Tensor | undefined {
    const loss = closure?.();
    for (const g of this.paramGroups) {
      const slots = STATE_KEYS.map((k) => g.params.map((p) => (this.state.get(p)?.[k] as Tensor | undefined) ?? null));
      native.optim.rmspropStep(g.params, ...slots, {
        lr: g.lr, alpha: g.alpha, eps: g.eps, weightDecay: g.weightDecay,
        momentum: g.momentum, centered: g.centered, maximize: g.maximize, tensorStep: libtorchAtLeast(2, 0),
      });
      g.params.forEach((p, i) => {
        if (slots[1][i] === null) return; // no gradient yet: no state
        const s: Record<string, unknown> = this.state.get(p) ?? {};
        // 1.x: an int step counted here (tensor steps are counted by the native step).
        s.step = libtorchAtLeast(2, 0) ? slots[0][i] : ((s.step as number | undefined) ?? 0) + 1;
        s.squareAvg = slots[1][i];
        if (slots[2][i] !== null) s.momentumBuffer = slots[2][i];
        if (slots[3][i] !== null) s.gradAvg = slots[3][i];
        this.state.set(p, s);
      });
    }
    return loss;
  }
}
