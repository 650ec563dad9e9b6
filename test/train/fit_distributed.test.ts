// fit() trains a DistributedDataParallel model the way it trains any model: no gradientSync, the same step.
// DDP's backward averages the gradients; its next forward raises PyTorch's error where the prior
// iteration's reduction did not finish, and fit() rejects with it on every rank.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { PYTHON, hasPythonTorch } from '../helpers/python';
import { asWordedHere, fixture, glooMissing, killAll, spawnRanks } from '../distributed/helpers';
import { PY_MODULES } from '../distributed/fixtures/modules';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-fit-ddp-'));
afterAll(() => {
  killAll();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function ranks(script: string, args: string[], command?: string[], env?: Record<string, string>) {
  const results = await spawnRanks(script, 2, args, { command, env });
  for (const r of results) expect(r.code, r.out).toBe(0);
  return results.map((r) => r.json);
}

// PyTorch's side of fit_unused.ts: the same module, a backward, then the next forward. INFO makes PyTorch name
// the parameters as well as their indices (this library always names them).
const PY_UNUSED = `
import json, torch, torch.distributed as dist, torch.nn as nn
${PY_MODULES}
dist.init_process_group('gloo')
ddp = nn.parallel.DistributedDataParallel(TwoHeads())
ddp(torch.ones(2, 3)).sum().backward()
try:
    ddp(torch.ones(2, 3))
    error = ''
except RuntimeError as e:
    error = str(e)
print(json.dumps({'rank': dist.get_rank(), 'error': error}))
dist.destroy_process_group()
`;

describe.skipIf(glooMissing !== null)('fit() with a DistributedDataParallel model and no gradientSync', () => {
  it('ends with the same weights on both ranks as a plain model whose gradients a gradientSync averages', async () => {
    const viaDdp = await ranks(fixture('fit_stop.ts'), ['-', '-', 'ddp']);
    const manual = await ranks(fixture('fit_stop.ts'), ['-', '-', 'manual']);
    for (const r of [...viaDdp, ...manual]) expect(r).toMatchObject({ trained: 12, stopped: false, epochs: 3 });
    expect(viaDdp[1].weights).toEqual(viaDdp[0].weights);
    expect(manual[1].weights).toEqual(manual[0].weights);
    // Halving is exact: g0 / 2 + g1 / 2 (DDP's buckets) is (g0 + g1) / 2 (the all-reduce's 'avg') bit for bit.
    expect(viaDdp[0].weights).toEqual(manual[0].weights);
  }, 120_000);

  it.skipIf(!hasPythonTorch())(
    "rejects on every rank at the second step's forward with PyTorch's unfinished-reduction error (a parameter without a gradient)",
    async () => {
      const ours = await ranks(fixture('fit_unused.ts'), []);
      const pyScript = path.join(dir, 'unused.py');
      fs.writeFileSync(pyScript, PY_UNUSED);
      const theirs = await ranks(pyScript, [], [PYTHON], { TORCH_DISTRIBUTED_DEBUG: 'INFO' });
      for (const rank of [0, 1]) {
        expect(ours[rank].trained).toBe(1); // the first step trained; the second one's forward threw
        expect(ours[rank].graphsError).toBe(
          "TorchError: fit: cudaGraphs cannot capture a step that communicates across ranks (a DistributedDataParallel's backward, or a gradientSync); pass cudaGraphs: false",
        );
        const expected = asWordedHere(theirs[rank].error);
        expect(expected).toMatch(new RegExp(`^Expected to have finished reduction .* for rank ${rank}: unused\\.weight Parameter indices .* for rank ${rank}: 1$`));
        expect(ours[rank].error).toBe(`TorchError: DistributedDataParallel: ${expected}`);
      }
    },
    120_000,
  );
});
