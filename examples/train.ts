// The seed's main.py as a command line: train ResNet-20 on CIFAR-10 with the seed's recipe.
//   npx tsx examples/train.ts --download            # 200 epochs, lr 0.1, cosine, batch 128
//   npx tsx examples/train.ts --epochs 3 --limit-train 5000 --limit-test 1000
//   npx tsx examples/train.ts --resume              # continue from checkpoint/last.pth
// The same program as `npx libtorch-node train` (the package's bin, compiled JS): the flags are in
// lib/cli/train.ts, the training loop in lib/train/trainer.ts.
import { cli } from '../lib';

async function main(argv: string[]): Promise<number> {
  // Flags → TrainOptions. A bad flag, value or path is a UsageError: one line naming the flag, exit code 2.
  const { options, help } = cli.trainOptionsFromFlags(argv);
  if (help) {
    console.log(cli.trainHelp());
    return 0;
  }
  // The steps run in a worker thread, so this thread answers Ctrl-C at once: the first stops after the
  // current step (last.pth keeps the last finished epoch), a second quits. Resolves with the exit code.
  return cli.runInWorker(options);
}

cli.runMain('examples/train.ts', main);
