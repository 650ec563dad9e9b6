// torch.optim.lr_scheduler: the same recursive ("chainable") formulas as PyTorch, so the learning
// rates are PyTorch's to rounding, and state dicts with PyTorch's keys (last_epoch, base_lrs, _last_lr …).
// As in PyTorch, a state dict is the scheduler's attributes minus the optimizer: each class lists its
// fields once (stateFields) and the base maps them to PyTorch's names and back.
export { LRScheduler } from './base';
export type { SchedulerKind, SchedulerStateDict } from './base';
export { CosineAnnealingLR, ExponentialLR, LinearLR, MultiStepLR, StepLR } from './epoch';
export { SequentialLR } from './sequential';
export { OneCycleLR } from './one_cycle';
export type { OneCycleLROptions } from './one_cycle';
export { ReduceLROnPlateau } from './plateau';
export type { ReduceLROnPlateauOptions } from './plateau';
