// nn.MultiheadAttention (in PyTorch's torch/nn/modules/activation.py), written on the generated operators.
import { TorchError } from '../../errors';
import { Tensor, zeros, empty } from '../../tensor';
import * as torch from '../../tensor';
import { baddbmm } from '../../generated/torch';
import * as F from '../functional';
import { Module } from '../module';
import { readOptions } from '../../utils/options';
import { Linear } from './linear';
import { FACTORY, type FactoryOptions } from './utils';

export interface MultiheadAttentionOptions extends FactoryOptions {
  dropout?: number;
  bias?: boolean;
  batchFirst?: boolean;
}
export interface AttentionCallOptions {
  /** [N, S] bool (true: ignore that key) or float (added). */
  keyPaddingMask?: Tensor | null;
  needWeights?: boolean;
  /** [L, S] or [N * numHeads, L, S]; bool (true: not allowed) or float (added). */
  attnMask?: Tensor | null;
  averageAttnWeights?: boolean;
}

// A bool mask (true: masked out) as the additive float mask PyTorch makes of it.
function additiveMask(mask: Tensor, dtype: Tensor['dtype']): Tensor {
  if (mask.dtype !== 'bool') return mask;
  return zeros(mask.shape, { dtype, device: mask.device }).maskedFill(mask, -Infinity);
}

/**
 * nn.MultiheadAttention(embedDim, numHeads, {dropout=0, bias=true, batchFirst=false}): in_proj_weight,
 * in_proj_bias and out_proj as PyTorch (xavier_uniform_ in-projection, zero biases). forward returns
 * [output, weights] (weights null when needWeights is false), computed as F.multi_head_attention_forward does.
 * kdim/vdim, add_bias_kv and add_zero_attn are not supported.
 */
export class MultiheadAttention extends Module {
  declare in_proj_weight: Tensor;
  declare in_proj_bias: Tensor | null;
  declare out_proj: Linear;
  readonly headDim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  constructor(readonly embedDim: number, readonly numHeads: number, options: MultiheadAttentionOptions = {}) {
    super();
    options = readOptions('nn.MultiheadAttention', options, [...FACTORY, 'dropout', 'bias', 'batchFirst']);
    this.headDim = Math.floor(embedDim / numHeads);
    if (this.headDim * numHeads !== embedDim) throw new TorchError('MultiheadAttention: embed_dim must be divisible by num_heads');
    this.dropout = options.dropout ?? 0;
    this.batchFirst = options.batchFirst ?? false;
    const f = { device: options.device, dtype: options.dtype };
    const bias = options.bias ?? true;
    // xavier_uniform_: U(-a, a), a = sqrt(6 / (fan_in + fan_out)) of the [3E, E] matrix.
    const a = Math.sqrt(6 / (embedDim + 3 * embedDim));
    this.registerParameter('in_proj_weight', empty([3 * embedDim, embedDim], f).uniform_(-a, a));
    this.registerParameter('in_proj_bias', bias ? zeros([3 * embedDim], f) : null);
    this.registerModule('out_proj', new Linear(embedDim, embedDim, { ...f, bias }));
    if (this.out_proj.bias) torch.noGrad(() => this.out_proj.bias!.zero_());
  }

  forward(query: Tensor, key: Tensor, value: Tensor, options: AttentionCallOptions = {}): [Tensor, Tensor | null] {
    options = readOptions('MultiheadAttention.forward', options, ['keyPaddingMask', 'needWeights', 'attnMask', 'averageAttnWeights']);
    const { needWeights = true, averageAttnWeights = true } = options;
    const unbatched = query.ndim === 2;
    const batch = (t: Tensor) => (unbatched ? t.unsqueeze(1) : this.batchFirst ? t.transpose(0, 1) : t);
    const [q0, k0, v0] = [batch(query), batch(key), batch(value)];
    const [L, N, E] = q0.shape;
    const S = k0.shape[0];
    const H = this.numHeads, hd = this.headDim;
    const w = this.in_proj_weight.chunk(3, 0);
    const b = this.in_proj_bias ? this.in_proj_bias.chunk(3, 0) : [null, null, null];
    const q = F.linear(q0, w[0], b[0]).reshape([L, N * H, hd]).transpose(0, 1);
    const k = F.linear(k0, w[1], b[1]).reshape([S, N * H, hd]).transpose(0, 1);
    const v = F.linear(v0, w[2], b[2]).reshape([S, N * H, hd]).transpose(0, 1);
    let mask: Tensor | null = null;
    if (options.attnMask) {
      mask = additiveMask(options.attnMask, q.dtype);
      if (mask.ndim === 2) mask = mask.unsqueeze(0);
    }
    if (options.keyPaddingMask) {
      const kpm = additiveMask(options.keyPaddingMask, q.dtype).view([N, 1, 1, S]).expand([N, H, 1, S]).reshape([N * H, 1, S]);
      mask = mask ? mask.add(kpm) : kpm;
    }
    const scaled = q.mul(Math.sqrt(1 / hd));
    let attn = mask ? baddbmm(mask, scaled, k.transpose(-2, -1)) : scaled.bmm(k.transpose(-2, -1));
    attn = F.softmax(attn, -1);
    if (this.dropout > 0 && this.training) attn = F.dropout(attn, this.dropout);
    let out = attn.bmm(v).transpose(0, 1).contiguous().view([L * N, E]);
    out = this.out_proj.forward(out).view([L, N, E]);
    out = unbatched ? out.squeeze(1) : this.batchFirst ? out.transpose(0, 1) : out;
    if (!needWeights) return [out, null];
    let weights = attn.view([N, H, L, S]);
    if (averageAttnWeights) weights = weights.mean(1);
    return [out, unbatched ? weights.squeeze(0) : weights];
  }
}
