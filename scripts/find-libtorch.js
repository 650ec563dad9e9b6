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

// The CUDA version a pip install declares (torch/version.py: cuda = '13.0'); undefined for CPU builds and
// for libtorch folders that do not say.
function cudaVersionOf(root) {
  const versionPy = path.join(root, 'version.py');
  if (!fs.existsSync(versionPy)) return undefined;
  const m = fs.readFileSync(versionPy, 'utf8').match(/^cuda(?::[^=]*)?=\s*['"]([^'"]+)['"]/m);
  return m ? m[1] : undefined;
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
    cudaVersion: hasCuda(libDir) ? cudaVersionOf(extra.root || cmakePrefix) : undefined,
    cxx11Abi: extra.cxx11Abi,
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
  const libDir = path.join(root, 'lib');
  return describe('LIBTORCH', root, path.join(root, 'include'), libDir, { cxx11Abi: cxx11AbiOf(libDir) });
}

// The C++ ABI a libtorch was built with: its libc10 names std::string as std::__cxx11::basic_string in the
// new ABI. Read from the library itself, so that no `import torch` (seconds for a CUDA wheel) is needed.
function cxx11AbiOf(libDir) {
  const lib = path.join(libDir, 'libc10.so');
  if (!fs.existsSync(lib)) return 1;
  return fs.readFileSync(lib).includes('__cxx11') ? 1 : 0;
}

// The PyTorch that `python3` would import, located without importing it (find_spec reads no module code):
// milliseconds, so that the addon's loader can ask too.
function fromPython() {
  const script = 'import importlib.util as u; s = u.find_spec("torch"); print(s.submodule_search_locations[0] if s else "")';
  for (const python of [process.env.PYTHON, 'python3'].filter(Boolean)) {
    let dir;
    try {
      dir = execFileSync(python, ['-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      continue;
    }
    // Debian's python3-torch has no bundled libtorch (no share/cmake): fall through to the system one.
    if (!dir || !fs.existsSync(path.join(dir, 'share/cmake/Torch/TorchConfig.cmake'))) continue;
    const libDir = path.join(dir, 'lib');
    return describe(`PyTorch (${python})`, dir, path.join(dir, 'include'), libDir, { cxx11Abi: cxx11AbiOf(libDir) });
  }
  return undefined;
}

function fromSystem() {
  const candidates = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib'];
  for (const libDir of candidates) {
    if (fs.existsSync(path.join(libDir, 'cmake/Torch/TorchConfig.cmake'))) {
      return describe('system (libtorch-dev)', path.join(libDir, 'cmake'), '/usr/include', libDir, { cxx11Abi: cxx11AbiOf(libDir) });
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

// CUDA headers that libtorch's CUDA headers include (cuda_runtime_api.h, and for NCCL's group the math
// libraries'): the toolkit's, or the runtime wheel's that PyTorch's CUDA wheels depend on. No CUDA kernel is
// compiled, so nothing more of CUDA is needed.
function cudaIncludeDirs(found) {
  const site = path.join(found.cmakePrefix, '..');
  const toolkits = fs.existsSync('/usr/local')
    ? fs.readdirSync('/usr/local').filter((d) => /^cuda(-[\d.]+)?$/.test(d)).sort().reverse().map((d) => path.join('/usr/local', d, 'include'))
    : [];
  const candidates = [
    process.env.CUDA_HOME && path.join(process.env.CUDA_HOME, 'include'),
    process.env.CUDA_PATH && path.join(process.env.CUDA_PATH, 'include'),
    path.join(site, 'nvidia', 'cu13', 'include'),
    path.join(site, 'nvidia', 'cuda_runtime', 'include'),
    ...toolkits,
  ].filter(Boolean);
  const dir = candidates.find((d) => fs.existsSync(path.join(d, 'cuda_runtime_api.h')));
  // c10d's ProcessGroupNCCL.hpp reaches ATen's CUDA context, which includes the math libraries' headers
  // (cusparse.h, cublas_v2.h, cusolverDn.h): a toolkit without them is completed by the wheel's.
  const math = candidates.find((d) => fs.existsSync(path.join(d, 'cusparse.h')));
  return [...new Set([dir, math].filter(Boolean))];
}

// NCCL's header, for c10d's ProcessGroupNCCL: the nvidia-nccl wheel beside a CUDA PyTorch, or a system NCCL.
// Only where the libtorch itself was built with NCCL (it ships ProcessGroupNCCL.hpp and links libnccl).
function ncclIncludeDir(found) {
  if (!found.cuda) return undefined;
  const pg = found.includeDirs.some((d) => fs.existsSync(path.join(d, 'torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp')));
  if (!pg) return undefined;
  const site = path.join(found.cmakePrefix, '..');
  const candidates = [
    process.env.NCCL_INCLUDE_DIR,
    path.join(site, 'nvidia', 'nccl', 'include'),
    '/usr/include',
    '/usr/local/include',
  ].filter(Boolean);
  return candidates.find((d) => fs.existsSync(path.join(d, 'nccl.h')));
}

// Gloo's headers, which c10d's ProcessGroupGloo.hpp includes and no libtorch ships (Debian's libgloo-dev).
// TORCH_NODE_WITHOUT_GLOO=1 builds as if they were absent (to check a gloo-less build where they are installed).
function glooIncludeDir() {
  if (process.env.TORCH_NODE_WITHOUT_GLOO === '1') return undefined;
  const candidates = [process.env.GLOO_INCLUDE_DIR, '/usr/include', '/usr/local/include'].filter(Boolean);
  return candidates.find((d) => fs.existsSync(path.join(d, 'gloo/context.h')));
}

// Everything both build files need, from one place: preprocessor definitions, include and library folders,
// libraries (in link order) and the rpath. binding.gyp takes them as flags, CMakeLists.txt as lists.
function buildSettings(found) {
  const gloo = glooIncludeDir();
  const nccl = ncclIncludeDir(found);
  const defines = [`_GLIBCXX_USE_CXX11_ABI=${found.cxx11Abi}`];
  if (found.cuda) defines.push('TORCH_NODE_WITH_CUDA=1');
  // The macros libtorch's own CMake targets carry: c10d's headers guard each backend behind them.
  if (gloo) defines.push('TORCH_NODE_WITH_GLOO=1', 'USE_C10D_GLOO=1');
  if (nccl) defines.push('TORCH_NODE_WITH_NCCL=1', 'USE_C10D_NCCL=1');
  const includeDirs = [...found.includeDirs];
  if (found.cuda) includeDirs.push(...cudaIncludeDirs(found));
  // The compiler's own folders stay off -I: naming /usr/include there breaks libstdc++'s #include_next.
  const searched = ['/usr/include', '/usr/local/include'];
  for (const dir of [gloo, nccl]) if (dir && !includeDirs.includes(dir) && !searched.includes(dir)) includeDirs.push(dir);
  const libs = ['torch', 'torch_cpu', 'c10'];
  // torch_cuda and c10_cuda are referenced by no symbol of ours on most paths, yet must stay linked: their
  // static initialisers register CUDA's hooks, without which CUDA reads as unavailable at run time.
  const keptLibs = found.cuda ? ['torch_cuda', 'c10_cuda'] : [];
  return { defines, includeDirs, libDir: found.libDir, libs, keptLibs, gloo: Boolean(gloo), nccl: Boolean(nccl) };
}

function gypFlags(found) {
  const b = buildSettings(found);
  const libs = b.libs.map((l) => `-l${l}`);
  if (b.keptLibs.length) libs.push('-Wl,--no-as-needed', ...b.keptLibs.map((l) => `-l${l}`), '-Wl,--as-needed');
  return {
    cflags: b.defines.map((d) => `-D${d}`),
    includeDirs: b.includeDirs,
    ldflags: [`-L${b.libDir}`, `-Wl,-rpath,${b.libDir}`],
    libs,
  };
}

// CMake's form of the same settings: `set()` lines that CMakeLists.txt includes.
function cmakeSettings(found) {
  const b = buildSettings(found);
  const list = (xs) => `"${xs.join(';')}"`;
  return [
    `set(TN_TORCH_SUMMARY "${summaryLine(found)}")`,
    `set(TN_CXX_STANDARD ${found.cxxStd})`,
    `set(TN_DEFINES ${list(b.defines)})`,
    `set(TN_INCLUDE_DIRS ${list(b.includeDirs)})`,
    `set(TN_LIB_DIR "${b.libDir}")`,
    `set(TN_LIBS ${list(b.libs)})`,
    `set(TN_KEPT_LIBS ${list(b.keptLibs)})`,
    `set(TN_WITH_GLOO ${b.gloo ? 'ON' : 'OFF'})`,
    `set(TN_WITH_NCCL ${b.nccl ? 'ON' : 'OFF'})`,
  ].join('\n');
}

// "libtorch 2.14.1+cu130 (CUDA 13.0) from LIBTORCH at …": how CI legs and build logs name a libtorch.
function summaryLine(f) {
  const kind = f.cuda ? `CUDA${f.cudaVersion ? ` ${f.cudaVersion}` : ''}` : 'CPU only';
  return `libtorch ${f.fullVersion} from ${f.source} at ${f.cmakePrefix} (${kind})`;
}

// A short name for the flavour of a libtorch, for prebuilt binaries' folders: "torch-2.14.1-cu130", "torch-1.13.0-cpu".
function flavour(f) {
  const cuda = f.cuda ? `cu${(f.cudaVersion || 'unknown').replace('.', '')}` : 'cpu';
  return `torch-${f.version}-${cuda}`;
}

module.exports = { findLibtorch, findAll, gypFlags, buildSettings, summaryLine, flavour, HOW_TO_FIX };

if (require.main === module) {
  const what = process.argv[2] || '--summary';
  try {
    const found = findLibtorch();
    const flags = gypFlags(found);
    const line = summaryLine;
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
      '--cmake': () => cmakeSettings(found),
      '--flavour': () => flavour(found),
    }[what];
    if (!out) throw new Error(`unknown option ${what}`);
    process.stdout.write(out() + '\n');
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
}
