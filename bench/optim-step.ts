// The optimizer step alone on ResNet-20's parameters (gradients from one backward of a batch of 2): SGD with
// momentum and weight decay (the training step's), Adam and RMSprop, ours and Python torch's (foreach=True).
// Run (after npm run build:ts: the children load dist/, or TORCH_NODE_BENCH_DIST):
//   npx tsx bench/optim-step.ts [--steps 50]                   CPU time per step, one thread each side
//   npx tsx bench/optim-step.ts --instructions [--steps 10]    instructions per step under callgrind (bench/instructions.ts)
import * as torch from '../lib';
import { SEED_MODEL } from '../test/helpers/seed_model';
import { execFileSync } from 'child_process';
import { PYTHON } from '../test/helpers/python';
import { DIST, instructionRatios, nodeChild, pythonChild, wantsInstructions } from './instructions';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const OURS: Record<string, string> = {
  sgd: 'new torch.optim.SGD(ps, { lr: 0.1, momentum: 0.9, weightDecay: 1e-4 })',
  adam: 'new torch.optim.Adam(ps, { lr: 1e-3 })',
  rmsprop: 'new torch.optim.RMSprop(ps, { lr: 1e-3, momentum: 0.9 })',
};
const PY: Record<string, string> = {
  sgd: 'torch.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=1e-4, foreach=True)',
  adam: 'torch.optim.Adam(ps, lr=1e-3, foreach=True)',
  rmsprop: 'torch.optim.RMSprop(ps, lr=1e-3, momentum=0.9, foreach=True)',
};

// One child: set-up, one warm-up step, then argv[2] steps of optimizer argv[1].
const nodeSource = (lib: string) => `
const torch = require(${JSON.stringify(lib)});
const [which, n] = [process.argv[1], Number(process.argv[2])];
torch.setNumThreads(1);
torch.manualSeed(0);
const model = torch.models.resnet20();
const ps = model.parameters();
const opt = ({ ${Object.entries(OURS).map(([k, v]) => `${k}: () => ${v}`).join(', ')} })[which]();
torch.tidy(() => torch.nn.functional.crossEntropy(model.forward(torch.randn([2, 3, 32, 32])), torch.randint(0, 10, [2])).backward());
const t0 = process.cpuUsage();
for (let i = 0; i < n + 1; i++) torch.tidy(() => opt.step());
const t = process.cpuUsage(t0);
console.log(JSON.stringify({ us: (t.user + t.system) / (n + 1) }));
`;
const pySource = `${SEED_MODEL}
import sys, time
which, n = sys.argv[1], int(sys.argv[2])
torch.set_num_threads(1)
torch.manual_seed(0)
net = ResNet20()
ps = list(net.parameters())
opt = { ${Object.entries(PY).map(([k, v]) => `"${k}": lambda: ${v}`).join(', ')} }[which]()
F.cross_entropy(net(torch.randn(2, 3, 32, 32)), torch.randint(0, 10, (2,))).backward()
t0 = time.process_time()
for i in range(n + 1): opt.step()
print(json.dumps({"us": (time.process_time() - t0) * 1e6 / (n + 1)}))
`;

if (wantsInstructions()) {
  const steps = arg('--steps', 10);
  const iters = Object.fromEntries(Object.keys(OURS).map((k) => [k, steps]));
  const r = instructionRatios(
    (w, n) => nodeChild(nodeSource(DIST), [w, String(n)]),
    (w, n) => pythonChild('import json\n' + pySource, [w, String(n)]),
    iters,
  );
  console.log(JSON.stringify({ instructionsPerStep: r, libtorch: torch.libtorchVersion }, null, 2));
} else {
  const steps = arg('--steps', 50);
  const out: Record<string, { oursUs: number; pythonUs: number }> = {};
  for (const k of Object.keys(OURS)) {
    const ours = JSON.parse(execFileSync(process.execPath, ['-e', nodeSource(DIST), k, String(steps)], { encoding: 'utf8' }).trim().split('\n').pop()!);
    const py = JSON.parse(execFileSync(PYTHON, ['-c', 'import json\n' + pySource, k, String(steps)], { encoding: 'utf8' }).trim().split('\n').pop()!);
    out[k] = { oursUs: +ours.us.toFixed(1), pythonUs: +py.us.toFixed(1) };
  }
  console.log(JSON.stringify({ cpuUsPerStep: out, libtorch: torch.libtorchVersion }, null, 2));
}
