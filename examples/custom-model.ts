// Your own model on CIFAR-10 with the PyTorch toolbox: a small CNN with MaxPool2d, Dropout and
// BatchNorm, trained by AdamW with a one-cycle schedule through train.fit, then predict().
//   npx tsx examples/custom-model.ts --epochs 2 --limit-train 5000 --limit-test 1000   # about a minute on a CPU
//   npx tsx examples/custom-model.ts --epochs 30                                       # the full set
import * as torch from '../lib';
import { Tensor, cli, data, nn, optim, train } from '../lib';

class SmallCNN extends nn.Module {
  features = new nn.Sequential(
    new nn.Conv2d(3, 32, 3, { padding: 1, bias: false }), new nn.BatchNorm2d(32), new nn.ReLU(), new nn.MaxPool2d(2), // 16x16
    new nn.Conv2d(32, 64, 3, { padding: 1, bias: false }), new nn.BatchNorm2d(64), new nn.ReLU(), new nn.MaxPool2d(2), // 8x8
    new nn.Conv2d(64, 128, 3, { padding: 1, bias: false }), new nn.BatchNorm2d(128), new nn.ReLU(), new nn.Dropout2d(0.1),
  );
  classifier = new nn.Sequential(new nn.AdaptiveAvgPool2d(1), new nn.Flatten(), new nn.Dropout(0.3), new nn.Linear(128, 10));

  forward(x: Tensor): Tensor {
    return this.classifier.forward(this.features.forward(x));
  }
}

// The flags are parsed and checked with the CLI's helpers: a bad flag or value is one line and exit code 2.
const FLAGS: Record<string, cli.FlagSpec> = {
  epochs: { type: 'string', value: 'N', help: 'epochs (2)' },
  lr: { type: 'string', value: 'LR', help: 'peak learning rate of the one-cycle schedule (0.01)' },
  'batch-size': { type: 'string', value: 'N', help: 'training batch size (128)' },
  data: { type: 'string', value: 'DIR', help: 'CIFAR-10 binary folder or its parent ($CIFAR10_ROOT, …)' },
  'limit-train': { type: 'string', value: 'N', help: 'train on the first N images' },
  'limit-test': { type: 'string', value: 'N', help: 'test on the first N images' },
  'checkpoint-dir': { type: 'string', value: 'DIR', help: 'where ckpt.pth, last.pth and log.jsonl go (checkpoint-custom)' },
  seed: { type: 'string', value: 'N', help: 'seed (0)' },
  threads: { type: 'string', value: 'N', help: 'CPU threads' },
  help: { type: 'boolean', short: 'h', help: 'this text' },
};

function options(argv: string[]) {
  const v = cli.parseFlags(argv, FLAGS);
  return {
    help: v.help === true,
    epochs: cli.intFlag(v, 'epochs', 1) ?? 2,
    lr: cli.positiveFlag(v, 'lr') ?? 0.01,
    batchSize: cli.intFlag(v, 'batch-size', 1) ?? 128,
    data: cli.stringFlag(v, 'data'),
    limitTrain: cli.intFlag(v, 'limit-train', 1),
    limitTest: cli.intFlag(v, 'limit-test', 1),
    checkpointDir: cli.stringFlag(v, 'checkpoint-dir') ?? 'checkpoint-custom',
    seed: cli.intFlag(v, 'seed', 0) ?? 0,
    threads: cli.intFlag(v, 'threads', 1, 1024),
  };
}

// The first n samples of a data set (quick runs).
function head(ds: data.TensorDatasetLike, n: number | undefined): data.TensorDatasetLike {
  if (n === undefined || n >= ds.data.shape[0]) return ds;
  return new data.TensorDataset(torch.keep(ds.data.narrow(0, 0, n)), torch.keep(ds.targets.narrow(0, 0, n)));
}

async function main(argv: string[]): Promise<number> {
  const o = options(argv);
  if (o.help) {
    console.log(cli.helpText('Usage: npx tsx examples/custom-model.ts [flags]', FLAGS));
    return 0;
  }
  torch.manualSeed(o.seed);
  if (o.threads !== undefined) torch.setNumThreads(o.threads);
  const root = o.data ?? data.defaultCifar10Root();
  const trainSet = head(await data.CIFAR10.create({ root, train: true }), o.limitTrain);
  const testFull = await data.CIFAR10.create({ root, train: false });
  const testSet = head(testFull, o.limitTest);
  const trainLoader = new data.DataLoader(trainSet, { batchSize: o.batchSize, shuffle: true, transform: data.cifar10TrainTransform(), seed: o.seed });
  const testLoader = new data.DataLoader(testSet, { batchSize: 200, transform: data.cifar10TestTransform() });

  const model = new SmallCNN();
  console.log(`SmallCNN: ${model.parameterCount()} parameters`);
  const epochs = o.epochs;
  const optimizer = new optim.AdamW(model.parameters(), { lr: o.lr, weightDecay: 5e-4 });
  // OneCycleLR steps after every batch: fit sees that and steps it so.
  const scheduler = new optim.OneCycleLR(optimizer, { maxLr: o.lr, epochs, stepsPerEpoch: trainLoader.length });

  const result = await train.fit(model, {
    trainLoader,
    testLoader,
    optimizer,
    scheduler,
    epochs,
    lossFn: (out, y) => nn.functional.crossEntropy(out, y, { labelSmoothing: 0.05 }),
    checkpointDir: o.checkpointDir,
  });
  console.log(`Best test accuracy: ${result.best.toFixed(2)}%`);

  // Class probabilities for the first test images.
  const x = data.cifar10TestTransform()(testFull.data.narrow(0, 0, 4));
  const probs = train.predict(model, x).toArray() as number[][];
  const truth = testFull.targets.narrow(0, 0, 4).toArray() as number[];
  probs.forEach((p, i) => {
    const best = p.indexOf(Math.max(...p));
    console.log(`image ${i}: ${testFull.classes[best]} (${(100 * p[best]).toFixed(1)}%), truly ${testFull.classes[truth[i]]}`);
  });
  optimizer.dispose();
  return 0;
}

cli.runMain('examples/custom-model.ts', main);
