// torch.utils.data.DataLoader for data sets that live in two tensors (CIFAR10, TensorDataset): the whole
// set is resident on the target device and each batch is gathered from it with index_select, then
// transformed there. No worker processes, no per-image JS: a batch costs a few kernel launches.
//
// Ownership: each batch's x and y belong to the consumer, who disposes them (or lets an enclosing
// tidy() do it) once the step is done. Everything else the loader makes per epoch or per batch (the
// permutation, index slices, transform intermediates) it frees itself, also when a loop exits early.
import { cuda } from '../cuda';
import { TorchError } from '../errors';
import { keep, tidy } from '../memory';
import { native, type GeneratorHandle } from '../native';
import { Tensor, arange, randperm, tensor } from '../tensor';
import type { Transform } from './transforms';
import { checkOptions, checkString, checkTensor, describeValue, reprValue } from '../utils/validate';
import { optionKeys, readOptions } from '../utils/options';

/** A data set held as tensors: sample i is (data[i], targets[i]). */
export interface TensorDatasetLike {
  readonly data: Tensor;
  readonly targets: Tensor;
}

/**
 * torch.utils.data.TensorDataset(*tensors): one or more tensors with the same first dimension; sample i is
 * (tensors[0][i], tensors[1][i], …). `data` and `targets` name the first two (what fit and evaluate read).
 */
export class TensorDataset implements TensorDatasetLike {
  readonly tensors: readonly Tensor[];
  constructor(...tensors: Tensor[]) {
    if (tensors.length === 0) throw new TorchError('TensorDataset(): needs at least one tensor');
    tensors.forEach((t, i) => checkTensor(t, 'TensorDataset', `tensors[${i}]`));
    for (const [i, t] of tensors.entries()) {
      if (t.dim() === 0) throw new TorchError(`TensorDataset(): tensors[${i}] is 0-dimensional; samples are taken along the first dimension`);
    }
    // PyTorch's assertion text, with the sizes that differ.
    const n = tensors[0].shape[0];
    const other = tensors.findIndex((t) => t.shape[0] !== n);
    if (other >= 0) throw new TorchError(`Size mismatch between tensors: tensors[0] has ${n} samples but tensors[${other}] has ${tensors[other].shape[0]}`);
    this.tensors = tensors;
  }
  /** The first tensor (the inputs). */
  get data(): Tensor {
    return this.tensors[0];
  }
  /** The second tensor (the targets); a one-tensor data set has none. */
  get targets(): Tensor {
    if (this.tensors.length < 2) throw new TorchError('TensorDataset: this data set holds one tensor, so it has no targets (tensors[1])');
    return this.tensors[1];
  }
  get length(): number {
    return this.tensors[0].shape[0];
  }
}

// The tensors of a data set: a TensorDataset's all, or a TensorDatasetLike's data and targets.
function datasetTensors(dataset: TensorDatasetLike | TensorDataset): readonly Tensor[] {
  if (!dataset || typeof dataset !== 'object') throw new TorchError(`DataLoader(): argument 'dataset' must be a TensorDataset or a data set with data and targets tensors, not ${describeValue(dataset)}`);
  if (dataset instanceof TensorDataset) return dataset.tensors;
  checkTensor(dataset.data, 'DataLoader', 'dataset.data');
  checkTensor(dataset.targets, 'DataLoader', 'dataset.targets');
  const n = dataset.data.shape[0];
  if (dataset.targets.shape[0] !== n) throw new TorchError(`DataLoader: data has ${n} samples but targets has ${dataset.targets.shape[0]}`);
  return [dataset.data, dataset.targets];
}

export interface DataLoaderOptions {
  /** Samples per batch (default 1, as torch). The reference recipe uses 128 for training and 100 for testing. */
  batchSize?: number;
  /** A new random order every epoch (default false). */
  shuffle?: boolean;
  /** Drop the last, smaller batch (default false). */
  dropLast?: boolean;
  /**
   * Applied to each gathered batch on the device. Default: none, the samples as they are (PyTorch's
   * DataLoader never transforms); for CIFAR-10's uint8 images pass data.cifar10TestTransform() (toFloat +
   * normalize with its statistics) or data.cifar10TrainTransform() (with the recipe's augmentation).
   */
  transform?: Transform;
  /** Where batches are made; default the data set's device. The set is copied there once if needed. */
  device?: string;
  /**
   * pin_memory: CPU batches are put in page-locked memory, so that the loop's non_blocking copy to a CUDA
   * model (fit, evaluate, TrainStep move each batch to the model) does not wait for the host. Default false;
   * without CUDA it does nothing, with a warning, as PyTorch's DataLoader.
   */
  pinMemory?: boolean;
  /** Seeds the loader's own shuffle generator (as DataLoader(generator=torch.Generator().manual_seed(seed))).
   * Without it the shuffle uses the global generator, so manualSeed() decides the order. */
  seed?: number;
  /** The indices of each epoch, e.g. a DistributedSampler (mutually exclusive with shuffle, as torch). */
  sampler?: Sampler;
  /** torch.Generator for the shuffle: a data.Generator (the `seed` option makes one). */
  generator?: Generator;
  /**
   * num_workers: 0 only (the default). This DataLoader loads in the main thread: each batch is gathered
   * from tensors already in memory with index_select, so there is no per-sample work to hand to workers.
   */
  numWorkers?: number;
  // PyTorch's worker and collate options, named so that they are refused with what happens instead.
  persistentWorkers?: boolean;
  prefetchFactor?: number;
  workerInitFn?: unknown;
  multiprocessingContext?: unknown;
  timeout?: number;
  collateFn?: unknown;
  batchSampler?: unknown;
  pinMemoryDevice?: string;
}

// The keys of DataLoaderOptions, a list the compiler keeps complete, for readOptions at the entry.
const DATA_LOADER = optionKeys<DataLoaderOptions>({
  batchSize: true, shuffle: true, dropLast: true, transform: true, device: true, pinMemory: true, seed: true, sampler: true, generator: true,
  numWorkers: true, persistentWorkers: true, prefetchFactor: true, workerInitFn: true, multiprocessingContext: true, timeout: true,
  collateFn: true, batchSampler: true, pinMemoryDevice: true,
});

const MAIN_THREAD = 'this DataLoader loads in the main thread (numWorkers 0), gathering each batch from the tensors with index_select';
// PyTorch options that need worker processes or per-sample collation, and what to do instead.
const REFUSED: Partial<Record<keyof DataLoaderOptions, string>> = {
  persistentWorkers: `there are no workers to keep: ${MAIN_THREAD}; leave it out`,
  prefetchFactor: `there are no workers to prefetch: ${MAIN_THREAD}; leave it out`,
  workerInitFn: `there are no worker processes to initialise: ${MAIN_THREAD}; seed with the 'seed' or 'generator' option`,
  multiprocessingContext: `there are no worker processes: ${MAIN_THREAD}; leave it out`,
  collateFn: "batches are stacked by index_select, not collated per sample; use 'transform' to change the first tensor of each batch",
  batchSampler: "use 'sampler' (the indices of an epoch) with 'batchSize' and 'dropLast'",
  pinMemoryDevice: "'pinMemory' pins for the CUDA devices; leave pinMemoryDevice out",
};

// num_workers and the other worker options: 0 workers (and timeout 0) is what this loader does; the rest are refused.
function checkWorkerOptions(o: DataLoaderOptions): void {
  if (o.numWorkers !== undefined && o.numWorkers !== 0) {
    throw new TorchError(`DataLoader: numWorkers=${reprValue(o.numWorkers)} is not supported: ${MAIN_THREAD}, which needs no worker processes; leave numWorkers at 0 (for speed, put the data set on the GPU or pass device: 'cuda')`);
  }
  if (o.timeout !== undefined && o.timeout !== 0) throw new TorchError(`DataLoader: timeout=${reprValue(o.timeout)} is not supported: it waits on workers, and ${MAIN_THREAD}; leave it at 0`);
  for (const [key, why] of Object.entries(REFUSED)) {
    if ((o as Record<string, unknown>)[key] !== undefined && !(key === 'persistentWorkers' && o.persistentWorkers === false)) {
      throw new TorchError(`DataLoader: option '${key}' is not supported: ${why}`);
    }
  }
}

/** torch.utils.data.Sampler: the sample indices of one epoch. */
export interface Sampler {
  readonly length: number;
  indices(): number[];
}

/** What the training loops read from a batch (fit, evaluate, TrainStep): the inputs and the targets. */
export interface Batch {
  /** The inputs, after the loader's transform if it has one. The consumer owns it. */
  x: Tensor;
  /** The targets (int64 labels for classification). The consumer owns it. */
  y: Tensor;
}

/**
 * A DataLoader's batch: an array with one tensor per data set tensor, as PyTorch's default collate gives
 * (`for await (const [xb, yb] of loader)`), whose first two are also `x` and `y` (`for await (const { x, y }
 * of loader)`). The transform applies to the first. A one-tensor data set gives 1-element batches, whose `y`
 * throws. The consumer owns the tensors.
 */
export type TensorBatch = Tensor[] & Batch;

function tensorBatch(tensors: Tensor[]): TensorBatch {
  const alias = (i: number): PropertyDescriptor => ({
    get: () => {
      if (i >= tensors.length) throw new TorchError(`DataLoader batch: this batch holds ${tensors.length} tensor, so it has no y (batch[${i}])`);
      return tensors[i];
    },
    set: (t: Tensor) => {
      tensors[i] = t;
    },
  });
  Object.defineProperty(tensors, 'x', alias(0));
  Object.defineProperty(tensors, 'y', alias(1));
  return tensors as TensorBatch;
}

/** A CPU torch.Generator with its own seed; used for the DataLoader's shuffle. */
export class Generator {
  private readonly handle: GeneratorHandle;
  constructor(readonly seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new TorchError(`Generator: seed must be a non-negative integer, got ${seed}`);
    this.handle = native.generator.create(seed);
  }
  /** torch.randperm(n, generator=g): int64 on the CPU. */
  randperm(n: number): Tensor {
    return native.generator.randperm(this.handle, n);
  }
  /** The generator state (a uint8 tensor the caller owns), as torch.Generator.get_state(). */
  getState(): Tensor {
    return native.generator.getState(this.handle);
  }
  setState(state: Tensor): void {
    native.generator.setState(this.handle, state);
  }
}

let warnedNoPinning = false;
/** PyTorch's DataLoader: pin_memory without an accelerator warns (once here) and pins nothing. */
function pinningWanted(asked: boolean): boolean {
  if (!asked || cuda.isAvailable()) return asked;
  if (!warnedNoPinning) console.warn("DataLoader: 'pinMemory' is true but no CUDA device is available: batches are not pinned");
  warnedNoPinning = true;
  return false;
}

export class DataLoader implements AsyncIterable<TensorBatch> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly device: string;
  readonly transform: Transform;
  readonly generator: Generator | null;
  readonly sampler: Sampler | null;
  /** Whether CPU batches come in pinned memory (pinMemory asked for and CUDA there). */
  readonly pinMemory: boolean;
  // The data set's tensors on the loader's device.
  private readonly tensors: readonly Tensor[];
  // Tensors the loader made itself (a copy of the set on another device); freed by dispose().
  private readonly owned: Tensor[] = [];

  constructor(dataset: TensorDatasetLike | TensorDataset, options: DataLoaderOptions = {}) {
    options = readOptions('DataLoader', options, DATA_LOADER);
    const tensors = datasetTensors(dataset);
    checkOptions(options, 'DataLoader');
    checkWorkerOptions(options);
    this.batchSize = options.batchSize ?? 1;
    // torch.utils.data.BatchSampler's wording.
    if (typeof this.batchSize !== 'number' || !Number.isInteger(this.batchSize) || this.batchSize < 1) {
      throw new TorchError(`batch_size should be a positive integer value, but got batch_size=${reprValue(options.batchSize)}`);
    }
    this.shuffle = options.shuffle ?? false;
    if (typeof this.shuffle !== 'boolean') throw new TorchError(`shuffle should be a boolean value, but got shuffle=${reprValue(options.shuffle)}`);
    this.dropLast = options.dropLast ?? false;
    if (typeof this.dropLast !== 'boolean') throw new TorchError(`drop_last should be a boolean value, but got drop_last=${reprValue(options.dropLast)}`);
    if (options.transform !== undefined && typeof options.transform !== 'function') {
      throw new TorchError(`DataLoader(): argument 'transform' must be a function, not ${describeValue(options.transform)}`);
    }
    if (options.device !== undefined) checkString(options.device, 'DataLoader', 'device');
    if (options.pinMemory !== undefined && typeof options.pinMemory !== 'boolean') {
      throw new TorchError(`DataLoader(): argument 'pinMemory' must be a boolean, not ${describeValue(options.pinMemory)}`);
    }
    this.transform = options.transform ?? ((x: Tensor) => x);
    if (options.generator !== undefined && !(options.generator instanceof Generator)) {
      throw new TorchError(`DataLoader(): argument 'generator' must be a data.Generator, not ${describeValue(options.generator)}`);
    }
    if (options.generator !== undefined && options.seed !== undefined) throw new TorchError("DataLoader: give 'generator' or 'seed', not both");
    this.generator = options.generator ?? (options.seed === undefined ? null : new Generator(options.seed));
    this.sampler = options.sampler ?? null;
    if (this.sampler && this.shuffle) throw new TorchError('sampler option is mutually exclusive with shuffle');
    this.device = options.device ?? tensors[0].device;
    const resident = (t: Tensor): Tensor => {
      if (t.device === this.device) return t;
      const copy = keep(t.to(this.device));
      this.owned.push(copy);
      return copy;
    };
    this.tensors = tensors.map(resident);
    this.pinMemory = pinningWanted(options.pinMemory ?? false) && this.device === 'cpu';
  }

  /** Number of samples. */
  get size(): number {
    return this.tensors[0].shape[0];
  }

  // Samples per epoch: the sampler's share (one rank's shard) or the whole set.
  private get epochSize(): number {
    return this.sampler ? this.sampler.length : this.size;
  }

  /** Number of batches per epoch, as len(DataLoader). */
  get length(): number {
    const n = this.epochSize;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  // The epoch's sample order on the target device: randperm on the CPU (from the loader's generator or
  // the global one, as torch's RandomSampler), moved once per epoch; arange when not shuffling.
  private order(): Tensor {
    const n = this.size;
    return tidy(() => {
      if (this.sampler) return tensor(this.sampler.indices(), { dtype: 'int64', device: this.device });
      if (!this.shuffle) return arange(0, n, 1, { dtype: 'int64', device: this.device });
      const perm = this.generator ? this.generator.randperm(n) : randperm(n);
      return perm.device === this.device ? perm : perm.to(this.device);
    });
  }

  /** One epoch as a synchronous iterator (the async form wraps this). */
  *batches(): IterableIterator<TensorBatch> {
    const order = this.order();
    try {
      const n = this.epochSize;
      const count = this.length;
      for (let b = 0; b < count; b++) {
        const start = b * this.batchSize;
        const len = Math.min(this.batchSize, n - start);
        const batch = tidy(() => {
          const idx = order.narrow(0, start, len);
          const gathered = this.tensors.map((t, i) => (i === 0 ? this.transform(t.indexSelect(0, idx)) : t.indexSelect(0, idx)));
          return this.pinMemory ? gathered.map((t) => t.pinMemory()) : gathered;
        });
        yield tensorBatch(batch);
      }
    } finally {
      order.dispose();
    }
  }

  /**
   * One epoch, turning the event loop once per batch (a macrotask, not only microtasks): timers, I/O and
   * the finalizers Node defers to the loop run between batches, as they would between a PyTorch loader's.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<TensorBatch, void, undefined> {
    for (const batch of this.batches()) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      yield batch;
    }
  }

  /** Frees the copy of the data set the loader made for another device (if any). */
  dispose(): void {
    for (const t of this.owned) t.dispose();
    this.owned.length = 0;
  }
}
