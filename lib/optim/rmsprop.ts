// torch.optim.RMSprop, all of it (torch/optim/rmsprop.py): the param group, and the update over the
// multi-tensor ops as _multi_tensor_rmsprop runs it (one _foreach_ call per op per param group):
//   g = ±grad + weight_decay * p;  v = α v + (1 - α) g²;  centered: a = α a + (1 - α) g, v' = v - a²
//   d = sqrt(v or v') + eps;  momentum: b = μ b + g / d, p -= lr b;  else p -= lr g / d
// PyTorch 1.x keeps `step` as an int in the state, 2.x as a CPU tensor: the state dict follows the libtorch.
import { readOptions } from '../utils/options';
import { TorchError } from '../errors';
import { keep } from '../memory';
import { zerosLike } from '../generated/torch';
import { Tensor, isTensor, tensor, zeros } from '../tensor';
import { libtorchAtLeast } from '../utils/version';
import { foreachAdd, foreachAdd_, foreachAddScalar_, foreachAddcdiv_, foreachAddcmul, foreachAddcmul_, foreachMul_, foreachNeg, foreachSqrt, foreachSqrt_, lerpInto } from './foreach';
import { Optimizer, OptimizerStateDict, ParamGroup, ParamsArg, stepDtype } from './optimizer';
import type { List, StepLists } from './step_lists';

// PyTorch 2.x: `step` a CPU tensor (float32, or float64 under a float64 default dtype: stepDtype) and the
// centered average decayed with _foreach_lerp_.
const TORCH2 = libtorchAtLeast(2, 0);

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
    return TORCH2 ? { capturable: false, foreach: null, differentiable: false } : { foreach: null, differentiable: false };
  }

  /** Reads both layouts: an int step (PyTorch 1.x) or a tensor step (2.x), kept in this libtorch's form. */
  loadStateDict(stateDict: OptimizerStateDict): void {
    super.loadStateDict(stateDict);
    for (const s of this.state.values()) {
      if (s.step === undefined) continue;
      const n = isTensor(s.step) ? (s.step.item() as number) : Number(s.step);
      if (isTensor(s.step) && !TORCH2) s.step.dispose();
      if (TORCH2 && !isTensor(s.step)) s.step = keep(tensor(n, { dtype: stepDtype() })); // on the CPU, as PyTorch
      else if (!TORCH2) s.step = n;
    }
  }

  /** One step over every parameter that has a gradient; closure (optional) recomputes the loss. */
  step(closure?: () => number | Tensor): number | Tensor | undefined {
    return this.stepGroups(closure, (g) => this.multiTensorStep(g));
  }

  // torch/optim/rmsprop.py _multi_tensor_rmsprop, not capturable.
  private multiTensorStep(g: RMSpropParamGroup): void {
    const lists = this.stepLists(g);
    if (lists === null) return;
    const params = lists.params.list;
    this.countStep(lists);
    const squareAvgs = this.stateList(lists, 'squareAvg', zerosLike).list;
    const bufs = g.momentum > 0 ? this.stateList(lists, 'momentumBuffer', zerosLike).list : [];
    const gradAvgs = g.centered ? this.stateList(lists, 'gradAvg', zerosLike).list : [];
    let grads: List = g.maximize ? foreachNeg(lists.grads) : lists.grads;
    if (g.weightDecay !== 0) grads = foreachAdd(grads, params, { alpha: g.weightDecay });
    foreachMul_(squareAvgs, g.alpha);
    foreachAddcmul_(squareAvgs, grads, grads, 1 - g.alpha);
    let avg: Tensor[];
    if (g.centered) {
      lerpInto(gradAvgs, grads, g.alpha, TORCH2);
      avg = foreachAddcmul(squareAvgs, gradAvgs, gradAvgs, -1);
      foreachSqrt_(avg);
    } else {
      avg = foreachSqrt(squareAvgs);
    }
    foreachAddScalar_(avg, g.eps);
    if (g.momentum > 0) {
      foreachMul_(bufs, g.momentum);
      foreachAddcdiv_(bufs, grads, avg);
      foreachAdd_(params, bufs, { alpha: -g.lr });
    } else {
      foreachAddcdiv_(params, grads, avg, -g.lr);
    }
  }

  // `step`: 2.x a CPU tensor (stepDtype) per parameter, counted with one _foreach_add_; 1.x an int.
  private countStep(lists: StepLists): void {
    if (TORCH2) {
      foreachAddScalar_(this.stateList(lists, 'step', () => zeros([], { dtype: stepDtype() })).list, 1);
      return;
    }
    for (const p of lists.params.js) {
      const s = this.state.get(p) ?? {};
      s.step = ((s.step as number | undefined) ?? 0) + 1;
      this.state.set(p, s);
    }
  }
}
