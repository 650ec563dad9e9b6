// torch.optim.Optimizer: parameter groups, per-parameter state, and the state dict in PyTorch's layout
// ({state: {index: {...}}, param_groups: [{..., params: [indices]}]}, snake_case keys), so that a
// checkpoint has the shape PyTorch reads. The base also gives what a training loop needs of any optimizer
// (PyTorch's attributes): whether step() can be captured in a CUDA graph, the device-tensor learning rates
// such a step reads, and GradScaler's fused unscale-and-skip hand-off (gradScale / foundInf).
import { TorchError } from '../errors';
import { keep, tidy } from '../memory';
import { emptyLike } from '../generated/torch';
import { foreachZero_ } from './foreach';
import { GroupLists, KeptTensors, StepLists, keptTensors } from './step_lists';
import { Tensor, getDefaultDtype, isTensor, noGrad } from '../tensor';
import type { DType } from '../dtype';
import { checkNumber, describeValue } from '../utils/validate';
import { readOptions } from '../utils/options';

/** A param group: its tensors and its hyper-parameters (settable: `opt.paramGroups[0].lr = 0.01`). */
export interface ParamGroup {
  params: Tensor[];
  lr: number;
  /** Set by the first LR scheduler attached, as PyTorch's group['initial_lr']. */
  initialLr?: number;
  [option: string]: unknown;
}

export type ParamsArg = Tensor[] | Iterable<Tensor> | Array<{ params: Tensor[] | Iterable<Tensor> } & Record<string, unknown>>;

export interface OptimizerStateDict {
  /** Integer keys, as PyTorch's: torch.save writes them as Python ints, so Python's load_state_dict finds them. */
  state: Map<number, Record<string, unknown>>;
  param_groups: Array<Record<string, unknown> & { params: number[] }>;
}

/** camelCase option ↔ PyTorch's snake_case state-dict key. */
export function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
export function camel(key: string): string {
  return key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * The dtype of a `step` state tensor, as torch/optim/optimizer.py's _get_scalar_dtype: float64 under a float64
 * default dtype (torch.setDefaultDtype), float32 otherwise. (PyTorch 1.13's torch.tensor(0.) step is the
 * default dtype itself: the same for float32 and float64, float16 under a float16 default.)
 */
export function stepDtype(): DType {
  return getDefaultDtype() === 'float64' ? 'float64' : 'float32';
}

export abstract class Optimizer<G extends ParamGroup = ParamGroup> {
  readonly paramGroups: G[] = [];
  /** Per-parameter state (momentum buffers …), keyed by the parameter's handle as PyTorch keys by tensor. */
  readonly state = new Map<Tensor, Record<string, unknown>>();
  protected readonly defaults: Omit<G, 'params'>;

  constructor(params: ParamsArg, defaults: Omit<G, 'params'>) {
    this.defaults = defaults;
    if (params === null || typeof params !== 'object' || isTensor(params) || !(Symbol.iterator in params)) {
      throw new TorchError(`params argument given to the optimizer should be an iterable of Tensors or dicts, but got ${describeValue(params)}`);
    }
    const list = [...(params as Iterable<unknown>)];
    if (list.length === 0) throw new TorchError('optimizer got an empty parameter list');
    const groups = isTensor(list[0]) ? [{ params: list as Tensor[] }] : (list as Array<{ params: Iterable<Tensor> }>);
    for (const g of groups) this.addParamGroup(g as { params: Iterable<Tensor> } & Record<string, unknown>);
  }

  /** add_param_group: missing options take the optimizer's defaults. */
  addParamGroup(group: { params: Iterable<Tensor> | Tensor } & Record<string, unknown>): void {
    // A list of non-tensors (new SGD([1, 2])) arrives here as "groups": word it as PyTorch does.
    if (group === null || typeof group !== 'object') throw new TorchError(`optimizer can only optimize Tensors, but one of the params is ${describeValue(group)}`);
    const given = group.params as unknown;
    if (given === null || typeof given !== 'object' || !(isTensor(given) || Symbol.iterator in given)) {
      throw new TorchError(`param group 'params' must be a Tensor or an iterable of Tensors, not ${describeValue(given)}`);
    }
    // A group's options are the optimizer's, in camelCase or PyTorch's snake_case ({params, weight_decay: 0});
    // other keys stay as given, as PyTorch keeps a group's extra entries (a name …) for the user.
    group = readOptions(`${this.constructor.name} param group`, group, ['params', 'initialLr', ...Object.keys(this.defaults)], true);
    const params = isTensor(group.params) ? [group.params] : [...group.params];
    for (const p of params) {
      if (!isTensor(p)) throw new TorchError(`optimizer can only optimize Tensors, but one of the params is ${describeValue(p)}`);
    }
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    if (params.some((p) => seen.has(p)) || new Set(params).size !== params.length) {
      throw new TorchError('some parameters appear in more than one parameter group');
    }
    const full = { ...this.defaults, ...group, params } as unknown as G;
    // Every optimizer has a learning rate; a string would fail only at step().
    checkNumber(full.lr, this.constructor.name, 'lr');
    this.validate(full);
    this.paramGroups.push(full);
  }

  /** Throws a TorchError for invalid hyper-parameters (PyTorch's ValueError messages). */
  protected validate(_group: G): void {}

  abstract step(closure?: () => number | Tensor): number | Tensor | undefined;

  /**
   * zero_grad, as PyTorch's: each gradient set to null (the default), or detached from its graph and zeroed
   * in place with one _foreach_zero_ per group.
   */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    options = readOptions('Optimizer.zeroGrad', options, ['setToNone']);
    zeroGrads(this.paramGroups.flatMap((g) => g.params), options.setToNone ?? true);
  }

  /**
   * PyTorch's _step_supports_amp_scaling: step() divides the gradients by `gradScale` and skips itself when
   * `foundInf` is non-zero (a fused kernel), so GradScaler reads nothing back to the host to decide.
   */
  get stepSupportsAmpScaling(): boolean {
    return false;
  }
  /** Set by GradScaler.step around step() when stepSupportsAmpScaling (PyTorch's optimizer.grad_scale / found_inf). */
  gradScale: Tensor | null = null;
  foundInf: Tensor | null = null;

  /**
   * Whether step() reads no host value that changes between steps (its learning rate comes from a device
   * tensor, see writeLrTensors): a captured CUDA graph replays it correctly. False unless an optimizer says so.
   */
  get capturable(): boolean {
    return false;
  }
  /** Why step() cannot be captured (a phrase for messages), or null when it can. */
  captureBlocker(): string | null {
    if (this.capturable) return null;
    return `SGD({fused: true}), got ${this.constructor.name} (a graph replays the learning rate from a device tensor; this update reads host values)`;
  }
  /**
   * Writes each group's `lr` number into the device tensor step() reads it from (a device op, no sync), when
   * it changed: a training loop calls it before replaying a captured step. Nothing to do for other optimizers.
   */
  writeLrTensors(): void {}

  /**
   * Runs update(group) for each group under no_grad and inside a tidy(), so the step's intermediate lists
   * are freed at once (state it makes is kept: see stateTensors); then returns the closure's loss.
   */
  protected stepGroups(closure: (() => number | Tensor) | undefined, update: (group: G) => void): number | Tensor | undefined {
    const loss = closure?.();
    for (const g of this.paramGroups) tidy(() => noGrad(() => update(g)));
    return loss;
  }

  // Each group's lists, kept between steps (step_lists.ts): checked at every step, remade when stale.
  // They hold references to the state tensors: dropped when the state is freed or replaced.
  private readonly groupLists = new Map<G, GroupLists>();

  /**
   * The group's parameters that have a gradient, and their gradients, as lists the multi-tensor ops take
   * (PyTorch's _init_group); null when none has a gradient.
   */
  protected stepLists(group: G): StepLists | null {
    let lists = this.groupLists.get(group);
    if (!lists) this.groupLists.set(group, (lists = new GroupLists()));
    return lists.forStep(group.params);
  }

  /**
   * The state tensor `key` of each of the step's parameters (made by make(p) where missing, as
   * stateTensors), as a list kept with the step's lists while the state holds the same tensors.
   */
  protected stateList(lists: StepLists, key: string, make: (p: Tensor) => Tensor): KeptTensors {
    return this.keptState(lists, key) ?? this.remember(lists, key, this.stateTensors(lists.params.js, key, make));
  }

  /** The kept state list `key` when every one of the step's parameters has that state, else null. */
  protected keptState(lists: StepLists, key: string): KeptTensors | null {
    const params = lists.params.js;
    const kept = lists.state.get(key);
    if (kept && params.every((p, i) => this.state.get(p)?.[key] === kept.js[i])) return kept;
    const js: Tensor[] = [];
    for (const p of params) {
      const t = this.state.get(p)?.[key];
      if (!isTensor(t)) return null;
      js.push(t);
    }
    return this.remember(lists, key, js);
  }

  private remember(lists: StepLists, key: string, js: Tensor[]): KeptTensors {
    const kept = keptTensors(js);
    lists.state.set(key, kept);
    return kept;
  }

  /**
   * The state tensor `key` of each parameter, made by make(p) when the parameter has none yet (PyTorch's
   * lazy state initialisation on a first step) and kept out of every tidy(): the optimizer owns it.
   */
  protected stateTensors(params: Tensor[], key: string, make: (p: Tensor) => Tensor): Tensor[] {
    return params.map((p) => {
      let s = this.state.get(p);
      if (!s) this.state.set(p, (s = {}));
      let t = s[key] as Tensor | undefined;
      if (t === undefined) s[key] = t = keep(make(p));
      return t;
    });
  }

  /** Frees the optimizer's state (momentum buffers) now rather than at garbage collection. */
  dispose(): void {
    for (const s of this.state.values()) for (const v of Object.values(s)) if (isTensor(v)) v.dispose();
    this.state.clear();
    this.groupLists.clear();
  }

  /** state_dict: parameters numbered across groups in order; tensors are detached handles on the state. */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const param_groups = this.paramGroups.map((g) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(g)) if (k !== 'params' && k !== 'initialLr') out[snake(k)] = v;
      Object.assign(out, this.extraGroupKeys());
      if (g.initialLr !== undefined) out.initial_lr = g.initialLr;
      out.params = g.params.map((p) => {
        if (!index.has(p)) index.set(p, index.size);
        return index.get(p)!;
      });
      return out as Record<string, unknown> & { params: number[] };
    });
    const state = new Map<number, Record<string, unknown>>();
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i === undefined) continue;
      const entry: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(s)) entry[snake(k)] = isTensor(v) ? v.detach() : v;
      state.set(i, entry);
    }
    return { state, param_groups };
  }

  /** Keys PyTorch writes in every group that this library has no option for (foreach, differentiable …). */
  protected extraGroupKeys(): Record<string, unknown> {
    return {};
  }

  /** load_state_dict: hyper-parameters and state from a dict in PyTorch's layout; state tensors are copies placed as stateTensorFor() says. */
  loadStateDict(stateDict: OptimizerStateDict): void {
    // torch.load gives a Map for the integer-keyed `state` (and may for any dict): read both forms.
    const entries = (x: unknown): [string, any][] =>
      x instanceof Map ? [...x.entries()].map(([k, v]) => [String(k), v]) : Object.entries((x ?? {}) as object);
    const saved = stateDict.param_groups;
    if (!Array.isArray(saved) || saved.length !== this.paramGroups.length) {
      throw new TorchError('loaded state dict has a different number of parameter groups');
    }
    saved.forEach((sg, i) => {
      if (sg.params.length !== this.paramGroups[i].params.length) {
        throw new TorchError("loaded state dict contains a parameter group that doesn't match the size of optimizer's group");
      }
    });
    const byIndex = new Map<number, Tensor>();
    saved.forEach((sg, i) => sg.params.forEach((id, j) => byIndex.set(Number(id), this.paramGroups[i].params[j])));
    for (const [key] of entries(stateDict.state)) {
      if (!byIndex.has(Number(key))) throw new TorchError(`loadStateDict: state for parameter ${key} matches no parameter`);
    }
    // Validated: now replace.
    saved.forEach((sg, i) => {
      const group = this.paramGroups[i] as Record<string, unknown>;
      for (const [k, v] of entries(sg)) if (k !== 'params') group[camel(k)] = v;
    });
    for (const s of this.state.values()) for (const v of Object.values(s)) if (isTensor(v)) v.dispose();
    this.state.clear();
    this.groupLists.clear();
    for (const [key, entry] of entries(stateDict.state)) {
      const p = byIndex.get(Number(key))!;
      const s: Record<string, unknown> = {};
      for (const [k, v] of entries(entry)) s[camel(k)] = isTensor(v) ? keep(stateTensorFor(p, k, v)) : v;
      this.state.set(p, s);
    }
  }
}

/**
 * A loaded state tensor as PyTorch's Optimizer._process_value_according_to_param_policy places it: `step`
 * as saved (a CPU scalar: this library's optimizers are never capturable, so it stays on the CPU), any
 * other tensor on the parameter's device, in the parameter's dtype when the parameter is floating point.
 * Always a copy, since the caller frees what it loaded. One of the parameter's shape (momentum_buffer,
 * exp_avg …) also takes the parameter's strides: PyTorch's `.to()` keeps the saved strides, which are the
 * parameter's whenever PyTorch or this library wrote the file (such state is made like the parameter:
 * zeros_like(p), a clone of p.grad), but a file written contiguous (this library before it saved real
 * strides) would leave a channels_last parameter with a contiguous buffer, which fused kernels refuse
 * (check_fast_path_restrictions wants equal strides).
 */
export function stateTensorFor(p: Tensor, key: string, v: Tensor): Tensor {
  return noGrad(() => {
    if (key === 'step') return v.to({ device: 'cpu', copy: true });
    const floating = p.dtype.startsWith('float') || p.dtype === 'bfloat16';
    const dtype = floating ? p.dtype : v.dtype;
    if (!sameShape(p.shape, v.shape)) return v.to({ device: p.device, dtype, copy: true });
    const out = emptyLike(p, { dtype });
    out.copy_(v);
    return out;
  });
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

/**
 * PyTorch's zero_grad over a list of parameters (Optimizer.zero_grad, Module.zero_grad): setToNone drops
 * each gradient (p.grad = None); otherwise each is detached from any graph that made it and all are zeroed
 * with one _foreach_zero_.
 */
export function zeroGrads(params: Tensor[], setToNone: boolean): void {
  if (setToNone) {
    for (const p of params) p.grad = null;
    return;
  }
  tidy(() => {
    const grads: Tensor[] = [];
    for (const p of params) {
      const g = p.grad;
      if (g === null) continue;
      if (g.gradFnName() !== null) g.detach_();
      else g.requiresGrad = false;
      grads.push(g);
    }
    if (grads.length > 0) noGrad(() => foreachZero_(grads));
  });
}
