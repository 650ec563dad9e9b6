// torch.distributed's collectives over a real gloo group of 2 and 3 ranks (child processes on 127.0.0.1).
import { spawn } from 'child_process';
import { afterAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { PYTHON, hasPythonTorch } from '../helpers/python';
import { fixture, freePort, glooMissing, killAll, spawnRanks } from './helpers';

const available = !glooMissing;
afterAll(killAll);

describe.skipIf(!available)('collectives', () => {
  for (const n of [2, 3]) {
    it(`give every one of ${n} ranks the reduced, broadcast and gathered values with their dtypes`, async () => {
      const results = await spawnRanks(fixture('collectives.ts'), n);
      const ranks = Array.from({ length: n }, (_, i) => i + 1); // each rank's r = rank + 1
      const total = ranks.reduce((s, r) => s + r, 0);
      const product = ranks.reduce((s, r) => s * r, 1);
      for (const res of results) {
        expect(res.code, res.out).toBe(0);
        const o = res.json;
        expect(o.rank).toBe(res.rank);
        expect(o.worldSize).toBe(n);
        expect(o.initialized).toBe(true);
        expect(o.sum).toEqual({ values: [total, 2 * total, 0.5 * n], dtype: 'float32' });
        expect(o.avg).toEqual({ values: [total / n, (10 * total) / n], dtype: 'float64' });
        expect(o.max).toEqual({ values: [n, -1], dtype: 'int64' });
        expect(o.min).toEqual({ values: [1, -n], dtype: 'int32' });
        expect(o.product).toEqual({ values: [product, 2 ** n], dtype: 'float32' });
        expect(o.coalesced).toEqual({
          a: [[total, total], [total, total]],
          b: [total],
          c: [3 * total],
          dtypes: ['float32', 'int64', 'float32'],
        });
        expect(o.broadcast).toEqual({ values: [n - 1, (n - 1) * 100], dtype: 'int64' });
        expect(o.allGather).toEqual({ values: Array.from({ length: n }, (_, i) => [i, i * i]), dtype: 'int32' });
        expect(o.initializedAfterDestroy).toBe(false);
      }
    });
  }
});

describe.skipIf(!available || !hasPythonTorch())('under torchrun', () => {
  it("joins the store torchrun's agent hosts (TORCHELASTIC_USE_AGENT_STORE) instead of hosting one", async () => {
    // PyTorch's own TCPStore server stands in for the agent's, at MASTER_PORT.
    const port = await freePort();
    const agent = spawn(PYTHON, ['-c', `from torch.distributed import TCPStore; import sys, time; s = TCPStore('127.0.0.1', ${port}, None, True); print('up', flush=True); time.sleep(120)`]);
    try {
      await new Promise<void>((resolve, reject) => {
        agent.stdout.on('data', (d) => String(d).includes('up') && resolve());
        agent.on('exit', (code) => reject(new Error(`store host exited with ${code}`)));
      });
      const results = await spawnRanks(fixture('collectives.ts'), 2, [], {
        env: { MASTER_PORT: String(port), TORCHELASTIC_USE_AGENT_STORE: 'True', TORCHELASTIC_RESTART_COUNT: '0' },
      });
      for (const r of results) {
        expect(r.code, r.out).toBe(0);
        expect(r.json.sum.values).toEqual([3, 6, 1]);
      }
    } finally {
      agent.kill('SIGKILL');
    }
  });
});

describe.skipIf(!available)('process group state', () => {
  it('reports no group and refuses collectives before initProcessGroup', async () => {
    expect(torch.distributed.isInitialized()).toBe(false);
    expect(() => torch.distributed.getRank()).toThrow(/has not been initialized/);
    if (available) expect(() => torch.distributed.allReduce(torch.ones([2]))).toThrow(torch.TorchError);
  });

  it('names a missing torchrun variable', async () => {
    const saved = process.env.RANK;
    delete process.env.RANK;
    try {
      await expect(torch.distributed.initProcessGroup({ worldSize: 1, initMethod: 'tcp://127.0.0.1:1' })).rejects.toThrow(/RANK is not set/);
    } finally {
      if (saved !== undefined) process.env.RANK = saved;
    }
  });

  it('refuses an unknown backend and a malformed initMethod', async () => {
    await expect(torch.distributed.initProcessGroup({ backend: 'mpi' as never, rank: 0, worldSize: 1 })).rejects.toThrow(/unknown backend 'mpi'/);
    await expect(torch.distributed.initProcessGroup({ rank: 0, worldSize: 1, initMethod: 'file:///tmp/x' })).rejects.toThrow(/initMethod must be/);
  });
});
