// torch.utils.tensorboard: SummaryWriter writing TensorBoard's event files.
export { SummaryWriter, imageToHWC } from './writer';
export type { SummaryWriterOptions, ScalarOptions, ImageFormat } from './writer';
export { crc32c, maskedCrc32c } from './crc32c';
export { frameRecord } from './record';
