// Loads the compiled addon (prebuilt or built from source) through node-gyp-build, and hands it
// the TorchError class so that native errors are instances of it.
import * as fs from 'fs';
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
    const record = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'libtorch.json');
    let needs = '';
    if (fs.existsSync(record)) {
      const r = JSON.parse(fs.readFileSync(record, 'utf8'));
      needs = `The prebuilt binary needs libtorch ${r.libtorch} (${r.cuda ? 'CUDA' : 'CPU'}) in ${r.libDir}.\n`;
    }
    throw new TorchError(
      `libtorch-node: the native addon could not be loaded (${message}).\n${needs}` +
        'Build it from source for the libtorch you have: `npm rebuild libtorch-node --build-from-source` ' +
        '(allow its install script in package.json "allowScripts"), or `npm run build:native` in a checkout. ' +
        'libtorch comes from `apt-get install libtorch-dev`, a PyTorch install, or LIBTORCH=/path/to/libtorch.',
    );
  }
}

export const native: any = loadAddon();
native.setErrorClass(TorchError);
