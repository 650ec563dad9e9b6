// torch.noGrad / enableGrad: a synchronous fn gets the mode for its call; an async fn keeps it until its promise
// settles (every await of its body included), then the previous mode is back, also on rejection.
import { describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { nn } from '../../lib';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('grad mode', () => {
  it('noGrad of a synchronous fn: off inside, restored after', () => {
    const w = torch.ones([2], { requiresGrad: true });
    const y = torch.noGrad(() => w.mul(2));
    expect(y.requiresGrad).toBe(false);
    expect(torch.isGradEnabled()).toBe(true);
    expect(w.mul(2).requiresGrad).toBe(true);
  });

  it('noGrad of an async fn keeps grad off across its awaits and restores it when the promise settles', async () => {
    const w = torch.ones([2], { requiresGrad: true });
    const seen: boolean[] = [];
    const out = await torch.noGrad(async () => {
      await tick();
      seen.push(torch.isGradEnabled());
      const a = w.mul(2);
      await tick();
      seen.push(torch.isGradEnabled());
      return a.add(w);
    });
    expect(seen).toEqual([false, false]);
    expect(out.requiresGrad).toBe(false);
    expect(torch.isGradEnabled()).toBe(true);
  });

  it('an async noGrad that rejects restores grad mode and passes the error on', async () => {
    await expect(
      torch.noGrad(async () => {
        await tick();
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(torch.isGradEnabled()).toBe(true);
  });

  it('a synchronous throw restores grad mode', () => {
    expect(() =>
      torch.noGrad(() => {
        throw new Error('sync boom');
      }),
    ).toThrow('sync boom');
    expect(torch.isGradEnabled()).toBe(true);
  });

  it('enableGrad inside noGrad records again, sync and async, and the outer mode comes back', async () => {
    const w = torch.ones([2], { requiresGrad: true });
    await torch.noGrad(async () => {
      expect(torch.enableGrad(() => w.mul(3)).requiresGrad).toBe(true);
      expect(torch.isGradEnabled()).toBe(false);
      const inner = await torch.enableGrad(async () => {
        await tick();
        return w.mul(3);
      });
      expect(inner.requiresGrad).toBe(true);
      expect(torch.isGradEnabled()).toBe(false);
      expect(w.mul(3).requiresGrad).toBe(false);
    });
    expect(torch.isGradEnabled()).toBe(true);
  });

  it('overlapping async noGrad scopes keep grad off until the last one settles', async () => {
    let releaseFirst!: () => void;
    const first = torch.noGrad(() => new Promise<void>((resolve) => (releaseFirst = resolve)));
    const second = torch.noGrad(async () => {
      await tick();
      await tick();
      return torch.isGradEnabled();
    });
    releaseFirst();
    await first;
    expect(torch.isGradEnabled()).toBe(false); // the second is still pending
    expect(await second).toBe(false);
    expect(torch.isGradEnabled()).toBe(true);
  });

  it("api-more.md's `await torch.noGrad(() => model.forwardAsync(x))` gives an output without grad", async () => {
    torch.manualSeed(0);
    const model = new nn.Linear(3, 2);
    const x = torch.randn([4, 3]);
    const out = (await torch.noGrad(() => model.forwardAsync(x))) as torch.Tensor;
    expect(out.requiresGrad).toBe(false);
    expect(torch.isGradEnabled()).toBe(true);
    expect(out.sub(torch.noGrad(() => model.forward(x))).abs().max().item()).toBeLessThan(1e-6);
  });
});
