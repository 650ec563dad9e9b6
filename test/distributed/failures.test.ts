// A missing master, a rank that dies, mismatched world sizes: every surviving rank ends with a
// TorchError that says what happened, within the group's timeout (4 s here), never a hang.
import { afterAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { fixture, freePort, glooMissing, killAll, spawnRanks } from './helpers';

afterAll(killAll);

describe.skipIf(!!glooMissing)('process group failures', () => {
  it('rejects with a TorchError when the master port has no store', async () => {
    const port = await freePort(); // released: nobody listens there
    // Both processes are non-master ranks (RANK=1): no one hosts the store.
    const results = await spawnRanks(fixture('failures.ts'), 2, ['init'], {
      env: { MASTER_PORT: String(port) },
      rankEnv: () => ({ RANK: '1' }),
    });
    for (const res of results) {
      expect(res.code, res.out).toBe(1);
      expect(res.json.errorClass).toBe('TorchError');
      expect(res.json.error).toMatch(/^initProcessGroup: .*(timed out|timeout|refused|connect)/i);
    }
  });

  it('ends the surviving rank with a TorchError when a peer dies mid-training', async () => {
    const [survivor, dead] = await spawnRanks(fixture('failures.ts'), 2, ['dying']);
    expect(dead.signal).toBe('SIGKILL');
    expect(survivor.code, survivor.out).toBe(1);
    expect(survivor.json.errorClass).toBe('TorchError');
    expect(survivor.json.error).toMatch(/^allReduce: /);
  });

  it("ends every surviving rank's DDP backward() with a TorchError when a rank is killed mid-backward", async () => {
    const results = await spawnRanks(fixture('failures.ts'), 3, ['ddp-dying']);
    expect(results[1].signal).toBe('SIGKILL');
    for (const survivor of [results[0], results[2]]) {
      expect(survivor.code, survivor.out).toBe(1);
      expect(survivor.json.errorClass).toBe('TorchError');
      // Raised in the reducer's engine callback, at the end of backward, and rethrown by backward() itself.
      expect(survivor.json.error).toMatch(/^Tensor\.backward\(\): DistributedDataParallel: the gradient all-reduce failed: /);
    }
  });

  it('ends every rank with a TorchError when the world sizes disagree', async () => {
    const results = await spawnRanks(fixture('failures.ts'), 2, ['init'], { rankEnv: (r): Record<string, string> => (r === 1 ? { WORLD_SIZE: '3' } : {}) });
    for (const res of results) {
      expect(res.code, res.out).toBe(1);
      expect(res.json.errorClass).toBe('TorchError');
    }
    expect(results[1].json.error).toBe('initProcessGroup: rank 1 was started with worldSize 3 but rank 0 with worldSize 2');
    expect(results[0].json.error).toMatch(/^initProcessGroup: /);
  });
});
