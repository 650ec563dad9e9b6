// torch.nn.utils.spectral_norm / remove_spectral_norm, PyTorch's hook-style form: the parameter `name`
// becomes name_orig, with buffers name_u and name_v (drawn from N(0, 1) and normalised, u first, as
// PyTorch draws them); before every forward in training mode nPowerIterations of power iteration update
// u and v in place, and the weight is name_orig / σ, σ = uᵀ W v. State-dict keys are PyTorch's.
import { TorchError } from '../../errors';
import { native } from '../../native';
import { Tensor, noGrad } from '../../tensor';
import { readOptions } from '../../utils/options';
import { ConvTranspose2d } from '../modules';
import { Module } from '../module';
import { attributes, functionalForward, isNativeLayer } from './weight_norm';

export interface SpectralNormOptions {
  nPowerIterations?: number;
  eps?: number;
  /** Default 0, or 1 for transposed convolutions. */
  dim?: number | null;
}

interface Installed {
  name: string;
  dim: number;
  eps: number;
  iterations: number;
  forward: Module['forward'];
  original: Tensor;
}
const INSTALLED = new WeakMap<Module, Installed>();

// F.normalize(x, dim=0, eps): x / max(‖x‖₂, eps).
const normalize = (x: Tensor, eps: number) => x.div(x.norm(2, 0, true).clampMin(eps).expandAs(x));

function asMatrix(weight: Tensor, dim: number): Tensor {
  let w = weight;
  if (dim !== 0) w = w.permute([dim, ...weight.shape.map((_, i) => i).filter((i) => i !== dim)]);
  return w.reshape([w.shape[0], -1]);
}

function computeWeight(module: Module, h: Installed, powerIteration: boolean): Tensor {
  const self = attributes(module);
  const weight = self[`${h.name}_orig`] as Tensor;
  let u = self[`${h.name}_u`] as Tensor;
  let v = self[`${h.name}_v`] as Tensor;
  const mat = asMatrix(weight, h.dim);
  if (powerIteration) {
    noGrad(() => {
      for (let i = 0; i < h.iterations; i++) {
        v.copy_(normalize(mat.t().mv(u), h.eps));
        u.copy_(normalize(mat.mv(v), h.eps));
      }
    });
    if (h.iterations > 0) [u, v] = [u.clone(), v.clone()];
  }
  const sigma = u.dot(mat.mv(v));
  return weight.div(sigma);
}

/** nn.utils.spectral_norm(module, name='weight', n_power_iterations=1, eps=1e-12, dim=None). */
export function spectralNorm<M extends Module>(module: M, name = 'weight', options: SpectralNormOptions = {}): M {
  const where = 'nn.utils.spectralNorm';
  const o = readOptions(where, options, ['nPowerIterations', 'eps', 'dim']);
  if (INSTALLED.has(module)) throw new TorchError(`${where}: Cannot register two spectral_norm hooks on the same parameter ${name}`);
  const iterations = o.nPowerIterations ?? 1;
  if (!Number.isInteger(iterations) || iterations < 0) throw new TorchError(`${where}: Expected n_power_iterations to be positive, but got n_power_iterations=${iterations}`);
  const weight = module._parameters.get(name);
  if (!weight) throw new TorchError(`${where}: ${module.constructor.name} has no parameter '${name}'`);
  const viaFunctional = functionalForward(module, name);
  if (!viaFunctional && isNativeLayer(module)) {
    throw new TorchError(`${where}: ${module.constructor.name} is a native layer; spectral norm supports nn.Linear, nn.Conv2d and the TypeScript layers`);
  }
  const h: Installed = {
    name, iterations, eps: o.eps ?? 1e-12, dim: o.dim ?? (module instanceof ConvTranspose2d ? 1 : 0), forward: module.forward, original: weight,
  };
  const [rows, cols] = asMatrix(weight, h.dim).shape;
  const [u, v] = noGrad(() => [
    normalize(weight.newEmpty([rows]).normal_(0, 1), h.eps),
    normalize(weight.newEmpty([cols]).normal_(0, 1), h.eps),
  ]);
  const self = attributes(module);
  module._parameters.delete(name);
  delete self[name];
  module.registerParameter(`${name}_orig`, weight);
  self[name] = weight.detach();
  module.registerBuffer(`${name}_u`, u);
  module.registerBuffer(`${name}_v`, v);
  const inner = viaFunctional ?? ((...args: unknown[]) => h.forward.apply(module, args));
  self.forward = (...args: unknown[]) => {
    self[name] = computeWeight(module, h, module.training);
    return (inner as (...a: unknown[]) => unknown)(...args);
  };
  INSTALLED.set(module, h);
  return module;
}

/** nn.utils.remove_spectral_norm(module, name='weight'): the weight (without a power iteration) becomes one parameter again. */
export function removeSpectralNorm<M extends Module>(module: M, name = 'weight'): M {
  const h = INSTALLED.get(module);
  if (!h || h.name !== name) throw new TorchError(`nn.utils.removeSpectralNorm: spectral_norm of '${name}' not found in ${module.constructor.name}`);
  const weight = noGrad(() => computeWeight(module, h, false)).detach();
  const self = attributes(module);
  module._parameters.delete(`${name}_orig`);
  module._buffers.delete(`${name}_u`);
  module._buffers.delete(`${name}_v`);
  for (const k of [`${name}_orig`, `${name}_u`, `${name}_v`, name, 'forward']) delete self[k];
  native.nn.setData(h.original, weight);
  module.registerParameter(name, h.original);
  INSTALLED.delete(module);
  return module;
}
