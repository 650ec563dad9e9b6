#!/usr/bin/env node
'use strict';
// The package's install step. Takes a prebuilt binary when one was built against the libtorch flavour
// found here (scripts/prebuilds.js; the same choice is made again at load time, so installing with
// --ignore-scripts works too); otherwise,
// or with --build-from-source, builds from source with node-gyp (binding.gyp). When neither works,
// says which libtorch was found, which the binary needs, and how to fix it.
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { findLibtorch, HOW_TO_FIX } = require('./find-libtorch');
const prebuilds = require('./prebuilds');

const root = path.join(__dirname, '..');
const log = (msg) => console.log(`libtorch-node: ${msg}`);

function fail(msg) {
  console.error(`libtorch-node: ${msg}`);
  process.exit(1);
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
  const present = prebuilds.list(root);
  const pick = present.find((p) => prebuilds.fits(p.record, found));
  if (!forced && pick) {
    log(`using the prebuilt binary ${pick.record.flavour} (libtorch ${pick.record.fullVersion || pick.record.libtorch})`);
    return;
  }
  const have = present.map((p) => p.record.flavour).join(', ') || 'none';
  const why = forced ? '--build-from-source' : `no prebuilt binary for libtorch ${found.fullVersion} (prebuilt: ${have})`;
  const result = buildFromSource(found, why);
  if (result.ok) return;
  fail(
    [
      `could not build from source (${result.error}).`,
      `Found libtorch ${found.version} (${found.cuda ? 'CUDA' : 'CPU'}) from ${found.source} at ${found.libDir}.`,
      `Prebuilt binaries in this package: ${have}.`,
      'To fix: install a C++ compiler (g++), make and python3 so the addon can be built, or provide the',
      'libtorch the prebuilt binary was made for.',
      HOW_TO_FIX,
    ].join('\n'),
  );
}

main();
