#!/usr/bin/env node
'use strict';
// The package's install step. Takes the prebuilt binary when it was built against the libtorch
// found here (same version, same library folder: the binary's rpath points there); otherwise,
// or with --build-from-source, builds from source with node-gyp (binding.gyp). When neither works,
// says which libtorch was found, which the binary needs, and how to fix it.
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { findLibtorch, HOW_TO_FIX } = require('./find-libtorch');

const root = path.join(__dirname, '..');
const log = (msg) => console.log(`libtorch-node: ${msg}`);

function fail(msg) {
  console.error(`libtorch-node: ${msg}`);
  process.exit(1);
}

function prebuiltRecord() {
  const file = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'libtorch.json');
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined;
}

function buildFromSource(found, why) {
  log(`building from source against libtorch ${found.version} from ${found.source} (${why})`);
  // npm hands its bundled node-gyp to install scripts; fall back to the one in node_modules.
  let gyp = process.env.npm_config_node_gyp;
  if (!gyp || !fs.existsSync(gyp)) {
    try {
      gyp = require.resolve('node-gyp/bin/node-gyp.js');
    } catch {
      gyp = undefined;
    }
  }
  if (!gyp) return { ok: false, error: 'node-gyp was not found' };
  const r = spawnSync(process.execPath, [gyp, 'rebuild', '--jobs=max'], { cwd: root, stdio: 'inherit' });
  return { ok: r.status === 0, error: r.error ? r.error.message : `node-gyp exited with ${r.status}` };
}

function main() {
  let found;
  try {
    found = findLibtorch();
  } catch (e) {
    fail(e.message);
  }
  const forced = process.env.npm_config_build_from_source === 'true' || process.argv.includes('--build-from-source');
  const record = prebuiltRecord();
  const fits = record && record.libtorch === found.version && record.cuda === found.cuda && record.libDir === found.libDir;
  if (!forced && fits) {
    log(`using the prebuilt binary (libtorch ${record.libtorch}, ${record.cuda ? 'CUDA' : 'CPU'})`);
    return;
  }
  const why = forced
    ? '--build-from-source'
    : record
      ? `the prebuilt binary needs libtorch ${record.libtorch} at ${record.libDir}, found ${found.version} at ${found.libDir}`
      : `no prebuilt binary for ${process.platform}-${process.arch}`;
  const result = buildFromSource(found, why);
  if (result.ok) return;
  fail(
    [
      `could not build from source (${result.error}).`,
      `Found libtorch ${found.version} (${found.cuda ? 'CUDA' : 'CPU'}) from ${found.source} at ${found.libDir}.`,
      record
        ? `The prebuilt binary needs libtorch ${record.libtorch} (${record.cuda ? 'CUDA' : 'CPU'}) at ${record.libDir}.`
        : `There is no prebuilt binary for ${process.platform}-${process.arch}.`,
      'To fix: install a C++ compiler (g++), make and python3 so the addon can be built, or provide the',
      'libtorch the prebuilt binary was made for.',
      HOW_TO_FIX,
    ].join('\n'),
  );
}

main();
