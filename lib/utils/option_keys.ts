// The keys of every public options interface, each list checked by the compiler against its interface
// (optionKeys: a key added to an interface and not here is a type error), for readOptions at the entry
// points. Kept in one file so the entries stay one-line checks.
import type { GradScalerOptions } from '../grad_scaler';
import type { DataLoaderOptions } from '../data/dataloader';
import type { DistributedSamplerOptions } from '../data/distributed_sampler';
import type { CIFAR10Options } from '../data/cifar10';
import type { DownloadOptions } from '../data/download';
import type { ResizeOptions } from '../vision/transforms';
import type { DecodeOptions } from '../vision/image';
import type { SummaryWriterOptions, ScalarOptions } from './tensorboard/writer';
import type { DistributedDataParallelOptions } from '../nn/parallel/distributed';
import type { InitOptions, CollectiveOptions } from '../distributed';
import type { ResNetOptions } from '../models/resnet';
import type { SaveOptions } from '../serialization/save';
import type { LoadOptions as TorchLoadOptions } from '../serialization/load';
import type { LoadOptions as JitLoadOptions } from '../jit';
import type { LoadOptions as ExportLoadOptions } from '../export';
import type { ClassifierOptions, PreprocessOptions } from '../train/classify';
import type { ProgressOptions } from '../train/progress';
import type { ReportOptions } from '../train/report';
import type { FitOptions } from '../train/fit_options';
import type { TrainOptions } from '../train/options';
import type { EvaluateOptions } from '../train/evaluate';
import type { TrainStepOptions } from '../train/step';
import { optionKeys } from './options';

export const GRAD_SCALER = optionKeys<GradScalerOptions>({ initScale: true, growthFactor: true, backoffFactor: true, growthInterval: true, enabled: true });
export const DATA_LOADER = optionKeys<DataLoaderOptions>({ batchSize: true, shuffle: true, dropLast: true, transform: true, device: true, pinMemory: true, seed: true, sampler: true });
export const DISTRIBUTED_SAMPLER = optionKeys<DistributedSamplerOptions>({ numReplicas: true, rank: true, shuffle: true, seed: true, dropLast: true });
export const CIFAR10 = optionKeys<CIFAR10Options>({ root: true, train: true, download: true, device: true, url: true, md5: true, progress: true, recordsPerFile: true });
export const DOWNLOAD = optionKeys<DownloadOptions>({ url: true, md5: true, progress: true, maxRedirects: true });
export const RESIZE = optionKeys<ResizeOptions>({ mode: true, antialias: true });
export const DECODE = optionKeys<DecodeOptions>({ channels: true, maxMegapixels: true });
export const SUMMARY_WRITER = optionKeys<SummaryWriterOptions>({ logDir: true, comment: true, maxQueue: true, flushSecs: true, filenameSuffix: true });
export const ADD_SCALAR = optionKeys<ScalarOptions>({ newStyle: true, doublePrecision: true });
export const DDP = optionKeys<DistributedDataParallelOptions>({ broadcastBuffers: true, bucketCapMb: true, findUnusedParameters: true, gradientAsBucketView: true, trace: true });
export const INIT_PROCESS_GROUP = optionKeys<InitOptions>({ backend: true, initMethod: true, rank: true, worldSize: true, timeout: true });
export const COLLECTIVE = optionKeys<CollectiveOptions>({ asyncOp: true });
export const RESNET = optionKeys<ResNetOptions>({ numClasses: true, shortcut: true });
export const SAVE = optionKeys<SaveOptions>({ forceZip64: true });
export const TORCH_LOAD = optionKeys<TorchLoadOptions>({ device: true, mapLocation: true, mmap: true });
export const JIT_LOAD = optionKeys<JitLoadOptions>({ device: true });
export const EXPORT_LOAD = optionKeys<ExportLoadOptions>({ device: true, runners: true });
export const CLASSIFIER = optionKeys<ClassifierOptions>({ device: true });
export const PREPROCESS = optionKeys<PreprocessOptions>({ size: true, mean: true, std: true, device: true });
export const PROGRESS = optionKeys<ProgressOptions>({ mode: true, stream: true, everySeconds: true, redrawSeconds: true, columns: true, now: true });
export const REPORT = optionKeys<ReportOptions>({ logFile: true, dataRoot: true, limitTest: true, device: true, evaluate: true, misclassified: true });
export const EVALUATE = optionKeys<EvaluateOptions>({
  batchSize: true, device: true, numClasses: true, lossFn: true, metrics: true, forward: true, progress: true, signal: true, predictions: true,
});
export const TRAIN_STEP = optionKeys<TrainStepOptions>({ lossFn: true, amp: true, scaler: true, channelsLast: true, cudaGraphs: true, warmupSteps: true });
export const FIT = optionKeys<FitOptions>({
  trainLoader: true, testLoader: true, optimizer: true, scheduler: true, schedulerStep: true, epochs: true, lossFn: true,
  metrics: true, callbacks: true, checkpointDir: true, resume: true, monitor: true, logFile: true, progress: true,
  progressEvery: true, progressColumns: true, extraState: true, resumeSchedule: true, print: true, maxEpochsThisRun: true,
  handleSigint: true, channelsLast: true, amp: true, scaler: true, cudaGraphs: true, signal: true, gradientSync: true, saveFiles: true,
});
export const TRAIN = optionKeys<TrainOptions>({
  dataRoot: true, download: true, device: true, epochs: true, batchSize: true, testBatchSize: true, lr: true, momentum: true,
  weightDecay: true, nesterov: true, schedule: true, warmupEpochs: true, depth: true, shortcut: true, labelSmoothing: true,
  augment: true, seed: true, checkpointDir: true, resume: true, limitTrain: true, limitTest: true, logFile: true, progress: true,
  progressEvery: true, progressColumns: true, print: true, maxEpochsThisRun: true, signal: true, handleSigint: true,
  channelsLast: true, amp: true, cudnnBenchmark: true, cudaGraphs: true, fusedSgd: true, numThreads: true, report: true,
  tensorboard: true, tensorboardEvery: true, distributed: true,
});
export { readOptions } from './options';
