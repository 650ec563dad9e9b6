// torchvision's image I/O and transforms for Node: decode PNG/JPEG into tensors, resize, normalize,
// encode back to PNG.
export { decodeImage, encodePng, toPng } from './image';
export type { DecodeOptions } from './image';
export { resize, normalize } from './transforms';
export type { ResizeOptions } from './transforms';
