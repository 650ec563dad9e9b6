// torch.nn: Module, the layers, and nn.functional.
export { Module } from './module';
export type { StateDict, LoadStateDictResult, ToTarget } from './module';
export {
  Conv2d,
  BatchNorm2d,
  Linear,
  ReLU,
  Identity,
  AdaptiveAvgPool2d,
  AvgPool2d,
  Flatten,
  Sequential,
} from './layers';
export type { Conv2dOptions, BatchNorm2dOptions, LinearOptions, FactoryOptions } from './layers';
export * as functional from './functional';
