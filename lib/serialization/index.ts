// torch.save / torch.load in PyTorch's own zip format (see save.ts, load.ts; zip.ts and pickle.ts
// are the container and the restricted pickle codec underneath).
export { save, saveAsync } from './save';
export type { SaveOptions } from './save';
export { load, loadAsync } from './load';
export type { LoadOptions, MapLocation } from './load';
