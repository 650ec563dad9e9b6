// Which backends a build has, and the errors where one is missing: NCCL without a GPU (the CUDA leg on a
// machine without one), NCCL in a build without it, and a build without gloo (simulated: the native
// distributed functions of such a build are the three availability queries, each false).
import { afterEach, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { native } from '../../lib/native';
import { freePort } from './helpers';

const dist = torch.distributed;
const single = async () => ({ rank: 0, worldSize: 1, initMethod: `tcp://127.0.0.1:${await freePort()}`, timeout: 5000 });

describe('process-group backends', () => {
  it.skipIf(!dist.isNcclAvailable() || torch.cuda.isAvailable())(
    "rejects backend 'nccl' with a one-line TorchError on a machine without a GPU (CUDA build with NCCL)",
    async () => {
      const err = await dist.initProcessGroup({ backend: 'nccl', ...(await single()) }).catch((e) => e);
      expect(err).toBeInstanceOf(torch.TorchError);
      expect(err.message).toBe(
        "initProcessGroup: backend 'nccl' needs a CUDA GPU, and this machine has none (torch.cuda.isAvailable() is false); use 'gloo'",
      );
      expect(dist.isInitialized()).toBe(false);
    },
  );

  it.skipIf(dist.isNcclAvailable() || !dist.isAvailable())("rejects backend 'nccl' in a build without NCCL, saying what the build needs", async () => {
    const err = await dist.initProcessGroup({ backend: 'nccl', ...(await single()) }).catch((e) => e);
    expect(err).toBeInstanceOf(torch.TorchError);
    expect(err.message).toMatch(/^initProcessGroup: backend 'nccl' needs a CUDA libtorch built with NCCL and NCCL's header \(nccl\.h\) at build time/);
  });

  it('rejects an unknown backend by name', async () => {
    const err = await dist.initProcessGroup({ backend: 'mpi' as 'gloo', ...(await single()) }).catch((e) => e);
    expect(err.message).toBe("initProcessGroup: unknown backend 'mpi' (expected 'gloo' or 'nccl')");
  });
});

describe('a build without gloo (simulated)', () => {
  const real = native.distributed;
  afterEach(() => {
    (native as unknown as { distributed: unknown }).distributed = real;
  });

  it('says how to get torch.distributed from every entry, as TorchErrors', async () => {
    (native as unknown as { distributed: unknown }).distributed = { isAvailable: () => false, isGlooAvailable: () => false, isNcclAvailable: () => false };
    expect(dist.isAvailable()).toBe(false);
    expect(dist.isGlooAvailable()).toBe(false);
    const message = /^(\w+): torch\.distributed is not in this build: it needs gloo's headers at build time \(apt-get install libgloo-dev, then rebuild: npm run build\)$/;
    const t = torch.ones([2]);
    const calls: [string, () => unknown][] = [
      ['initProcessGroup', () => dist.initProcessGroup({ rank: 0, worldSize: 1 })],
      ['isInitialized', () => dist.isInitialized()],
      ['getRank', () => dist.getRank()],
      ['getWorldSize', () => dist.getWorldSize()],
      ['getBackend', () => dist.getBackend()],
      ['destroyProcessGroup', () => dist.destroyProcessGroup()],
      ['allReduce', () => dist.allReduce(t)],
      ['broadcast', () => dist.broadcast(t)],
      ['allGather', () => dist.allGather([t], t)],
      ['barrier', () => dist.barrier()],
      ['DistributedDataParallel', () => new torch.nn.parallel.DistributedDataParallel(new torch.nn.Linear(2, 2))],
      ['TCPStore', () => new dist.TCPStore('127.0.0.1', 29500, { isMaster: true })],
    ];
    for (const [name, call] of calls) {
      let error: unknown;
      try {
        await call();
      } catch (e) {
        error = e;
      }
      expect(error, name).toBeInstanceOf(torch.TorchError);
      expect((error as Error).message, name).toMatch(message);
      expect((error as Error).message.startsWith(`${name}: `), name).toBe(true);
    }
  });
});
