// nn.TransformerEncoderLayer (torch/nn/modules/transformer.py).
import type { Tensor } from '../../tensor';
import * as F from '../functional';
import { Module } from '../module';
import { readOptions } from '../../utils/options';
import { MultiheadAttention } from './attention';
import { Dropout } from './dropout';
import { Linear } from './linear';
import { LayerNorm } from './normalization';
import { FACTORY, type FactoryOptions } from './utils';

export interface TransformerEncoderLayerOptions extends FactoryOptions {
  dimFeedforward?: number;
  dropout?: number;
  activation?: 'relu' | 'gelu';
  layerNormEps?: number;
  batchFirst?: boolean;
  normFirst?: boolean;
  bias?: boolean;
}

/**
 * nn.TransformerEncoderLayer(dModel, nhead, {dimFeedforward=2048, dropout=0.1, activation='relu',
 * layerNormEps=1e-5, batchFirst=false, normFirst=false, bias=true}): PyTorch's submodule names
 * (self_attn, linear1, dropout, linear2, norm1, norm2, dropout1, dropout2).
 */
export class TransformerEncoderLayer extends Module {
  declare self_attn: MultiheadAttention;
  declare linear1: Linear;
  declare dropout: Dropout;
  declare linear2: Linear;
  declare norm1: LayerNorm;
  declare norm2: LayerNorm;
  declare dropout1: Dropout;
  declare dropout2: Dropout;
  readonly normFirst: boolean;
  readonly activation: 'relu' | 'gelu';
  constructor(dModel: number, nhead: number, options: TransformerEncoderLayerOptions = {}) {
    super();
    options = readOptions('nn.TransformerEncoderLayer', options, [
      ...FACTORY, 'dimFeedforward', 'dropout', 'activation', 'layerNormEps', 'batchFirst', 'normFirst', 'bias',
    ]);
    const f = { device: options.device, dtype: options.dtype };
    const p = options.dropout ?? 0.1;
    const bias = options.bias ?? true;
    const eps = options.layerNormEps ?? 1e-5;
    this.registerModule('self_attn', new MultiheadAttention(dModel, nhead, { ...f, dropout: p, bias, batchFirst: options.batchFirst }));
    this.registerModule('linear1', new Linear(dModel, options.dimFeedforward ?? 2048, { ...f, bias }));
    this.registerModule('dropout', new Dropout(p));
    this.registerModule('linear2', new Linear(options.dimFeedforward ?? 2048, dModel, { ...f, bias }));
    this.normFirst = options.normFirst ?? false;
    this.registerModule('norm1', new LayerNorm(dModel, { ...f, eps, bias }));
    this.registerModule('norm2', new LayerNorm(dModel, { ...f, eps, bias }));
    this.registerModule('dropout1', new Dropout(p));
    this.registerModule('dropout2', new Dropout(p));
    this.activation = options.activation ?? 'relu';
  }
  forward(src: Tensor, options: { srcMask?: Tensor | null; srcKeyPaddingMask?: Tensor | null } = {}): Tensor {
    options = readOptions('TransformerEncoderLayer.forward', options, ['srcMask', 'srcKeyPaddingMask']);
    const sa = (x: Tensor) =>
      this.dropout1.forward(this.self_attn.forward(x, x, x, { attnMask: options.srcMask, keyPaddingMask: options.srcKeyPaddingMask, needWeights: false })[0]);
    const act = (x: Tensor) => (this.activation === 'relu' ? F.relu(x) : F.gelu(x));
    const ff = (x: Tensor) => this.dropout2.forward(this.linear2.forward(this.dropout.forward(act(this.linear1.forward(x)))));
    let x = src;
    if (this.normFirst) {
      x = x.add(sa(this.norm1.forward(x)));
      return x.add(ff(this.norm2.forward(x)));
    }
    x = this.norm1.forward(x.add(sa(x)));
    return this.norm2.forward(x.add(ff(x)));
  }
}
