// torch.optim.Adam and AdamW, all of them (torch/optim/adam.py, adamw.py): the param group, and the update
// over the multi-tensor ops as _multi_tensor_adam runs it (one _foreach_ call per op per param group):
//   g = ±grad (Adam: + weight_decay * p; AdamW: p *= 1 - lr * weight_decay)
//   m = β1 m + (1 - β1) g;  v = β2 v + (1 - β2) g²;  v̂ = max(v̂, v) with amsgrad
//   p -= lr / (1 - β1^t) * m / (sqrt(v or v̂) / sqrt(1 - β2^t) + eps)
// State and param-group keys are PyTorch's; `step` is a CPU tensor (float32, or float64 under a float64
// default dtype: stepDtype), as PyTorch keeps it (not capturable), so reading it for the bias corrections
// reads host memory: no device sync.
import { TorchError } from '../errors';
import { pow, zerosLike } from '../generated/torch';
import { Tensor, stack, tensor, zeros } from '../tensor';
import { libtorchAtLeast } from '../utils/version';
import { readOptions } from '../utils/options';
import { foreachAdd, foreachAddScalar_, foreachAddcdiv_, foreachAddcmul_, foreachDiv_, foreachMaximum_, foreachMul_, foreachNeg, foreachSqrt, lerpInto } from './foreach';
import { Optimizer, ParamGroup, ParamsArg, stepDtype } from './optimizer';
import type { KeptTensors, List } from './step_lists';

const ADAM_KEYS = ['lr', 'betas', 'eps', 'weightDecay', 'amsgrad', 'maximize'];
// PyTorch 2.x decays the first moment with _foreach_lerp_, 1.x with a multiply and an add; 2.x takes
// sqrt(1 - β2^t) as `bc ** 0.5`, 1.x with math.sqrt.
const LERP = libtorchAtLeast(2, 0);
const POW_SQRT = libtorchAtLeast(2, 0);

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
    return this.stepGroups(closure, (g) => this.multiTensorStep(g));
  }

  // torch/optim/adam.py _multi_tensor_adam, not capturable (decoupled: AdamW's weight decay).
  private multiTensorStep(g: AdamParamGroup): void {
    const lists = this.stepLists(g);
    if (lists === null) return;
    const params = lists.params;
    const steps = this.stateList(lists, 'step', () => zeros([], { dtype: stepDtype() }));
    const expAvgs = this.stateList(lists, 'expAvg', zerosLike);
    const expAvgSqs = this.stateList(lists, 'expAvgSq', zerosLike).list;
    const [beta1, beta2] = g.betas;
    foreachAddScalar_(steps.list, 1);
    let grads: List = g.maximize ? foreachNeg(lists.grads) : lists.grads;
    if (g.weightDecay !== 0) {
      if (this.decoupled) foreachMul_(params.list, 1 - g.lr * g.weightDecay);
      else grads = foreachAdd(grads, params.list, { alpha: g.weightDecay });
    }
    lerpInto(expAvgs.list, grads, beta1, LERP);
    foreachMul_(expAvgSqs, beta2);
    foreachAddcmul_(expAvgSqs, grads, grads, 1 - beta2);
    let second = expAvgSqs;
    if (g.amsgrad) {
      second = this.stateList(lists, 'maxExpAvgSq', zerosLike).list;
      foreachMaximum_(second, expAvgSqs);
    }
    // p += -lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps): the corrections are scalars per step count.
    const denom = foreachSqrt(second);
    for (const run of runsByStep(steps.js)) {
      const [bc1, bc2Sqrt] = biasCorrections(beta1, beta2, run.t);
      const pick = (kept: KeptTensors): List => (run.all ? kept.list : run.indices.map((i) => kept.js[i]));
      const denoms = run.all ? denom : run.indices.map((i) => denom[i]);
      foreachDiv_(denoms, bc2Sqrt);
      foreachAddScalar_(denoms, g.eps);
      foreachAddcdiv_(pick(params), pick(expAvgs), denoms, (g.lr / bc1) * -1);
    }
  }
}

/**
 * The parameters grouped by their step count t (one group when all were stepped together, as usual), read
 * in one call from the CPU step tensors: PyTorch passes a list of per-parameter scalars (ScalarList) to
 * _foreach_div_ and _foreach_addcdiv_; the same op over each group of equal scalars gives the same numbers.
 */
function runsByStep(steps: Tensor[]): Array<{ t: number; indices: number[]; all: boolean }> {
  const values = stack(steps).toTypedArray() as Float32Array;
  const byT = new Map<number, number[]>();
  values.forEach((t, i) => {
    const list = byT.get(t);
    if (list) list.push(i);
    else byT.set(t, [i]);
  });
  return [...byT].map(([t, indices]) => ({ t, indices, all: byT.size === 1 }));
}

/**
 * 1 - β1^t and sqrt(1 - β2^t) as this libtorch's torch/optim computes them in Python: `beta ** t` is the C
 * library's pow (V8's Math.pow rounds some of these powers differently), and the square root is
 * math.sqrt in 1.x, `bc ** 0.5` (pow again, which rounds a few values differently) in 2.x. The powers come
 * from torch.pow over float64 tensors of at most two elements, which libtorch computes with std::pow (too
 * few elements for its vectorised path).
 */
function biasCorrections(beta1: number, beta2: number, t: number): [number, number] {
  const [p1, p2] = powers([beta1, beta2], [t, t]);
  const bc2 = 1 - p2;
  return [1 - p1, POW_SQRT ? powers([bc2], [0.5])[0] : Math.sqrt(bc2)];
}

function powers(bases: number[], exponents: number[]): Float64Array {
  return pow(tensor(bases, { dtype: 'float64' }), tensor(exponents, { dtype: 'float64' })).toTypedArray() as Float64Array;
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
