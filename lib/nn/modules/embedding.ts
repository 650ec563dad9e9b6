// nn.Embedding (torch/nn/modules/sparse.py).
import { TorchError } from '../../errors';
import { Tensor, randn } from '../../tensor';
import * as F from '../functional';
import { Module } from '../module';
import { readOptions } from '../../utils/options';
import { FACTORY, type FactoryOptions } from './utils';

/** nn.Embedding(numEmbeddings, embeddingDim, {paddingIdx}): weight ~ N(0, 1), the padding row zero. */
export class Embedding extends Module {
  declare weight: Tensor;
  readonly paddingIdx: number | null;
  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, options: FactoryOptions & { paddingIdx?: number } = {}) {
    super();
    options = readOptions('nn.Embedding', options, [...FACTORY, 'paddingIdx']);
    let pad = options.paddingIdx ?? null;
    if (pad !== null) {
      if (pad >= numEmbeddings || pad < -numEmbeddings) throw new TorchError('Embedding: padding_idx must be within num_embeddings');
      if (pad < 0) pad += numEmbeddings;
    }
    this.paddingIdx = pad;
    const w = randn([numEmbeddings, embeddingDim], { device: options.device, dtype: options.dtype });
    if (pad !== null) w.select(0, pad).zero_();
    this.registerParameter('weight', w);
  }
  forward(input: Tensor): Tensor {
    return F.embedding(input, this.weight, this.paddingIdx);
  }
  extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, padding_idx=${this.paddingIdx}` : ''}`;
  }
}
