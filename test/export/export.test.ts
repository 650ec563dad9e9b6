// torch.export.load of AOTInductor packages (.pt2) compiled by Python torch: outputs equal Python's
// aoti_load_package on the same inputs (ResNet-20; two inputs with a nested output), a dynamic batch
// within its exported bounds, forwardAsync on the libuv pool, and one-line errors before the package's
// code runs (wrong shapes, missing or truncated files, a package for another device or a newer PyTorch).
// On a libtorch without AOTInductor (1.13) load is one line saying which version is needed.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { noGrad, tensor, TorchError } from '../../lib';
import { arr, maxDiff, type Nested } from '../helpers/compare';
import { makeExportFixtures, pythonCanCompile, type ExportFixtures } from './fixtures';

const aoti = torch.export.isAvailable();
const canCompile = aoti && pythonCanCompile();
const cuda = torch.cuda.isAvailable();
let fx: ExportFixtures;

beforeAll(() => {
  torch.setNumThreads(1);
  if (canCompile) fx = makeExportFixtures();
}, 600_000);

/** The error a call throws (or a promise rejects with), for checking its class and message. */
async function errorOf(fn: () => unknown): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

function expectOneLine(e: Error, ...parts: (string | RegExp)[]): void {
  expect(e).toBeInstanceOf(TorchError);
  expect(e.message).not.toContain('\n');
  for (const p of parts) expect(e.message).toMatch(p);
}

describe.skipIf(aoti)('export.load on a libtorch without AOTInductor', () => {
  it('is one TorchError line naming the libtorch version needed', async () => {
    const e = await errorOf(() => torch.export.load('model.pt2'));
    expectOneLine(e, /AOTInductor packages \(\.pt2\) need libtorch 2\.6 or newer \(this is 1\./);
  });
});

describe.skipIf(!canCompile)('export.load of packages compiled by Python (needs libtorch 2.x and its Python with torch._inductor)', () => {
  it('ResNet-20 gives Python’s aoti_load_package outputs to 1e-5 at batch 1, 7 and 64 (dynamic batch)', () => {
    const model = torch.export.load(fx.resnet);
    expect(model.device).toBe('cpu');
    expect(model.signature).toBe('((Tensor,), {}) -> Tensor');
    expect(model.inputSpecs?.[0]).toEqual({ name: 'x', dtype: 'float32', shape: [{ min: 1, max: 64, name: 'batch' }, 3, 32, 32] });
    for (const n of ['1', '7', '64']) {
      const out = noGrad(() => model.forward(tensor(fx.ref.resnet[n].x))) as torch.Tensor;
      expect(out.shape).toEqual([Number(n), 10]);
      expect(maxDiff(arr(out), fx.ref.resnet[n].out)).toBeLessThan(1e-5);
      // and the compiled model computes what the eager one does
      expect(maxDiff(arr(out), fx.ref.resnet[n].eager)).toBeLessThan(1e-4);
    }
    expect(model.constantFqns()).toContain('linear.weight');
    model.dispose();
    expect(model.isDisposed).toBe(true);
  });

  it('two inputs and a (tensor, [tensor, tensor]) output come back in PyTorch’s structure, equal to Python’s', () => {
    const model = torch.export.load(fx.two);
    expect(model.signature).toBe('((Tensor, Tensor), {}) -> (Tensor, [Tensor, Tensor])');
    for (const n of ['1', '5']) {
      const r = fx.ref.two[n];
      const [a, [b, c]] = model.forward(tensor(r.x), tensor(r.y)) as [torch.Tensor, [torch.Tensor, torch.Tensor]];
      expect(maxDiff(arr(a), r.out[0])).toBeLessThan(1e-5);
      expect(maxDiff(arr(b), r.out[1][0] as Nested)).toBeLessThan(1e-5);
      expect(maxDiff(arr(c), r.out[1][1])).toBeLessThan(1e-5);
    }
  });

  it('forwardAsync: 8 concurrent calls on the libuv pool give the synchronous numbers', async () => {
    const model = torch.export.load(fx.resnet, { runners: 2 });
    const inputs = ['1', '7', '64'].map((n) => tensor(fx.ref.resnet[n].x));
    const calls = Array.from({ length: 8 }, (_, i) => model.forwardAsync(inputs[i % 3]));
    const outs = (await Promise.all(calls)) as torch.Tensor[];
    outs.forEach((out, i) => expect(maxDiff(arr(out), fx.ref.resnet[['1', '7', '64'][i % 3]].out)).toBeLessThan(1e-5));
  });

  it('a batch outside the exported bounds, a wrong dimension, dtype or input count is one TorchError line before the code runs', async () => {
    const model = torch.export.load(fx.resnet);
    expectOneLine(await errorOf(() => model.forward(torch.randn([65, 3, 32, 32]))), 'forward: input 0 (x): dimension 0 (batch) is 65, outside the exported bounds [1, 64]');
    expectOneLine(await errorOf(() => model.forward(torch.randn([2, 3, 28, 28]))), 'forward: input 0 (x): dimension 2 must be 32 (exported shape [batch, 3, 32, 32]), got shape [2, 3, 28, 28]');
    expectOneLine(await errorOf(() => model.forward(torch.randn([3, 32, 32]))), 'expected 4 dimensions [batch, 3, 32, 32], got shape [3, 32, 32]');
    expectOneLine(await errorOf(() => model.forward(torch.randn([2, 3, 32, 32], { dtype: 'float64' }))), 'expected dtype float32, got float64');
    expectOneLine(await errorOf(() => model.forwardAsync(torch.randn([65, 3, 32, 32]))), 'forwardAsync: input 0 (x): dimension 0 (batch) is 65');
    expectOneLine(await errorOf(() => model.forward()), 'forward: expected 1 input (Tensor,), got 0');
    const two = torch.export.load(fx.two);
    expectOneLine(await errorOf(() => two.forward(torch.randn([2, 6]), [torch.randn([2, 4])])), 'forward: inputs[1]: expected a Tensor, got an array of 1');
  });

  it('a missing, truncated or non-package file is one TorchError line naming it', async () => {
    expectOneLine(await errorOf(() => torch.export.load('/no/such/model.pt2')), "export.load: no such file '/no/such/model.pt2'");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-export-bad-'));
    try {
      const truncated = path.join(dir, 'truncated.pt2');
      const bytes = fs.readFileSync(fx.resnet);
      fs.writeFileSync(truncated, bytes.subarray(0, bytes.length >> 1));
      expectOneLine(await errorOf(() => torch.export.load(truncated)), `export.load('${truncated}'): not a readable AOTInductor package (.pt2)`);
      const text = path.join(dir, 'notes.pt2');
      fs.writeFileSync(text, 'not a zip');
      expectOneLine(await errorOf(() => torch.export.load(text)), `export.load('${text}'): not a readable AOTInductor package (.pt2)`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(cuda)('a package compiled for CUDA on a machine without CUDA is one TorchError line (skipped: CUDA is available)', async () => {
    expectOneLine(await errorOf(() => torch.export.load(fx.twoCuda)), 'the package was compiled for CUDA and CUDA is not available here');
  });

  it('a CPU package asked to run on CUDA, and a package from a newer PyTorch, are refused before loading', async () => {
    expectOneLine(await errorOf(() => torch.export.load(fx.two, { device: 'cuda' })), 'the package was compiled for cpu and cannot run on cuda');
    expectOneLine(await errorOf(() => torch.export.load(fx.twoNewer)), /compiled by PyTorch 99\.1\.0, newer than this libtorch/);
  });
});
