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

// instanceof torch.Tensor type-checks and narrows (TS2359 before).
const v: unknown = torch.zeros(2, 3);
export const narrowed: number[] | null = v instanceof torch.Tensor ? v.shape : null;
// @ts-expect-error the class is not constructible: tensors come from the factories
export const made = new torch.Tensor();
// PyTorch's calling forms are typed: varargs sizes with options, keyword options, named tuples, indexing.
export const z: torch.Tensor = torch.zeros(2, 3, { dtype: 'float64' });
export const kept: torch.Tensor = x.sum({ dim: 1, keepdim: true });
export const kept2: torch.Tensor = x.sum(1, { keepdim: true });
const [maxValues, maxIndices] = x.max(1);
export const maxes: torch.Tensor[] = [maxValues, maxIndices, x.max(1).values];
export const row: torch.Tensor = x.i(0, ':', null, '...', torch.Slice(0, 1));
export const nested: torch.NestedArray = x.tolist();
// @ts-expect-error an options object of a factory takes TensorOptions' keys only
export const badOption = torch.zeros(2, { dtyp: 'float64' });
// The generated methods (an augmentation of Tensor in lib/generated/) are in the published types too.
const mask = x.gt(2);
export const generated: torch.Tensor[] = [x.topk(1).values, ...x.chunk(2), ...x.split(1), x.T, x.softmax(1), x.cumsum(0), x.flip(0),
  x.gather(1, torch.zeros(2, 1, { dtype: 'int64' })), x.sort().values, x.norm(), x.indexSelect(0, torch.tensor([0], { dtype: 'int64' })),
  mask.all(), mask.nonzero(), x.scatter_(1, torch.zeros(2, 1, { dtype: 'int64' }), 0)];
// torch.getDefaultDtype() is a DType; setDefaultDtype takes a DType name (PyTorch refuses the non-floating ones at run time).
export const defaultDtype: torch.DType = torch.getDefaultDtype();
// @ts-expect-error setDefaultDtype takes a dtype name, not any string
export const badDefault = torch.setDefaultDtype('double');
