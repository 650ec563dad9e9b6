export { trainResNet20, resolveOptions } from './trainer';
export type { TrainOptions, TrainResult, EpochRecord } from './trainer';
export { evaluate } from './evaluate';
export type { Evaluation, EvaluateOptions, LossFn, MetricFn, BatchSource } from './evaluate';
export { fit } from './fit';
export type { FitOptions, FitResult, FitContext, Callback, Monitor, SchedulerLike, EpochRecord as FitRecord } from './fit';
export { predict } from './predict';
export { BEST_FILE, LAST_FILE, loadForResume } from './checkpoint';
export { createProgress } from './progress';
