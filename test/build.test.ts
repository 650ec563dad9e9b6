// The CUDA-only code paths compile: this machine has CUDA headers (nvcc's toolkit), and both libtorch
// lines ship their CUDA headers (Debian's 1.13 and PyTorch 2.x's wheel, CPU builds included), but no
// CUDA libtorch to link. A syntax-only compile of every source with TORCH_NODE_WITH_CUDA defined, against
// the libtorch this build uses, catches a broken guarded branch before a GPU machine does.
import { execFileSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..');
const cudaInclude = [process.env.CUDA_HOME && path.join(process.env.CUDA_HOME, 'include'), '/usr/local/cuda/include'].find(
  (d) => d && existsSync(path.join(d, 'cuda_runtime_api.h')),
);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { findLibtorch } = require('../scripts/find-libtorch.js');
const libtorch = findLibtorch() as { version: string; includeDirs: string[]; cxxStd: number };
const torchCudaHeaders = existsSync(path.join(libtorch.includeDirs[0], 'c10/cuda/CUDACachingAllocator.h'));
const ready = Boolean(cudaInclude) && torchCudaHeaders;
if (!ready) console.warn(`test/build: needs the CUDA toolkit headers and libtorch ${libtorch.version}'s CUDA headers: skipped`);

describe.skipIf(!ready)('CUDA-guarded sources', () => {
  const guarded = readdirSync(path.join(root, 'native')).filter(
    (f) => f.endsWith('.cc') && readFileSync(path.join(root, 'native', f), 'utf8').includes('TORCH_NODE_WITH_CUDA'),
  );

  it('exist (cuda.cc, and cuda_graph.cc for the captured training step)', () => {
    expect(guarded).toContain('cuda.cc');
    expect(guarded).toContain('cuda_graph.cc');
  });

  it.each(guarded)(`%s compiles with TORCH_NODE_WITH_CUDA against libtorch ${libtorch.version}'s CUDA headers`, (file) => {
    // CPU builds leave out one generated header of the CUDA build; its content is one define.
    const stub = mkdtempSync(path.join(os.tmpdir(), 'cuda-stub-'));
    mkdirSync(path.join(stub, 'c10/cuda/impl'), { recursive: true });
    writeFileSync(path.join(stub, 'c10/cuda/impl/cuda_cmake_macros.h'), '#pragma once\n#define C10_CUDA_BUILD_SHARED_LIBS\n');
    const napi = require('node-addon-api').include_dir as string;
    const nodeInclude = path.join(process.execPath, '../../include/node');
    const args = [`-std=c++${libtorch.cxxStd}`, '-fsyntax-only', '-DTORCH_NODE_WITH_CUDA=1', '-DNAPI_VERSION=2147483647', '-DNAPI_CPP_EXCEPTIONS',
      `-I${napi}`, `-I${nodeInclude}`, '-I/usr/include/node', ...libtorch.includeDirs.map((d) => `-I${d}`), `-I${stub}`,
      `-I${cudaInclude}`, path.join(root, 'native', file)];
    execFileSync('g++', args, { stdio: 'pipe' }); // throws with the compiler's errors
  }, 180_000);
});
