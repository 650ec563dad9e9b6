// SGD({fused: true}): PyTorch's fused kernel with the learning rate in a device tensor, against Python's
// torch.optim.SGD(fused=True) and against our multi-tensor SGD, 20 steps with an lr change at step 10.
// libtorch 1.13 has no fused SGD: the fallback is checked there instead (the warning and the flag).
import { describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { optim, Tensor } from '../../lib';
import { arr, maxDiff } from '../helpers/compare';
import { runPython } from '../helpers/python';
import { CONFIGS, PY_RUN, runOurs, setup } from './sgd_helpers';

const STEPS = 20;
const DROP_AT = 10;
const fusedReason = `libtorch ${torch.libtorchVersion} has no fused SGD kernel (2.4 and newer)`;

describe.skipIf(!optim.fusedSgdAvailable)('SGD({fused: true}) on this libtorch', () => {
  it(`equals torch.optim.SGD(fused=True) and the multi-tensor SGD to 1e-6 over ${STEPS} steps (each option)`, () => {
    const { init, grads } = setup(3, STEPS);
    const ours = CONFIGS.map(([, o]) => runOurs({ ...o, fused: true }, init, grads, DROP_AT));
    const plain = CONFIGS.map(([, o]) => runOurs(o, init, grads, DROP_AT));
    const py = runPython<number[][][]>(
      PY_RUN +
        `out = [[p.tolist() for p in run({**opts, 'fused': True}, inp['init'], inp['grads'], ${DROP_AT})[0]] for opts in inp['configs']]
print(json.dumps(out))`,
      { configs: CONFIGS.map(([, , p]) => p), init: init.map(arr), grads: grads.map((gs) => gs.map(arr)) },
    );
    CONFIGS.forEach(([name], c) => {
      expect(ours[c].opt.fused, name).toBe(true);
      ours[c].params.forEach((p, i) => {
        expect(maxDiff(arr(p), py[c][i]), `${name}: param ${i} vs PyTorch`).toBeLessThan(1e-6);
        expect(maxDiff(arr(p), arr(plain[c].params[i])), `${name}: param ${i} vs multi-tensor SGD`).toBeLessThan(1e-6);
      });
      expect(maxDiff(arr(ours[c].params[0]), arr(init[0])), `${name} moved`).toBeGreaterThan(1e-2);
    });
  });

  it("state dict has PyTorch's layout: fused: true in the groups, the momentum buffers' values", () => {
    const { init, grads } = setup(5, STEPS);
    const { opt } = runOurs({ lr: 0.1, momentum: 0.9, weightDecay: 1e-4, fused: true }, init, grads, DROP_AT);
    const sd = opt.stateDict();
    const py = runPython(
      PY_RUN +
        `_, opt = run(dict(lr=0.1, momentum=0.9, weight_decay=1e-4, fused=True), inp['init'], inp['grads'], ${DROP_AT})
print(state_json(opt))`,
      { init: init.map(arr), grads: grads.map((gs) => gs.map(arr)) },
    );
    expect(sd.param_groups[0].fused).toBe(true);
    expect(sd.param_groups).toEqual(py.param_groups);
    for (const [k, v] of sd.state) expect(maxDiff(arr(v.momentum_buffer as Tensor), py.state[k].momentum_buffer)).toBeLessThan(1e-6);
  });

  it('holds the learning rate in a float32 tensor that follows the group’s lr (written with fill_)', () => {
    const p = torch.ones([2]).requiresGrad_();
    const opt = new optim.SGD([p], { lr: 0.5, fused: true });
    const lr = opt.lrTensor(opt.paramGroups[0]);
    expect([lr.dtype, lr.device, lr.item()]).toEqual(['float32', 'cpu', 0.5]);
    opt.paramGroups[0].lr = 0.25;
    p.sum().backward();
    opt.step();
    expect(opt.lrTensor(opt.paramGroups[0])).toBe(lr); // the same tensor, rewritten
    expect(lr.item()).toBe(0.25);
    expect(p.toArray()).toEqual([0.75, 0.75]);
  });

  it('refuses integer parameters, as PyTorch', () => {
    expect(() => new optim.SGD([torch.ones([2], { dtype: 'int64' })], { lr: 0.1, fused: true })).toThrow(/fused=true requires all the params to be floating point/);
  });
});

describe.skipIf(optim.fusedSgdAvailable)(`SGD({fused: true}) without the kernel (${fusedReason})`, () => {
  it('warns, reads fused: false, runs the multi-tensor update and writes the state dict of this PyTorch', async () => {
    const warnings: string[] = [];
    const listen = (w: Error) => warnings.push(w.message);
    process.on('warning', listen);
    try {
      const { init, grads } = setup(3, STEPS);
      const a = runOurs({ lr: 0.1, momentum: 0.9, fused: true }, init, grads, DROP_AT);
      const b = runOurs({ lr: 0.1, momentum: 0.9 }, init, grads, DROP_AT);
      expect(a.opt.fused).toBe(false);
      a.params.forEach((p, i) => expect(p.equal(b.params[i])).toBe(true));
      expect(a.opt.stateDict().param_groups).toEqual(b.opt.stateDict().param_groups);
      await new Promise((resolve) => setImmediate(resolve)); // process.emitWarning delivers on a later tick
    } finally {
      process.off('warning', listen);
    }
    expect(warnings.join('\n')).toMatch(/fused=true needs libtorch 2.4 or newer .* running the multi-tensor SGD update instead/);
  });
});
