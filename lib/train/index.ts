export { trainResNet20, resolveOptions } from './trainer';
export type { TrainOptions, TrainResult, EpochRecord } from './trainer';
export { evaluate } from './evaluate';
export type { Evaluation } from './evaluate';
export { BEST_FILE, LAST_FILE, loadForResume } from './checkpoint';
export { createProgress } from './progress';
export { CIFAR10_CLASSES, loadClassifier, preprocess, predict, predictFiles, topK } from './predict';
export type { Classifier, ClassifierOptions, ClassScore, FilePrediction, PreprocessOptions } from './predict';
