export { trainResNet20, resolveOptions } from './trainer';
export type { TrainOptions, TrainResult, EpochRecord } from './trainer';
export { evaluate } from './evaluate';
export type { Evaluation } from './evaluate';
export { BEST_FILE, LAST_FILE, loadForResume } from './checkpoint';
export { createProgress } from './progress';
