// torchvision.datasets / transforms and torch.utils.data for CIFAR-10: `import { data } from 'libtorch-node'`.
export {
  CIFAR10,
  defaultCifar10Root,
  resolveCifar10Folder,
  readCifar10Classes,
  readCifar10Records,
  cifar10Tensors,
  cifar10FilesPresent,
  CIFAR10_URL,
  CIFAR10_MD5,
  CIFAR10_FOLDER,
} from './cifar10';
export type { CIFAR10Options } from './cifar10';
export { download, downloadFile, extractTarGz, md5File } from './download';
export type { DownloadOptions } from './download';
export { readTar, safeEntryPath } from './tar';
export type { TarEntry } from './tar';
export {
  randomCrop,
  randomCropWith,
  randomCropFlip,
  randomCropFlipWith,
  randomHorizontalFlip,
  flipWith,
  toFloat,
  normalize,
  compose,
  cifar10TrainTransform,
  cifar10TestTransform,
  CIFAR10_MEAN,
  CIFAR10_STD,
} from './transforms';
export type { Transform } from './transforms';
export { DataLoader, TensorDataset, Generator } from './dataloader';
export type { DataLoaderOptions, Batch, TensorBatch, TensorDatasetLike, Sampler } from './dataloader';
export { DistributedSampler } from './distributed_sampler';
export type { DistributedSamplerOptions } from './distributed_sampler';
