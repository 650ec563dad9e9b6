// evaluate(model, dataset or loader): loss, and for class scores accuracy, per-class accuracy and the
// confusion matrix, all accumulated on the device in batches; the results are read once at the end
// (and when a progress display refreshes). fit() runs its test phase with it.
import type { Batch, TensorDatasetLike } from '../data';
import { DataLoader, cifar10TestTransform } from '../data';
import { keep, tidy } from '../memory';
import type { Module } from '../nn';
import { crossEntropy, logSoftmax } from '../nn/functional';
import { Tensor, cat, noGrad, ones, zeros } from '../tensor';
import { LossFn, placeBatch, placementOf } from './forward';
import { PhaseStats, ProgressMode, ProgressOptions, createProgress } from './progress';
import { readOptions, EVALUATE } from '../utils/option_keys';

export interface Evaluation {
  /** Percent correct, as the seed prints it (NaN when the outputs are not class scores). */
  accuracy: number;
  /** Mean loss over batches (cross-entropy unless lossFn says otherwise). */
  loss: number;
  correct: number;
  total: number;
  /** Percent correct per true class (empty when the outputs are not class scores). */
  perClassAccuracy: number[];
  /** confusion[true][predicted] counts (empty when the outputs are not class scores). */
  confusion: number[][];
  /** Each metric's mean over samples. */
  metrics: Record<string, number>;
  /** False when `signal` stopped the pass early. */
  complete: boolean;
  /** True when outputs were [N, C] scores and targets integer class indices: accuracy is defined. */
  classification: boolean;
  /** With `predictions: true`: the predicted class of each sample, in dataset order. */
  predictions?: number[];
  /** With `predictions: true`: the softmax probability of each predicted class. */
  confidences?: number[];
}

export type { LossFn };
/** A per-batch metric: the mean over the batch's samples, as a scalar tensor (read only at the end). */
export type MetricFn = (output: Tensor, target: Tensor) => Tensor;

/** A batch source: a DataLoader, or any async iterable of {x, y} whose batches the consumer owns. */
export type BatchSource = AsyncIterable<Batch> & { readonly length?: number };

export interface EvaluateOptions {
  /** For a data set: the loader's batch size (default 100) and device; its transform is the CIFAR-10 test transform. */
  batchSize?: number;
  device?: string;
  /** Classes of the confusion matrix; default the outputs' second dimension. */
  numClasses?: number;
  /** Default cross-entropy. */
  lossFn?: LossFn;
  metrics?: Record<string, MetricFn>;
  /** Replaces model.forward(x) (fit passes its autocast / channels_last wrapper). */
  forward?: (x: Tensor) => Tensor;
  /** A display per pass: 'none' by default here, fit passes its own mode. */
  progress?: ProgressMode | ProgressOptions;
  /** Stops after the current batch once aborted (fit's SIGINT). */
  signal?: AbortSignal;
  /** Also return each sample's predicted class and its probability (class-score outputs only). */
  predictions?: boolean;
}

const isLoader = (x: unknown): x is BatchSource => typeof (x as BatchSource)?.[Symbol.asyncIterator] === 'function';

/** True when the output holds class scores for the target's class indices. */
export function isClassification(output: Tensor, target: Tensor): boolean {
  return output.ndim === 2 && target.ndim === 1 && ['int64', 'int32', 'uint8', 'int16', 'int8'].includes(target.dtype);
}

/**
 * The model in eval mode, without gradients, over every batch. A data set of uint8 images (CIFAR-10 as
 * stored) is batched with the CIFAR-10 test transform (the seed's), any other data set as it is; a loader
 * is used as it is and stays the caller's.
 */
export async function evaluate(
  model: Module & { forward(x: Tensor): Tensor },
  source: TensorDatasetLike | BatchSource,
  options: EvaluateOptions = {},
): Promise<Evaluation> {
  options = readOptions('evaluate', options, EVALUATE);
  // Batches follow the model (its first parameter's device and floating dtype), as `x.to(device)` in a
  // PyTorch loop; a data set is made resident on the model's device once, not copied batch by batch.
  const where = placementOf(model);
  const ownLoader = isLoader(source)
    ? null
    : new DataLoader(source, {
        batchSize: options.batchSize ?? 100,
        transform: source.data.dtype === 'uint8' ? cifar10TestTransform() : undefined,
        device: options.device ?? where?.device,
      });
  const loader: BatchSource = ownLoader ?? (source as BatchSource);
  const lossFn = options.lossFn ?? ((o: Tensor, t: Tensor) => crossEntropy(o, t));
  const forward = options.forward ?? ((x: Tensor) => model.forward(x));
  const metricNames = Object.keys(options.metrics ?? {});
  const wasTraining = model.training;
  model.eval();
  // Accumulators, made on the first batch's device once the output's shape is known.
  let counts: Tensor | null = null; // flattened confusion counts: index true * numClasses + predicted
  let lossSum: Tensor | null = null;
  let metricSums: Tensor[] = [];
  let numClasses = options.numClasses ?? 0;
  let classification = false;
  let batches = 0;
  let total = 0;
  const read = (): PhaseStats => {
    const correct = counts ? (tidy(() => counts!.slice(0, 0, null, numClasses + 1).sum().item()) as number) : 0;
    return { loss: lossSum ? (lossSum.item() as number) : 0, correct, total };
  };
  const p = options.progress ?? 'none';
  const bar = createProgress('Test', loader.length ?? 0, typeof p === 'string' ? { mode: p } : p);
  let complete = true;
  // Per-batch predictions stay on the device and are read once at the end, as the counts are.
  const predicted: Tensor[] = [];
  const confidence: Tensor[] = [];
  try {
    for await (const batch of loader) {
      const { x: x0, y: y0 } = batch;
      tidy(() =>
        noGrad(() => {
          const { x, y } = placeBatch(x0, y0, where);
          const out = forward(x);
          if (lossSum === null) {
            lossSum = keep(zeros([], { dtype: 'float64', device: out.device }));
            metricSums = metricNames.map(() => keep(zeros([], { dtype: 'float64', device: out.device })));
            classification = isClassification(out, y);
            if (classification) {
              numClasses ||= out.shape[1];
              counts = keep(zeros([numClasses * numClasses], { dtype: 'int64', device: out.device }));
            }
          }
          lossSum.add_(lossFn(out, y).to('float64'));
          metricNames.forEach((name, i) => metricSums[i].add_(options.metrics![name](out, y).to('float64').mul(y.shape[0])));
          // index_put_ with accumulate: no host sync (bincount reads the input's maximum to size its
          // result: two syncs a batch on CUDA), and deterministic where PyTorch's deterministic mode asks.
          if (counts) {
            const cell = y.to('int64').mul(numClasses).add(out.argmax(1));
            counts.indexPut_([cell], ones(cell.shape, { dtype: 'int64', device: cell.device }), true);
          }
          if (options.predictions && classification) {
            const best = logSoftmax(out.to('float32'), 1).max(1);
            predicted.push(keep(best.indices));
            confidence.push(keep(best.values.exp()));
          }
        }),
      );
      total += y0.shape[0];
      x0.dispose();
      y0.dispose();
      batches++;
      bar.update(batches, read);
      if (options.signal?.aborted) {
        complete = false;
        break;
      }
    }
    const stats = read();
    bar.finish(batches, stats);
    const flat = counts ? ((counts as Tensor).toArray() as number[]) : [];
    const confusion = Array.from({ length: counts ? numClasses : 0 }, (_, t) => flat.slice(t * numClasses, (t + 1) * numClasses));
    const correct = confusion.reduce((s, row, t) => s + row[t], 0);
    const readAll = (parts: Tensor[]) => (parts.length ? (tidy(() => cat(parts).toArray()) as number[]) : []);
    return {
      accuracy: classification ? (100 * correct) / Math.max(total, 1) : NaN,
      loss: stats.loss / Math.max(batches, 1),
      correct,
      total,
      perClassAccuracy: confusion.map((row, t) => (100 * row[t]) / Math.max(row.reduce((a, b) => a + b, 0), 1)),
      confusion,
      metrics: Object.fromEntries(metricNames.map((name, i) => [name, (metricSums[i].item() as number) / Math.max(total, 1)])),
      complete,
      classification,
      ...(options.predictions ? { predictions: readAll(predicted), confidences: readAll(confidence) } : {}),
    };
  } finally {
    for (const t of [counts, lossSum, ...metricSums, ...predicted, ...confidence] as (Tensor | null)[]) t?.dispose();
    ownLoader?.dispose(); // frees its copy of the set when it moved it to another device
    model.train(wasTraining);
  }
}
