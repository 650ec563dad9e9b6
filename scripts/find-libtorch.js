#!/usr/bin/env node
'use strict';
// Finds the libtorch to build against. One module for both build files:
// CMakeLists.txt asks it for the CMake prefix, binding.gyp for compiler and linker flags.
// Order: $LIBTORCH, then the PyTorch that `python3 -c "import torch"` finds (its bundled
// libtorch, CUDA included), then Debian's system libtorch (apt-get install libtorch-dev).
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const HOW_TO_FIX = [
  'libtorch-node needs libtorch (PyTorch\'s C++ library). Provide it in one of three ways:',
  '  1. set LIBTORCH to a libtorch folder (the one with include/, lib/ and share/cmake/Torch/),',
  '  2. install PyTorch so that `python3 -c "import torch"` works (its bundled libtorch is used),',
  '  3. on Debian/Ubuntu: apt-get install libtorch-dev',
].join('\n');

function versionFromHeader(includeDir) {
  const header = path.join(includeDir, 'torch/csrc/api/include/torch/version.h');
  if (!fs.existsSync(header)) return undefined;
  const text = fs.readFileSync(header, 'utf8');
  const part = (name) => (text.match(new RegExp(`#define TORCH_VERSION_${name} (\\d+)`)) || [])[1];
  const [major, minor, patch] = [part('MAJOR'), part('MINOR'), part('PATCH')];
  return major === undefined ? undefined : `${major}.${minor}.${patch}`;
}

function hasCuda(libDir) {
  return fs.existsSync(path.join(libDir, 'libtorch_cuda.so'));
}

function describe(source, cmakePrefix, includeDir, libDir, extra = {}) {
  const version = extra.version || versionFromHeader(includeDir) || 'unknown';
  return {
    source,
    version: version.replace(/\+.*$/, '').replace(/a0$/, ''),
    fullVersion: version,
    cmakePrefix,
    includeDirs: [includeDir, path.join(includeDir, 'torch/csrc/api/include')],
    libDir,
    cuda: hasCuda(libDir),
    cxx11Abi: extra.cxx11Abi === undefined ? 1 : extra.cxx11Abi,
  };
}

function fromEnv() {
  const root = process.env.LIBTORCH;
  if (!root) return undefined;
  const cmake = path.join(root, 'share/cmake/Torch/TorchConfig.cmake');
  if (!fs.existsSync(cmake)) {
    throw new Error(`LIBTORCH=${root} is not a libtorch folder: ${cmake} does not exist.\n${HOW_TO_FIX}`);
  }
  return describe('LIBTORCH', root, path.join(root, 'include'), path.join(root, 'lib'));
}

function fromPython() {
  const script = [
    'import os, torch',
    'print(os.path.dirname(torch.__file__))',
    'print(torch.__version__)',
    'print(int(getattr(torch._C, "_GLIBCXX_USE_CXX11_ABI", True)))',
  ].join('; ');
  for (const python of [process.env.PYTHON, 'python3'].filter(Boolean)) {
    let out;
    try {
      out = execFileSync(python, ['-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      continue;
    }
    const [dir, version, abi] = out.trim().split('\n');
    // Debian's python3-torch has no bundled libtorch (no share/cmake): fall through to the system one.
    if (!fs.existsSync(path.join(dir, 'share/cmake/Torch/TorchConfig.cmake'))) continue;
    return describe(`PyTorch (${python})`, dir, path.join(dir, 'include'), path.join(dir, 'lib'),
      { version, cxx11Abi: Number(abi) });
  }
  return undefined;
}

function fromSystem() {
  const candidates = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib'];
  for (const libDir of candidates) {
    if (fs.existsSync(path.join(libDir, 'cmake/Torch/TorchConfig.cmake'))) {
      return describe('system (libtorch-dev)', path.join(libDir, 'cmake'), '/usr/include', libDir);
    }
  }
  return undefined;
}

function findLibtorch() {
  const found = fromEnv() || fromPython() || fromSystem();
  if (!found) throw new Error(`No libtorch found.\n${HOW_TO_FIX}`);
  return found;
}

// CUDA headers that libtorch's CUDA headers include (cuda_runtime_api.h): CMake's FindCUDAToolkit finds
// them for cmake-js; node-gyp needs them spelled out.
function cudaIncludeDirs(found) {
  const candidates = [
    process.env.CUDA_HOME && path.join(process.env.CUDA_HOME, 'include'),
    '/usr/local/cuda/include',
    // PyTorch wheels ship the CUDA runtime headers beside torch/, under nvidia/.
    path.join(found.cmakePrefix, '..', 'nvidia', 'cuda_runtime', 'include'),
    path.join(found.cmakePrefix, '..', 'nvidia', 'cu13', 'include'),
  ].filter(Boolean);
  return candidates.filter((dir) => fs.existsSync(path.join(dir, 'cuda_runtime_api.h')));
}

function gypFlags(found) {
  const libs = ['-ltorch', '-ltorch_cpu', '-lc10'];
  // Without --no-as-needed the linker drops torch_cuda (nothing references it directly),
  // its CUDA hooks never register, and torch::cuda::is_available() reads false at run time.
  if (found.cuda) libs.push('-Wl,--no-as-needed', '-ltorch_cuda', '-lc10_cuda', '-Wl,--as-needed');
  return {
    cflags: [`-D_GLIBCXX_USE_CXX11_ABI=${found.cxx11Abi}`, ...(found.cuda ? ['-DTORCH_NODE_WITH_CUDA=1'] : [])],
    includeDirs: found.cuda ? [...found.includeDirs, ...cudaIncludeDirs(found)] : found.includeDirs,
    ldflags: [`-L${found.libDir}`, `-Wl,-rpath,${found.libDir}`],
    libs,
  };
}

module.exports = { findLibtorch, gypFlags, HOW_TO_FIX };

if (require.main === module) {
  const what = process.argv[2] || '--summary';
  try {
    const found = findLibtorch();
    const flags = gypFlags(found);
    const out = {
      '--summary': () => `libtorch ${found.fullVersion} from ${found.source} at ${found.cmakePrefix}` +
        ` (${found.cuda ? 'CUDA' : 'CPU only'})`,
      '--version': () => found.version,
      '--cmake-prefix': () => found.cmakePrefix,
      '--cuda': () => (found.cuda ? 'ON' : 'OFF'),
      '--cflags': () => flags.cflags.join(' '),
      '--include-dirs': () => flags.includeDirs.join(' '),
      '--ldflags': () => flags.ldflags.join(' '),
      '--libs': () => flags.libs.join(' '),
      '--json': () => JSON.stringify(found, null, 2),
    }[what];
    if (!out) throw new Error(`unknown option ${what}`);
    process.stdout.write(out() + '\n');
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
}
