#!/usr/bin/env node
'use strict';
// `npm pack`'s prepack step (and `npm run build:prebuild`): the prebuilt binary for this platform and
// the libtorch found, made by prebuildify (`--napi --strip`, driving node-gyp with binding.gyp) into
// prebuilds/<platform>-<arch>/libtorch-node.node (prebuildify 6 names a Node-API build after the package
// alone), where node-gyp-build looks; then libtorch.json
// beside it records the libtorch it was built against (checked by scripts/install.js on users' machines).
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const { findLibtorch } = require('./find-libtorch');

const root = path.join(__dirname, '..');
const found = findLibtorch();
const env = { ...process.env, JOBS: process.env.JOBS || 'max' };
// Headers of the running node (no download): a Node install ships them in include/node.
const nodeDir = path.dirname(path.dirname(process.execPath));
if (!env.npm_config_nodedir && fs.existsSync(path.join(nodeDir, 'include/node/node_api.h'))) env.npm_config_nodedir = nodeDir;
// Rebuilds are much faster through ccache where there is one.
try {
  execFileSync('ccache', ['--version'], { stdio: 'ignore' });
  env.CXX = env.CXX || 'ccache g++';
  env.CC = env.CC || 'ccache gcc';
} catch {
  /* no ccache: plain compiler */
}

const args = [
  require.resolve('prebuildify/bin.js'),
  '--napi',
  '--strip',
  // This node's version, not prebuildify's default of the newest node: the headers are the ones at hand.
  '--target', process.versions.node,
  // The node-gyp of devDependencies (an executable script), not whichever is on PATH.
  '--node-gyp', require.resolve('node-gyp/bin/node-gyp.js'),
];
// --no-build: only the record, for a binary already in place.
if (!process.argv.includes('--no-build')) execFileSync(process.execPath, args, { cwd: root, stdio: 'inherit', env });

const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
const binary = path.join(dir, 'libtorch-node.node');
const cmakeBuilt = path.join(root, 'build/Release/torch_node.node');
if (process.argv.includes('--no-build') && !fs.existsSync(binary) && fs.existsSync(cmakeBuilt)) {
  // --no-build after `npm run build:native` (cmake-js, as CI builds): that binary, stripped, is the prebuild.
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(cmakeBuilt, `${binary}.tmp`);
  try {
    execFileSync('strip', ['--strip-unneeded', `${binary}.tmp`], { stdio: 'ignore' });
  } catch {
    /* strip is optional */
  }
  fs.renameSync(`${binary}.tmp`, binary);
}
if (!fs.existsSync(binary)) throw new Error(`prebuild: prebuildify did not write ${binary}`);
const record = {
  libtorch: found.version,
  cuda: found.cuda,
  cxx11Abi: found.cxx11Abi,
  libDir: found.libDir,
  source: found.source,
  platform: `${process.platform}-${process.arch}`,
};
const file = path.join(dir, 'libtorch.json');
fs.writeFileSync(`${file}.tmp`, JSON.stringify(record, null, 2) + '\n');
fs.renameSync(`${file}.tmp`, file);
console.log(`prebuild: ${path.relative(root, binary)} for libtorch ${found.version} (${found.cuda ? 'CUDA' : 'CPU'})`);
