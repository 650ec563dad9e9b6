// A DistributedDataParallel training step, ours versus PyTorch's: ResNet-20, 2 ranks over loopback (gloo),
// batch 64 per rank, 1 CPU thread per rank (OMP_NUM_THREADS=1, as torchrun sets). For ours, the native
// trace of each step also gives where the communication went: how long the end of backward (the reducer's
// engine callback, after the last gradient) waited for the gradient all-reduces (the time the step spends
// waiting on communication), and how much of the all-reduces' time passed while backward was still computing.
// With --fit: the same step through train.fit() instead, as trainResNet20 runs it, alternately with no
// gradientSync (fit trains the DDP model as any model) and with `gradientSync: () => ddp.syncGradients()`
// (an awaited check between backward and the update, the trainer's path before); the time between
// consecutive steps' onBatchEnd, so the loop's own costs count.
// Run: npx tsx bench/ddp-step.ts [--steps 20] [--batch 64] [--fit]
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import * as torch from '../lib';
import { PYTHON } from '../test/helpers/python';
import { SEED_MODEL } from '../test/helpers/seed_model';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const STEPS = arg('--steps', 20);
const BATCH = arg('--batch', 64);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface RankResult { ms: number; waitMs?: number; commMs?: number; overlapMs?: number; buckets?: number; syncedMs?: number }

/** Median ms between consecutive steps of one fit() epoch of `steps` steps over fresh copies of (x, y). */
async function fitStepMs(ddp: torch.nn.parallel.DistributedDataParallel, opt: torch.optim.SGD, x: torch.Tensor, y: torch.Tensor, steps: number, sync: boolean): Promise<number> {
  const loader: torch.train.BatchSource = {
    length: steps,
    async *[Symbol.asyncIterator]() {
      for (let i = 0; i < steps; i++) yield { x: x.clone(), y: y.clone() }; // fit disposes each batch
    },
  };
  const ends: number[] = [];
  await torch.train.fit(ddp as torch.nn.Module & { forward(x: torch.Tensor): torch.Tensor }, {
    trainLoader: loader, optimizer: opt, epochs: 1, checkpointDir: null, progress: 'none', print: () => undefined, handleSigint: false,
    gradientSync: sync ? () => ddp.syncGradients() : undefined,
    callbacks: [{ onBatchEnd: () => void ends.push(performance.now()) }],
  });
  return median(ends.slice(4).map((t, i) => t - ends[i + 3])); // the first 3 steps warm up
}

/** --fit: rounds alternating fit() without and with a gradientSync; the medians of each. */
async function fitRank(): Promise<void> {
  await torch.distributed.initProcessGroup({ backend: 'gloo' });
  torch.manualSeed(0);
  const ddp = new torch.nn.parallel.DistributedDataParallel(torch.models.resnet20({ shortcut: 'B' }));
  await ddp.ready;
  const opt = new torch.optim.SGD(ddp.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 1e-4 });
  const x = torch.randn([BATCH, 3, 32, 32]);
  const y = torch.randint(0, 10, [BATCH], { dtype: 'int64' });
  const plain: number[] = [];
  const synced: number[] = [];
  for (let round = 0; round < 3; round++) {
    plain.push(await fitStepMs(ddp, opt, x, y, Math.ceil(STEPS / 3) + 4, false));
    synced.push(await fitStepMs(ddp, opt, x, y, Math.ceil(STEPS / 3) + 4, true));
  }
  await torch.distributed.destroyProcessGroup();
  console.log(JSON.stringify({ ms: median(plain), syncedMs: median(synced) }));
}

async function rank(): Promise<void> {
  await torch.distributed.initProcessGroup({ backend: 'gloo' });
  torch.manualSeed(0);
  const ddp = new torch.nn.parallel.DistributedDataParallel(torch.models.resnet20({ shortcut: 'B' }), { trace: true });
  await ddp.ready;
  const opt = new torch.optim.SGD(ddp.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 1e-4 });
  const x = torch.randn([BATCH, 3, 32, 32]);
  const y = torch.randint(0, 10, [BATCH], { dtype: 'int64' });
  const times: number[] = [];
  const waits: number[] = [];
  const comms: number[] = [];
  const overlaps: number[] = [];
  for (let i = 0; i < STEPS + 3; i++) {
    const t0 = performance.now();
    torch.tidy(() => {
      const loss = torch.nn.functional.crossEntropy(ddp.forward(x), y);
      opt.zeroGrad();
      loss.backward();
      opt.step();
    });
    if (i < 3) continue;
    times.push(performance.now() - t0);
    const trace = ddp.trace();
    const at = (e: string) => trace.find((t) => t.event === e)!.us;
    const starts = trace.filter((t) => t.event === 'allreduce_start');
    const ends = trace.filter((t) => t.event === 'allreduce_end');
    waits.push((at('finalize_end') - at('finalize_start')) / 1000);
    // Time during which some all-reduce was in flight, and the part of it before backward ended.
    const spans = starts.map((s) => [s.us, ends.find((e) => e.bucket === s.bucket)?.us ?? at('finalize_end')]);
    const union = (until: number) => spans.reduce((sum, [a, b]) => sum + Math.max(0, Math.min(b, until) - a), 0);
    comms.push(union(Infinity) / 1000);
    overlaps.push(union(at('backward_end')) / 1000);
  }
  await torch.distributed.destroyProcessGroup();
  const r: RankResult = { ms: median(times), waitMs: median(waits), commMs: median(comms), overlapMs: median(overlaps), buckets: ddp.buckets().length };
  console.log(JSON.stringify(r));
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function ranks(cmd: string[], world: number): Promise<RankResult> {
  const port = await freePort();
  const outs = await Promise.all(
    Array.from({ length: world }, (_, r) =>
      new Promise<string>((resolve, reject) => {
        const env = { ...process.env, OMP_NUM_THREADS: '1', RANK: String(r), WORLD_SIZE: String(world), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) };
        const child = spawn(cmd[0], cmd.slice(1), { env, stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd.join(' ')} rank ${r}: exit ${code}`))));
      }),
    ),
  );
  return JSON.parse(outs[0].trim().split('\n').pop()!); // rank 0's medians
}

async function fitCoordinator(args: string[]): Promise<void> {
  console.log(`machine: ${os.cpus()[0].model}, ${os.cpus().length} cores; libtorch ${torch.libtorchVersion}`);
  const r = await ranks([process.execPath, '--import', 'tsx', __filename, '--rank', '--fit', ...args], 2);
  console.log(
    `ResNet-20 DDP step through fit(), 2 ranks, batch ${BATCH} per rank, 1 thread per rank, median of 3 rounds: ` +
      `no gradientSync ${r.ms.toFixed(1)} ms, gradientSync: ddp.syncGradients ${r.syncedMs!.toFixed(1)} ms`,
  );
}

async function coordinator(): Promise<void> {
  const args = ['--steps', String(STEPS), '--batch', String(BATCH)];
  if (process.argv.includes('--fit')) return fitCoordinator(args);
  const model = path.join(os.tmpdir(), `tn-bench-${process.pid}`);
  fs.mkdirSync(model, { recursive: true });
  fs.writeFileSync(path.join(model, 'resnet20.py'), SEED_MODEL);
  fs.copyFileSync(path.join(__dirname, 'ddp_step.py'), path.join(model, 'ddp_step.py'));
  console.log(`machine: ${os.cpus()[0].model}, ${os.cpus().length} cores; libtorch ${torch.libtorchVersion}`);
  const ours = await ranks([process.execPath, '--import', 'tsx', __filename, '--rank', ...args], 2);
  const theirs = await ranks([PYTHON, path.join(model, 'ddp_step.py'), ...args], 2);
  fs.rmSync(model, { recursive: true, force: true });
  console.log(
    `ResNet-20 DDP step, 2 ranks, batch ${BATCH} per rank, 1 thread per rank, median of ${STEPS}: ` +
      `ours ${ours.ms.toFixed(1)} ms, PyTorch ${theirs.ms.toFixed(1)} ms (ratio ${(ours.ms / theirs.ms).toFixed(2)})`,
  );
  console.log(
    `ours: ${ours.buckets} buckets; all-reduces in flight ${ours.commMs!.toFixed(1)} ms, of which ${ours.overlapMs!.toFixed(1)} ms ` +
      `during backward; the end of backward waited ${ours.waitMs!.toFixed(1)} ms for them`,
  );
}

(process.argv.includes('--rank') ? (process.argv.includes('--fit') ? fitRank() : rank()) : coordinator()).catch((e) => {
  console.error(e);
  process.exit(1);
});
