// Layers of torch.nn written in TypeScript on the generated operators (lib/generated/, the generic
// dispatcher call): PyTorch's names, defaults, initialisation and state-dict keys.
import { TorchError } from '../errors';
import { Tensor, ones, zeros, empty } from '../tensor';
import * as F from './functional';
import type { InterpolateMode } from './functional';
import type { FactoryOptions } from './layers';
import { Dropout, LayerNorm, Linear } from './layers';
import * as torch from '../tensor';
import { baddbmm } from '../generated/torch';
import { Module } from './module';
import { bindOp } from '../ops';
import { readOptions } from '../utils/options';

const FACTORY = ['device', 'dtype'] as const;

type Tuple = number | number[];
const tuple = (v: Tuple, n: number, what: string): number[] => {
  const xs = typeof v === 'number' ? new Array(n).fill(v) : [...v];
  if (xs.length !== n) throw new TorchError(`${what}: expected ${n} values, got ${xs.length}`);
  return xs;
};
const pyBool = (b: boolean) => (b ? 'True' : 'False');
const pyTuple = (xs: number[]) => `(${xs.join(', ')}${xs.length === 1 ? ',' : ''})`;

export interface ConvNdOptions extends FactoryOptions {
  stride?: Tuple;
  padding?: Tuple | 'same' | 'valid';
  dilation?: Tuple;
  groups?: number;
  bias?: boolean;
}

abstract class ConvNd extends Module {
  declare weight: Tensor;
  declare bias: Tensor | null;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[] | 'same' | 'valid';
  readonly dilation: number[];
  readonly groups: number;
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Tuple,
    dims: number,
    transposed: boolean,
    options: ConvNdOptions,
    readonly name: string,
  ) {
    super();
    const known = [...FACTORY, 'stride', 'padding', 'dilation', 'groups', 'bias', ...(transposed ? ['outputPadding'] : [])];
    options = readOptions(`nn.${name}`, options, known);
    this.groups = options.groups ?? 1;
    if (inChannels % this.groups !== 0) throw new TorchError(`${name}: in_channels must be divisible by groups`);
    if (outChannels % this.groups !== 0) throw new TorchError(`${name}: out_channels must be divisible by groups`);
    this.kernelSize = tuple(kernelSize, dims, `${name}: kernelSize`);
    this.stride = tuple(options.stride ?? 1, dims, `${name}: stride`);
    const p = options.padding ?? 0;
    this.padding = typeof p === 'string' ? p : tuple(p, dims, `${name}: padding`);
    this.dilation = tuple(options.dilation ?? 1, dims, `${name}: dilation`);
    const shape = transposed
      ? [inChannels, outChannels / this.groups, ...this.kernelSize]
      : [outChannels, inChannels / this.groups, ...this.kernelSize];
    // PyTorch's reset_parameters: kaiming_uniform_(a=sqrt(5)) is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), the bias
    // the same bound; fan_in is weight.size(1) times the kernel's elements.
    const f = { device: options.device, dtype: options.dtype ?? 'float32' };
    const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    this.registerParameter('weight', empty(shape, f).uniform_(-bound, bound));
    this.registerParameter('bias', options.bias ?? true ? empty([outChannels], f).uniform_(-bound, bound) : null);
  }
  extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${pyTuple(this.kernelSize)}, stride=${pyTuple(this.stride)}`;
    if (typeof this.padding === 'string') s += `, padding=${this.padding}`;
    else if (this.padding.some((x) => x !== 0)) s += `, padding=${pyTuple(this.padding)}`;
    if (this.dilation.some((x) => x !== 1)) s += `, dilation=${pyTuple(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ', bias=False';
    return s;
  }
}

/** nn.Conv1d(inChannels, outChannels, kernelSize, {stride=1, padding=0, dilation=1, groups=1, bias=true}). */
export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: Tuple, options: ConvNdOptions = {}) {
    super(inChannels, outChannels, kernelSize, 1, false, options, 'Conv1d');
  }
  forward(input: Tensor): Tensor {
    return F.conv1d(input, this.weight, this.bias, this.stride, this.padding as never, this.dilation, this.groups);
  }
}

export interface ConvTransposeNdOptions extends FactoryOptions {
  stride?: Tuple;
  padding?: Tuple;
  outputPadding?: Tuple;
  dilation?: Tuple;
  groups?: number;
  bias?: boolean;
}

/** nn.ConvTranspose2d(inChannels, outChannels, kernelSize, {stride=1, padding=0, outputPadding=0, groups=1, bias=true, dilation=1}). */
export class ConvTranspose2d extends ConvNd {
  readonly outputPadding: number[];
  constructor(inChannels: number, outChannels: number, kernelSize: Tuple, options: ConvTransposeNdOptions = {}) {
    options = readOptions('nn.ConvTranspose2d', options, [...FACTORY, 'stride', 'padding', 'outputPadding', 'dilation', 'groups', 'bias']);
    super(inChannels, outChannels, kernelSize, 2, true, options, 'ConvTranspose2d');
    this.outputPadding = tuple(options.outputPadding ?? 0, 2, 'ConvTranspose2d: outputPadding');
  }
  forward(input: Tensor): Tensor {
    return F.convTranspose2d(input, this.weight, this.bias, this.stride, this.padding as number[], this.outputPadding, this.groups, this.dilation);
  }
  extraRepr(): string {
    const s = super.extraRepr();
    return this.outputPadding.some((x) => x !== 0) ? `${s}, output_padding=${pyTuple(this.outputPadding)}` : s;
  }
}

/** nn.GroupNorm(numGroups, numChannels, {eps=1e-5, affine=true}). */
export class GroupNorm extends Module {
  declare weight: Tensor | null;
  declare bias: Tensor | null;
  readonly eps: number;
  readonly affine: boolean;
  constructor(readonly numGroups: number, readonly numChannels: number, options: FactoryOptions & { eps?: number; affine?: boolean } = {}) {
    super();
    options = readOptions('nn.GroupNorm', options, [...FACTORY, 'eps', 'affine']);
    if (numChannels % numGroups !== 0) throw new TorchError('GroupNorm: num_channels must be divisible by num_groups');
    this.eps = options.eps ?? 1e-5;
    this.affine = options.affine ?? true;
    const f = { device: options.device, dtype: options.dtype ?? 'float32' };
    this.registerParameter('weight', this.affine ? ones([numChannels], f) : null);
    this.registerParameter('bias', this.affine ? zeros([numChannels], f) : null);
  }
  forward(input: Tensor): Tensor {
    return F.groupNorm(input, this.numGroups, this.weight, this.bias, this.eps);
  }
  extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${this.eps}, affine=${pyBool(this.affine)}`;
  }
}

/** nn.LeakyReLU(negativeSlope=0.01). */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  forward(input: Tensor): Tensor {
    return F.leakyRelu(input, this.negativeSlope);
  }
}

/** nn.ELU(alpha=1.0). */
export class ELU extends Module {
  constructor(readonly alpha = 1.0) {
    super();
  }
  forward(input: Tensor): Tensor {
    return F.elu(input, this.alpha);
  }
}

/** nn.Hardswish(). */
export class Hardswish extends Module {
  forward(input: Tensor): Tensor {
    return F.hardswish(input);
  }
}

/** nn.Mish(). */
export class Mish extends Module {
  forward(input: Tensor): Tensor {
    return F.mish(input);
  }
}

/** nn.PixelShuffle(upscaleFactor). */
export class PixelShuffle extends Module {
  constructor(readonly upscaleFactor: number) {
    super();
  }
  forward(input: Tensor): Tensor {
    return F.pixelShuffle(input, this.upscaleFactor);
  }
}

/** nn.Upsample({size, scaleFactor, mode='nearest', alignCorners}). */
export class Upsample extends Module {
  readonly options: { size?: number | number[]; scaleFactor?: number | number[]; mode?: InterpolateMode; alignCorners?: boolean; recomputeScaleFactor?: boolean };
  constructor(options: { size?: number | number[]; scaleFactor?: number | number[]; mode?: InterpolateMode; alignCorners?: boolean; recomputeScaleFactor?: boolean } = {}) {
    super();
    this.options = readOptions('nn.Upsample', options, ['size', 'scaleFactor', 'mode', 'alignCorners', 'recomputeScaleFactor']);
  }
  forward(input: Tensor): Tensor {
    return F.interpolate(input, this.options);
  }
}

type Op = (...args: any[]) => any;
const atenInstanceNorm = bindOp<Op>('InstanceNorm2d', ['instance_norm']);
const atenLstm = bindOp<Op>('LSTM', ['lstm.input']);
const atenGru = bindOp<Op>('GRU', ['gru.input']);

/** nn.InstanceNorm2d(numFeatures, {eps=1e-5, momentum=0.1, affine=false, trackRunningStats=false}). */
export class InstanceNorm2d extends Module {
  declare weight: Tensor | null;
  declare bias: Tensor | null;
  declare running_mean: Tensor | null;
  declare running_var: Tensor | null;
  readonly eps: number;
  readonly momentum: number;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  constructor(
    readonly numFeatures: number,
    options: FactoryOptions & { eps?: number; momentum?: number; affine?: boolean; trackRunningStats?: boolean } = {},
  ) {
    super();
    options = readOptions('nn.InstanceNorm2d', options, [...FACTORY, 'eps', 'momentum', 'affine', 'trackRunningStats']);
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum ?? 0.1;
    this.affine = options.affine ?? false;
    this.trackRunningStats = options.trackRunningStats ?? false;
    const f = { device: options.device, dtype: options.dtype ?? 'float32' };
    this.registerParameter('weight', this.affine ? ones([numFeatures], f) : null);
    this.registerParameter('bias', this.affine ? zeros([numFeatures], f) : null);
    this.registerBuffer('running_mean', this.trackRunningStats ? zeros([numFeatures], f) : null);
    this.registerBuffer('running_var', this.trackRunningStats ? ones([numFeatures], f) : null);
    this.registerBuffer('num_batches_tracked', this.trackRunningStats ? zeros([], { device: options.device, dtype: 'int64' }) : null);
  }
  forward(input: Tensor): Tensor {
    if (input.ndim !== 3 && input.ndim !== 4) throw new TorchError(`InstanceNorm2d: expected 3D or 4D input (got ${input.ndim}D input)`);
    // An unbatched [C, H, W] input is one sample, as in PyTorch.
    const x = input.ndim === 3 ? input.unsqueeze(0) : input;
    const useInputStats = this.training || !this.trackRunningStats;
    const out: Tensor = atenInstanceNorm(x, this.weight, this.bias, this.running_mean, this.running_var, useInputStats, this.momentum, this.eps, true);
    return input.ndim === 3 ? out.squeeze(0) : out;
  }
  extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${pyBool(this.affine)}, track_running_stats=${pyBool(this.trackRunningStats)}`;
  }
}

export interface RNNOptions extends FactoryOptions {
  numLayers?: number;
  bias?: boolean;
  batchFirst?: boolean;
  dropout?: number;
  bidirectional?: boolean;
}

// nn.LSTM and nn.GRU on aten::lstm / aten::gru: the parameters in PyTorch's order and names
// (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, then _reverse, per layer), each U(-1/sqrt(hidden), 1/sqrt(hidden)).
abstract class RNNBase extends Module {
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  protected readonly flatNames: string[] = [];
  constructor(readonly inputSize: number, readonly hiddenSize: number, gates: number, options: RNNOptions) {
    super();
    options = readOptions(`nn.${gates === 4 ? 'LSTM' : 'GRU'}`, options, [...FACTORY, 'numLayers', 'bias', 'batchFirst', 'dropout', 'bidirectional']);
    this.numLayers = options.numLayers ?? 1;
    this.bias = options.bias ?? true;
    this.batchFirst = options.batchFirst ?? false;
    this.dropout = options.dropout ?? 0;
    this.bidirectional = options.bidirectional ?? false;
    const f = { device: options.device, dtype: options.dtype ?? 'float32' };
    const bound = 1 / Math.sqrt(hiddenSize);
    const dirs = this.bidirectional ? 2 : 1;
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (let d = 0; d < dirs; d++) {
        const suffix = `_l${layer}${d === 1 ? '_reverse' : ''}`;
        const inSize = layer === 0 ? inputSize : hiddenSize * dirs;
        const shapes: [string, number[]][] = [[`weight_ih${suffix}`, [gates * hiddenSize, inSize]], [`weight_hh${suffix}`, [gates * hiddenSize, hiddenSize]]];
        if (this.bias) shapes.push([`bias_ih${suffix}`, [gates * hiddenSize]], [`bias_hh${suffix}`, [gates * hiddenSize]]);
        for (const [name, shape] of shapes) {
          this.registerParameter(name, empty(shape, f).uniform_(-bound, bound));
          this.flatNames.push(name);
        }
      }
    }
  }
  protected flatWeights(): Tensor[] {
    const params = new Map(this.namedParameters('', false));
    return this.flatNames.map((n) => params.get(n)!);
  }
  protected zeroState(input: Tensor): Tensor {
    const batch = input.ndim === 2 ? null : input.shape[this.batchFirst ? 0 : 1];
    const shape = [this.numLayers * (this.bidirectional ? 2 : 1), ...(batch === null ? [] : [batch]), this.hiddenSize];
    return zeros(shape, { dtype: input.dtype, device: input.device });
  }
  extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (!this.bias) s += ', bias=False';
    if (this.batchFirst) s += ', batch_first=True';
    if (this.dropout !== 0) s += `, dropout=${this.dropout}`;
    if (this.bidirectional) s += ', bidirectional=True';
    return s;
  }
}

// aten's rnn ops take a batch; an unbatched [L, H_in] sequence is run as a batch of one, as PyTorch does.
function batched(input: Tensor, batchFirst: boolean): [Tensor, boolean] {
  if (input.ndim === 3) return [input, false];
  if (input.ndim !== 2) throw new TorchError(`RNN: expected input to be 2D or 3D, got ${input.ndim}D instead`);
  return [input.unsqueeze(batchFirst ? 0 : 1), true];
}

/** nn.LSTM(inputSize, hiddenSize, {numLayers=1, bias=true, batchFirst=false, dropout=0, bidirectional=false}). */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    super(inputSize, hiddenSize, 4, options);
  }
  /** Returns [output, [h_n, c_n]], as PyTorch's (output, (h_n, c_n)). */
  forward(input: Tensor, hx?: [Tensor, Tensor] | null): [Tensor, [Tensor, Tensor]] {
    const [x, unbatched] = batched(input, this.batchFirst);
    let state = hx ?? [this.zeroState(input), this.zeroState(input)];
    if (unbatched) state = [state[0].unsqueeze(1), state[1].unsqueeze(1)];
    const [out, h, c] = atenLstm(x, state, this.flatWeights(), this.bias, this.numLayers, this.dropout, this.training, this.bidirectional, this.batchFirst) as Tensor[];
    if (unbatched) return [out.squeeze(this.batchFirst ? 0 : 1), [h.squeeze(1), c.squeeze(1)]];
    return [out, [h, c]];
  }
}

/** nn.GRU(inputSize, hiddenSize, {numLayers=1, bias=true, batchFirst=false, dropout=0, bidirectional=false}). */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    super(inputSize, hiddenSize, 3, options);
  }
  /** Returns [output, h_n], as PyTorch's (output, h_n). */
  forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor] {
    const [x, unbatched] = batched(input, this.batchFirst);
    let state = hx ?? this.zeroState(input);
    if (unbatched) state = state.unsqueeze(1);
    const [out, h] = atenGru(x, state, this.flatWeights(), this.bias, this.numLayers, this.dropout, this.training, this.bidirectional, this.batchFirst) as Tensor[];
    if (unbatched) return [out.squeeze(this.batchFirst ? 0 : 1), h.squeeze(1)];
    return [out, h];
  }
}

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
    const f = { device: options.device, dtype: options.dtype ?? 'float32' };
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
