// The seed's main.py as a command line: train ResNet-20 on CIFAR-10 with the seed's recipe.
//   npx tsx examples/train.ts                       # 200 epochs, lr 0.1, cosine, batch 128
//   npx tsx examples/train.ts --epochs 3 --limit-train 5000 --limit-test 1000
//   npx tsx examples/train.ts --resume              # continue from checkpoint/last.pth
import { parseArgs } from 'util';
import { train, TorchError } from '../lib';

const { values } = parseArgs({
  options: {
    lr: { type: 'string', default: '0.1' },
    resume: { type: 'boolean', short: 'r', default: false },
    epochs: { type: 'string', default: '200' },
    'batch-size': { type: 'string', default: '128' },
    data: { type: 'string' },
    download: { type: 'boolean', default: false },
    device: { type: 'string' },
    'checkpoint-dir': { type: 'string', default: 'checkpoint' },
    seed: { type: 'string' },
    depth: { type: 'string', default: '20' },
    shortcut: { type: 'string', default: 'B' },
    schedule: { type: 'string', default: 'cosine' },
    'limit-train': { type: 'string' },
    'limit-test': { type: 'string' },
    'max-epochs-this-run': { type: 'string' },
    threads: { type: 'string' },
    tensorboard: { type: 'boolean', default: false },
    'tensorboard-dir': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log(`PyTorch-style CIFAR-10 training of ResNet-20 on libtorch-node
  --lr N               learning rate (0.1)
  -r, --resume         resume from <checkpoint-dir>/last.pth
  --epochs N           epochs (200)
  --batch-size N       training batch size (128)
  --data DIR           CIFAR-10 binary folder or its parent (default $CIFAR10_ROOT or ../shared/cifar10)
  --download           fetch CIFAR-10 when absent
  --device D           cpu | cuda | cuda:N (cuda when available)
  --checkpoint-dir D   where ckpt.pth, last.pth and log.jsonl go (checkpoint)
  --seed N             seed for initialisation, shuffling and augmentation
  --depth N            20 | 32 | 44 | 56 | 110 (20)
  --shortcut A|B       B: 1x1 projection (the seed), A: zero-padded identity (the paper)
  --schedule S         cosine | multistep | constant (cosine)
  --limit-train N      train on the first N images
  --limit-test N       test on the first N images
  --max-epochs-this-run N   stop after N epochs of this run (resume later)
  --threads N          CPU threads (libtorch's default otherwise)
  --tensorboard        TensorBoard event files in <checkpoint-dir>/tensorboard (or --tensorboard-dir D)
  (report.html is written into <checkpoint-dir> at the end; npx tsx examples/report.ts DIR makes it again)`);
  process.exit(0);
}

const int = (v: string | undefined) => (v === undefined ? undefined : Number(v));

train
  .trainResNet20({
    lr: Number(values.lr),
    resume: values.resume,
    epochs: int(values.epochs),
    batchSize: int(values['batch-size']),
    dataRoot: values.data,
    download: values.download,
    device: values.device,
    checkpointDir: values['checkpoint-dir'],
    seed: int(values.seed),
    depth: int(values.depth) as 20,
    shortcut: values.shortcut as 'A' | 'B',
    schedule: values.schedule as 'cosine',
    limitTrain: int(values['limit-train']),
    limitTest: int(values['limit-test']),
    maxEpochsThisRun: int(values['max-epochs-this-run']),
    numThreads: int(values.threads),
    tensorboard: values['tensorboard-dir'] ?? values.tensorboard,
  })
  .then((r) => {
    if (r.stopped) console.log(`Stopped early; continue with --resume (checkpoint in ${values['checkpoint-dir']}).`);
  })
  .catch((e) => {
    console.error(e instanceof TorchError ? `error: ${e.message}` : e);
    process.exit(1);
  });
