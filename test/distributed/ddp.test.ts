// DistributedDataParallel against PyTorch's (gloo, CPU): Node ranks and as many Python ranks train the same
// model for 10 steps from the same initial weights on the same data, each rank on its slice of every batch,
// with the same DDP options; rank 0's final weights and buffers agree to 1e-5. ResNet-20 on 2 and 3 ranks
// (default buckets; many small buckets with gradients as bucket views), and a small CNN with unused branches
// (findUnusedParameters) trained by noSync accumulation.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { PYTHON, hasPythonTorch } from '../helpers/python';
import { SEED_MODEL } from '../helpers/seed_model';
import { asWordedHere, fixture, glooMissing, killAll, spawnRanks } from './helpers';
import { PY_MODULES } from './fixtures/modules';
import { Net } from './fixtures/net';

const flatValues = (t: torch.Tensor): number[] => [t.toArray()].flat(5).map(Number);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-ddp-'));
afterAll(() => {
  killAll();
  fs.rmSync(dir, { recursive: true, force: true });
});

// PyTorch's side of ddp_train.ts: the same loop, model, options and data with torch's DDP over gloo.
const PY_DDP = `${SEED_MODEL}
import json, sys
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
torch.set_num_threads(1)

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.fc = nn.Linear(8, 10)
        self.aux = nn.Linear(8, 10)
        self.never = nn.Linear(8, 10)
    def forward(self, x, use_aux=False):
        h = F.adaptive_avg_pool2d(F.relu(self.bn(self.conv(x))), 1).flatten(1)
        out = self.fc(h)
        return out + self.aux(h) if use_aux else out

dist.init_process_group('gloo')
rank, n = dist.get_rank(), dist.get_world_size()
inp = json.load(open(sys.argv[1]))
model = Net() if inp['model'] == 'net' else ResNet20('B')
model.load_state_dict({k: torch.tensor(v['data'], dtype=torch.long if v['dtype'] == 'int64' else torch.float32).view(v['shape'])
                       for k, v in inp['weights'].items()})
if inp['channelsLast']:
    model = model.to(memory_format=torch.channels_last)
o = inp['ddp']
cap = {'bucket_cap_mb': o['bucketCapMb']} if 'bucketCapMb' in o else {}  # 2.x: a given cap is also the first bucket's
ddp = DDP(model, find_unused_parameters=o.get('findUnusedParameters', False),
          gradient_as_bucket_view=o.get('gradientAsBucketView', False), **cap)
opt = torch.optim.SGD(ddp.parameters(), lr=inp['lr'], momentum=0.9, weight_decay=5e-4)
steps, batch = inp['steps'], inp['batch']
x = torch.tensor(inp['x']).view(steps, batch, 3, 32, 32)
y = torch.tensor(inp['y']).view(steps, batch)
per = batch // n
def micro(s, start, count):
    xs, ys = x[s, rank * per + start:rank * per + start + count], y[s, rank * per + start:rank * per + start + count]
    out = ddp(xs, (s + rank) % 3 == 0) if inp['model'] == 'net' else ddp(xs)
    return F.cross_entropy(out, ys)
for s in range(steps):
    opt.zero_grad(set_to_none=True)
    if inp['accumulate']:
        with ddp.no_sync():
            micro(s, 0, per // 2).backward()
        micro(s, per // 2, per // 2).backward()
    else:
        micro(s, 0, per).backward()
    opt.step()
if rank == 0:
    ld = ddp._get_ddp_logging_data()
    buckets = ld.get('rebuilt_per_bucket_param_indices', '') if ld.get('has_rebuilt_buckets') else ''
    json.dump({'keys': list(ddp.state_dict().keys()),
               'buckets': [[int(i) for i in b.split()] for b in buckets.split(',')] if buckets else None,
               'bucketSizes': [int(b) for b in str(ld['rebuilt_bucket_sizes' if buckets else 'bucket_sizes']).split(',')],
               'weights': {k: v.flatten().tolist() for k, v in model.state_dict().items()}}, open(sys.argv[2], 'w'))
dist.destroy_process_group()
`;

interface Case {
  model: 'resnet20' | 'net';
  ranks: number;
  ddp: torch.nn.parallel.DistributedDataParallelOptions;
  accumulate?: boolean;
  steps?: number;
  /** Both sides convert the model to channels_last before wrapping it (CUDA's default layout in trainResNet20). */
  channelsLast?: boolean;
}

/** Trains `c` with Node ranks, then with PyTorch's DDP on as many Python ranks; returns both final states (rank 0). */
async function trainBoth(name: string, c: Case) {
  torch.manualSeed(0);
  const steps = c.steps ?? 10;
  const batch = 4 * c.ranks; // 4 per rank (2 + 2 when accumulating)
  const model = c.model === 'net' ? new Net() : torch.models.resnet20({ shortcut: 'B' });
  const weights = Object.fromEntries(
    Object.entries(model.stateDict()).map(([k, t]) => [k, { shape: t.shape, dtype: t.dtype, data: flatValues(t) }]),
  );
  const input = {
    model: c.model,
    ddp: c.ddp,
    accumulate: c.accumulate ?? false,
    channelsLast: c.channelsLast ?? false,
    steps,
    batch,
    lr: 0.1,
    weights,
    x: torch.randn([steps * batch * 3 * 32 * 32]).toArray(),
    y: torch.randint(0, 10, [steps * batch], { dtype: 'int64' }).toArray(),
  };
  const inFile = path.join(dir, `${name}.json`);
  fs.writeFileSync(inFile, JSON.stringify(input));
  const pyScript = path.join(dir, 'ddp.py');
  fs.writeFileSync(pyScript, PY_DDP);
  const [ours, theirs] = [path.join(dir, `${name}.node.json`), path.join(dir, `${name}.python.json`)];

  // One side after the other: the machine has few cores.
  const node = await spawnRanks(fixture('ddp_train.ts'), c.ranks, [inFile, ours]);
  for (const r of node) expect(r.code, r.out).toBe(0);
  const py = await spawnRanks(pyScript, c.ranks, [inFile, theirs], { command: [PYTHON] });
  for (const r of py) expect(r.code, r.out).toBe(0);
  return { a: JSON.parse(fs.readFileSync(ours, 'utf8')), b: JSON.parse(fs.readFileSync(theirs, 'utf8')), initial: weights };
}

/** Every weight and buffer within 1e-5 of PyTorch's; returns how far training moved the weights. */
function expectSameWeights(a: any, b: any, initial: Record<string, { data: number[] }>): number {
  expect(a.keys).toEqual(b.keys); // 'module.conv1.weight', …
  expect(Object.keys(a.weights)).toEqual(Object.keys(b.weights));
  let moved = 0;
  for (const [k, w] of Object.entries(a.weights as Record<string, number[]>)) {
    const ref = b.weights[k] as number[];
    expect(w.length, k).toBe(ref.length);
    const diff = Math.max(0, ...w.map((v, i) => Math.abs(v - ref[i])));
    expect(diff, k).toBeLessThanOrEqual(1e-5);
    moved = Math.max(moved, ...w.map((v, i) => Math.abs(v - initial[k].data[i])));
  }
  return moved;
}

describe.skipIf(!!glooMissing || !hasPythonTorch())("DistributedDataParallel against PyTorch's (gloo)", () => {
  it("trains ResNet-20 on 2 ranks to PyTorch DDP's weights (10 steps, 1e-5)", async () => {
    const { a, b, initial } = await trainBoth('resnet2', { model: 'resnet20', ranks: 2, ddp: {} });
    expect(a.keys[0]).toBe('module.conv1.weight');
    expect(a.buckets).toEqual(b.buckets); // rebuilt in the order the gradients arrived: the same buckets as PyTorch's
    expect(expectSameWeights(a, b, initial)).toBeGreaterThan(1e-2); // training really changed the weights
  });

  it("trains a channels_last ResNet-20 on 2 ranks to PyTorch DDP's weights, its parameters and gradients staying channels_last", async () => {
    const { a, b, initial } = await trainBoth('resnet2cl', { model: 'resnet20', ranks: 2, ddp: { bucketCapMb: 0.1 }, channelsLast: true });
    expect(a.buckets).toEqual(b.buckets);
    expect(expectSameWeights(a, b, initial)).toBeGreaterThan(1e-2);
    // Every 4-D parameter (the convolutions') and its gradient keep PyTorch's channels_last strides.
    expect(a.layouts.length).toBe(21); // conv1, two per block (18), two 1×1 shortcuts
    for (const l of a.layouts) expect(l, l.name).toEqual({ name: l.name, param: true, grad: true });
  });

  it("trains ResNet-20 on 3 ranks in several buckets (bucketCapMb 0.1, gradientAsBucketView) to PyTorch DDP's weights", async () => {
    const { a, b, initial } = await trainBoth('resnet3', { model: 'resnet20', ranks: 3, ddp: { bucketCapMb: 0.1, gradientAsBucketView: true } });
    expect(a.buckets).toEqual(b.buckets);
    expect(a.buckets.length).toBeGreaterThan(1);
    expect(expectSameWeights(a, b, initial)).toBeGreaterThan(1e-2);
  });

  it("trains ResNet-20 on 2 ranks in several buckets with findUnusedParameters (bucketCapMb 0.1) to PyTorch DDP's weights", async () => {
    const { a, b, initial } = await trainBoth('resnet2unused', { model: 'resnet20', ranks: 2, ddp: { bucketCapMb: 0.1, findUnusedParameters: true } });
    expect(a.bucketSizes).toEqual(b.bucketSizes);
    expect(a.buckets.length).toBeGreaterThan(1);
    expect(expectSameWeights(a, b, initial)).toBeGreaterThan(1e-2);
  });

  for (const ranks of [2, 3]) {
    it(`trains a model with unused branches on ${ranks} ranks (findUnusedParameters, noSync accumulation, small buckets) to PyTorch DDP's weights`, async () => {
      const c: Case = { model: 'net', ranks, accumulate: true, ddp: { findUnusedParameters: true, bucketCapMb: 0.001 } };
      const { a, b, initial } = await trainBoth(`net${ranks}`, c);
      // No rebuild with findUnusedParameters: PyTorch's first assignment (in 1.13 one bucket: its first is 1 MiB).
      expect(a.bucketSizes).toEqual(b.bucketSizes);
      expect(expectSameWeights(a, b, initial)).toBeGreaterThan(1e-2);
      // No rank used `never`: PyTorch leaves its gradient None, so not even weight decay moves it.
      expect(a.weights['never.weight']).toEqual(initial['never.weight'].data);
      expect(a.weights['aux.weight']).not.toEqual(initial['aux.weight'].data);
    });
  }
});

// PyTorch's side of ddp_unfinished.ts (run with TORCH_DISTRIBUTED_DEBUG=INFO: the parameters named, as here).
const PY_UNFINISHED = `
import json, torch, torch.distributed as dist, torch.nn as nn
${PY_MODULES}
def next_forward_error(module, find_unused, loss):
    ddp = nn.parallel.DistributedDataParallel(module, find_unused_parameters=find_unused)
    x = torch.full((2, 3), dist.get_rank() + 1.0)
    loss(ddp(x)).backward()
    try:
        ddp(x)
        return ''
    except RuntimeError as e:
        return str(e)
dist.init_process_group('gloo')
off = next_forward_error(TwoHeads(), False, lambda out: out.sum())
two = TwoOutputs()
error = next_forward_error(two, True, lambda out: out[0].sum())
grad = lambda p: None if p.grad is None else p.grad.tolist()
on = {'error': error, 'aGrad': grad(two.a.weight), 'bGrad': grad(two.b.weight)}
print(json.dumps({'rank': dist.get_rank(), 'off': off, 'on': on}))
dist.destroy_process_group()
`;

describe.skipIf(!!glooMissing)('DistributedDataParallel behaviour', () => {
  it("starts from rank 0's weights, accumulates locally in noSync, averages after (awaited, or read from .grad with no await), names an unused parameter, and broadcasts buffers at forward", async () => {
    const results = await spawnRanks(fixture('ddp_unit.ts'), 2);
    for (const r of results) expect(r.code, r.out).toBe(0);
    const [a, b] = results.map((r) => r.json);
    expect(a.early).toMatch(/await ddp.ready/);
    expect(b.weight).toEqual(a.weight); // rank 1 started from other weights
    expect(a.local).toEqual([[1, 2, -1]]);
    expect(b.local).toEqual([[2, 4, -1]]);
    // (2·x0 + 2·x1) / 2 on both ranks
    expect(a.synced).toEqual([[3, 6, -2]]);
    expect(b.synced).toEqual([[3, 6, -2]]);
    expect(a.read).toEqual([[1.5, 3, -1]]); // (x0 + x1) / 2, read from .grad right after backward
    expect(b.read).toEqual([[1.5, 3, -1]]);
    expect(a.unusedError).toMatch(
      /^DistributedDataParallel: Expected to have finished reduction in the prior iteration before starting a new one\. This error indicates that your module has parameters that were not used in producing loss\. .*`findUnusedParameters: true`.*Parameters which did not receive grad for rank 0: unused\.weight Parameter indices which did not receive grad for rank 0: 1$/,
    );
    expect(a.keys).toEqual(['module.weight']);
    expect(b.buffers).toEqual([1, 1, 1]); // rank 0's running mean, broadcast at the forward
    expect(b.ownBuffers).toEqual([2, 2, 2]); // broadcastBuffers: false keeps rank 1's
    expect(a.ownBuffers).toEqual([1, 1, 1]);
  });

  it.skipIf(!hasPythonTorch())(
    "raises PyTorch's unfinished-reduction error at the next forward, in its words (a head the forward never uses); with findUnusedParameters an output the loss leaves out is no error (PyTorch's _DDPSink)",
    async () => {
      const ours = await spawnRanks(fixture('ddp_unfinished.ts'), 2);
      for (const r of ours) expect(r.code, r.out).toBe(0);
      const pyScript = path.join(dir, 'unfinished.py');
      fs.writeFileSync(pyScript, PY_UNFINISHED);
      const theirs = await spawnRanks(pyScript, 2, [], { command: [PYTHON], env: { TORCH_DISTRIBUTED_DEBUG: 'INFO' } });
      for (const r of theirs) expect(r.code, r.out).toBe(0);
      for (const rank of [0, 1]) {
        const [a, b] = [ours[rank].json, theirs[rank].json];
        expect(b.off).toMatch(new RegExp(`for rank ${rank}: unused\\.weight\\nParameter indices which did not receive grad for rank ${rank}: 1$`));
        expect(a.off).toBe(`DistributedDataParallel: ${asWordedHere(b.off)}`);
        // findUnusedParameters and an output the loss leaves out: no error, that output's head keeps no .grad.
        expect(b.on).toEqual({ error: '', aGrad: [[3, 3, 3]], bGrad: null }); // (2·1 + 2·2) / 2
        expect(a.on).toEqual(b.on);
      }
    },
    120_000,
  );

  it("starts the first bucket's all-reduce while backward is still computing gradients (native trace)", async () => {
    const results = await spawnRanks(fixture('ddp_trace.ts'), 2);
    for (const r of results) expect(r.code, r.out).toBe(0);
    for (const { json } of results) {
      const trace = json.trace as torch.nn.parallel.DdpTraceEvent[];
      const at = (event: string) => trace.find((e) => e.event === event)!.us;
      const starts = trace.filter((e) => e.event === 'allreduce_start');
      expect(json.buckets).toBeGreaterThan(1);
      expect(starts.map((e) => e.bucket)).toEqual([...Array(json.buckets).keys()]); // in order, each once
      expect(starts[0].us).toBeGreaterThan(at('backward'));
      expect(starts[0].us).toBeLessThan(at('backward_end'));
      // Gradients of later buckets were still being computed after the first all-reduce had started.
      const after = trace.filter((e) => e.event === 'grad_ready' && e.us > starts[0].us);
      expect(after.length).toBeGreaterThan(0);
      expect(after.every((e) => e.bucket! > 0)).toBe(true);
      // The wait happens at the end of backward, in the engine callback the last bucket queued.
      expect(at('finalize_start')).toBeGreaterThan(at('backward_end'));
    }
  });

  it('finalizes inside backward(): a view of .grad made before it holds the averages, after noSync accumulation and across two backward passes of one forward', async () => {
    const results = await spawnRanks(fixture('ddp_finalize.ts'), 2);
    for (const r of results) expect(r.code, r.out).toBe(0);
    const [a, b] = results.map((r) => r.json);
    expect(a.local).toEqual([1, 2, -1]); // noSync: x_0
    expect(b.local).toEqual([2, 4, -1]); // x_1
    for (const r of [a, b]) {
      expect(r.averaged).toEqual([3, 6, -2]); // (2·x_0 + 2·x_1) / 2, in place in the tensor the view shares
      // Finalized before backward() returned, in the engine's callback (the allreduce_end record comes from
      // the work's own thread, at any point after its start).
      expect(r.events.filter((e: string) => e !== 'allreduce_end')).toEqual(['forward', 'backward', 'grad_ready', 'allreduce_start', 'backward_end', 'finalize_start', 'finalize_end']);
      expect(r.aAveraged).toEqual([1.5, 3, -1]); // (x_0 + x_1) / 2, once the second backward brought b's gradient
      expect(r.bAveraged).toEqual([[1.5, 3, -1]]);
    }
    expect(a.aLocal).toEqual([1, 2, -1]); // after the first backward a's bucket still waits for b's gradient
    expect(b.aLocal).toEqual([2, 4, -1]);
    // A parameter without a gradient: the gradients stay this rank's own and the next forward throws.
    expect(a.usedGrad).toEqual([[1, 2, -1]]);
    expect(b.usedGrad).toEqual([[2, 4, -1]]);
    for (const r of [a, b]) {
      expect(r.nextForward).toMatch(
        new RegExp(`^TorchError: DistributedDataParallel: Expected to have finished reduction in the prior iteration .*Parameters which did not receive grad for rank ${r.rank}: unused\\.weight Parameter indices which did not receive grad for rank ${r.rank}: 1$`),
      );
    }
  });
});
