// torch.utils: TensorBoard event files and (in report/) the HTML training report.
export * as tensorboard from './tensorboard';
export { encodePng } from './png';
