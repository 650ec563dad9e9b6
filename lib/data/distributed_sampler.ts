// torch.utils.data.distributed.DistributedSampler: each rank reads its own shard of the data set,
// shuffled with seed + epoch (the same permutation on every rank), padded by repeating the first
// indices or cut with dropLast so that every rank has the same number of samples.
import { TorchError } from '../errors';
import * as dist from '../distributed';
import { Generator, Sampler, TensorDatasetLike } from './dataloader';
import { optionKeys, readOptions } from '../utils/options';

export interface DistributedSamplerOptions {
  /** Number of ranks (default: the process group's world size). */
  numReplicas?: number;
  /** This rank (default: the process group's rank). */
  rank?: number;
  shuffle?: boolean;
  seed?: number;
  dropLast?: boolean;
}

// The keys of DistributedSamplerOptions, a list the compiler keeps complete, for readOptions at the entry.
const DISTRIBUTED_SAMPLER = optionKeys<DistributedSamplerOptions>({ numReplicas: true, rank: true, shuffle: true, seed: true, dropLast: true });

export class DistributedSampler implements Sampler {
  readonly datasetSize: number;
  readonly numReplicas: number;
  readonly rank: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  /** num_samples: indices per rank and epoch. */
  readonly numSamples: number;
  readonly totalSize: number;
  epoch = 0;

  /** `dataset`: a tensor data set or its number of samples. */
  constructor(dataset: TensorDatasetLike | number, options: DistributedSamplerOptions = {}) {
    options = readOptions('DistributedSampler', options, DISTRIBUTED_SAMPLER);
    this.datasetSize = typeof dataset === 'number' ? dataset : dataset.data.shape[0];
    if (!Number.isInteger(this.datasetSize) || this.datasetSize < 0) throw new TorchError(`DistributedSampler: bad data set size ${this.datasetSize}`);
    this.numReplicas = options.numReplicas ?? dist.getWorldSize();
    this.rank = options.rank ?? dist.getRank();
    if (!Number.isInteger(this.numReplicas) || this.numReplicas < 1) throw new TorchError(`DistributedSampler: numReplicas must be a positive integer, got ${this.numReplicas}`);
    if (!Number.isInteger(this.rank) || this.rank < 0 || this.rank >= this.numReplicas) {
      throw new TorchError(`Invalid rank ${this.rank}, rank should be in the interval [0, ${this.numReplicas - 1}]`);
    }
    this.shuffle = options.shuffle ?? true;
    this.seed = options.seed ?? 0;
    this.dropLast = options.dropLast ?? false;
    const n = this.datasetSize;
    const r = this.numReplicas;
    // PyTorch: with dropLast, the tail that cannot be split evenly is dropped; otherwise padded.
    this.numSamples = this.dropLast && n % r !== 0 ? Math.max(0, Math.ceil((n - r) / r)) : Math.ceil(n / r);
    this.totalSize = this.numSamples * r;
  }

  get length(): number {
    return this.numSamples;
  }

  /** set_epoch: call before each epoch so that every epoch has its own order (the same on all ranks). */
  setEpoch(epoch: number): void {
    if (!Number.isInteger(epoch) || epoch < 0) throw new TorchError(`setEpoch: epoch must be a non-negative integer, got ${epoch}`);
    this.epoch = epoch;
  }

  /** This rank's indices for the current epoch. */
  indices(): number[] {
    const n = this.datasetSize;
    let all: number[];
    if (this.shuffle) {
      const perm = new Generator(this.seed + this.epoch).randperm(n);
      all = (perm.toArray() as number[]).map(Number);
      perm.dispose();
    } else {
      all = Array.from({ length: n }, (_, i) => i);
    }
    if (!this.dropLast) {
      const padding = this.totalSize - all.length;
      const base = all.slice();
      while (all.length < this.totalSize && base.length > 0) all.push(...base.slice(0, Math.min(padding, this.totalSize - all.length)));
    } else {
      all = all.slice(0, this.totalSize);
    }
    const mine: number[] = [];
    for (let i = this.rank; i < this.totalSize; i += this.numReplicas) mine.push(all[i]);
    return mine;
  }
}
