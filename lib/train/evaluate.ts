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
import { optionKeys, readOptions } from '../utils/options';

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

// The keys of EvaluateOptions, a list the compiler keeps complete, for readOptions at the entry.
const EVALUATE = optionKeys<EvaluateOptions>({
  batchSize: true, device: true, numClasses: true, lossFn: true, metrics: true, forward: true, progress: true, signal: true, predictions: true,
});

const isLoader = (x: unknown): x is BatchSource => typeof (x as BatchSource)?.[Symbol.asyncIterator] === 'function';

/** True when the output holds class scores for the target's class indices. */
export function isClassification(output: Tensor, target: Tensor): boolean {
  return output.ndim === 2 && target.ndim === 1 && ['int64', 'int32', 'uint8', 'int16', 'int8'].includes(target.dtype);
}

/**
 * What one pass accumulates, on the device of the first batch's output: the loss and metric sums, the
 * flattened confusion counts (index true * numClasses + predicted) and, when asked, each batch's
 * predictions. Nothing is read from the device until read() or result().
 */
class Accumulator {
  private counts: Tensor | null = null;
  private lossSum: Tensor | null = null;
  private metricSums: Tensor[] = [];
  private readonly predicted: Tensor[] = [];
  private readonly confidence: Tensor[] = [];
  private classification = false;
  private numClasses: number;
  batches = 0;
  total = 0;

  constructor(private readonly options: EvaluateOptions, private readonly metricNames: string[], private readonly lossFn: LossFn) {
    this.numClasses = options.numClasses ?? 0;
  }

  /** Adds one batch's output (called inside the batch's tidy and noGrad). */
  add(out: Tensor, y: Tensor): void {
    if (this.lossSum === null) this.start(out, y);
    this.lossSum!.add_(this.lossFn(out, y).to('float64'));
    this.metricNames.forEach((name, i) => this.metricSums[i].add_(this.options.metrics![name](out, y).to('float64').mul(y.shape[0])));
    // index_put_ with accumulate: no host sync (bincount reads the input's maximum to size its
    // result: two syncs a batch on CUDA), and deterministic where PyTorch's deterministic mode asks.
    if (this.counts) {
      const cell = y.to('int64').mul(this.numClasses).add(out.argmax(1));
      this.counts.indexPut_([cell], ones(cell.shape, { dtype: 'int64', device: cell.device }), true);
    }
    if (this.options.predictions && this.classification) {
      const best = logSoftmax(out.to('float32'), 1).max(1);
      this.predicted.push(keep(best.indices));
      this.confidence.push(keep(best.values.exp()));
    }
  }

  /** The accumulators, made on the first batch's device once the output's shape is known. */
  private start(out: Tensor, y: Tensor): void {
    this.lossSum = keep(zeros([], { dtype: 'float64', device: out.device }));
    this.metricSums = this.metricNames.map(() => keep(zeros([], { dtype: 'float64', device: out.device })));
    this.classification = isClassification(out, y);
    if (this.classification) {
      this.numClasses ||= out.shape[1];
      this.counts = keep(zeros([this.numClasses * this.numClasses], { dtype: 'int64', device: out.device }));
    }
  }

  /** The running loss sum and correct count, for the progress display (two reads from the device). */
  read(): PhaseStats {
    const counts = this.counts;
    const correct = counts ? (tidy(() => counts.slice(0, 0, null, this.numClasses + 1).sum().item()) as number) : 0;
    return { loss: this.lossSum ? (this.lossSum.item() as number) : 0, correct, total: this.total };
  }

  /** The pass's results, read from the device once. */
  result(stats: PhaseStats, complete: boolean): Evaluation {
    const { numClasses, total } = this;
    const flat = this.counts ? (this.counts.toArray() as number[]) : [];
    const confusion = Array.from({ length: this.counts ? numClasses : 0 }, (_, t) => flat.slice(t * numClasses, (t + 1) * numClasses));
    const correct = confusion.reduce((s, row, t) => s + row[t], 0);
    const readAll = (parts: Tensor[]) => (parts.length ? (tidy(() => cat(parts).toArray()) as number[]) : []);
    return {
      accuracy: this.classification ? (100 * correct) / Math.max(total, 1) : NaN,
      loss: stats.loss / Math.max(this.batches, 1),
      correct,
      total,
      perClassAccuracy: confusion.map((row, t) => (100 * row[t]) / Math.max(row.reduce((a, b) => a + b, 0), 1)),
      confusion,
      metrics: Object.fromEntries(this.metricNames.map((name, i) => [name, (this.metricSums[i].item() as number) / Math.max(total, 1)])),
      complete,
      classification: this.classification,
      ...(this.options.predictions ? { predictions: readAll(this.predicted), confidences: readAll(this.confidence) } : {}),
    };
  }

  dispose(): void {
    for (const t of [this.counts, this.lossSum, ...this.metricSums, ...this.predicted, ...this.confidence]) t?.dispose();
  }
}

/**
 * A loader over a data set, batched for evaluation (null when the source is a loader already, which stays
 * the caller's). A data set of uint8 images (CIFAR-10 as stored) gets the CIFAR-10 test transform.
 */
function loaderFor(source: TensorDatasetLike | BatchSource, options: EvaluateOptions, device: string | undefined): DataLoader | null {
  if (isLoader(source)) return null;
  return new DataLoader(source, {
    batchSize: options.batchSize ?? 100,
    transform: source.data.dtype === 'uint8' ? cifar10TestTransform() : undefined,
    device: options.device ?? device,
  });
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
  const ownLoader = loaderFor(source, options, where?.device);
  const loader: BatchSource = ownLoader ?? (source as BatchSource);
  const forward = options.forward ?? ((x: Tensor) => model.forward(x));
  const acc = new Accumulator(options, Object.keys(options.metrics ?? {}), options.lossFn ?? ((o: Tensor, t: Tensor) => crossEntropy(o, t)));
  const wasTraining = model.training;
  model.eval();
  const p = options.progress ?? 'none';
  const bar = createProgress('Test', loader.length ?? 0, typeof p === 'string' ? { mode: p } : p);
  let complete = true;
  try {
    for await (const { x: x0, y: y0 } of loader) {
      tidy(() => noGrad(() => {
        const { x, y } = placeBatch(x0, y0, where);
        acc.add(forward(x), y);
      }));
      acc.total += y0.shape[0];
      x0.dispose();
      y0.dispose();
      acc.batches++;
      bar.update(acc.batches, () => acc.read());
      if (options.signal?.aborted) {
        complete = false;
        break;
      }
    }
    const stats = acc.read();
    bar.finish(acc.batches, stats);
    return acc.result(stats, complete);
  } finally {
    acc.dispose();
    ownLoader?.dispose(); // frees its copy of the set when it moved it to another device
    model.train(wasTraining);
  }
}
