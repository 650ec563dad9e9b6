// The garbage collector as a real backstop: PyTorch-style training code with no tidy() and no dispose()
// stays bounded, because V8 is told the native bytes that handles keep alive (libtorch's CPU allocations)
// and finalizers run inside the collection, not on a later turn of the event loop.
import { describe, expect, it } from 'vitest';
import * as torch from '../lib';
import { SmallCNN } from './helpers/small_cnn';

const { nn, optim, data } = torch;
const MB = 1024 * 1024;
const STEPS = 1000;
const WARMUP = 100;
const BOUND = 500 * MB;

function setup() {
  torch.manualSeed(0);
  const n = 128 * 10;
  const dataset = {
    // 16×16 images keep the test cheap; a step still leaves megabytes of graph behind (GBs over 1,000 steps
    // when nothing collects it: TORCH_NODE_COUNT_ALLOCATIONS=0 shows it).
    data: torch.randint(0, 256, [n, 3, 16, 16], { dtype: 'uint8' }),
    targets: torch.randint(0, 10, [n], { dtype: 'int64' }),
  };
  const model = new SmallCNN();
  const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const loader = new data.DataLoader(dataset, { batchSize: 128, shuffle: true, seed: 0, transform: data.cifar10TestTransform() });
  // One training step as a PyTorch user writes it: every intermediate, the loss and its graph are dropped.
  const step = (x: torch.Tensor, y: torch.Tensor) => {
    opt.zeroGrad();
    const loss = nn.functional.crossEntropy(model.forward(x), y);
    loss.backward();
    opt.step();
    return loss;
  };
  return { loader, step };
}

// RSS after warm-up, then the highest RSS seen every 10 steps; the curve (every 100 steps) goes to the log.
class RssWatch {
  base = 0;
  peak = 0;
  curve: number[] = [];
  sample(i: number): void {
    if (i === WARMUP) this.base = process.memoryUsage().rss;
    if (i < WARMUP || i % 10 !== 0) return;
    const rss = process.memoryUsage().rss;
    this.peak = Math.max(this.peak, rss);
    if (i % 100 === 0) this.curve.push(Math.round(rss / MB));
  }
  report(name: string): void {
    console.log(`${name}: RSS after warm-up ${Math.round(this.base / MB)} MB, peak ${Math.round(this.peak / MB)} MB, ` +
      `every 100 steps [${this.curve.join(', ')}] MB`);
  }
}

describe('a training loop without tidy or dispose stays bounded', () => {
  it(`${STEPS} steps of a small CNN (batch 128) in a plain synchronous for loop: RSS within 500 MB of its post-warm-up level`, () => {
    const { loader, step } = setup();
    const watch = new RssWatch();
    let i = 0;
    let last = NaN;
    while (i < STEPS) {
      for (const { x, y } of loader.batches()) {
        last = step(x, y).item() as number;
        watch.sample(++i);
        if (i === STEPS) break;
      }
    }
    watch.report('plain for loop');
    expect(Number.isFinite(last)).toBe(true);
    expect(watch.peak - watch.base).toBeLessThan(BOUND);
  });

  it(`${STEPS} steps of a small CNN (batch 128) in a for await over the DataLoader: RSS within 500 MB of its post-warm-up level`, async () => {
    const { loader, step } = setup();
    const watch = new RssWatch();
    let i = 0;
    let last = NaN;
    while (i < STEPS) {
      for await (const { x, y } of loader) {
        last = step(x, y).item() as number;
        watch.sample(++i);
        if (i === STEPS) break;
      }
    }
    watch.report('for await');
    expect(Number.isFinite(last)).toBe(true);
    expect(watch.peak - watch.base).toBeLessThan(BOUND);
  });
});

describe('the collector sees native memory', () => {
  const gc = (globalThis as { gc?: () => void }).gc;

  it('V8 is told the CPU bytes libtorch holds, as they change (a 64 MB tensor, then its release)', () => {
    // The loops above leave collectable garbage: collected now, it cannot be freed (by a collection the
    // 64 MB report itself starts) between the two readings.
    gc?.();
    gc?.();
    torch.ones([1]).dispose(); // reports whatever changed before
    const before = torch.memory();
    const t = torch.zeros([16 * MB], { dtype: 'float32' }); // 64 MB
    const held = torch.memory();
    t.dispose();
    torch.ones([1]).dispose(); // the next op reports the release
    const released = torch.memory();
    expect(held.cpuAllocatedBytes - before.cpuAllocatedBytes).toBeGreaterThanOrEqual(64 * MB);
    expect(held.cpuAllocatedBytes - before.cpuAllocatedBytes).toBeLessThan(64 * MB + 4096);
    expect(held.v8ExternalBytes - before.v8ExternalBytes).toBeGreaterThanOrEqual(63 * MB);
    expect(held.v8ExternalBytes - before.v8ExternalBytes).toBeLessThan(66 * MB);
    expect(Math.abs(released.cpuAllocatedBytes - before.cpuAllocatedBytes)).toBeLessThan(4096);
    expect(Math.abs(released.v8ExternalBytes - before.v8ExternalBytes)).toBeLessThan(2 * MB);
  });

  it('counts what handles reach only through autograd: a one-element loss pins its graph', () => {
    const x = torch.randn([256, 1024], { requiresGrad: true });
    const base = torch.memory().cpuAllocatedBytes;
    // tidy frees the intermediate handles; relu's backward still keeps its 1 MB output through the graph.
    const loss = torch.tidy(() => x.mul(2).relu().sum());
    expect(torch.memory().cpuAllocatedBytes - base).toBeGreaterThanOrEqual(256 * 1024 * 4);
    loss.dispose();
    expect(Math.abs(torch.memory().cpuAllocatedBytes - base)).toBeLessThan(4096);
    x.dispose();
  });

  // Dropped handles, made in a function of their own so that no stack slot keeps one alive.
  const dropMany = (n: number) => {
    for (let i = 0; i < n; i++) torch.ones([4]).add(1);
  };

  it.skipIf(!gc)('a collection frees the tensors of dropped handles at once, without a turn of the event loop', () => {
    const base = torch.memory().liveTensors;
    dropMany(1000);
    expect(torch.memory().liveTensors).toBeGreaterThan(base);
    gc!();
    expect(torch.memory().liveTensors).toBe(base);
  });

  it('steps inside tidy() whose activations come and go start no full collections', async () => {
    const { PerformanceObserver, constants } = await import('perf_hooks');
    let major = 0;
    const observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) major++;
    });
    observer.observe({ entryTypes: ['gc'] });
    const step = () => torch.ones([8, 1024, 1024]).mul(2).relu().sum();
    // 96 MB of activations per step, all freed when the step's scope ends.
    for (let i = 0; i < 12; i++) torch.tidy(() => void step());
    await new Promise((resolve) => setTimeout(resolve, 50)); // gc entries arrive on a later turn
    observer.disconnect();
    // Reported as they came and went (the same steps with dispose() instead of tidy()), they made V8 run
    // 6 full collections in these 12 steps.
    expect(major).toBeLessThanOrEqual(2);
  });
});
