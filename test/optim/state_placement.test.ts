// Optimizer.loadStateDict places each state tensor as PyTorch's _process_value_according_to_param_policy
// does (the parameter's device; its dtype when floating point; `step` as saved), and with the parameter's
// strides, so that a channels_last parameter's momentum buffer passes the fused kernels' layout check even
// when the file holds it contiguous.
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { optim, type Tensor } from '../../lib';
import { storageOf } from '../../lib/serialization/storage';
import { hasPythonTorch, runPython } from '../helpers/python';
import { tempDir } from '../serialization/helpers';

const dir = tempDir('optim-state');

function stridesOf(t: Tensor): number[] {
  const s = storageOf(t);
  s.bytes.dispose();
  return s.stride;
}

/** A channels_last [2, 3, 2, 2] parameter with a gradient of known values (0.5 * index). */
function channelsLastParam(dtype: 'float32' | 'float64' = 'float32', device = 'cpu'): Tensor {
  const p = torch.arange(0, 24).to(dtype).reshape([2, 3, 2, 2]).to(device).contiguous('channels_last').requiresGrad_(true);
  p.mul(torch.arange(0, 24).to(dtype).reshape([2, 3, 2, 2]).to(device).mul(0.5)).sum().backward();
  return p;
}

const CHANNELS_LAST = [12, 1, 6, 3];
const HALF_INDEX = Array.from({ length: 24 }, (_, i) => i * 0.5);

function momentum(opt: optim.Optimizer, p: Tensor): Tensor {
  return opt.state.get(p)!.momentumBuffer as Tensor;
}

describe('Optimizer.loadStateDict: layout', () => {
  it("a channels_last parameter's momentum buffer keeps the parameter's strides through save and load", () => {
    const p = channelsLastParam();
    const opt = new optim.SGD([p], { lr: 0.1, momentum: 0.9 });
    opt.step();
    expect(stridesOf(momentum(opt, p))).toEqual(CHANNELS_LAST);
    const file = path.join(dir, 'sgd.pth');
    torch.save({ optimizer: opt.stateDict() }, file);
    const loaded = torch.load<{ optimizer: optim.OptimizerStateDict }>(file);
    const q = channelsLastParam();
    const opt2 = new optim.SGD([q], { lr: 0.1, momentum: 0.9 });
    opt2.loadStateDict(loaded.optimizer);
    const buf = momentum(opt2, q);
    expect(stridesOf(buf)).toEqual(CHANNELS_LAST);
    expect(buf.flatten().toArray()).toEqual(HALF_INDEX);
  });

  it("a momentum buffer saved contiguous takes its channels_last parameter's strides (values unchanged)", () => {
    const q = channelsLastParam();
    const opt = new optim.SGD([q], { lr: 0.1, momentum: 0.9 });
    const contiguous = torch.arange(0, 24).float().reshape([2, 3, 2, 2]);
    expect(stridesOf(contiguous)).toEqual([12, 4, 2, 1]);
    opt.loadStateDict({ state: new Map([[0, { momentum_buffer: contiguous }]]), param_groups: [{ ...opt.stateDict().param_groups[0] }] });
    const buf = momentum(opt, q);
    expect(stridesOf(buf)).toEqual(CHANNELS_LAST);
    expect(buf.toArray()).toEqual(contiguous.toArray());
    // The step uses it: buf = 0.9 * buf + grad.
    opt.step();
    expect(stridesOf(momentum(opt, q))).toEqual(CHANNELS_LAST);
    expect(momentum(opt, q).flatten().toArray()).toEqual(Array.from({ length: 24 }, (_, i) => Math.fround(Math.fround(Math.fround(0.9) * i) + 0.5 * i)));
  });
});

describe('Optimizer.loadStateDict: dtype and device', () => {
  it('float32 state loads into float64 parameters as float64; step stays a CPU float32 scalar', () => {
    const p = torch.ones([3], { dtype: 'float64' }).requiresGrad_(true);
    const opt = new optim.Adam([p], { lr: 0.1 });
    const sd = {
      state: new Map([[0, { step: torch.tensor(4), exp_avg: torch.tensor([0.25, 0.5, 1]), exp_avg_sq: torch.tensor([1, 2, 3]) }]]),
      param_groups: opt.stateDict().param_groups,
    };
    opt.loadStateDict(sd as never);
    const s = opt.state.get(p)!;
    expect([(s.expAvg as Tensor).dtype, (s.expAvgSq as Tensor).dtype]).toEqual(['float64', 'float64']);
    expect((s.expAvg as Tensor).toArray()).toEqual([0.25, 0.5, 1]);
    if (torch.isTensor(s.step)) expect([s.step.dtype, s.step.device, s.step.item()]).toEqual(['float32', 'cpu', 4]);
    else expect(s.step).toBe(4);
  });

  it("float64 state of a float16 parameter is cast to the parameter's dtype", () => {
    const p = torch.zeros([2], { dtype: 'float16' }).requiresGrad_(true);
    const opt = new optim.SGD([p], { lr: 0.1, momentum: 0.9 });
    opt.loadStateDict({ state: new Map([[0, { momentum_buffer: torch.tensor([1.5, -2], { dtype: 'float64' }) }]]), param_groups: opt.stateDict().param_groups });
    expect(momentum(opt, p).dtype).toBe('float16');
    expect(momentum(opt, p).to('float32').toArray()).toEqual([1.5, -2]);
  });

  it.skipIf(!torch.cuda.isAvailable())('state from a CPU file goes to the CUDA parameter with its strides, and fused SGD steps with it', () => {
    const q = channelsLastParam('float32', 'cuda:0');
    const opt = new optim.SGD([q], { lr: 0.1, momentum: 0.9, fused: optim.fusedSgdAvailable });
    opt.loadStateDict({ state: new Map([[0, { momentum_buffer: torch.arange(0, 24).float().reshape([2, 3, 2, 2]) }]]), param_groups: opt.stateDict().param_groups });
    const buf = momentum(opt, q);
    expect([buf.device, stridesOf(buf)]).toEqual(['cuda:0', CHANNELS_LAST]);
    opt.step();
    expect(momentum(opt, q).cpu().flatten().toArray()).toEqual(Array.from({ length: 24 }, (_, i) => Math.fround(Math.fround(Math.fround(0.9) * i) + 0.5 * i)));
  });
});

describe.skipIf(!hasPythonTorch())('Optimizer state placement against PyTorch', () => {
  it("PyTorch's SGD state of a channels_last parameter loads with PyTorch's strides; float32 state into float64 parameters as float64", () => {
    const file = path.join(dir, 'py_sgd.pth');
    const py = runPython(
      `import torch
p = torch.arange(24.).reshape(2, 3, 2, 2).contiguous(memory_format=torch.channels_last).requires_grad_()
(p * torch.arange(24.).reshape(2, 3, 2, 2) * 0.5).sum().backward()
opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
opt.step()
torch.save(opt.state_dict(), inp['path'])
q = torch.zeros(2, 3, 2, 2, dtype=torch.float64).contiguous(memory_format=torch.channels_last).requires_grad_()
opt2 = torch.optim.SGD([q], lr=0.1, momentum=0.9)
opt2.load_state_dict(torch.load(inp['path']))
buf = opt2.state[q]['momentum_buffer']
print(json.dumps([list(opt.state[p]['momentum_buffer'].stride()), list(buf.stride()), str(buf.dtype), buf.flatten().tolist()]))`,
      { path: file },
    );
    const q = torch.zeros([2, 3, 2, 2], { dtype: 'float64' }).contiguous('channels_last').requiresGrad_(true);
    const opt = new optim.SGD([q], { lr: 0.1, momentum: 0.9 });
    opt.loadStateDict(torch.load(file));
    const buf = momentum(opt, q);
    expect([CHANNELS_LAST, stridesOf(buf), `torch.${buf.dtype}`, buf.flatten().toArray()]).toEqual(py);
  });
});

describe('GradScaler state through a checkpoint', () => {
  const roundTrip = (device: string) => {
    const first = new torch.GradScaler(device, { initScale: 1024, growthInterval: 7 });
    first.scale(torch.tensor([1]).to(device));
    const file = path.join(dir, `scaler-${device.replace(':', '')}.pth`);
    torch.save({ scaler: first.stateDict() }, file);
    const second = new torch.GradScaler(device);
    second.loadStateDict(torch.load<{ scaler: never }>(file, { device: 'cpu' }).scaler);
    const out = second.scale(torch.tensor([3]).to(device));
    return { out: out.cpu().toArray(), scaleDevice: second.getScaleTensor()!.device, interval: second.getGrowthInterval() };
  };

  it('a CPU run: the scale and growth interval come back, the scale tensor on the device of use', () => {
    expect(roundTrip('cpu')).toEqual({ out: [3072], scaleDevice: 'cpu', interval: 7 });
  });

  it.skipIf(!torch.cuda.isAvailable())('a CUDA run: the scale tensor is made on the CUDA device of use', () => {
    expect(roundTrip('cuda:0')).toEqual({ out: [3072], scaleDevice: 'cuda:0', interval: 7 });
  });
});
