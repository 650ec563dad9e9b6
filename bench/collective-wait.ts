// Where the rest of a collective's time goes in ours: the same 1.09 MB broadcast on 2 ranks, in alternating
// blocks, completed either through the event loop (dist.broadcast: gloo's thread hands the result to the JS
// thread through a thread-safe function, the promise resolves, the await resumes) or by a blocking wait on the
// JS thread, as PyTorch's Python does (DDP's native buffer broadcast). Rank 1 (the receiver) prints p10/p50.
// Run: bash -c 'for r in 0 1; do RANK=$r WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=29555 OMP_NUM_THREADS=1 npx tsx bench/collective-wait.ts & done; wait'
import * as torch from '../lib';
import { native } from '../lib/native';
async function main() {
  await torch.distributed.initProcessGroup({ backend: 'gloo' });
  const { syncBuffers } = native.distributed;
  if (!syncBuffers) throw new Error('this build has no process-group backend');
  const t = torch.randn([272474]);
  const asyncT: number[] = [], syncT: number[] = [];
  for (let block = 0; block < 20; block++) {
    for (let i = 0; i < 25; i++) {
      const t0 = performance.now();
      await torch.distributed.broadcast(t, { src: 0 });
      if (block > 0) asyncT.push(performance.now() - t0);
    }
    for (let i = 0; i < 25; i++) {
      const t0 = performance.now();
      syncBuffers([t]);
      if (block > 0) syncT.push(performance.now() - t0);
    }
  }
  const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * p)].toFixed(3);
  if (torch.distributed.getRank() === 1) console.log(`broadcast 1.09 MB, rank 1: awaited (event loop) p10 ${q(asyncT, 0.1)} p50 ${q(asyncT, 0.5)} | blocking wait p10 ${q(syncT, 0.1)} p50 ${q(syncT, 0.5)}`);
  await torch.distributed.destroyProcessGroup();
}
main();
