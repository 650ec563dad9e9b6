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

// The version a libtorch folder declares: a pip install's torch/version.py ("2.13.0+cpu"), a libtorch
// zip's build-version, else the headers (1.x keep it in torch/csrc/api/include/torch/version.h, 2.x in
// torch/headeronly/version.h, which the former includes).
function versionOf(root, includeDir) {
  const versionPy = path.join(root, 'version.py');
  if (fs.existsSync(versionPy)) {
    const m = fs.readFileSync(versionPy, 'utf8').match(/^__version__\s*=\s*['"]([^'"]+)['"]/m);
    if (m) return m[1];
  }
  const buildVersion = path.join(root, 'build-version');
  if (fs.existsSync(buildVersion)) return fs.readFileSync(buildVersion, 'utf8').trim();
  for (const rel of ['torch/headeronly/version.h', 'torch/csrc/api/include/torch/version.h']) {
    const header = path.join(includeDir, rel);
    if (!fs.existsSync(header)) continue;
    const text = fs.readFileSync(header, 'utf8');
    const part = (name) => (text.match(new RegExp(`#define TORCH_VERSION_${name} (\\d+)`)) || [])[1];
    const [major, minor, patch] = [part('MAJOR'), part('MINOR'), part('PATCH')];
    if (major !== undefined) return `${major}.${minor}.${patch}`;
  }
  return undefined;
}

// The C++ standard the libtorch asks for (TorchConfig.cmake sets CXX_STANDARD on its target: 14 in 1.13,
// 17 in early 2.x, 20 in recent ones), never below the C++17 this addon is written in.
function cxxStandard(cmakePrefix) {
  for (const rel of ['share/cmake/Torch/TorchConfig.cmake', 'Torch/TorchConfig.cmake']) {
    const file = path.join(cmakePrefix, rel);
    if (!fs.existsSync(file)) continue;
    const m = fs.readFileSync(file, 'utf8').match(/CXX_STANDARD\s+(\d+)/);
    if (m) return Math.max(17, Number(m[1]));
  }
  return 17;
}

function hasCuda(libDir) {
  return fs.existsSync(path.join(libDir, 'libtorch_cuda.so'));
}

function describe(source, cmakePrefix, includeDir, libDir, extra = {}) {
  const version = extra.version || versionOf(extra.root || cmakePrefix, includeDir) || 'unknown';
  return {
    source,
    version: version.replace(/\+.*$/, '').replace(/a0$/, ''),
    fullVersion: version,
    cmakePrefix,
    includeDirs: [includeDir, path.join(includeDir, 'torch/csrc/api/include')],
    libDir,
    cuda: hasCuda(libDir),
    cxx11Abi: extra.cxx11Abi === undefined ? 1 : extra.cxx11Abi,
    cxxStd: cxxStandard(cmakePrefix),
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

// Every libtorch this machine offers, in the order they are tried (the first one is used).
function findAll() {
  const all = [];
  for (const find of [fromEnv, fromPython, fromSystem]) {
    try {
      const found = find();
      if (found) all.push(found);
    } catch (e) {
      all.push({ source: 'LIBTORCH', error: e.message.split('\n')[0] });
    }
  }
  return all;
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
    cflags: [
      `-D_GLIBCXX_USE_CXX11_ABI=${found.cxx11Abi}`,
      ...(found.cuda ? ['-DTORCH_NODE_WITH_CUDA=1'] : []),
      // torch.distributed's gloo group needs gloo's headers (Debian's libgloo-dev), as in CMakeLists.txt.
      ...(fs.existsSync('/usr/include/gloo/context.h') ? ['-DTORCH_NODE_WITH_GLOO=1'] : []),
    ],
    includeDirs: found.cuda ? [...found.includeDirs, ...cudaIncludeDirs(found)] : found.includeDirs,
    ldflags: [`-L${found.libDir}`, `-Wl,-rpath,${found.libDir}`],
    libs,
  };
}

module.exports = { findLibtorch, findAll, gypFlags, HOW_TO_FIX };

if (require.main === module) {
  const what = process.argv[2] || '--summary';
  try {
    const found = findLibtorch();
    const flags = gypFlags(found);
    const line = (f) => `libtorch ${f.fullVersion} from ${f.source} at ${f.cmakePrefix} (${f.cuda ? 'CUDA' : 'CPU only'})`;
    const out = {
      '--summary': () => line(found),
      '--all': () => findAll().map((f, i) => (f.error ? `  ${f.source}: ${f.error}` : `${i === 0 ? '* ' : '  '}${line(f)}`)).join('\n'),
      '--cxx-std': () => String(found.cxxStd),
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
