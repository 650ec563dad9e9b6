// torch.autocast on CPU (bfloat16) against Python's torch.autocast('cpu') and channels_last models
import { describe, expect, it } from 'vitest';
import * as torch from '../lib';
import { maxDiff, Nested } from './helpers/compare';
import { runPython } from './helpers/python';

const F = torch.nn.functional;

describe('autocast', () => {
  it('runs conv2d and linear in bfloat16 like torch.autocast("cpu"), loss in float32, and restores the state', () => {
    torch.manualSeed(0);
    const x = torch.randn([2, 3, 8, 8]);
    const w = torch.randn([4, 3, 3, 3]);
    const lw = torch.randn([5, 16]);
    const y = torch.tensor([1, 3], { dtype: 'int64' });
    expect(torch.isAutocastEnabled('cpu')).toBe(false);
    const out = torch.autocast('cpu', () => {
      expect(torch.isAutocastEnabled('cpu')).toBe(true);
      const c = F.conv2d(x, w, null, { padding: 1 });
      const l = F.linear(c.flatten(1).narrow(1, 0, 16), lw);
      return { c, l, loss: F.crossEntropy(l, y) };
    });
    expect(torch.isAutocastEnabled('cpu')).toBe(false);
    expect(out.c.dtype).toBe('bfloat16');
    expect(out.l.dtype).toBe('bfloat16');
    expect(out.loss.dtype).toBe('float32');
    const py = runPython(
      `
import torch
import torch.nn.functional as F
x = torch.tensor(inp['x']); w = torch.tensor(inp['w']); lw = torch.tensor(inp['lw']); y = torch.tensor([1, 3])
with torch.autocast('cpu', dtype=torch.bfloat16):
    c = F.conv2d(x, w, None, padding=1)
    l = F.linear(c.flatten(1)[:, :16], lw)
    loss = F.cross_entropy(l, y)
print(json.dumps({'c': c.float().tolist(), 'l': l.float().tolist(), 'loss': loss.item(), 'dtypes': [str(c.dtype), str(loss.dtype)]}))`,
      { x: x.toArray(), w: w.toArray(), lw: lw.toArray() },
    );
    expect(py.dtypes).toEqual(['torch.bfloat16', 'torch.float32']);
    expect(maxDiff(out.c.toArray() as Nested, py.c)).toBe(0);
    expect(maxDiff(out.l.toArray() as Nested, py.l)).toBe(0);
    expect(Math.abs((out.loss.item() as number) - py.loss)).toBeLessThan(1e-6);
  });

  it('restores the state when fn throws, and rejects bad arguments', () => {
    expect(() => torch.autocast('cpu', () => { throw new Error('inside'); })).toThrow('inside');
    expect(torch.isAutocastEnabled('cpu')).toBe(false);
    expect(() => torch.autocast('cpu', () => 1, { dtype: 'float64' as never })).toThrow(/dtype must be float16 or bfloat16/);
    expect(() => torch.autocast('tpu' as never, () => 1)).toThrow(/deviceType must be 'cpu' or 'cuda'/);
  });
});

describe('channels_last', () => {
  it('model.to({memoryFormat}) changes the 4-D parameters in place and keeps the outputs', () => {
    torch.manualSeed(1);
    const model = torch.models.resnet20();
    model.eval();
    const x = torch.randn([2, 3, 32, 32]);
    const before = torch.noGrad(() => model.forward(x));
    const conv = model.parameters()[0];
    expect(conv.isContiguous('channels_last')).toBe(false);
    model.to({ memoryFormat: 'channels_last' });
    expect(conv.isContiguous('channels_last')).toBe(true); // the same handle: changed in place
    expect(model.parameters()[0].isContiguous('channels_last')).toBe(true);
    const after = torch.noGrad(() => model.forward(x.contiguous('channels_last')));
    expect(maxDiff(after.toArray() as Nested, before.toArray() as Nested)).toBeLessThan(1e-4);
  });
});
