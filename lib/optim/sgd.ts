// torch.optim.SGD, all of it (torch/optim/sgd.py): the param group, and the update over the multi-tensor
// ops, one _foreach_ call per op per param group, no value read back to the host (CUDA stays async):
//   d_p = ±grad (+ weight_decay * p); buf = clone(d_p) on the first step, then momentum * buf + (1 - dampening) * d_p;
//   d_p = nesterov ? d_p + momentum * buf : buf; p -= lr * d_p            (_multi_tensor_sgd)
// fused: true runs PyTorch's fused kernel (_fused_sgd_, libtorch >= 2.4) with the learning rate held in a
// float32 tensor on the parameters' device, written with fill_ when the group's lr changes: no host value
// is baked into a step, so a captured CUDA graph follows the scheduler (`capturable`), and GradScaler's
// unscale and inf-skip run inside the kernel. Older libtorch: the update above.
import { TorchError } from '../errors';
import { keep } from '../memory';
import { emptyLike } from '../generated/torch';
import { Tensor, full, noGrad } from '../tensor';
import { checkBool, checkNumber } from '../utils/validate';
import { readOptions } from '../utils/options';
import { libtorchAtLeast, libtorchVersion } from '../utils/version';
import { foreachAdd, foreachAdd_, foreachMul_, foreachNeg, fusedSgd_, hasFusedSgd } from './foreach';
import { Optimizer, ParamGroup, ParamsArg } from './optimizer';
import type { List, StepLists } from './step_lists';

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
export const fusedSgdAvailable: boolean = hasFusedSgd;

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
  /** The fused kernel unscales by gradScale and skips on foundInf itself: GradScaler needs no host read. */
  get stepSupportsAmpScaling(): boolean {
    return this.fused;
  }
  /** The fused step reads its learning rate from a device tensor and nothing else from the host. */
  get capturable(): boolean {
    return this.fused;
  }
  captureBlocker(): string | null {
    if (this.fused) return null;
    return 'SGD({fused: true}), got SGD without fused (a graph replays the learning rate from a device tensor; this update reads host values)';
  }
  writeLrTensors(): void {
    if (this.fused) for (const g of this.paramGroups) this.lrTensor(g);
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
    return this.stepGroups(closure, (g) => (this.fused ? this.fusedStep(g) : this.multiTensorStep(g)));
  }

  // torch/optim/sgd.py _multi_tensor_sgd. The gradients are left as they are (d_p is a new list when changed).
  private multiTensorStep(g: SGDParamGroup): void {
    const lists = this.stepLists(g);
    if (lists === null) return;
    const params = lists.params.list;
    let dp: List = g.maximize ? foreachNeg(lists.grads) : lists.grads;
    if (g.weightDecay !== 0) dp = foreachAdd(dp, params, { alpha: g.weightDecay });
    if (g.momentum !== 0) {
      const bufs = this.momentumBuffers(lists, dp, g);
      dp = g.nesterov ? foreachAdd(dp, bufs, { alpha: g.momentum }) : bufs;
    }
    foreachAdd_(params, dp, { alpha: -g.lr });
  }

  // buf = momentum * buf + (1 - dampening) * d_p for the buffers that exist; a parameter's first step makes
  // its buffer as a copy of d_p (PyTorch's clone(d_p).detach()). The usual step (every buffer there) takes
  // the kept list of buffers.
  private momentumBuffers(lists: StepLists, dp: List, g: SGDParamGroup): List {
    const kept = this.keptState(lists, 'momentumBuffer');
    if (kept !== null) {
      foreachMul_(kept.list, g.momentum);
      foreachAdd_(kept.list, dp, { alpha: 1 - g.dampening });
      return kept.list;
    }
    // dp is a native list only when it is the gradients themselves (no maximize, no weight decay).
    const dpJs = Array.isArray(dp) ? dp : lists.gradHandles();
    const old: Tensor[] = [];
    const oldDp: Tensor[] = [];
    const bufs = lists.params.js.map((p, i) => {
      const s = this.state.get(p);
      const b = s?.momentumBuffer as Tensor | undefined;
      if (b !== undefined) {
        old.push(b);
        oldDp.push(dpJs[i]);
        return b;
      }
      const made = keep(dpJs[i].clone().detach());
      if (s) s.momentumBuffer = made;
      else this.state.set(p, { momentumBuffer: made });
      return made;
    });
    if (old.length > 0) {
      foreachMul_(old, g.momentum);
      foreachAdd_(old, oldDp, { alpha: 1 - g.dampening });
    }
    return bufs;
  }

  // torch/optim/sgd.py _fused_sgd: the first step (no buffer yet) makes empty buffers the kernel fills with d_p.
  private fusedStep(g: SGDParamGroup): void {
    const lists = this.stepLists(g);
    if (lists === null) return;
    const params = lists.params.js;
    const lr = this.lrTensor(g);
    if (lr.device !== params[0].device) {
      throw new TorchError(`SGD.step (fused): lr tensor is on ${lr.device}, the parameters on ${params[0].device}`);
    }
    let bufs: List = [];
    let isFirstStep = false;
    if (g.momentum !== 0) {
      const have = params.filter((p) => this.state.get(p)?.momentumBuffer !== undefined).length;
      if (have !== 0 && have !== params.length) {
        throw new TorchError('SGD.step (fused): momentum buffers exist for some parameters only (fused SGD needs all or none)');
      }
      isFirstStep = have === 0;
      bufs = this.stateList(lists, 'momentumBuffer', (p) => emptyLike(p)).list;
    }
    fusedSgd_(lists.params.list, lists.grads, bufs, {
      weightDecay: g.weightDecay, momentum: g.momentum, lr, dampening: g.dampening, nesterov: g.nesterov,
      maximize: g.maximize, isFirstStep, gradScale: this.gradScale, foundInf: this.foundInf,
    });
  }
}
