// Your own model on CIFAR-10 with the PyTorch toolbox: a small CNN with MaxPool2d, Dropout and
// BatchNorm, trained by AdamW with a one-cycle schedule through train.fit, then predict().
//   npx tsx examples/custom-model.ts --epochs 2 --limit-train 5000 --limit-test 1000   # about a minute on a CPU
//   npx tsx examples/custom-model.ts --epochs 30                                       # the full set
import { parseArgs } from 'util';
import * as torch from '../lib';
import { Tensor, data, nn, optim, train } from '../lib';

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

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '2' },
    lr: { type: 'string', default: '0.01' },
    'batch-size': { type: 'string', default: '128' },
    data: { type: 'string' },
    'limit-train': { type: 'string' },
    'limit-test': { type: 'string' },
    'checkpoint-dir': { type: 'string', default: 'checkpoint-custom' },
    seed: { type: 'string', default: '0' },
    threads: { type: 'string' },
  },
});
const int = (v: string | undefined) => (v === undefined ? undefined : Number(v));

// The first n samples of a data set (quick runs).
function head(ds: data.TensorDatasetLike, n: number | undefined): data.TensorDatasetLike {
  if (n === undefined || n >= ds.data.shape[0]) return ds;
  return new data.TensorDataset(torch.keep(ds.data.narrow(0, 0, n)), torch.keep(ds.targets.narrow(0, 0, n)));
}

async function main() {
  const seed = int(values.seed)!;
  torch.manualSeed(seed);
  if (values.threads) torch.setNumThreads(Number(values.threads));
  const root = values.data ?? data.defaultCifar10Root();
  const trainSet = head(await data.CIFAR10.create({ root, train: true }), int(values['limit-train']));
  const testFull = await data.CIFAR10.create({ root, train: false });
  const testSet = head(testFull, int(values['limit-test']));
  const trainLoader = new data.DataLoader(trainSet, { batchSize: int(values['batch-size']), shuffle: true, transform: data.cifar10TrainTransform(), seed });
  const testLoader = new data.DataLoader(testSet, { batchSize: 200, transform: data.cifar10TestTransform() });

  const model = new SmallCNN();
  console.log(`SmallCNN: ${model.parameterCount()} parameters`);
  const epochs = int(values.epochs)!;
  const optimizer = new optim.AdamW(model.parameters(), { lr: Number(values.lr), weightDecay: 5e-4 });
  // OneCycleLR steps after every batch: fit sees that and steps it so.
  const scheduler = new optim.OneCycleLR(optimizer, { maxLr: Number(values.lr), epochs, stepsPerEpoch: trainLoader.length });

  const result = await train.fit(model, {
    trainLoader,
    testLoader,
    optimizer,
    scheduler,
    epochs,
    lossFn: (out, y) => nn.functional.crossEntropy(out, y, { labelSmoothing: 0.05 }),
    checkpointDir: values['checkpoint-dir'],
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
}

main().catch((e) => {
  console.error(e instanceof torch.TorchError ? `error: ${e.message}` : e);
  process.exit(1);
});
