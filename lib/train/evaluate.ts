// evaluate(model, dataset): accuracy, per-class accuracy and the confusion matrix, computed on the
// device in batches; one read of the results at the end.
import type { TensorDatasetLike } from '../data';
import { DataLoader, cifar10TestTransform } from '../data';
import { keep, tidy } from '../memory';
import type { Module } from '../nn';
import { crossEntropy, logSoftmax } from '../nn/functional';
import { Tensor, cat, noGrad, zeros } from '../tensor';

export interface Evaluation {
  /** Percent correct, as the seed prints it. */
  accuracy: number;
  /** Mean cross-entropy over batches. */
  loss: number;
  correct: number;
  total: number;
  /** Percent correct per true class. */
  perClassAccuracy: number[];
  /** confusion[true][predicted] counts. */
  confusion: number[][];
  /** With `predictions: true`: the predicted class of each sample, in dataset order. */
  predictions?: number[];
  /** With `predictions: true`: the softmax probability of each predicted class. */
  confidences?: number[];
}

export async function evaluate(
  model: Module & { forward(x: Tensor): Tensor },
  dataset: TensorDatasetLike,
  options: { batchSize?: number; device?: string; numClasses?: number; predictions?: boolean } = {},
): Promise<Evaluation> {
  const numClasses = options.numClasses ?? 10;
  const loader = new DataLoader(dataset, {
    batchSize: options.batchSize ?? 100,
    transform: cifar10TestTransform(),
    device: options.device,
  });
  const device = options.device ?? dataset.data.device;
  const wasTraining = model.training;
  model.eval();
  // Flattened confusion counts: index true * numClasses + predicted.
  const counts = keep(zeros([numClasses * numClasses], { dtype: 'int64', device }));
  const lossSum = keep(zeros([], { dtype: 'float64', device }));
  let batches = 0;
  // Per-batch predictions stay on the device and are read once at the end, as the counts are.
  const predicted: Tensor[] = [];
  const confidence: Tensor[] = [];
  try {
    for await (const { x, y } of loader) {
      tidy(() =>
        noGrad(() => {
          const logits = model.forward(x);
          lossSum.add_(crossEntropy(logits, y).to('float64'));
          const index = y.mul(numClasses).add(logits.argmax(1));
          counts.add_(index.bincount(numClasses * numClasses));
          if (options.predictions) {
            const best = logSoftmax(logits.to('float32'), 1).max(1);
            predicted.push(keep(best.indices));
            confidence.push(keep(best.values.exp()));
          }
        }),
      );
      x.dispose();
      y.dispose();
      batches++;
    }
    const flat = counts.toArray() as number[];
    const confusion = Array.from({ length: numClasses }, (_, t) => flat.slice(t * numClasses, (t + 1) * numClasses));
    const correct = confusion.reduce((s, row, t) => s + row[t], 0);
    const total = flat.reduce((a, b) => a + b, 0);
    const read = (parts: Tensor[]) => (parts.length ? (tidy(() => cat(parts).toArray()) as number[]) : []);
    return {
      ...(options.predictions ? { predictions: read(predicted), confidences: read(confidence) } : {}),
      accuracy: (100 * correct) / Math.max(total, 1),
      loss: (lossSum.item() as number) / Math.max(batches, 1),
      correct,
      total,
      perClassAccuracy: confusion.map((row, t) => (100 * row[t]) / Math.max(row.reduce((a, b) => a + b, 0), 1)),
      confusion,
    };
  } finally {
    counts.dispose();
    lossSum.dispose();
    for (const t of [...predicted, ...confidence]) t.dispose();
    loader.dispose(); // frees its copy of the set when it moved it to another device
    model.train(wasTraining);
  }
}
