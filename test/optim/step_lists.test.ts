// The lists an optimizer keeps between steps (lib/optim/step_lists.ts, native/optim_lists.cc) are never
// used stale: each case changes what a kept list holds between two steps and checks the second step's
// numbers, worked out by hand (plain SGD: p ← p − lr·g; momentum: b ← μ·b + g, p ← p − lr·b).
import { describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { Tensor } from '../../lib';
import { native } from '../../lib/native';

const values = (t: Tensor) => Array.from(t.detach().toTypedArray() as Float32Array);
const withGrad = (p: Tensor, g: number[]) => {
  p.grad = torch.tensor(g);
  return p;
};

describe('kept step lists follow the gradients', () => {
  it('a gradient dropped by zeroGrad and one set anew are seen by the next step', () => {
    const a = torch.tensor([1, 2]).requiresGrad_();
    const b = torch.tensor([10]).requiresGrad_();
    const opt = new torch.optim.SGD([a, b], { lr: 0.5 });
    withGrad(a, [2, 4]);
    withGrad(b, [6]);
    opt.step();
    expect(values(a)).toEqual([0, 0]);
    expect(values(b)).toEqual([7]);
    opt.zeroGrad(); // set to None: b gets no new gradient and must not move
    withGrad(a, [-2, 2]);
    opt.step();
    expect(values(a)).toEqual([1, -1]);
    expect(values(b)).toEqual([7]);
    withGrad(b, [2]); // b's gradient back, a new tensor
    opt.step();
    expect(values(a)).toEqual([2, -2]);
    expect(values(b)).toEqual([6]);
  });

  it('a gradient accumulated by backward in place is read as it is at the step', () => {
    const p = torch.tensor([1, 1]).requiresGrad_();
    const opt = new torch.optim.SGD([p], { lr: 1 });
    torch.tidy(() => p.mul(torch.tensor([1, 2])).sum().backward());
    opt.step(); // g = [1, 2]
    expect(values(p)).toEqual([0, -1]);
    torch.tidy(() => p.mul(torch.tensor([3, 3])).sum().backward()); // accumulates: g = [4, 5]
    opt.step();
    expect(values(p)).toEqual([-4, -6]);
  });

  it('a group whose params are replaced steps the new ones', () => {
    const a = withGrad(torch.tensor([1]).requiresGrad_(), [1]);
    const b = withGrad(torch.tensor([5]).requiresGrad_(), [1]);
    const opt = new torch.optim.SGD([a], { lr: 1 });
    opt.step();
    opt.paramGroups[0].params = [b];
    opt.step();
    expect(values(a)).toEqual([0]);
    expect(values(b)).toEqual([4]);
  });
});

describe('kept state lists follow the state', () => {
  it('momentum buffers replaced by loadStateDict are the ones the next step updates', () => {
    const p = withGrad(torch.tensor([0, 0]).requiresGrad_(), [1, 1]);
    const opt = new torch.optim.SGD([p], { lr: 1, momentum: 0.5 });
    opt.step(); // b = g = [1, 1]; p = [-1, -1]
    opt.step(); // b = 0.5·[1, 1] + [1, 1] = [1.5, 1.5]; p = [-2.5, -2.5]
    expect(values(p)).toEqual([-2.5, -2.5]);
    const sd = opt.stateDict();
    sd.state.set(0, { momentum_buffer: torch.tensor([10, 20]) });
    opt.loadStateDict(sd);
    opt.step(); // b = 0.5·[10, 20] + [1, 1] = [6, 11]
    expect(values(p)).toEqual([-8.5, -13.5]);
    expect(values(opt.state.get(p)!.momentumBuffer as Tensor)).toEqual([6, 11]);
  });

  it('a parameter that gets a gradient later starts its buffer while the others keep theirs', () => {
    const a = withGrad(torch.tensor([0]).requiresGrad_(), [1]);
    const b = torch.tensor([0]).requiresGrad_();
    const opt = new torch.optim.SGD([a, b], { lr: 1, momentum: 0.5 });
    opt.step(); // a: b_a = 1, a = -1
    withGrad(b, [2]);
    opt.step(); // a: b_a = 1.5, a = -2.5; b: b_b = 2, b = -2
    expect(values(a)).toEqual([-2.5]);
    expect(values(b)).toEqual([-2]);
  });
});

describe('kept lists refuse what is gone', () => {
  it('a disposed parameter makes the next step a TorchError', () => {
    const a = withGrad(torch.tensor([1]).requiresGrad_(), [1]);
    const opt = new torch.optim.SGD([a], { lr: 1 });
    opt.step();
    a.dispose();
    expect(() => opt.step()).toThrow(torch.TorchError);
    expect(() => opt.step()).toThrow(/disposed/);
  });

  it('the native entries refuse a value that is not one of their lists, and an op takes a list whole', () => {
    expect(() => native.optimLists.gradsOf({} as never)).toThrow(torch.TorchError);
    expect(() => native.optimLists.gradsOf({} as never)).toThrow(/^optimLists\.gradsOf: expected a list made by optimLists\.list/);
    expect(() => native.optimLists.list([torch.tensor([1]), 3 as never])).toThrow(/^optimLists\.list: element 1 is not a Tensor/);
    const xs = [torch.tensor([1, 2]), torch.tensor([3])];
    const kept = native.optimLists.list(xs);
    expect(values(torch.cat(kept as never))).toEqual([1, 2, 3]);
    expect(native.optimLists.gradIndices(kept)).toEqual([]);
    const view = native.optimLists.gradsOf(kept);
    expect(() => torch.cat(view as never)).toThrow(/element 0 of a gradients list has no gradient/);
  });
});
