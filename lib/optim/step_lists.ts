// The lists one optimizer step hands the multi-tensor ops, kept between steps. A JS array costs the
// generic call a handle lookup per element on every op (~2,300 instructions each, 62 parameters, a dozen
// list arguments per step); a native list (native/optim_lists.cc) costs one. What is kept is checked on
// every step, cheaply, so that a stale list is never used:
//   - the group's params: the same handles in the same order (a reference compare per element), else remade;
//   - which of them have a gradient: read natively in one call; the gradients themselves are never kept,
//     the gradients view reads each parameter's .grad whenever an op takes it (zeroGrad's set-to-None and
//     backward's new tensors are seen at once, and no dropped gradient is held alive);
//   - each state list (momentum buffers …): the same handles as the optimizer's state holds (Optimizer.stateList).
import { native } from '../native';
import type { NativeTensorList } from '../native_types';
import type { Tensor } from '../tensor';

/** A list a multi-tensor op takes: JS handles, or a list kept natively between steps. */
export type List = Tensor[] | NativeTensorList;

/** The same tensors as JS handles (for per-parameter work) and as a native list (for the ops). */
export interface KeptTensors {
  js: Tensor[];
  list: NativeTensorList;
}

export function keptTensors(js: Tensor[]): KeptTensors {
  return { js, list: native.optimLists.list(js) };
}

/** One step's parameters that have a gradient, and what is kept with them. */
export class StepLists {
  /** Their gradients, read from the parameters each time an op takes the list. */
  readonly grads: NativeTensorList;
  /** State lists by key, valid for these parameters (checked against the state at each use). */
  readonly state = new Map<string, KeptTensors>();

  constructor(readonly params: KeptTensors) {
    this.grads = native.optimLists.gradsOf(params.list);
  }

  /** The gradients as JS handles (p.grad): for per-parameter work, such as a first step's momentum buffers. */
  gradHandles(): Tensor[] {
    return this.params.js.map((p) => p.grad as Tensor);
  }
}

/** A param group's lists: remade when its params change or when which of them have a gradient changes. */
export class GroupLists {
  private given: Tensor[] = [];
  private all: KeptTensors | null = null;
  private withGrad: number[] | null = null; // null: every parameter
  private current: StepLists | null = null;

  /** This step's lists, or null when no parameter of the group has a gradient. */
  forStep(params: Tensor[]): StepLists | null {
    if (this.all === null || !sameElements(this.given, params)) {
      this.given = params.slice();
      this.all = keptTensors(this.given);
      this.current = null;
    }
    const withGrad = native.optimLists.gradIndices(this.all.list);
    if (this.current === null || !sameIndices(withGrad, this.withGrad)) {
      this.withGrad = withGrad;
      if (withGrad !== null && withGrad.length === 0) this.current = null;
      else this.current = new StepLists(withGrad === null ? this.all : keptTensors(withGrad.map((i) => this.given[i])));
    }
    return this.current;
  }
}

function sameElements(a: Tensor[], b: Tensor[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameIndices(a: number[] | null, b: number[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
