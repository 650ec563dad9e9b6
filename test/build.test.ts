// What kind of build this is, proven from the binary: a build against a CUDA libtorch links libtorch_cuda and
// libc10_cuda and compiles every CUDA-guarded source for real (their CUDA symbols are imported); a CPU build
// says CUDA was not compiled. On a machine without a GPU, asking for CUDA is one line that says so.
import { execFileSync } from 'child_process';
import { readdirSync, readFileSync } from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import * as torch from '../lib';
import { addonFile } from '../lib/native';
import { hasPythonTorch, runPython } from './helpers/python';

const root = path.join(__dirname, '..');
const compiled = torch.backends.cuda.isBuilt();
const gpu = compiled && torch.cuda.isAvailable();

function dynamicSection(file: string): string {
  return execFileSync('readelf', ['-d', '-W', file], { encoding: 'utf8' });
}

function importedSymbols(file: string): string[] {
  const out = execFileSync('nm', ['-D', '--undefined-only', file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return out.split('\n').map((l) => l.trim().split(/\s+/).pop() ?? '');
}

// One symbol of libtorch's CUDA side that each guarded source cannot compile its CUDA branch without.
const cudaSymbolOf: Record<string, RegExp> = {
  'cuda.cc': /c10[0-9]*cuda[0-9]*CUDACachingAllocator/,
  'cuda_graph.cc': /at[0-9]*cuda[0-9]*CUDAGraph/,
  'factories.cc': /at[0-9]*cuda.*(getDefaultCUDAGenerator|CUDAGeneratorImpl)/,
};

describe('the build', () => {
  it('was loaded from a binary on disk', () => {
    expect(addonFile).toMatch(/\.node$/);
  });

  it('every CUDA-guarded source is listed with a CUDA symbol it needs', () => {
    const guarded = readdirSync(path.join(root, 'native')).filter(
      (f) => f.endsWith('.cc') && readFileSync(path.join(root, 'native', f), 'utf8').includes('TORCH_NODE_WITH_CUDA'),
    );
    // common.cc only checks device counts through torch::cuda (in libtorch_cpu): no CUDA library symbol.
    expect(guarded.filter((f) => f !== 'common.cc').sort()).toEqual(Object.keys(cudaSymbolOf).sort());
  });
});

describe.skipIf(!compiled)('a CUDA build (skipped: this build is against a CPU-only libtorch)', () => {
  it('needs libtorch_cuda.so and libc10_cuda.so', () => {
    const needed = [...dynamicSection(addonFile).matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
    expect(needed).toContain('libtorch_cuda.so');
    expect(needed).toContain('libc10_cuda.so');
  });

  it.each(Object.keys(cudaSymbolOf))('compiled the CUDA branch of %s (it imports libtorch CUDA symbols)', (file) => {
    expect(importedSymbols(addonFile).some((s) => cudaSymbolOf[file].test(s))).toBe(true);
  });

  it.skipIf(!hasPythonTorch())("torch.backends.cuda.isBuilt() is true, as the reference Python's is_built()", () => {
    expect(torch.backends.cuda.isBuilt()).toBe(true);
    expect(runPython<boolean>('import torch\nprint(json.dumps(torch.backends.cuda.is_built()))')).toBe(true);
  });

  it.skipIf(gpu)('asking for CUDA without a GPU is one line that says there is no GPU (skipped: a GPU is present)', () => {
    expect(torch.cuda.isAvailable()).toBe(false);
    expect(torch.cuda.deviceCount()).toBe(0);
    let error: Error | undefined;
    try {
      torch.zeros([2], { device: 'cuda' });
    } catch (e) {
      error = e as Error;
    }
    expect(error).toBeInstanceOf(torch.TorchError);
    expect(error!.message).not.toContain('\n');
    expect(error!.message).toMatch(/no CUDA GPUs/);
    expect(error!.message).not.toMatch(/not compiled/i);
  });
});

describe.skipIf(compiled)('a CPU-only build (skipped: this build is against a CUDA libtorch)', () => {
  it('does not link libtorch_cuda, and torch.backends.cuda.isBuilt() is false', () => {
    expect(dynamicSection(addonFile)).not.toContain('libtorch_cuda.so');
    expect(torch.backends.cuda.isBuilt()).toBe(false);
  });

  it('asking for CUDA is one line saying Torch was not compiled with CUDA', () => {
    expect(() => torch.zeros([2], { device: 'cuda' })).toThrow(/^[^\n]*Torch not compiled with CUDA enabled[^\n]*$/);
  });
});
