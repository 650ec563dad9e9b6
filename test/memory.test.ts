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
