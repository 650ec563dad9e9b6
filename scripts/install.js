#!/usr/bin/env node
'use strict';
// The package's install step. In order:
//   1. --build-from-source (or npm_config_build_from_source): build with node-gyp (binding.gyp);
//   2. a build already in build/ (`npm run build:native` in a clone, or an earlier install) is kept:
//      lib/native.ts loads it first, so rebuilding would only cost minutes;
//   3. a prebuilt binary built against the libtorch flavour found here (scripts/prebuilds.js; the same
//      choice is made again at load time, so installing with --ignore-scripts works too);
//   4. installed as a copy of a clone (npm's `file:` spec with install-links): the clone's own build,
//      copied. (`npx libtorch-node` inside a clone links the clone into npx's cache and runs this step in
//      the clone itself: case 2 keeps its build, where node-gyp used to rebuild it for minutes, silently);
//   5. otherwise build from source with node-gyp, saying so and showing each file compiled.
// When nothing works, says which libtorch was found, which the binary needs, and how to fix it.
const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');
const { findLibtorch, HOW_TO_FIX } = require('./find-libtorch');
const prebuilds = require('./prebuilds');

const root = path.join(__dirname, '..');
const ADDON = path.join('build', 'Release', 'torch_node.node');

// npm runs a dependency's install script with its output hidden (shown only when it fails): what the
// user must see (a build of several minutes) also goes to the terminal itself when there is one.
let tty = null;
if (!process.stdout.isTTY) {
  try {
    tty = fs.openSync('/dev/tty', 'w');
  } catch {
    tty = null;
  }
}
function log(msg) {
  console.log(`libtorch-node: ${msg}`);
  if (tty !== null) {
    try {
      fs.writeSync(tty, `libtorch-node: ${msg}\n`);
    } catch {
      tty = null;
    }
  }
}

function fail(msg) {
  console.error(`libtorch-node: ${msg}`);
  process.exit(1);
}

/** The folder of the clone this package was installed from (npm's `file:` spec), or null. */
function installedFrom(resolved, installRoot) {
  if (!resolved || !resolved.startsWith('file:')) return null;
  const spec = resolved.slice('file:'.length);
  // npm writes a directory spec relative to the project that installs it (npx's cache folder).
  const project = path.basename(path.dirname(installRoot)) === 'node_modules' ? path.dirname(path.dirname(installRoot)) : installRoot;
  const dir = path.resolve(project, spec);
  return fs.existsSync(dir) && fs.statSync(dir).isDirectory() && path.resolve(dir) !== path.resolve(installRoot) ? dir : null;
}

/** A source build in `dir` made for the libtorch found (cmake-js records its library folder; node-gyp builds do not). */
function sourceBuild(dir, found) {
  if (!dir || !fs.existsSync(path.join(dir, ADDON))) return null;
  const record = path.join(dir, 'build', 'libtorch.cmake');
  if (fs.existsSync(record)) {
    const m = fs.readFileSync(record, 'utf8').match(/set\(TN_LIB_DIR "([^"]*)"\)/);
    if (m && found && path.resolve(m[1]) !== path.resolve(found.libDir)) return null;
  }
  return path.join(dir, ADDON);
}

/**
 * What the install step does, from what is at hand (no side effects; test/install_decision.test.ts):
 * { action: 'build' | 'keep' | 'prebuilt' | 'copy', why, from? }.
 */
function decide({ forced, ownBuild, prebuilt, checkoutBuild, found, have }) {
  if (forced) return { action: 'build', why: '--build-from-source' };
  if (ownBuild) return { action: 'keep', why: `keeping the build in ${ownBuild}, not rebuilding it (delete build/ or pass --build-from-source to rebuild)` };
  if (prebuilt) return { action: 'prebuilt', why: `using the prebuilt binary ${prebuilt.record.flavour} (libtorch ${prebuilt.record.fullVersion || prebuilt.record.libtorch})` };
  if (checkoutBuild) return { action: 'copy', from: checkoutBuild, why: `using the build of the clone this was installed from, ${checkoutBuild} (copied, not rebuilt)` };
  return { action: 'build', why: `no build in build/, no prebuilt binary for libtorch ${found.fullVersion} (prebuilt: ${have}) and no clone's build to copy` };
}

const sources = () => fs.readdirSync(path.join(root, 'native')).filter((f) => f.endsWith('.cc'));

// node-gyp with make prints one `CXX(target) Release/obj.target/torch_node/native/x.o` line per file.
function progressFrom(total, report = log) {
  let done = 0;
  let rest = '';
  return (chunk) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop();
    for (const line of lines) {
      const m = line.match(/CXX\(target\) .*\/(native\/[\w.-]+)\.o/);
      if (m) report(`compiling ${m[1]}.cc (${++done}/${total})`);
    }
  };
}

function buildFromSource(found, why) {
  const total = sources().length;
  log(`building the native addon from source against libtorch ${found.version} from ${found.source} (${why}):`);
  log(`${total} C++ files with node-gyp, several minutes on a few cores; a prebuilt binary or \`npm run build:native\` in a clone avoids it`);
  // npm hands its bundled node-gyp to install scripts; fall back to the one in node_modules.
  let gyp = process.env.npm_config_node_gyp;
  if (!gyp || !fs.existsSync(gyp)) {
    try {
      gyp = require.resolve('node-gyp/bin/node-gyp.js');
    } catch {
      gyp = undefined;
    }
  }
  if (!gyp) return Promise.resolve({ ok: false, error: 'node-gyp was not found' });
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [gyp, 'rebuild', '--jobs=max'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const progress = progressFrom(total);
    child.stdout.on('data', (d) => {
      process.stdout.write(d);
      progress(String(d));
    });
    child.stderr.on('data', (d) => process.stderr.write(d));
    child.on('error', (e) => resolve({ ok: false, error: e.message }));
    child.on('close', (code) => {
      if (code === 0) log('built build/Release/torch_node.node');
      resolve({ ok: code === 0, error: `node-gyp exited with ${code}` });
    });
  });
}

async function main() {
  let found;
  try {
    found = findLibtorch();
  } catch (e) {
    fail(e.message);
  }
  const present = prebuilds.list(root);
  const have = present.map((p) => p.record.flavour).join(', ') || 'none';
  const plan = decide({
    forced: process.env.npm_config_build_from_source === 'true' || process.argv.includes('--build-from-source'),
    ownBuild: fs.existsSync(path.join(root, ADDON)) ? ADDON : null,
    prebuilt: present.find((p) => prebuilds.fits(p.record, found)),
    checkoutBuild: sourceBuild(installedFrom(process.env.npm_package_resolved, root), found),
    found,
    have,
  });
  if (plan.action === 'keep' || plan.action === 'prebuilt') return log(plan.why);
  if (plan.action === 'copy') {
    fs.mkdirSync(path.join(root, 'build', 'Release'), { recursive: true });
    fs.copyFileSync(plan.from, path.join(root, `${ADDON}.tmp`));
    fs.renameSync(path.join(root, `${ADDON}.tmp`), path.join(root, ADDON));
    return log(plan.why);
  }
  const result = await buildFromSource(found, plan.why);
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

if (require.main === module) main();

module.exports = { decide, installedFrom, sourceBuild, progressFrom };
