// torch.jit.load of files saved by Python torch: outputs equal Python's on the same inputs, named
// methods, parameters and state dict, train/eval, to(), clean one-line errors, and forwardAsync on
// the libuv pool (concurrent calls, a responsive event loop).
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { jit, models, noGrad, tensor, TorchError } from '../../lib';
import { maxDiff, type Nested } from '../helpers/compare';
import { hasPythonTorch } from '../helpers/python';
import { makeJitFixtures, type JitFixtures } from './fixtures';

const havePython = hasPythonTorch();
let fx: JitFixtures;

beforeAll(() => {
  torch.setNumThreads(1);
  if (havePython) fx = makeJitFixtures();
});
afterAll(() => {
  if (fx) fs.rmSync(fx.dir, { recursive: true, force: true });
});

const arr = (t: torch.Tensor) => t.toArray() as Nested;

describe.skipIf(!havePython)('jit.load of Python-saved TorchScript', () => {
  it('a traced ResNet-20 gives Python’s logits to 1e-5', () => {
    const model = jit.load(fx.resnet);
    const out = noGrad(() => model.forward(tensor(fx.ref.x)));
    expect(out.shape).toEqual([4, 10]);
    expect(maxDiff(arr(out), fx.ref.resnetOut)).toBeLessThan(1e-5);
    expect(Object.keys(model.stateDict())).toEqual(fx.ref.resnetKeys);
    expect(model.parameterCount()).toBe(272474);
  });

  it('a scripted model with an if takes both branches as Python does, with default and given arguments', () => {
    const model = jit.load(fx.scripted);
    expect(model.training).toBe(false);
    const g = tensor(fx.ref.g);
    expect(maxDiff(arr(model.forward(g)), fx.ref.gOut)).toBeLessThan(1e-5);
    expect(maxDiff(arr(model.forward(g, true)), fx.ref.gNeg)).toBeLessThan(1e-5);
    expect(maxDiff(arr(model.forward(tensor(fx.ref.gFlipped))), fx.ref.gFlippedOut)).toBeLessThan(1e-5);
    // The two inputs really take different branches: relu·3 is ≥ 0, tanh − 1 is < 0.
    const signs = [fx.ref.gOut, fx.ref.gFlippedOut].map((o) => Math.sign(o.flat().reduce((a, b) => a + b, 0)));
    expect(new Set(signs).size).toBe(2);
  });

  it('named methods: model.methods.split and runMethod return what Python’s returns', () => {
    const model = jit.load(fx.scripted);
    expect(model.methodNames().sort()).toEqual(['forward', 'split']);
    expect(model.methodSchema('split')).toContain('int k');
    const [a, b] = model.methods.split(tensor(fx.ref.g), 2) as torch.Tensor[];
    expect(maxDiff(arr(a), fx.ref.split[0])).toBeLessThan(1e-6);
    expect(maxDiff(arr(b), fx.ref.split[1])).toBeLessThan(1e-5);
    const [a2] = model.runMethod('split', tensor(fx.ref.g), 2) as torch.Tensor[];
    expect(maxDiff(arr(a2), fx.ref.split[0])).toBeLessThan(1e-6);
  });

  it('parameters() and stateDict() have Python’s names, order and values; train() switches batch norm', () => {
    const model = jit.load(fx.scripted);
    expect(Object.keys(model.stateDict())).toEqual(fx.ref.stateKeys);
    expect(model.namedParameters().map(([n]) => n)).toEqual(['fc.weight', 'fc.bias', 'bn.weight', 'bn.bias']);
    expect(model.parameters()).toHaveLength(4);
    expect(model.namedBuffers().map(([n]) => n)).toEqual(['bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked']);
    expect(maxDiff(arr(model.stateDict()['fc.weight']), fx.ref.fcWeight)).toBe(0);
    model.train();
    expect(model.training).toBe(true);
    expect(maxDiff(arr(noGrad(() => model.forward(tensor(fx.ref.g)))), fx.ref.gTrainOut)).toBeLessThan(1e-5);
    model.eval();
    expect(model.training).toBe(false);
  });

  it('the state dict holds the module’s own tensors: changing one changes the output', () => {
    const model = jit.load(fx.scripted);
    const g = tensor(fx.ref.g);
    const before = arr(model.forward(g));
    noGrad(() => model.stateDict()['fc.bias'].add_(10));
    expect(maxDiff(arr(model.forward(g)), before)).toBeGreaterThan(1);
  });

  it('to("float64") converts parameters in place and runs on float64 inputs', () => {
    const model = jit.load(fx.scripted).to('float64');
    expect(model.parameters().every((p) => p.dtype === 'float64')).toBe(true);
    const out = model.forward(tensor(fx.ref.g, { dtype: 'float64' }));
    expect(out.dtype).toBe('float64');
    expect(maxDiff(arr(out), fx.ref.gOut)).toBeLessThan(1e-5);
  });

  it('loadAsync and forwardAsync resolve with the same numbers as the synchronous calls', async () => {
    const model = await jit.loadAsync(fx.resnet);
    const out = await noGrad(() => model.forwardAsync(tensor(fx.ref.x)));
    expect(maxDiff(arr(out), fx.ref.resnetOut)).toBeLessThan(1e-5);
    const viaName = await model.runMethodAsync('forward', tensor(fx.ref.x));
    expect(maxDiff(arr(viaName), fx.ref.resnetOut)).toBeLessThan(1e-5);
  });

  it('8 concurrent forwardAsync calls on one module each get their own input’s result', async () => {
    const model = jit.load(fx.scripted);
    const g = tensor(fx.ref.g);
    const inputs = Array.from({ length: 8 }, (_, i) => g.mul(i % 2 === 0 ? 1 : -1).add(i * 0.01));
    const expected = inputs.map((x) => arr(model.forward(x)));
    const outs = await Promise.all(inputs.map((x) => model.forwardAsync(x)));
    outs.forEach((o, i) => expect(maxDiff(arr(o), expected[i])).toBe(0));
  });
});

describe.skipIf(!havePython)('jit errors are one clear line', () => {
  const oneLine = (fn: () => unknown, pattern: RegExp) => {
    let err: unknown;
    try {
      fn();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TorchError);
    const message = (err as Error).message;
    expect(message).toMatch(pattern);
    expect(message).not.toContain('\n');
  };

  it('a missing file, a non-TorchScript file and a truncated one name the file', () => {
    oneLine(() => jit.load(path.join(fx.dir, 'nope.pt')), /^jit\.load: no such file '.*nope\.pt'$/);
    const junk = path.join(fx.dir, 'junk.pt');
    fs.writeFileSync(junk, 'not a model');
    oneLine(() => jit.load(junk), /^jit\.load\('.*junk\.pt'\): .*zip archive/);
    const cut = path.join(fx.dir, 'cut.pt');
    const bytes = fs.readFileSync(fx.scripted);
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length >> 1));
    oneLine(() => jit.load(cut), /^jit\.load\('.*cut\.pt'\): /);
  });

  it('loadAsync rejects a missing file with the same message', async () => {
    await expect(jit.loadAsync(path.join(fx.dir, 'nope.pt'))).rejects.toThrow(/^jit\.loadAsync: no such file/);
  });

  it('a wrong input count, type, shape or dtype says what was expected', () => {
    const model = jit.load(fx.scripted);
    const g = tensor(fx.ref.g);
    oneLine(() => model.forward(), /^Gate\.forward\(\): missing required argument 'x' \(Tensor\)$/);
    oneLine(() => model.forward(g, false, 3), /^Gate\.forward\(\): takes at most 2 positional arguments but 3 were given$/);
    oneLine(() => model.forward(3), /^Gate\.forward\(\): argument 'x' must be a Tensor, not 3$/);
    oneLine(() => model.forward(g, 'yes'), /^Gate\.forward\(\): argument 'negate' must be a boolean, not string 'yes'$/);
    oneLine(() => model.forward(torch.ones([5, 7])), /^Gate\.forward\(\): mat1 and mat2 shapes cannot be multiplied \(5x7 and 6x4\)$/);
    oneLine(() => model.forward(torch.ones([5, 6], { dtype: 'int64' })), /^Gate\.forward\(\): .*dtype/);
    oneLine(() => model.runMethod('encode', g), /^encode: the module has no method 'encode' \(it has: forward, split\)$/);
  });

  it('forwardAsync rejects a bad shape with a TorchError instead of crashing', async () => {
    const model = jit.load(fx.scripted);
    await expect(model.forwardAsync(torch.ones([5, 7]))).rejects.toThrow(/^Gate\.forward\(\): mat1 and mat2 shapes cannot be multiplied/);
    await expect(model.forwardAsync(torch.ones([5, 7]))).rejects.toBeInstanceOf(TorchError);
  });

  it('a disposed module says so', () => {
    const model = jit.load(fx.scripted);
    model.dispose();
    expect(model.isDisposed).toBe(true);
    oneLine(() => model.forward(torch.ones([5, 6])), /disposed/);
  });
});

describe('forwardAsync of our own modules', () => {
  it('equals forward, follows parameter changes, and retraces for a new batch size', async () => {
    torch.manualSeed(1);
    const model = models.resnet20().eval();
    const x = torch.randn([2, 3, 32, 32]);
    const sync = noGrad(() => model.forward(x));
    const out = await noGrad(() => model.forwardAsync(x));
    expect(maxDiff(arr(out), arr(sync))).toBeLessThan(1e-6);
    // Parameters are inputs of the recorded graph, not constants: an update is seen.
    noGrad(() => model.linear.bias!.add_(1));
    const shifted = await noGrad(() => model.forwardAsync(x));
    expect(maxDiff(arr(shifted), arr(sync.add(1)))).toBeLessThan(1e-5);
    const x3 = torch.randn([3, 3, 32, 32]);
    const out3 = await noGrad(() => model.forwardAsync(x3));
    expect(maxDiff(arr(out3), arr(noGrad(() => model.forward(x3))))).toBeLessThan(1e-6);
  });

  it('a forward that throws rejects the call and leaves tracing off', async () => {
    class Broken extends torch.nn.Module {
      forward(x: torch.Tensor): torch.Tensor {
        x.mul(2);
        throw new TorchError('broken forward');
      }
    }
    await expect(new Broken().forwardAsync(torch.ones([2]))).rejects.toThrow('broken forward');
    // Ops after the failed trace run normally (no tracer left active on this thread).
    expect(torch.ones([2]).add(1).toArray()).toEqual([2, 2]);
    const model = models.resnet20().eval();
    const x = torch.randn([1, 3, 32, 32]);
    expect(maxDiff(arr(await noGrad(() => model.forwardAsync(x))), arr(noGrad(() => model.forward(x))))).toBeLessThan(1e-6);
  });

  it('rejects a non-tensor input', async () => {
    await expect(models.resnet20().forwardAsync(3 as never)).rejects.toThrow(/input 0 must be a Tensor/);
  });
});

// The event loop stays responsive while inferences run on the pool: a 2 ms interval timer keeps
// firing. The bound is relative, not a wall-clock limit: no gap between ticks may reach the time of
// one synchronous inference, which is what each gap would be if the calls ran on the JS thread.
describe('the event loop during 8 inferences', () => {
  it('timer gaps stay below one synchronous inference', async () => {
    torch.manualSeed(2);
    const model = models.resnet20().eval();
    const x = torch.randn([64, 3, 32, 32]);
    await noGrad(() => model.forwardAsync(x)); // trace once, before measuring
    // One synchronous inference on the JS thread: the median of 2 runs before and 2 after the async
    // phase, so that a change of machine load in between does not skew it. Batch 64 makes it long
    // against the scheduling delays of a loaded 2-core machine (four pool threads compete with the loop).
    const times: number[] = [];
    const measure = () => {
      for (let i = 0; i < 2; i++) {
        const t0 = performance.now();
        noGrad(() => model.forward(x)).dispose();
        times.push(performance.now() - t0);
      }
    };
    measure();
    const ticks: number[] = [];
    const timer = setInterval(() => ticks.push(performance.now()), 2);
    const start = performance.now();
    const outs = await Promise.all(Array.from({ length: 8 }, () => noGrad(() => model.forwardAsync(x))));
    const end = performance.now();
    clearInterval(timer);
    measure();
    const oneInference = [...times].sort((a, b) => a - b)[2];
    const marks = [start, ...ticks, end];
    const maxGap = Math.max(...marks.slice(1).map((t, i) => t - marks[i]));
    console.log(`8 inferences: ${(end - start).toFixed(0)} ms, one synchronous: ${oneInference.toFixed(0)} ms, ${ticks.length} ticks, longest gap ${maxGap.toFixed(0)} ms`);
    expect(outs.every((o) => o.shape.join() === '64,10')).toBe(true);
    // Had the calls run on the JS thread, the first tick would come after all 8 (8 × oneInference).
    expect(maxGap).toBeLessThan(oneInference);
  });
});

describe.skipIf(!havePython || !torch.cuda.isAvailable())('jit on CUDA', () => {
  it('jit.load(path, {device: "cuda"}) gives the CPU logits to 1e-4', () => {
    const model = jit.load(fx.resnet, { device: 'cuda' });
    expect(model.parameters()[0].device).toMatch(/^cuda/);
    const out = noGrad(() => model.forward(tensor(fx.ref.x).to('cuda')));
    expect(maxDiff(arr(out.cpu()), fx.ref.resnetOut)).toBeLessThan(1e-4);
  });
});
