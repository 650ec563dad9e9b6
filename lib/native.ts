// Loads the compiled addon (prebuilt or built from source) through node-gyp-build, and hands it
// the TorchError class so that native errors are instances of it.
import * as fs from 'fs';
import * as path from 'path';
import { TorchError } from './errors';
import type { NativeAddon } from './native_types';

export type * from './native_types';

// node-gyp-build: loads the addon from a package root, or says which file it would load.
interface AddonLoader {
  (root: string): NativeAddon;
  resolve(root: string): string;
}
// scripts/prebuilds.js: the prebuilt binary for the libtorch found on this machine.
interface PrebuildPick {
  binary: string;
  record: { flavour: string };
}
interface Prebuilds {
  choose(root: string): PrebuildPick;
  preloadLibtorch(pick: PrebuildPick): void;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = require('node-gyp-build') as AddonLoader;

/** The file the addon was loaded from: build/Release/torch_node.node, or a prebuilt binary. */
export let addonFile = '';

// The source build (build/Release, made by cmake-js or node-gyp) when there is one, else the prebuilt binary
// for the libtorch found on this machine (scripts/prebuilds.js: one per libtorch flavour).
function loadAddon(): NativeAddon {
  // lib/ (sources run by tsx/vitest) and dist/ (compiled) both sit one level under the package root.
  const root = path.join(__dirname, '..');
  const built = ['Release', 'Debug'].some((c) => fs.existsSync(path.join(root, 'build', c, 'torch_node.node')));
  let what = 'the source build in build/';
  try {
    if (built) {
      addonFile = load.resolve(root);
      return load(root);
    }
    what = 'a prebuilt binary';
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const prebuilds = require(path.join(root, 'scripts', 'prebuilds.js')) as Prebuilds;
    const pick = prebuilds.choose(root);
    what = `the prebuilt binary ${pick.record.flavour}`;
    prebuilds.preloadLibtorch(pick);
    addonFile = pick.binary;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(pick.binary) as NativeAddon;
  } catch (e) {
    throw new TorchError(
      `libtorch-node: the native addon could not be loaded from ${what}: ${(e as Error).message.split('\n')[0]}\n` +
        'Build it from source for the libtorch you have: `npm rebuild libtorch-node --build-from-source` ' +
        '(allow its install script in package.json "allowScripts"), or `npm run build:native` in a checkout. ' +
        'libtorch comes from `apt-get install libtorch-dev`, a PyTorch install, or LIBTORCH=/path/to/libtorch.',
    );
  }
}

export const native: NativeAddon = loadAddon();
native.setErrorClass(TorchError);
