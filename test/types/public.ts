// Compiled (not run) by test/types.test.ts: the public types say what the values are.
import * as torch from '../../lib';

const x = torch.tensor([[1, 2], [3, 4]]);
export const sum: number = x.sum().item(); // a number, no cast
export const same: boolean = x.sum().eq(10).item(); // comparisons give BoolTensors: a boolean
export const flag: boolean = x.sum().bool().item();
// @ts-expect-error item() of a numeric tensor is not a boolean
export const wrong: boolean = x.sum().item();

// load<T>(): the shape the caller expects; unknown without it.
const ckpt = torch.load<{ net: torch.nn.StateDict; acc: number; epoch: number }>('ckpt.pth');
export const acc: number = ckpt.acc;
export const weight: torch.Tensor = ckpt.net['conv1.weight'];
// @ts-expect-error load() without a type is unknown: no property access unchecked
export const unchecked = torch.load('ckpt.pth').acc;

export const options: torch.TrainOptions = { epochs: 3, lr: 0.05, batchSize: 64, limitTrain: 5000, signal: new AbortController().signal };
