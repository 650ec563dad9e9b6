// torch.optim: SGD and the learning-rate schedules (also under optim.lrScheduler, as torch.optim.lr_scheduler).
export { Optimizer } from './optimizer';
export type { ParamGroup, ParamsArg, OptimizerStateDict } from './optimizer';
export { SGD, fusedSgdAvailable } from './sgd';
export type { SGDOptions, SGDParamGroup } from './sgd';
export { Adam, AdamW } from './adam';
export type { AdamOptions, AdamParamGroup } from './adam';
export { RMSprop } from './rmsprop';
export type { RMSpropOptions, RMSpropParamGroup } from './rmsprop';
export * as lrScheduler from './lr_scheduler';
export {
  LRScheduler,
  CosineAnnealingLR,
  MultiStepLR,
  LinearLR,
  SequentialLR,
  StepLR,
  ExponentialLR,
  OneCycleLR,
  ReduceLROnPlateau,
} from './lr_scheduler';
export type { OneCycleLROptions, ReduceLROnPlateauOptions } from './lr_scheduler';
export type { SchedulerStateDict } from './lr_scheduler';
