// Explicit memory: tidy frees what it made, keep and returned tensors survive, memory() counts.
import { describe, expect, it } from 'vitest';
import * as torch from '../lib';

describe('tidy, keep, dispose and memory()', () => {
  it('frees every tensor made inside except the result', () => {
    const base = torch.memory().liveTensors;
    const a = torch.ones([4]);
    const out = torch.tidy(() => {
      const b = a.mul(2);
      const c = b.add(1);
      expect(torch.memory().liveTensors).toBe(base + 3);
      return { c, list: [b.sub(1)] };
    });
    expect(torch.memory().liveTensors).toBe(base + 3);
    expect(out.c.toArray()).toEqual([3, 3, 3, 3]);
    expect(out.list[0].toArray()).toEqual([1, 1, 1, 1]);
    torch.dispose([a, out]);
    expect(torch.memory().liveTensors).toBe(base);
  });

  it('disposes intermediates even when fn throws', () => {
    const base = torch.memory().liveTensors;
    let inner: torch.Tensor | undefined;
    expect(() =>
      torch.tidy(() => {
        inner = torch.ones([2]);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(inner!.isDisposed).toBe(true);
    expect(torch.memory().liveTensors).toBe(base);
  });

  it('keep() exempts a tensor from every enclosing scope; nested tidy hands results outward', () => {
    const base = torch.memory().liveTensors;
    let kept: torch.Tensor | undefined;
    let innerResult: torch.Tensor | undefined;
    torch.tidy(() => {
      kept = torch.keep(torch.zeros([3]));
      torch.tidy(() => {
        innerResult = torch.ones([1]);
        return innerResult;
      });
      expect(innerResult!.isDisposed).toBe(false); // owned by the outer scope now
    });
    expect(innerResult!.isDisposed).toBe(true);
    expect(kept!.isDisposed).toBe(false);
    kept!.dispose();
    expect(torch.memory().liveTensors).toBe(base);
  });

  it('refuses async functions', () => {
    expect(() => torch.tidy((async () => 1) as never)).toThrow(/synchronous/);
    expect(torch.memory().scopeDepth).toBe(0);
  });

  it('counts bytes once per storage per device', () => {
    const before = torch.memory().devices.cpu?.bytes ?? 0;
    const t = torch.zeros([256], { dtype: 'float64' });
    const view = t.narrow(0, 0, 10);
    const m = torch.memory();
    expect(m.devices.cpu.bytes - before).toBe(256 * 8);
    torch.dispose([t, view]);
    expect(torch.memory().devices.cpu?.bytes ?? 0).toBe(before);
  });

  it('Symbol.dispose frees a tensor', () => {
    const t = torch.ones([2]) as torch.Tensor & Record<symbol, () => void>;
    const sym = (Symbol as unknown as { dispose?: symbol }).dispose ?? Symbol.for('Symbol.dispose');
    t[sym]();
    expect(t.isDisposed).toBe(true);
  });

  it('10,000 small op iterations in tidy: live tensors back at baseline, RSS flat', async () => {
    const x = torch.randn([16]);
    const w = torch.randn([16, 16]);
    const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
    // Node runs N-API finalizers of collected handles on a later tick: let the loop turn, as a
    // training loop (async) does between batches.
    const settle = async () => {
      for (let i = 0; i < 2; i++) {
        gc();
        await new Promise((r) => setImmediate(r));
      }
    };
    const run = async (n: number) => {
      for (let i = 0; i < n; i++) {
        torch.tidy(() => {
          w.matmul(x).relu().add(x).mul(0.5).sum();
        });
        if (i % 1000 === 999) await settle();
      }
    };
    await run(2000); // warm up allocators before the baseline
    await settle();
    const base = torch.memory().liveTensors;
    const rss0 = process.memoryUsage().rss;
    await run(10_000);
    await settle();
    const rss1 = process.memoryUsage().rss;
    expect(torch.memory().liveTensors).toBe(base);
    // 50,000 tensors were made and freed; leaking them (64 B of data each, plus handles) would pass 10 MB.
    expect(rss1 - rss0).toBeLessThan(4 * 1024 * 1024);
  });
});

describe('handles: tidy-owned results, finalizers, slot reuse', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  // Lets a collection run the finalizers of the handles it found dead (they run inside it), then a turn.
  const collect = async () => {
    for (let i = 0; i < 2; i++) {
      gc!();
      await new Promise((r) => setImmediate(r));
    }
  };

  it('a disposed tensor stays disposed while new tensors take its place', () => {
    const a = torch.ones([2]);
    a.dispose();
    // Made after the dispose: they reuse what `a` held, and must not make `a` read as one of them.
    const made = Array.from({ length: 50 }, (_, i) => torch.full([2], i));
    expect(a.isDisposed).toBe(true);
    expect(() => a.add(1)).toThrow(/has been disposed/);
    expect(() => made[0].add(a)).toThrow(/add\(\): argument 'other': the Tensor has been disposed/);
    expect(made.map((t) => t.toArray())).toEqual(Array.from({ length: 50 }, (_, i) => [i, i]));
    a.dispose(); // a second dispose is a no-op, not a free of whatever reused the place
    expect(made.every((t) => !t.isDisposed)).toBe(true);
    torch.dispose(made);
  });

  it('results of a finished tidy() stay disposed after later scopes reuse their places', () => {
    let inner: torch.Tensor | undefined;
    torch.tidy(() => {
      inner = torch.ones([3]).mul(2);
    });
    const later = torch.tidy(() => Array.from({ length: 20 }, () => torch.zeros([1]).add(7)));
    expect(inner!.isDisposed).toBe(true);
    expect(() => inner!.shape).toThrow(/shape: the Tensor has been disposed/);
    expect(later.map((t) => t.item())).toEqual(Array(20).fill(7));
    expect(torch.isTensor(inner)).toBe(true);
    torch.dispose(later);
  });

  it.skipIf(!gc)('a tensor that leaves its tidy() (returned or kept) is freed by the collector once dropped (needs --expose-gc)', async () => {
    await collect();
    const base = torch.memory().liveTensors;
    (() => {
      const returned = torch.tidy(() => torch.ones([4]).add(1));
      torch.tidy(() => {
        torch.keep(torch.zeros([4]));
      });
      expect(returned.toArray()).toEqual([2, 2, 2, 2]);
      expect(torch.memory().liveTensors).toBe(base + 2);
    })();
    await collect();
    expect(torch.memory().liveTensors).toBe(base);
  });

  it.skipIf(!gc)('a long loop inside one tidy() that drops its handles stays bounded (needs --expose-gc)', async () => {
    await collect();
    const base = torch.memory().liveTensors;
    const x = torch.ones([8]);
    let peak = 0;
    torch.tidy(() => {
      for (let i = 0; i < 20_000; i++) {
        x.add(i);
        if (i % 2000 === 1999) {
          gc!();
          peak = Math.max(peak, torch.memory().liveTensors - base);
        }
      }
    });
    // The first 1,000 handles of a scope wait for its end (no finalizer: the common small scope pays for
    // none); the next ones are collected as they die. 20,000 would stay alive if none were.
    expect(peak).toBeLessThan(2_000);
    x.dispose();
    expect(torch.memory().liveTensors).toBe(base);
  });

  it('PyTorch-style code without tidy() stays bounded: dropped results are collected as they die', () => {
    // 800 steps that each make three 1 MB tensors and drop them: no tidy(), no dispose(), no gc() call. V8
    // is told libtorch's bytes and collects on its own. Kept alive, they would reach 3,200 handles and
    // 2.4 GB. V8 collects once external memory grows 64 MB past what its last collection left: about 21
    // steps of 3 MB, 84 handles; the bounds leave a margin of two such rounds and the live set (w, 1 MB).
    const MB = 1024 * 1024;
    const w = torch.randn([256, 1024]);
    const m0 = torch.memory();
    let handles = 0;
    let bytes = 0;
    for (let i = 0; i < 800 && handles < 1000; i++) {
      const h = w.mul(0.5).relu();
      h.add(1).sum().item();
      const m = torch.memory();
      handles = Math.max(handles, m.liveTensors - m0.liveTensors);
      bytes = Math.max(bytes, m.cpuAllocatedBytes - m0.cpuAllocatedBytes);
    }
    expect(handles).toBeLessThan(3 * 84);
    expect(bytes).toBeLessThan(3 * 64 * MB);
  });
});

describe('small CPU blocks kept for reuse (native/allocator.cc)', () => {
  // float32 tensors from 4 bytes to just over the 1 KiB limit, each on a fresh block or a reused one.
  const sizes = [1, 3, 16, 17, 100, 255, 256, 257, 1000];
  const sums = () => torch.tidy(() => sizes.map((n) => torch.arange(n, { dtype: 'float32' }).mul(2).sum().item()));

  it('blocks a scope freed come back counted as freed, and hold the new tensors\' own values', () => {
    sums(); // whatever libtorch allocates once
    const base = torch.memory().cpuAllocatedBytes;
    for (let round = 0; round < 3; round++) {
      expect(sums()).toEqual(sizes.map((n) => n * (n - 1)));
      expect(torch.memory().cpuAllocatedBytes).toBe(base);
    }
    expect(torch.memory().cpuCachedBytes).toBeGreaterThan(0);
    // zeros() given a block that held sevens: all zeros.
    torch.tidy(() => { torch.full([64], 7); });
    const z = torch.zeros([64]);
    expect(z.eq(0).all().item()).toBe(true);
    z.dispose();
  });

  it('keeps blocks of up to 1 KiB, at most 256 KiB a thread (measured on a fresh worker thread)', async () => {
    const { Worker } = await import('worker_threads');
    const root = require('path').join(__dirname, '..');
    const code = `
      const native = require(${JSON.stringify(require.resolve('node-gyp-build'))})(${JSON.stringify(root)});
      const { parentPort } = require('worker_threads');
      const ones = native.ops.bind('torch.ones', ['ones'], false);
      const kept = () => native.memory().cpuCachedBytes;
      const scope = (n, size) => { const d = native.startScope(); for (let i = 0; i < n; i++) ones([size]); native.endScope(d, []); };
      const base = kept();
      scope(10, 1024); // 4 KiB blocks: back to malloc
      const big = kept() - base;
      scope(10, 16);   // 64-byte blocks: kept
      const small = kept() - base;
      scope(2000, 256); // 2,000 blocks of 1 KiB: kept up to the limit
      parentPort.postMessage({ big, small, full: kept() });`;
    const worker = new Worker(code, { eval: true });
    const r = await new Promise<{ big: number; small: number; full: number }>((resolve, reject) => {
      worker.on('message', resolve);
      worker.on('error', reject);
    });
    await worker.terminate();
    expect(r.big).toBe(0);
    expect(r.small).toBeGreaterThanOrEqual(10 * 64);
    expect(r.small).toBeLessThan(10 * 128);
    expect(r.full).toBeGreaterThan(250 * 1024);
    expect(r.full).toBeLessThanOrEqual(256 * 1024);
  });
});

describe('worker threads', () => {
  it('each thread keeps its own tensor registry and scopes', async () => {
    const { Worker } = await import('worker_threads');
    const root = require('path').join(__dirname, '..');
    // Raw addon calls in three workers while the main thread runs its own scopes.
    const code = `
      const native = require(${JSON.stringify(require.resolve('node-gyp-build'))})(${JSON.stringify(root)});
      const { parentPort } = require('worker_threads');
      const ones = native.ops.bind('torch.ones', ['ones'], false);
      const add = native.ops.bind('torch.add', ['add.Tensor', 'add.Scalar'], false);
      for (let i = 0; i < 3000; i++) {
        const depth = native.startScope();
        add(ones([2]), 1);
        native.endScope(depth, []);
      }
      native.startScope(); // left open on purpose: must not leak into other threads
      parentPort.postMessage(native.memory().scopeDepth);`;
    const workers = [0, 1, 2].map(() => new Worker(code, { eval: true }));
    const results = workers.map((w) => new Promise((resolve, reject) => { w.on('message', resolve); w.on('error', reject); }));
    const base = torch.memory().liveTensors;
    for (let i = 0; i < 3000; i++) torch.tidy(() => { torch.ones([2]).add(1); });
    expect(await Promise.all(results)).toEqual([1, 1, 1]);
    await Promise.all(workers.map((w) => w.terminate()));
    expect(torch.memory().scopeDepth).toBe(0);
    expect(torch.memory().liveTensors).toBe(base);
  });
});
