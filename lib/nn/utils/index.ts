// torch.nn.utils: gradient clipping, parameters ⇄ one vector, weight norm.
export { clipGradNorm_, clipGradValue_ } from './clip_grad';
export type { ClipGradNormOptions } from './clip_grad';
export { parametersToVector, vectorToParameters } from './convert_parameters';
export { weightNorm, removeWeightNorm } from './weight_norm';
export { spectralNorm, removeSpectralNorm } from './spectral_norm';
export type { SpectralNormOptions } from './spectral_norm';
