#!/usr/bin/env node
'use strict';
// Builds the addon for this platform against the libtorch found (cmake-js) and places it where
// node-gyp-build looks: prebuilds/<platform>-<arch>/libtorch-node.napi.node, with libtorch.json
// recording the libtorch it was built against (checked by scripts/install.js on users' machines).
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const { findLibtorch } = require('./find-libtorch');

const root = path.join(__dirname, '..');
const found = findLibtorch();
if (!process.argv.includes('--no-build')) {
  execFileSync(process.execPath, [require.resolve('cmake-js/bin/cmake-js'), 'compile', '--out', 'build'], {
    cwd: root,
    stdio: 'inherit',
  });
}
const built = path.join(root, 'build/Release/torch_node.node');
if (!fs.existsSync(built)) throw new Error(`prebuild: ${built} is missing; build the addon first`);

const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
fs.mkdirSync(dir, { recursive: true });
const target = path.join(dir, 'libtorch-node.napi.node');
fs.copyFileSync(built, `${target}.tmp`);
try {
  // Debug sections are most of the file's size; the tarball ships without them.
  execFileSync('strip', ['--strip-unneeded', `${target}.tmp`], { stdio: 'ignore' });
} catch {
  /* strip is optional */
}
fs.renameSync(`${target}.tmp`, target);
const record = {
  libtorch: found.version,
  cuda: found.cuda,
  cxx11Abi: found.cxx11Abi,
  libDir: found.libDir,
  source: found.source,
  platform: `${process.platform}-${process.arch}`,
};
fs.writeFileSync(path.join(dir, 'libtorch.json'), JSON.stringify(record, null, 2) + '\n');
console.log(`prebuild: ${path.relative(root, target)} for libtorch ${found.version} (${found.cuda ? 'CUDA' : 'CPU'})`);
