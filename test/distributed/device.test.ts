// A distributed rank's default device: torchrun's one GPU per process, cuda:LOCAL_RANK (pure logic, on any
// machine), and what trainResNet20({ distributed: true }) picks from it.
import { afterEach, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { resolveOptions } from '../../lib/train/options';

const dist = torch.distributed;
const savedLocalRank = process.env.LOCAL_RANK;
afterEach(() => {
  if (savedLocalRank === undefined) delete process.env.LOCAL_RANK;
  else process.env.LOCAL_RANK = savedLocalRank;
});

describe('distributed.localDevice', () => {
  it('maps LOCAL_RANK i to cuda:i on a machine with enough GPUs', () => {
    expect(dist.localDevice('0', 1)).toBe('cuda:0');
    expect(dist.localDevice('3', 8)).toBe('cuda:3');
    expect(dist.localDevice('7', 8)).toBe('cuda:7');
  });

  it("uses the CPU without a GPU, whatever LOCAL_RANK says, and the current CUDA device ('cuda') without LOCAL_RANK", () => {
    expect(dist.localDevice('0', 0)).toBe('cpu');
    expect(dist.localDevice('5', 0)).toBe('cpu');
    expect(dist.localDevice(undefined, 0)).toBe('cpu');
    expect(dist.localDevice(undefined, 2)).toBe('cuda');
    expect(dist.localDevice('', 2)).toBe('cuda');
  });

  it('refuses a LOCAL_RANK without a GPU of its own, and one that is not an integer, naming it', () => {
    expect(() => dist.localDevice('2', 2)).toThrow(
      new torch.TorchError(
        'distributed.defaultDevice: LOCAL_RANK 2 has no GPU of its own: this machine has 2 CUDA device(s) (start at most 2 ranks per machine, --nproc-per-node)',
      ),
    );
    expect(() => dist.localDevice('-1', 2)).toThrow(new torch.TorchError("distributed.defaultDevice: LOCAL_RANK must be a non-negative integer, got '-1'"));
    expect(() => dist.localDevice('one', 2)).toThrow(torch.TorchError);
  });
});

describe('distributed.defaultDevice', () => {
  it("is this machine's mapping of $LOCAL_RANK", () => {
    const gpus = torch.cuda.isAvailable() ? torch.cuda.deviceCount() : 0;
    process.env.LOCAL_RANK = '0';
    expect(dist.defaultDevice()).toBe(gpus > 0 ? 'cuda:0' : 'cpu');
    delete process.env.LOCAL_RANK;
    expect(dist.defaultDevice()).toBe(gpus > 0 ? 'cuda' : 'cpu');
  });

  it("is trainResNet20's device for a distributed run that names none; a named device stays", () => {
    process.env.LOCAL_RANK = '0';
    expect(resolveOptions({ distributed: true }).device).toBe(dist.defaultDevice());
    expect(resolveOptions({ distributed: true, device: 'cpu' }).device).toBe('cpu');
    expect(resolveOptions({ device: 'cpu' }).device).toBe('cpu');
  });

  it.skipIf(!torch.cuda.isAvailable())("(needs CUDA) resolves a distributed run's plain 'cuda' to cuda:LOCAL_RANK, and keeps an explicit cuda:N", () => {
    process.env.LOCAL_RANK = '0';
    expect(resolveOptions({ distributed: true, device: 'cuda' }).device).toBe('cuda:0');
    expect(resolveOptions({ device: 'cuda' }).device).toBe('cuda');
    expect(resolveOptions({ distributed: true, device: 'cuda:0' }).device).toBe('cuda:0');
  });
});
