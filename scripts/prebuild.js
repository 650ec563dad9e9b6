#!/usr/bin/env node
'use strict';
// `npm pack`'s prepack step (and `npm run build:prebuild`): the prebuilt binary for this platform and the
// libtorch found, made by prebuildify (`--napi --strip`, driving node-gyp with binding.gyp), kept in a folder
// of its own per libtorch flavour:
//   prebuilds/<platform>-<arch>/<flavour>/libtorch-node.node   (flavour: torch-2.14.1-cu130, torch-1.13.0-cpu…)
//   prebuilds/<platform>-<arch>/<flavour>/libtorch.json        (version, CUDA, C++ ABI, library folder)
// Binaries made earlier for other libtorch flavours stay, so one `npm pack` can carry several; lib/native.ts
// picks the one that matches the libtorch it finds at load time.
// prebuildify runs in a scratch copy of the sources: node-gyp would otherwise rebuild the checkout's own build/.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { findLibtorch, flavour } = require('./find-libtorch');

const root = path.join(__dirname, '..');
const found = findLibtorch();
const platform = `${process.platform}-${process.arch}`;
const dir = path.join(root, 'prebuilds', platform, flavour(found));
const binary = path.join(dir, 'libtorch-node.node');

function buildEnv() {
  const env = { ...process.env, JOBS: process.env.JOBS || 'max' };
  // Headers of the running node (no download): a Node install ships them in include/node.
  const nodeDir = path.dirname(path.dirname(process.execPath));
  if (!env.npm_config_nodedir && fs.existsSync(path.join(nodeDir, 'include/node/node_api.h'))) env.npm_config_nodedir = nodeDir;
  try {
    execFileSync('ccache', ['--version'], { stdio: 'ignore' });
    env.CXX = env.CXX || 'ccache g++';
    env.CC = env.CC || 'ccache gcc';
  } catch {
    /* no ccache: plain compiler */
  }
  return env;
}

// prebuildify in a scratch folder holding what binding.gyp reads; returns the binary it made.
function prebuildify() {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'libtorch-node-prebuild-'));
  for (const entry of ['native', 'scripts', 'binding.gyp', 'package.json']) {
    fs.cpSync(path.join(root, entry), path.join(scratch, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(scratch, 'node_modules'));
  const args = [
    require.resolve('prebuildify/bin.js'),
    '--napi',
    '--strip',
    // This node's version, not prebuildify's default of the newest node: the headers are the ones at hand.
    '--target', process.versions.node,
    // The node-gyp of devDependencies (an executable script), not whichever is on PATH.
    '--node-gyp', require.resolve('node-gyp/bin/node-gyp.js'),
  ];
  execFileSync(process.execPath, args, { cwd: scratch, stdio: 'inherit', env: buildEnv() });
  return { file: path.join(scratch, 'prebuilds', platform, 'libtorch-node.node'), scratch };
}

// --no-build: the binary `npm run build:native` (cmake-js, as CI builds) made, stripped.
function fromCmakeBuild() {
  const built = path.join(root, 'build/Release/torch_node.node');
  if (!fs.existsSync(built)) throw new Error(`prebuild --no-build: ${built} does not exist (run npm run build:native)`);
  const copy = `${binary}.tmp`;
  fs.copyFileSync(built, copy);
  try {
    execFileSync('strip', ['--strip-unneeded', copy], { stdio: 'ignore' });
  } catch {
    /* strip is optional */
  }
  return { file: copy };
}

fs.mkdirSync(dir, { recursive: true });
const made = process.argv.includes('--no-build') ? fromCmakeBuild() : prebuildify();
if (!fs.existsSync(made.file)) throw new Error(`prebuild: no binary was made at ${made.file}`);
fs.copyFileSync(made.file, `${binary}.tmp2`);
fs.renameSync(`${binary}.tmp2`, binary);
if (made.file.endsWith('.tmp')) fs.rmSync(made.file);
if (made.scratch) fs.rmSync(made.scratch, { recursive: true, force: true });

const record = {
  flavour: flavour(found),
  libtorch: found.version,
  fullVersion: found.fullVersion,
  cuda: found.cuda,
  cudaVersion: found.cudaVersion || null,
  cxx11Abi: found.cxx11Abi,
  libDir: found.libDir,
  source: found.source,
  platform,
};
const file = path.join(dir, 'libtorch.json');
fs.writeFileSync(`${file}.tmp`, JSON.stringify(record, null, 2) + '\n');
fs.renameSync(`${file}.tmp`, file);
const size = (fs.statSync(binary).size / 1e6).toFixed(1);
console.log(`prebuild: ${path.relative(root, binary)} (${size} MB) for libtorch ${found.fullVersion} (${found.cuda ? 'CUDA' : 'CPU'})`);
