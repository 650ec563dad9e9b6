// torch.nn.utils.weight_norm / remove_weight_norm, PyTorch's hook-style form: the parameter `name` is
// replaced by name_g (its norm over every dimension but `dim`, norm_except_dim) and name_v (its
// direction), and before every forward the weight is recomputed as aten::_weight_norm(v, g, dim), so
// gradients reach g and v. State-dict keys are PyTorch's (weight_g, weight_v).
import { TorchError } from '../../errors';
import { native } from '../../native';
import { bindOp } from '../../ops';
import type { Tensor } from '../../tensor';
import * as F from '../functional';
import { Conv2d, Linear } from '../modules';
import { Module, Parameter } from '../module';

type Op = (...args: unknown[]) => Tensor;
const normExceptDim = bindOp<Op>('nn.utils.weightNorm', ['norm_except_dim']);
const atenWeightNorm = bindOp<Op>('nn.utils.weightNorm', ['_weight_norm']);

interface Installed {
  name: string;
  dim: number;
  forward: Module['forward'];
  /** A native layer's own weight tensor (its forward reads it): restored on removal. */
  original: Tensor;
}
const INSTALLED = new WeakMap<Module, Installed[]>();

/** A module's attributes by name, as the hooks set, read and delete them (Python's setattr/getattr/delattr). */
export function attributes(module: Module): Record<string, unknown> {
  return module as unknown as Record<string, unknown>;
}

/** Whether a libtorch module computes the layer (nn/modules/native_layer.ts keeps it in `impl`). */
export function isNativeLayer(module: Module): boolean {
  return attributes(module).impl !== undefined;
}

// A native layer (Linear, Conv2d) computes with its own tensors: under weight norm its forward becomes
// the functional form on the recomputed weight. Other layers read the attribute in forward.
export function functionalForward(module: Module, name: string): ((x: Tensor) => Tensor) | null {
  if (name !== 'weight') return null;
  const m = attributes(module);
  if (module instanceof Linear) return (x) => F.linear(x, m.weight as Tensor, m.bias as Tensor | null);
  if (module instanceof Conv2d) {
    if (module.paddingMode !== 'zeros') throw new TorchError(`nn.utils.weightNorm: Conv2d with paddingMode '${module.paddingMode}' is not supported`);
    return (x) => F.conv2d(x, m.weight as Tensor, m.bias as Tensor | null, { stride: module.stride, padding: module.padding, dilation: module.dilation, groups: module.groups });
  }
  return null;
}

/** nn.utils.weight_norm(module, name='weight', dim=0): dim null normalises over the whole tensor. */
export function weightNorm<M extends Module>(module: M, name = 'weight', dim: number | null = 0): M {
  const where = 'nn.utils.weightNorm';
  const installed = INSTALLED.get(module) ?? [];
  if (installed.some((h) => h.name === name)) throw new TorchError(`${where}: Cannot register two weight_norm hooks on the same parameter ${name}`);
  const weight = module._parameters.get(name);
  if (!weight) throw new TorchError(`${where}: ${module.constructor.name} has no parameter '${name}'`);
  const d = dim ?? -1;
  const viaFunctional = functionalForward(module, name);
  if (!viaFunctional && isNativeLayer(module)) {
    throw new TorchError(`${where}: ${module.constructor.name} is a native layer; weight norm supports nn.Linear, nn.Conv2d and the TypeScript layers`);
  }
  const g = Parameter(normExceptDim(weight, 2, d).detach());
  const v = Parameter(weight.detach().clone());
  module._parameters.delete(name);
  module.registerParameter(`${name}_g`, g);
  module.registerParameter(`${name}_v`, v);
  const self = attributes(module);
  const compute = () => {
    self[name] = atenWeightNorm(self[`${name}_v`], self[`${name}_g`], d);
  };
  compute();
  const forward = module.forward;
  const inner = viaFunctional ?? ((...args: unknown[]) => forward.apply(module, args));
  self.forward = (...args: unknown[]) => {
    compute();
    return (inner as (...a: unknown[]) => unknown)(...args);
  };
  INSTALLED.set(module, [...installed, { name, dim: d, forward, original: weight }]);
  return module;
}

/** nn.utils.remove_weight_norm(module, name='weight'): the weight becomes one parameter again (its current value). */
export function removeWeightNorm<M extends Module>(module: M, name = 'weight'): M {
  const installed = INSTALLED.get(module) ?? [];
  const h = installed.find((x) => x.name === name);
  if (!h) throw new TorchError(`nn.utils.removeWeightNorm: weight_norm of '${name}' not found in ${module.constructor.name}`);
  const self = attributes(module);
  const weight = atenWeightNorm(self[`${name}_v`], self[`${name}_g`], h.dim).detach();
  module._parameters.delete(`${name}_g`);
  module._parameters.delete(`${name}_v`);
  delete self[`${name}_g`];
  delete self[`${name}_v`];
  native.nn.setData(h.original, weight);
  delete self[name];
  module.registerParameter(name, h.original);
  self.forward = h.forward;
  const rest = installed.filter((x) => x !== h);
  if (rest.length) INSTALLED.set(module, rest);
  else INSTALLED.delete(module);
  if (rest.length === 0) delete self.forward; // back to the class's forward
  return module;
}
