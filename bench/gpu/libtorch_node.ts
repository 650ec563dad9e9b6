// (3) this library, eager fp32, and (4) every speed switch the trainer offers: trainResNet20 timed
// per epoch. Prints one JSON line (progress goes to stderr).
//   npx tsx bench/gpu/libtorch_node.ts --mode eager|fast|nographs [--epochs 5] [--limit-train N] [--limit-test N]
//     [--data DIR] [--device cuda] [--opt key=<json>]...   (--opt passes any extra TrainOptions field)
//   A long run split across calls: --checkpoint-dir DIR --max-epochs-this-run K (resumes when DIR/last.pth
//   exists); the JSON line then says epochs_done, finished and, once finished, the final accuracy and the
//   summed seconds of training and testing over all the epochs (from the run's history).
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as torch from '../../lib';

const argv = process.argv.slice(2);
const arg = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const num = (name: string) => (arg(name) === undefined ? undefined : Number(arg(name)));
const mode = arg('--mode') ?? 'eager';
const epochs = num('--epochs') ?? 5;

// (3) eager fp32 turns the fast path off explicitly (on CUDA the trainer's defaults turn it on);
// (4) turns every switch on, the captured CUDA-graph step included; nographs: (4) without the graph.
// Where a switch cannot apply (CUDA graphs on the CPU, or a libtorch without fused SGD) it is listed
// as not available (a CPU rehearsal runs the rest).
const device = arg('--device') ?? (torch.cuda.isAvailable() ? 'cuda' : 'cpu');
const graphsPossible = device.startsWith('cuda') && torch.optim.fusedSgdAvailable;
const EAGER = { channelsLast: false, amp: false, cudnnBenchmark: false, cudaGraphs: false, fusedSgd: false };
const SPEED = { channelsLast: true, amp: 'bf16', cudnnBenchmark: true, cudaGraphs: graphsPossible, fusedSgd: torch.optim.fusedSgdAvailable };
const missing = mode === 'fast' && !graphsPossible ? ['cudaGraphs'] : [];
const train = torch.train;
const applied: Record<string, unknown> = { ...(mode === 'eager' ? EAGER : SPEED), ...(mode === 'nographs' ? { cudaGraphs: false } : {}) };
for (let i = 0; i < argv.length; i++) {
  if (argv[i] !== '--opt') continue;
  const [k, ...rest] = argv[i + 1].split('=');
  applied[k] = JSON.parse(rest.join('='));
}
console.error(`libtorch-node ${mode}: applied ${JSON.stringify(applied)}; not in TrainOptions: ${JSON.stringify(missing)}`);

const median2toN = (xs: number[]) => {
  const s = (xs.length > 1 ? xs.slice(1) : xs).slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x: number) => Math.round(x * 1000) / 1000;

function deviceName(device: string): string {
  if (!device.startsWith('cuda')) return device;
  try {
    return execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { encoding: 'utf8' }).trim().split('\n')[0];
  } catch {
    return device;
  }
}

async function main() {
  const dir = arg('--checkpoint-dir');
  // Each "Epoch: N" line marks an epoch's start: start to start is the whole epoch, checkpoints included.
  const epochStarts: number[] = [];
  const resume = dir !== undefined && fs.existsSync(path.join(dir, 'last.pth'));
  const result = await train.trainResNet20({
    dataRoot: arg('--data'),
    device,
    epochs,
    batchSize: 128,
    limitTrain: num('--limit-train'),
    limitTest: num('--limit-test'),
    progress: 'none',
    print: (line: string) => {
      if (/^\s*Epoch: \d+/.test(line)) epochStarts.push(performance.now());
      console.error(line);
    },
    checkpointDir: dir ?? fs.mkdtempSync(path.join(os.tmpdir(), `libtorch-node-bench-${mode}-`)),
    logFile: dir ? undefined : null,
    report: false,
    resume,
    maxEpochsThisRun: num('--max-epochs-this-run'),
    seed: 0,
    handleSigint: false,
    ...applied,
  });
  const end = performance.now();
  const h: any[] = result.history;
  // trainSeconds (training only) when the trainer records it; else `seconds`, which includes the test pass.
  const trainOnly = h.every((r) => typeof r.trainSeconds === 'number');
  const train_s: number[] = h.map((r) => (trainOnly ? r.trainSeconds : r.seconds));
  const both: number[] = h.map((r) => r.seconds); // train + test (the record's seconds stop before the checkpoints)
  const test_s: number[] = trainOnly ? h.map((r) => r.seconds - r.trainSeconds) : [];
  // This call's epochs (a resumed run's history also holds earlier calls' epochs).
  const wall = epochStarts.map((t, i) => ((epochStarts[i + 1] ?? end) - t) / 1000);
  console.log(JSON.stringify({
    name: `libtorch-node-${mode}`,
    epochs: train_s.map(round),
    median_2_to_N: round(median2toN(train_s)),
    seconds_include_test: !trainOnly,
    median_train_test_2_to_N: round(median2toN(both)),
    ...(trainOnly ? { test_seconds: test_s.map(round), median_test_2_to_N: round(median2toN(test_s)) } : {}),
    ...(wall.length ? { epoch_wall_seconds: wall.map(round), median_epoch_wall_2_to_N: round(median2toN(wall)) } : {}),
    final_test_acc: result.finalAccuracy,
    epochs_done: h.length,
    finished: !result.stopped && h.length === epochs,
    // A run split across calls: every epoch's training and testing, summed from the stored history.
    total_train_test_s: round(h.reduce((a, r) => a + r.seconds, 0)),
    best_test_acc: result.bestAccuracy,
    device: deviceName(device),
    torch: torch.libtorchVersion,
    applied,
    not_available: missing,
  }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
