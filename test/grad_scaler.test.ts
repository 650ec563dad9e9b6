// GradScaler (torch.amp.GradScaler): scale, unscale_, step skipping on inf/nan, growth and backoff,
// state dict. Worked by hand on both libtorch lines (1.13 runs the tensor-op fallback on the CPU, 2.x
// PyTorch's kernels), and against Python's torch.amp.GradScaler('cpu') where the installed PyTorch has it.
import { describe, expect, it } from 'vitest';
import * as torch from '../lib';
import { GradScaler, optim, Tensor } from '../lib';
import { arr, maxDiff } from './helpers/compare';
import { hasPythonTorch, runPython } from './helpers/python';

const pyHasCpuScaler =
  hasPythonTorch() && runPython<boolean>("import torch\nprint(json.dumps(hasattr(torch, 'amp') and hasattr(torch.amp, 'GradScaler')))");

// One scaled step: loss = sum(p * g), backward of the scaled loss, step, update.
function scaledStep(scaler: GradScaler, opt: optim.Optimizer, params: Tensor[], gs: Tensor[]) {
  opt.zeroGrad();
  const loss = params.map((p, i) => p.mul(gs[i]).sum()).reduce((a, b) => a.add(b));
  scaler.scale(loss).backward();
  scaler.step(opt);
  scaler.update();
}

if (!pyHasCpuScaler) console.warn('test/grad_scaler: the reference PyTorch has no torch.amp.GradScaler (1.13 has only torch.cuda.amp, CUDA-only): the Python comparison is skipped');

const variants: [string, boolean][] = [['multi-tensor SGD (skip decided on the host)', false]];
if (optim.fusedSgdAvailable) variants.push(['fused SGD (skip and unscale inside the kernel)', true]);

describe.each(variants)('GradScaler with %s, worked by hand', (_name, fused) => {
  it('unscales before the step, skips steps with inf or nan, grows after growthInterval clean steps, backs off', () => {
    const p = torch.tensor([1, 2]).requiresGrad_();
    const opt = new optim.SGD([p], { lr: 0.5, fused });
    const scaler = new GradScaler('cpu', { initScale: 4, growthInterval: 2 });
    const t = (a: number[]) => torch.tensor(a);
    scaledStep(scaler, opt, [p], [t([1, 1])]);
    expect(p.toArray()).toEqual([0.5, 1.5]); // grad 4·g unscaled to g: p − 0.5·g
    expect(scaler.stateDict()).toEqual({ scale: 4, growth_factor: 2, backoff_factor: 0.5, growth_interval: 2, _growth_tracker: 1 });
    scaledStep(scaler, opt, [p], [t([2, -2])]);
    expect(p.toArray()).toEqual([-0.5, 2.5]);
    expect([scaler.getScale(), scaler.stateDict()._growth_tracker]).toEqual([8, 0]); // second clean step: ×2
    scaledStep(scaler, opt, [p], [t([Infinity, 1])]);
    expect(p.toArray()).toEqual([-0.5, 2.5]); // skipped
    expect([scaler.getScale(), scaler.stateDict()._growth_tracker]).toEqual([4, 0]); // backoff ×0.5
    scaledStep(scaler, opt, [p], [t([NaN, 0])]);
    expect(p.toArray()).toEqual([-0.5, 2.5]);
    expect(scaler.getScale()).toBe(2);
    // unscale_ by hand (as before gradient clipping): the gradient reads unscaled, step does not unscale again
    opt.zeroGrad();
    scaler.scale(p.mul(t([1, 1])).sum()).backward();
    expect(p.grad!.toArray()).toEqual([2, 2]);
    scaler.unscale_(opt);
    expect(p.grad!.toArray()).toEqual([1, 1]);
    scaler.step(opt);
    scaler.update();
    expect(p.toArray()).toEqual([-1, 2]);
    expect(scaler.stateDict()).toEqual({ scale: 2, growth_factor: 2, backoff_factor: 0.5, growth_interval: 2, _growth_tracker: 1 });
    scaler.dispose();
  });
});

describe('GradScaler protocol', () => {
  const setup = () => {
    const p = torch.tensor([1, 2]).requiresGrad_();
    return { p, opt: new optim.SGD([p], { lr: 0.1 }), scaler: new GradScaler('cpu') };
  };
  it("refuses calls out of order with PyTorch's messages", () => {
    const { p, opt, scaler } = setup();
    expect(() => scaler.step(opt)).toThrow(/Attempted step but _scale is None/);
    scaler.scale(p.sum()).backward();
    expect(() => scaler.update()).toThrow(/No inf checks were recorded prior to update/);
    scaler.unscale_(opt);
    expect(() => scaler.unscale_(opt)).toThrow(/unscale_\(\) has already been called on this optimizer since the last update\(\)/);
    scaler.step(opt);
    expect(() => scaler.step(opt)).toThrow(/step\(\) has already been called since the last update\(\)/);
    expect(() => scaler.unscale_(opt)).toThrow(/unscale_\(\) is being called after step\(\)/);
    scaler.update();
    expect(() => new GradScaler('cpu', { growthFactor: 1 })).toThrow(/growth factor must be > 1.0/);
  });

  it('a disabled scaler passes the loss and the step through; its state dict is empty', () => {
    const p = torch.tensor([1, 2]).requiresGrad_();
    const opt = new optim.SGD([p], { lr: 0.5 });
    const scaler = new GradScaler('cpu', { enabled: false });
    const loss = p.sum();
    expect(scaler.scale(loss)).toBe(loss);
    loss.backward();
    scaler.step(opt);
    scaler.update();
    expect(p.toArray()).toEqual([0.5, 1.5]);
    expect(scaler.stateDict()).toEqual({});
    expect(() => new GradScaler('cpu').loadStateDict({} as never)).toThrow(/The source state dict is empty/);
  });

  it('loadStateDict restores scale and tracker, and the next steps continue from them', () => {
    const a = new GradScaler('cpu', { initScale: 16, growthInterval: 3 });
    const b = new GradScaler('cpu');
    const p = torch.tensor([1]).requiresGrad_();
    const opt = new optim.SGD([p], { lr: 0.1 });
    scaledStep(a, opt, [p], [torch.tensor([1])]);
    b.loadStateDict(a.stateDict());
    expect(b.stateDict()).toEqual(a.stateDict());
    for (const s of [a, b]) for (let i = 0; i < 2; i++) scaledStep(s, opt, [p], [torch.tensor([1])]);
    expect(b.getScale()).toBe(32);
    expect(a.getScale()).toBe(32);
  });
});

describe.skipIf(!pyHasCpuScaler)('GradScaler against torch.amp.GradScaler("cpu")', () => {
  it.each(variants)('%s: parameters, scale and state dict agree over 10 steps with an inf and a nan', (_name, fused) => {
    torch.manualSeed(7);
    const shapes = [[3, 2], [4], [2, 2]];
    const init = shapes.map((s) => torch.randn(s));
    const finite = Array.from({ length: 10 }, () => shapes.map((s) => torch.randn(s)));
    // JSON has no inf/nan: both sides put them into the first element of these gradients.
    const bad: [number, number, number][] = [[4, 1, Infinity], [7, 2, NaN]];
    const grads = finite.map((gs, t) =>
      gs.map((g, i) => {
        const hit = bad.find(([bt, bi]) => bt === t && bi === i);
        if (!hit) return g;
        const out = g.clone();
        out.view(-1).narrow(0, 0, 1).fill_(hit[2]); // a view: writes into out
        return out;
      }),
    );
    const params = init.map((t) => t.clone().requiresGrad_());
    const opt = new optim.SGD(params, { lr: 0.1, momentum: 0.9, weightDecay: 1e-3, fused });
    const scaler = new GradScaler('cpu', { initScale: 1024, growthInterval: 3 });
    const scales: number[] = [];
    for (const gs of grads) {
      scaledStep(scaler, opt, params, gs);
      scales.push(scaler.getScale());
    }
    const py = runPython(
      `import torch
T = torch.tensor
params = [T(x).requires_grad_() for x in inp['init']]
opt = torch.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=1e-3, fused=inp['fused'] or None)
scaler = torch.amp.GradScaler('cpu', init_scale=1024, growth_interval=3)
scales = []
bad = {(4, 1): float('inf'), (7, 2): float('nan')}
for t, gs in enumerate(inp['grads']):
    gs = [T(g) for g in gs]
    for (bt, bi), v in bad.items():
        if bt == t: gs[bi].view(-1)[0] = v
    opt.zero_grad()
    loss = sum((p * g).sum() for p, g in zip(params, gs))
    scaler.scale(loss).backward()
    scaler.step(opt)
    scaler.update()
    scales.append(scaler.get_scale())
print(json.dumps({'params': [p.tolist() for p in params], 'scales': scales, 'sd': scaler.state_dict()}))`,
      { init: init.map(arr), grads: finite.map((gs) => gs.map(arr)), fused },
    );
    expect(scales).toEqual(py.scales);
    expect(scales).toContain(512); // the inf step backed off
    params.forEach((p, i) => expect(maxDiff(arr(p), py.params[i]), `param ${i}`).toBeLessThan(1e-6));
    expect(scaler.stateDict()).toEqual(py.sd);
  });
});
