// DistributedDataParallel against PyTorch's (gloo, CPU): 2 Node ranks and 2 Python ranks train the
// seed's ResNet-20 for 10 steps from the same initial weights on the same data, each rank on its half
// of every batch; rank 0's final weights and buffers agree to 1e-5.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { PYTHON, hasPythonTorch } from '../helpers/python';
import { SEED_MODEL } from '../helpers/seed_model';
import { fixture, killAll, spawnRanks } from './helpers';

const flatValues = (t: torch.Tensor): number[] => [t.toArray()].flat(5).map(Number);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-ddp-'));
afterAll(() => {
  killAll();
  fs.rmSync(dir, { recursive: true, force: true });
});

const PY_DDP = `${SEED_MODEL}
import json, sys
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
torch.set_num_threads(1)
dist.init_process_group('gloo')
rank, n = dist.get_rank(), dist.get_world_size()
inp = json.load(open(sys.argv[1]))
model = ResNet20('B')
model.load_state_dict({k: torch.tensor(v['data'], dtype=torch.long if v['dtype'] == 'int64' else torch.float32).view(v['shape'])
                       for k, v in inp['weights'].items()})
ddp = DDP(model)
opt = torch.optim.SGD(ddp.parameters(), lr=inp['lr'], momentum=0.9, weight_decay=5e-4)
steps, batch = inp['steps'], inp['batch']
x = torch.tensor(inp['x']).view(steps, batch, 3, 32, 32)
y = torch.tensor(inp['y']).view(steps, batch)
per = batch // n
for s in range(steps):
    out = ddp(x[s, rank * per:(rank + 1) * per])
    loss = F.cross_entropy(out, y[s, rank * per:(rank + 1) * per])
    opt.zero_grad()
    loss.backward()
    opt.step()
if rank == 0:
    json.dump({'keys': list(ddp.state_dict().keys()),
               'weights': {k: v.flatten().tolist() for k, v in model.state_dict().items()}}, open(sys.argv[2], 'w'))
dist.destroy_process_group()
`;

describe.skipIf(!torch.distributed.isAvailable() || !hasPythonTorch())('DistributedDataParallel', () => {
  it("trains ResNet-20 on 2 ranks to PyTorch DDP's weights (10 steps, 1e-5)", async () => {
    torch.manualSeed(0);
    const steps = 10;
    const batch = 8; // 4 per rank
    const model = torch.models.resnet20({ shortcut: 'B' });
    const weights = Object.fromEntries(
      Object.entries(model.stateDict()).map(([k, t]) => [k, { shape: t.shape, dtype: t.dtype, data: flatValues(t) }]),
    );
    const input = {
      steps,
      batch,
      lr: 0.1,
      weights,
      x: torch.randn([steps * batch * 3 * 32 * 32]).toArray(),
      y: torch.randint(0, 10, [steps * batch], { dtype: 'int64' }).toArray(),
    };
    const inFile = path.join(dir, 'input.json');
    fs.writeFileSync(inFile, JSON.stringify(input));
    const pyScript = path.join(dir, 'ddp.py');
    fs.writeFileSync(pyScript, PY_DDP);
    const [ours, theirs] = [path.join(dir, 'node.json'), path.join(dir, 'python.json')];

    // One side after the other: the machine has few cores.
    const node = await spawnRanks(fixture('ddp_train.ts'), 2, [inFile, ours]);
    for (const r of node) expect(r.code, r.out).toBe(0);
    const py = await spawnRanks(pyScript, 2, [inFile, theirs], { command: [PYTHON] });
    for (const r of py) expect(r.code, r.out).toBe(0);

    const a = JSON.parse(fs.readFileSync(ours, 'utf8'));
    const b = JSON.parse(fs.readFileSync(theirs, 'utf8'));
    expect(a.keys).toEqual(b.keys); // 'module.conv1.weight', …
    expect(a.keys[0]).toBe('module.conv1.weight');
    expect(Object.keys(a.weights)).toEqual(Object.keys(b.weights));
    let moved = 0;
    for (const [k, w] of Object.entries(a.weights as Record<string, number[]>)) {
      const ref = b.weights[k] as number[];
      expect(w.length, k).toBe(ref.length);
      const diff = Math.max(0, ...w.map((v, i) => Math.abs(v - ref[i])));
      expect(diff, k).toBeLessThanOrEqual(1e-5);
      moved = Math.max(moved, ...w.map((v, i) => Math.abs(v - weights[k].data[i])));
    }
    expect(moved).toBeGreaterThan(1e-2); // training really changed the weights
  });
});

describe.skipIf(!torch.distributed.isAvailable())('DistributedDataParallel behaviour', () => {
  it("starts from rank 0's weights, accumulates locally in noSync, averages after, and names an unused parameter", async () => {
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
    expect(a.unusedError).toMatch(/^DistributedDataParallel: Expected to have finished reduction in the prior iteration before starting a new one. This error indicates that your module has parameters that were not used in producing loss. .*findUnusedParameters: true.*Parameters which did not receive grad for rank 0: unused.weight$/);
    expect(a.keys).toEqual(['module.weight']);
  });
});
