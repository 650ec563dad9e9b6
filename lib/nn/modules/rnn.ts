// The recurrent layers (torch/nn/modules/rnn.py): nn.LSTM and nn.GRU on aten::lstm / aten::gru.
import { TorchError } from '../../errors';
import { Tensor, empty, zeros } from '../../tensor';
import { Module } from '../module';
import { bindOp } from '../../ops';
import { readOptions } from '../../utils/options';
import { FACTORY, type FactoryOptions } from './utils';

// aten::lstm.input / aten::gru.input: (input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first).
type RnnOp<State> = (
  input: Tensor,
  hx: State,
  params: Tensor[],
  hasBiases: boolean,
  numLayers: number,
  dropout: number,
  train: boolean,
  bidirectional: boolean,
  batchFirst: boolean,
) => Tensor[];
const atenLstm = bindOp<RnnOp<Tensor[]>>('LSTM', ['lstm.input']);
const atenGru = bindOp<RnnOp<Tensor>>('GRU', ['gru.input']);

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
    const f = { device: options.device, dtype: options.dtype };
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
