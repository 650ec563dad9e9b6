// saveAsync / loadAsync: the same files as save / load (Python reads what saveAsync writes), atomic,
// and the event loop keeps running while a multi-tensor checkpoint is written.
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { hasPythonTorch, runPython } from '../helpers/python';
import { tempDir } from './helpers';

const dir = tempDir('async');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function checkpoint(n: number, numel: number): Map<string, torch.Tensor> {
  torch.manualSeed(4);
  return new Map(Array.from({ length: n }, (_, i) => [`layer${i}.weight`, torch.randn([numel])] as [string, torch.Tensor]));
}

describe('saveAsync and loadAsync', () => {
  it('write the bytes save() writes, and read back what load() reads', async () => {
    const net = checkpoint(3, 1000);
    const obj = { net, acc: 91.5, epoch: 7, tags: ['a', 'b'] };
    const a = path.join(dir, 'sync.pth');
    const b = path.join(dir, 'async.pth');
    torch.save(obj, a);
    await torch.saveAsync(obj, b);
    // Same name inside the archive needs the same file name: compare after renaming.
    const c = path.join(dir, 'async', 'sync.pth');
    fs.mkdirSync(path.dirname(c));
    await torch.saveAsync(obj, c);
    expect(fs.readFileSync(c).equals(fs.readFileSync(a))).toBe(true);
    // A state dict comes back as a plain object, whoever saved it (as load() gives it).
    const viaAsync = (await torch.loadAsync(b)) as { net: Record<string, torch.Tensor>; acc: number; epoch: number };
    expect(viaAsync.acc).toBe(91.5);
    expect(viaAsync.epoch).toBe(7);
    for (const [k, t] of net) expect(viaAsync.net[k].equal(t)).toBe(true);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it.skipIf(!hasPythonTorch())('Python torch.load reads a saveAsync file', async () => {
    const net = checkpoint(2, 5);
    const file = path.join(dir, 'py.pth');
    await torch.saveAsync({ net, epoch: 3 }, file);
    const py = runPython(`import torch\nc = torch.load(inp)\nprint(json.dumps({'epoch': c['epoch'], 'w': c['net']['layer1.weight'].tolist()}))`, file);
    expect(py.epoch).toBe(3);
    expect(py.w).toEqual(net.get('layer1.weight')!.toArray());
  });

  it('errors name the file; a failed save leaves no temporary file', async () => {
    await expect(torch.loadAsync(path.join(dir, 'missing.pth'))).rejects.toThrow(/^load: cannot read '.*missing\.pth'/);
    await expect(torch.saveAsync({ f: () => 1 }, path.join(dir, 'bad.pth'))).rejects.toThrow(/^save: '.*bad\.pth': cannot save a value of type function/);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  // Counted in turns of the event loop, not in milliseconds: a synchronous save holds the loop for its
  // whole time (no setImmediate callback runs), the asynchronous one hands it back at least once per
  // tensor (8 here), however fast or loaded the machine is.
  it('the event loop keeps running while 8 tensors of 4 MB are written', async () => {
    const net = checkpoint(8, 1 << 20);
    const turnsDuring = async (work: () => unknown) => {
      let turns = 0;
      let running = true;
      const spin = () => {
        if (!running) return;
        turns++;
        setImmediate(spin);
      };
      setImmediate(spin);
      await work();
      running = false;
      return turns;
    };
    const syncTurns = await turnsDuring(() => torch.save({ net }, path.join(dir, 'big-sync.pth')));
    const asyncTurns = await turnsDuring(() => torch.saveAsync({ net }, path.join(dir, 'big-async.pth')));
    console.log(`event-loop turns while saving 8 × 4 MB: save ${syncTurns}, saveAsync ${asyncTurns}`);
    expect(syncTurns).toBe(0);
    expect(asyncTurns).toBeGreaterThanOrEqual(8);
    const back = (await torch.loadAsync(path.join(dir, 'big-async.pth'))) as { net: Record<string, torch.Tensor> };
    expect(back.net['layer7.weight'].equal(net.get('layer7.weight')!)).toBe(true);
  });
});
