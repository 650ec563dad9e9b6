// Inference throughput of ResNet-20 on this machine's CPU, batch 1 and batch 256: the same TorchScript
// file (traced by Python) run by Python torch and by jit.load, the same AOTInductor package (.pt2, compiled
// by Python with examples/export_pt2.py; PyTorch 2.x only) run by Python's aoti_load_package and by
// torch.export.load, plus our own ResNet-20 (eager forward and forwardAsync); then the p50/p99 latency of
// examples/serve.ts at 4 concurrent clients.
// Run: npx tsx bench/inference.ts [--threads N] [--reps 7] [--requests 400] [--device cpu]
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as torch from '../lib';
import { startServer } from '../examples/serve';
import { PYTHON } from '../test/helpers/python';
import { SEED_MODEL } from '../test/helpers/seed_model';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const sarg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const THREADS = arg('--threads', os.cpus().length);
const REPS = arg('--reps', 7);
const REQUESTS = arg('--requests', 400);
const DEVICE = sarg('--device', 'cpu');
const BATCHES = [1, 256];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// Calls per timed repetition: enough that batch 1 is not timer noise.
const calls = (batch: number) => (batch === 1 ? 50 : 1);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-bench-inference-'));
const traced = path.join(dir, 'resnet20.pt');
const packaged = path.join(dir, 'resnet20.pt2');
const EXAMPLES = path.join(__dirname, '..', 'examples');

function python(): Record<string, number> & { torch: string } {
  const script = `${SEED_MODEL}
import time, sys
torch.set_num_threads(${THREADS})
torch.manual_seed(0)
net = ResNet20().eval()
ts = torch.jit.trace(net, torch.randn(1, 3, 32, 32))
ts.save(sys.argv[1])
ts = torch.jit.load(sys.argv[1], map_location='${DEVICE}').eval()
net = net.to('${DEVICE}')
models = [("eager", net), ("jit", ts)]
if hasattr(torch, "export") and hasattr(torch._inductor, "aoti_compile_and_package"):
    sys.path.insert(0, ${JSON.stringify(EXAMPLES)})
    from export_pt2 import compile_package
    batch = torch.export.Dim("batch", min=1, max=${Math.max(...BATCHES)})
    compile_package(net, (torch.randn(2, 3, 32, 32, device='${DEVICE}'),), sys.argv[2], dynamic_shapes={"x": {0: batch}})
    models.append(("pt2", torch._inductor.aoti_load_package(sys.argv[2])))
out = {"torch": torch.__version__}
with torch.no_grad():
    for name, model in models:
        for b in ${JSON.stringify(BATCHES)}:
            x = torch.randn(b, 3, 32, 32, device='${DEVICE}')
            n = 50 if b == 1 else 1
            for _ in range(3): model(x)
            times = []
            for _ in range(${REPS}):
                if '${DEVICE}'.startswith('cuda'): torch.cuda.synchronize()
                t0 = time.perf_counter()
                for _ in range(n): y = model(x)
                if '${DEVICE}'.startswith('cuda'): torch.cuda.synchronize()
                times.append((time.perf_counter() - t0) / n)
            times.sort()
            out[f"{name}{b}"] = b / times[len(times) // 2]
print(json.dumps(out))
`;
  const file = path.join(dir, 'bench.py');
  fs.writeFileSync(file, 'import json\n' + script);
  const out = execFileSync(PYTHON, [file, traced, packaged], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return JSON.parse(out.trim().split('\n').pop()!);
}

/** Images per second, median over REPS repetitions, after 3 warm-up calls. */
async function rate(batch: number, run: (x: torch.Tensor) => Promise<torch.Tensor> | torch.Tensor): Promise<number> {
  const x = torch.randn([batch, 3, 32, 32]).to(DEVICE);
  const sync = () => (DEVICE.startsWith('cuda') ? torch.cuda.synchronize() : undefined);
  for (let i = 0; i < 3; i++) (await torch.noGrad(() => run(x))).dispose();
  const times: number[] = [];
  for (let r = 0; r < REPS; r++) {
    sync();
    const t0 = performance.now();
    for (let i = 0; i < calls(batch); i++) (await torch.noGrad(() => run(x))).dispose();
    sync();
    times.push((performance.now() - t0) / 1000 / calls(batch));
  }
  x.dispose();
  return batch / median(times);
}

async function serverLatency(): Promise<{ p50: number; p99: number; batches: number }> {
  torch.manualSeed(0);
  const ckpt = path.join(dir, 'ckpt.pth');
  const model = torch.models.resnet20();
  torch.save({ net: model.stateDict(), acc: 0, epoch: 0 }, ckpt);
  const srv = await startServer({ checkpoint: ckpt, port: 0, device: DEVICE });
  const png = torch.vision.toPng(torch.randint(0, 256, [3, 32, 32], { dtype: 'uint8' }));
  const post = () => fetch(`${srv.url}/predict`, { method: 'POST', body: png as unknown as RequestInit['body'] }).then((r) => r.json());
  for (let i = 0; i < 8; i++) await Promise.all([post(), post(), post(), post()].slice(0, (i % 4) + 1)); // trace batch sizes 1–4
  const latencies: number[] = [];
  let next = 0;
  const client = async () => {
    while (next++ < REQUESTS) {
      const t0 = performance.now();
      await post();
      latencies.push(performance.now() - t0);
    }
  };
  const before = srv.stats.batches;
  await Promise.all([client(), client(), client(), client()]);
  const batches = srv.stats.batches - before;
  await srv.close();
  latencies.sort((a, b) => a - b);
  return { p50: latencies[Math.floor(latencies.length * 0.5)], p99: latencies[Math.floor(latencies.length * 0.99)], batches };
}

async function main(): Promise<void> {
  const py = python();
  torch.setNumThreads(THREADS);
  const scripted = torch.jit.load(traced, { device: DEVICE }).eval();
  const pt2 = fs.existsSync(packaged) && torch.export.isAvailable() ? torch.export.load(packaged, { device: DEVICE }) : null;
  const round = (x: number | undefined) => (x === undefined ? null : +x.toFixed(0));
  torch.manualSeed(0);
  const ours = torch.models.resnet20().to(DEVICE).eval();
  const rows: Record<string, Record<string, number | null>> = {};
  for (const b of BATCHES) {
    rows[`batch ${b}`] = {
      pythonEager: +py[`eager${b}`].toFixed(0),
      pythonJit: +py[`jit${b}`].toFixed(0),
      jitLoadForward: +(await rate(b, (x) => scripted.forward(x))).toFixed(0),
      jitLoadForwardAsync: +(await rate(b, (x) => scripted.forwardAsync(x))).toFixed(0),
      // null where the Python or the libtorch has no AOTInductor (1.13)
      pythonPt2: round(py[`pt2${b}`]),
      exportLoadForward: pt2 ? round(await rate(b, (x) => pt2.forward(x))) : null,
      exportLoadForwardAsync: pt2 ? round(await rate(b, (x) => pt2.forwardAsync(x))) : null,
      oursEagerForward: +(await rate(b, (x) => torch.tidy(() => ours.forward(x)))).toFixed(0),
      oursForwardAsync: +(await rate(b, (x) => ours.forwardAsync(x))).toFixed(0),
    };
  }
  const server = await serverLatency();
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(
    JSON.stringify(
      {
        machine: `${os.cpus()[0].model}, ${os.cpus().length} cores`,
        device: DEVICE,
        threads: THREADS,
        repetitions: REPS,
        imagesPerSecond: rows,
        server: { clients: 4, requests: REQUESTS, p50ms: +server.p50.toFixed(1), p99ms: +server.p99.toFixed(1), batches: server.batches },
        libtorch: torch.libtorchVersion,
        pythonTorch: py.torch,
      },
      null,
      2,
    ),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
