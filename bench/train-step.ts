// One ResNet-20 training step (batch 128: forward, cross-entropy, backward, SGD with momentum and weight
// decay) from TypeScript versus the same step in Python torch, on this machine's CPU.
// Run: npx tsx bench/train-step.ts [--steps 20] [--rounds 5] [--batch 128] [--threads N] [--clock wall|cpu]
// Ours and Python's run interleaved, a round of --steps / --rounds steps each (bench/interleave.ts).
// --clock cpu times the process's CPU time (all its threads): on a shared machine the wall clock also counts
// the time other processes ran. The default is the wall clock, what a user waits.
// --instructions [--steps 2]: instructions per step under callgrind instead (bench/instructions.ts), ours
// and Python's: each child builds the model and takes one warm-up step, then --steps or 3 × --steps more;
// the difference over 2 × --steps. All threads' instructions count (a spinning OpenMP worker counts too, on both sides).
import * as os from 'os';
import * as torch from '../lib';
import { SEED_MODEL } from '../test/helpers/seed_model';
import { DIST, instructionRatios, nodeChild, pythonChild, wantsInstructions } from './instructions';
import { interleave, PythonTimer, timeNs, type Clock } from './interleave';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const STEPS = arg('--steps', 20);
const BATCH = arg('--batch', 128);
const THREADS = arg('--threads', os.cpus().length);
const CLOCK = (process.argv.includes('--clock') ? process.argv[process.argv.indexOf('--clock') + 1] : 'wall') as Clock;

// Our step, on the same seeded model and batch as Python's below.
function ourStep(): () => void {
  torch.setNumThreads(THREADS);
  torch.manualSeed(0);
  const model = torch.models.resnet20();
  const opt = new torch.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 1e-4 });
  const x = torch.randn([BATCH, 3, 32, 32]);
  const y = torch.randint(0, 10, [BATCH]);
  return () =>
    torch.tidy(() => {
      const loss = torch.nn.functional.crossEntropy(model.forward(x), y);
      opt.zeroGrad();
      loss.backward();
      opt.step();
    });
}

const PY_SETUP = `${SEED_MODEL}
torch.set_num_threads(${THREADS})
torch.manual_seed(0)
net = ResNet20()
opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
x = torch.randn(${BATCH}, 3, 32, 32); y = torch.randint(0, 10, (${BATCH},))
def step():
    loss = F.cross_entropy(net(x), y)
    opt.zero_grad(); loss.backward(); opt.step()
FNS = {"step": step}
`;

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

// Interleaved (bench/interleave.ts): rounds of STEPS / ROUNDS steps, ours then Python's, after 3 warm-up steps each.
async function main(): Promise<void> {
  const rounds = Math.max(1, arg('--rounds', 5));
  const perRound = Math.max(1, Math.round(STEPS / rounds));
  const step = ourStep();
  const py = new PythonTimer(PY_SETUP, CLOCK);
  const pythonTorch = await py.version();
  timeNs(step, 3, CLOCK);
  await py.time('step', 3);
  const r = await interleave(py, { step: { ours: (n) => timeNs(step, n, CLOCK), python: 'step', iters: perRound } }, rounds);
  py.close();
  const ms = (ns: number) => +(ns / 1e6).toFixed(1);
  console.log(
    JSON.stringify(
      {
        machine: `${os.cpus()[0].model}, ${os.cpus().length} cores`,
        threads: THREADS,
        clock: CLOCK,
        batch: BATCH,
        steps: perRound * rounds,
        rounds,
        msPerStep: { typescript: ms(r.step.ours), python: ms(r.step.python), ratio: r.step.ratio },
        libtorch: torch.libtorchVersion,
        pythonTorch,
      },
      null,
      2,
    ),
  );
}

void main();
