'use strict';
// The prebuilt binaries a package carries, one per libtorch flavour (scripts/prebuild.js writes them), and
// the choice among them for the libtorch found on this machine. Used by the install step (scripts/install.js)
// and at load time (lib/native.ts), so that `npm install --ignore-scripts` works wherever a binary matches.
const fs = require('fs');
const path = require('path');
const os = require('os');
const { findLibtorch, flavour } = require('./find-libtorch');

const BUILD_FROM_SOURCE = 'npm rebuild libtorch-node --build-from-source (or `npm run build:native` in a checkout)';

function list(root) {
  const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  if (!fs.existsSync(dir)) return [];
  const out = [];
  for (const name of fs.readdirSync(dir).sort()) {
    const recordFile = path.join(dir, name, 'libtorch.json');
    const binary = path.join(dir, name, 'libtorch-node.node');
    if (!fs.existsSync(recordFile) || !fs.existsSync(binary)) continue;
    out.push({ binary, record: JSON.parse(fs.readFileSync(recordFile, 'utf8')) });
  }
  return out;
}

// A binary fits when it was built against the same libtorch release and flavour, with the same C++ ABI.
function fits(record, found) {
  return record.flavour === flavour(found) && record.cxx11Abi === found.cxx11Abi;
}

function describe(p) {
  const r = p.record;
  return `${r.flavour} (libtorch ${r.fullVersion || r.libtorch}, built against ${r.libDir})`;
}

// The prebuilt binary for the libtorch found, or an Error that names the libtorch, the prebuilds present and
// the command that builds from source.
function choose(root) {
  const found = findLibtorch();
  const present = list(root);
  const pick = present.find((p) => fits(p.record, found));
  if (pick) return { ...pick, found };
  const have = present.length ? present.map(describe).join('; ') : 'none';
  throw new Error(
    `no prebuilt binary for libtorch ${found.fullVersion} (${flavour(found)}, from ${found.source} at ${found.libDir}); ` +
      `prebuilt binaries present: ${have}. Build from source: ${BUILD_FROM_SOURCE}`,
  );
}

// The binary's rpath names the library folder it was built against. Where the libtorch found lives elsewhere
// (another venv, another machine), its libraries are loaded first, globally, so that the binary's needs are
// met by name (the dynamic loader reuses a library already loaded under the same soname).
function preloadLibtorch(pick) {
  if (pick.record.libDir === pick.found.libDir) return;
  const names = ['libc10.so', 'libtorch_cpu.so', 'libtorch.so'];
  if (pick.found.cuda) names.push('libc10_cuda.so', 'libtorch_cuda.so');
  const flags = os.constants.dlopen.RTLD_NOW | os.constants.dlopen.RTLD_GLOBAL;
  for (const name of names) {
    const file = path.join(pick.found.libDir, name);
    try {
      process.dlopen({ exports: {} }, file, flags);
    } catch (e) {
      // A plain library is not a Node module: Node loads it, then says so. Any other failure is real.
      if (!/self-register|Module did not/.test(e.message)) throw e;
    }
  }
}

module.exports = { list, choose, fits, preloadLibtorch, BUILD_FROM_SOURCE };
