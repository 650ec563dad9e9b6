// `libtorch-node train`: the seed's main.py as a command line (flags → TrainOptions), run in a worker
// thread so that the main thread stays free for Ctrl-C whatever a training step costs (see run.ts).
import * as fs from 'fs';
import * as path from 'path';
import { cuda } from '../cuda';
import * as data from '../data';
import { TorchError } from '../errors';
import { BEST_FILE, LAST_FILE } from '../train/checkpoint';
import { readStoredRun } from '../train/resume';
import { resumeOptions } from '../train/run_config';
import type { TrainOptions } from '../train';
import { TRAIN_NUMBERS } from '../train/options';
import { FlagSpec, UsageError, choiceFlag, deviceFlag, helpText, intFlag, parseFlags, ruleFlag, stringFlag } from './flags';
import { runInWorker } from './run';

export const TRAIN_FLAGS: Record<string, FlagSpec> = {
  lr: { type: 'string', value: 'N', help: 'learning rate (0.1)' },
  resume: { type: 'boolean', short: 'r', help: 'continue from <checkpoint-dir>/last.pth with its stored configuration' },
  epochs: { type: 'string', value: 'N', help: 'epochs (200); with --resume, a larger N extends the schedule' },
  'batch-size': { type: 'string', value: 'N', help: 'training batch size (128)' },
  data: { type: 'string', value: 'DIR', help: 'CIFAR-10 binary folder or its parent ($CIFAR10_ROOT, else ../shared/cifar10 or data/ beside the package)' },
  download: { type: 'boolean', help: 'fetch CIFAR-10 when it is absent (from $CIFAR10_URL when set, a mirror)' },
  device: { type: 'string', value: 'D', help: 'cpu | cuda | cuda:N (cuda when available)' },
  'checkpoint-dir': { type: 'string', value: 'DIR', help: 'where ckpt.pth, last.pth and log.jsonl go (checkpoint)' },
  seed: { type: 'string', value: 'N', help: 'seed for initialisation, shuffling and augmentation' },
  depth: { type: 'string', value: 'N', help: '20 | 32 | 44 | 56 | 110 (20)' },
  shortcut: { type: 'string', value: 'A|B', help: 'B: 1x1 projection (the seed), A: zero-padded identity (the paper)' },
  schedule: { type: 'string', value: 'S', help: 'cosine | multistep | constant (cosine)' },
  'limit-train': { type: 'string', value: 'N', help: 'train on the first N images' },
  'limit-test': { type: 'string', value: 'N', help: 'test on the first N images' },
  'max-epochs-this-run': { type: 'string', value: 'N', help: 'stop after N epochs of this run (resume later)' },
  threads: { type: 'string', value: 'N', help: 'CPU threads (libtorch\'s default otherwise)' },
  distributed: { type: 'boolean', help: 'data-parallel over torch.distributed (on by itself under torchrun or launch with WORLD_SIZE > 1); --batch-size is per rank' },
  tensorboard: { type: 'string', value: 'DIR', help: 'TensorBoard event files in DIR: per epoch the losses, accuracies, lr and time (tensorboard --logdir DIR)' },
  'tensorboard-every': { type: 'string', value: 'N', help: 'with --tensorboard: also the training loss every N optimizer steps' },
  'log-every': { type: 'string', value: 'S', help: 'when the output is not a terminal: a progress line every S seconds (30)' },
  help: { type: 'boolean', short: 'h', help: 'this text' },
};

export const TRAIN_USAGE = 'Usage: libtorch-node train [flags]\nTrains ResNet-20 (or deeper) on CIFAR-10 with the seed\'s recipe: SGD 0.1, cosine, batch 128, 200 epochs.';

/** The TrainOptions a command line asks for: only the flags given (the trainer fills in the defaults). */
export function trainOptionsFromFlags(argv: string[]): { options: TrainOptions; help: boolean } {
  const v = parseFlags(argv, TRAIN_FLAGS);
  const options: TrainOptions = {
    lr: ruleFlag(v, 'lr', TRAIN_NUMBERS.lr),
    resume: v.resume === true ? true : undefined,
    epochs: ruleFlag(v, 'epochs', TRAIN_NUMBERS.epochs),
    batchSize: ruleFlag(v, 'batch-size', TRAIN_NUMBERS.batchSize),
    dataRoot: stringFlag(v, 'data'),
    download: v.download === true ? true : undefined,
    device: deviceFlag(v, 'device'),
    checkpointDir: stringFlag(v, 'checkpoint-dir'),
    seed: intFlag(v, 'seed', 0),
    depth: choiceFlag(v, 'depth', ['20', '32', '44', '56', '110'] as const) !== undefined ? (Number(v.depth) as 20) : undefined,
    shortcut: choiceFlag(v, 'shortcut', ['A', 'B'] as const),
    schedule: choiceFlag(v, 'schedule', ['cosine', 'multistep', 'constant'] as const),
    limitTrain: ruleFlag(v, 'limit-train', TRAIN_NUMBERS.limitTrain),
    limitTest: ruleFlag(v, 'limit-test', TRAIN_NUMBERS.limitTest),
    maxEpochsThisRun: ruleFlag(v, 'max-epochs-this-run', TRAIN_NUMBERS.maxEpochsThisRun),
    numThreads: intFlag(v, 'threads', 1, 1024),
    progressEvery: ruleFlag(v, 'log-every', TRAIN_NUMBERS.progressEvery),
    tensorboard: stringFlag(v, 'tensorboard'),
    tensorboardEvery: ruleFlag(v, 'tensorboard-every', TRAIN_NUMBERS.tensorboardEvery),
    // Under torchrun / libtorch-node launch (WORLD_SIZE > 1) every rank trains its shard, as a PyTorch DDP script.
    distributed: v.distributed === true || Number(process.env.WORLD_SIZE ?? 1) > 1 ? true : undefined,
  };
  for (const k of Object.keys(options) as (keyof TrainOptions)[]) if (options[k] === undefined) delete options[k];
  if (options.tensorboardEvery !== undefined && options.tensorboard === undefined) throw new UsageError('--tensorboard-every: needs --tensorboard DIR');
  if (v.help !== true) checkPaths(options);
  return { options, help: v.help === true };
}

// What can be checked before the worker starts: the device, the checkpoint and TensorBoard folders, the data.
function checkPaths(o: TrainOptions): void {
  if (o.device?.startsWith('cuda') && !cuda.isAvailable()) {
    const why = cuda.compiled ? 'no CUDA GPU is visible on this machine' : 'Torch not compiled with CUDA enabled (this libtorch is CPU-only)';
    throw new UsageError(`--device ${o.device}: ${why}; use --device cpu`);
  }
  const dir = o.checkpointDir ?? 'checkpoint';
  const flag = o.checkpointDir === undefined ? 'checkpoint folder' : '--checkpoint-dir';
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) throw new UsageError(`${flag}: ${dir} is a file, not a folder`);
  if (o.resume && ![LAST_FILE, BEST_FILE].some((f) => fs.existsSync(path.join(dir, f)))) {
    throw new UsageError(`--resume: no checkpoint in ${path.resolve(dir)} (no last.pth or ckpt.pth); start without --resume, or pass --checkpoint-dir`);
  }
  if (o.resume) checkResume(dir, o);
  if (typeof o.tensorboard === 'string' && fs.existsSync(o.tensorboard) && !fs.statSync(o.tensorboard).isDirectory()) {
    throw new UsageError(`--tensorboard: ${o.tensorboard} is a file, not a folder`);
  }
  checkData(o);
}

function checkData(o: TrainOptions): void {
  const root = o.dataRoot ?? data.defaultCifar10Root();
  const folder = data.resolveCifar10Folder(root);
  if (o.dataRoot !== undefined && fs.existsSync(root) && !fs.statSync(root).isDirectory()) {
    throw new UsageError(`--data: ${root} is a file, not a folder`);
  }
  if (!o.download && !data.cifar10FilesPresent(folder)) {
    const from = o.dataRoot !== undefined ? '--data' : process.env.CIFAR10_ROOT ? 'CIFAR10_ROOT' : 'the default location';
    throw new UsageError(
      `${o.dataRoot !== undefined ? '--data' : 'data'}: CIFAR-10 (binary version) not found in ${folder} (from ${from}); ` +
        'add --download to fetch it (163 MB), or point --data or CIFAR10_ROOT at a cifar-10-batches-bin folder',
    );
  }
}

// --resume with flags that contradict the stored run: refused here, in the flags' own names. Without
// last.pth (the seed's ckpt.pth: weights only) nothing is stored to contradict.
function checkResume(dir: string, o: TrainOptions): void {
  const stored = readStoredRun(dir)?.config;
  if (!stored) return;
  try {
    resumeOptions(stored, o, flagName);
  } catch (e) {
    if (e instanceof TorchError) throw new UsageError(e.message.replace(/^resume: /, '--resume: '));
    throw e;
  }
}

const flagName = (key: string) => {
  const flag = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return flag in TRAIN_FLAGS ? `--${flag}` : key;
};

export function trainHelp(): string {
  return helpText(TRAIN_USAGE, TRAIN_FLAGS);
}

export async function trainCommand(argv: string[]): Promise<number> {
  const { options, help } = trainOptionsFromFlags(argv);
  if (help) {
    console.log(trainHelp());
    return 0;
  }
  await fetchData(options);
  return runInWorker(options);
}

// --download: fetched here, before the worker starts and before the run writes anything (config.json,
// checkpoints), so that a failed download (offline, say) leaves nothing behind and says what else to
// do. Under launch, rank 0 fetches and the others find the files (or fetch them themselves, as before).
async function fetchData(o: TrainOptions): Promise<void> {
  const folder = data.resolveCifar10Folder(o.dataRoot ?? data.defaultCifar10Root());
  if (!o.download || data.cifar10FilesPresent(folder) || Number(process.env.RANK ?? 0) !== 0) return;
  try {
    await data.download(folder, { url: process.env.CIFAR10_URL || data.CIFAR10_URL, md5: data.CIFAR10_MD5 });
  } catch (e) {
    if (!(e instanceof TorchError)) throw e;
    throw new TorchError(
      `${e.message}; without network access, copy CIFAR-10 (binary version) to this machine and point --data or CIFAR10_ROOT at its cifar-10-batches-bin folder`,
    );
  }
}
