// One ResNet-20 training step (batch 128: forward, cross-entropy, backward, SGD with momentum and weight
// decay) from TypeScript versus the same step in Python torch, on this machine's CPU.
// Run: npx tsx bench/train-step.ts [--steps 20] [--batch 128] [--threads N] [--clock wall|cpu]
// --clock cpu times the process's CPU time (all its threads): on a shared machine the wall clock also counts
// the time other processes ran. The default is the wall clock, what a user waits.
// --instructions [--steps 2]: instructions per step under callgrind instead (bench/instructions.ts), ours
// and Python's: each child builds the model and takes one warm-up step, then --steps or 3 × --steps more;
// the difference over 2 × --steps. All threads' instructions count (a spinning OpenMP worker counts too, on both sides).
import { execFileSync } from 'child_process';
import * as os from 'os';
import * as torch from '../lib';
import { SEED_MODEL } from '../test/helpers/seed_model';
import { PYTHON } from '../test/helpers/python';
import { DIST, instructionRatios, nodeChild, pythonChild, wantsInstructions } from './instructions';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const STEPS = arg('--steps', 20);
const BATCH = arg('--batch', 128);
const THREADS = arg('--threads', os.cpus().length);
const CLOCK = process.argv.includes('--clock') ? process.argv[process.argv.indexOf('--clock') + 1] : 'wall';
const nowMs = (): number => {
  if (CLOCK === 'wall') return performance.now();
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function ours(): number {
  torch.setNumThreads(THREADS);
  torch.manualSeed(0);
  const model = torch.models.resnet20();
  const opt = new torch.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 1e-4 });
  const x = torch.randn([BATCH, 3, 32, 32]);
  const y = torch.randint(0, 10, [BATCH]);
  const times: number[] = [];
  for (let i = 0; i < STEPS + 3; i++) {
    const t0 = nowMs();
    torch.tidy(() => {
      const loss = torch.nn.functional.crossEntropy(model.forward(x), y);
      opt.zeroGrad();
      loss.backward();
      opt.step();
    });
    if (i >= 3) times.push(nowMs() - t0);
  }
  return median(times);
}

function python(): { ms: number; torch: string } {
  const script = `${SEED_MODEL}
import time
clock = time.process_time if "${CLOCK}" == "cpu" else time.perf_counter
torch.set_num_threads(${THREADS})
torch.manual_seed(0)
net = ResNet20()
opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
x = torch.randn(${BATCH}, 3, 32, 32); y = torch.randint(0, 10, (${BATCH},))
times = []
for i in range(${STEPS} + 3):
    t0 = clock()
    loss = F.cross_entropy(net(x), y)
    opt.zero_grad(); loss.backward(); opt.step()
    if i >= 3: times.append((clock() - t0) * 1000)
times.sort()
print(json.dumps({"ms": times[len(times) // 2], "torch": torch.__version__}))
`;
  const out = execFileSync(PYTHON, ['-c', 'import json\n' + script], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!);
}

// argv: steps after the warm-up step. Seeded as above, so both sides train the same network.
const NODE_CHILD = `
const torch = require(${JSON.stringify(DIST)});
const steps = Number(process.argv[1]);
torch.setNumThreads(${THREADS});
torch.manualSeed(0);
const model = torch.models.resnet20();
const opt = new torch.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 1e-4 });
const x = torch.randn([${BATCH}, 3, 32, 32]);
const y = torch.randint(0, 10, [${BATCH}]);
for (let i = 0; i < 1 + steps; i++) {
  torch.tidy(() => {
    const loss = torch.nn.functional.crossEntropy(model.forward(x), y);
    opt.zeroGrad();
    loss.backward();
    opt.step();
  });
}
`;
const PY_CHILD = `${SEED_MODEL}
import sys
steps = int(sys.argv[1])
torch.set_num_threads(${THREADS})
torch.manual_seed(0)
net = ResNet20()
opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
x = torch.randn(${BATCH}, 3, 32, 32); y = torch.randint(0, 10, (${BATCH},))
for i in range(1 + steps):
    loss = F.cross_entropy(net(x), y)
    opt.zero_grad(); loss.backward(); opt.step()
`;

if (wantsInstructions()) {
  const steps = arg('--steps', 2);
  const r = instructionRatios(
    (_, n) => nodeChild(NODE_CHILD, [String(n)]),
    (_, n) => pythonChild(PY_CHILD, [String(n)]),
    { step: steps },
  );
  console.log(JSON.stringify({ libtorch: torch.libtorchVersion, mode: 'instructions per step (callgrind)', threads: THREADS, batch: BATCH, steps, ...r }, null, 2));
  process.exit(0);
}

const ts = ours();
const py = python();
console.log(
  JSON.stringify(
    {
      machine: `${os.cpus()[0].model}, ${os.cpus().length} cores`,
      threads: THREADS,
      clock: CLOCK,
      batch: BATCH,
      steps: STEPS,
      msPerStep: { typescript: +ts.toFixed(1), python: +py.ms.toFixed(1), ratio: +(ts / py.ms).toFixed(3) },
      libtorch: torch.libtorchVersion,
      pythonTorch: py.torch,
    },
    null,
    2,
  ),
);
