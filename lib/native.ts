// Loads the compiled addon (prebuilt or built from source) through node-gyp-build, and hands it
// the TorchError class so that native errors are instances of it.
import * as path from 'path';
import { TorchError } from './errors';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const load: (dir: string) => any = require('node-gyp-build');

function loadAddon(): any {
  // lib/ (sources run by tsx/vitest) and dist/ (compiled) both sit one level under the package root.
  const root = path.join(__dirname, '..');
  try {
    return load(root);
  } catch (e) {
    const message = (e as Error).message;
    throw new TorchError(
      `libtorch-node: the native addon could not be loaded (${message}).\n` +
        'Build it with `npm run build:native` (needs libtorch: `apt-get install libtorch-dev`, a PyTorch ' +
        'install, or LIBTORCH=/path/to/libtorch).',
    );
  }
}

export const native: any = loadAddon();
native.setErrorClass(TorchError);
