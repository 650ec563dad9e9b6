// torch.save / torch.load in PyTorch's own zip format (see save.ts, load.ts; zip.ts and pickle.ts
// are the container and the restricted pickle codec underneath).
export { save } from './save';
export type { SaveOptions } from './save';
export { load } from './load';
export type { LoadOptions } from './load';
