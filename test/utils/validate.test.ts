// Bad arguments across the public API: each call throws a TorchError at the call, with a message
// that names the function and the argument (PyTorch's wording where PyTorch has one) — no internal
// TypeError, no silent default, no failure deferred to a later step().
import { afterAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';

const { nn, optim, data, models } = torch;

const x = torch.ones([1, 2, 2, 2]);
const lin = new nn.Linear(2, 2);
const params = lin.parameters();
const ds = new data.TensorDataset(torch.zeros([4, 3, 2, 2]), torch.zeros([4], { dtype: 'int64' }));
const sgd = new optim.SGD(params, { lr: 0.1 });
afterAll(() => {
  torch.dispose([x, ds.data, ds.targets]);
});

// [the call, the exact message]
const cases: [string, () => unknown, string][] = [
  // optim
  ["SGD lr as a string", () => new optim.SGD(params, { lr: '0.1' as never }), "SGD(): argument 'lr' must be a number, not the string '0.1'"],
  ["SGD momentum as a string", () => new optim.SGD(params, { momentum: '0.9' as never }), "SGD(): argument 'momentum' must be a number, not the string '0.9'"],
  ['SGD nesterov as a string', () => new optim.SGD(params, { momentum: 0.9, nesterov: 'yes' as never }), "SGD(): argument 'nesterov' must be a boolean, not the string 'yes'"],
  ['SGD options as a number', () => new optim.SGD(params, 0.1 as never), "SGD(): argument 'options' must be an object, not number 0.1"],
  ['SGD over numbers', () => new optim.SGD([1, 2] as never), 'optimizer can only optimize Tensors, but one of the params is number 1'],
  ['SGD over a number', () => new optim.SGD(5 as never), 'params argument given to the optimizer should be an iterable of Tensors or dicts, but got number 5'],
  ['SGD over a group without params', () => new optim.SGD([{ lr: 0.1 }] as never), "param group 'params' must be a Tensor or an iterable of Tensors, not undefined"],
  ['SGD group lr as a string', () => new optim.SGD([{ params, lr: '1' }]), "SGD(): argument 'lr' must be a number, not the string '1'"],
  ['a scheduler over a non-optimizer', () => new optim.CosineAnnealingLR({} as never, { tMax: 10 }), 'an object is not an Optimizer'],
  ['CosineAnnealingLR tMax as a string', () => new optim.CosineAnnealingLR(sgd, { tMax: '200' as never }), "CosineAnnealingLR(): argument 'tMax' must be a number, not the string '200'"],
  ['CosineAnnealingLR without options', () => new optim.CosineAnnealingLR(sgd, undefined as never), "CosineAnnealingLR(): argument 'tMax' must be a number, not undefined"],
  ['MultiStepLR milestones as a number', () => new optim.MultiStepLR(sgd, { milestones: 100 as never }), "MultiStepLR(): argument 'milestones' must be an array of integers, not number 100"],
  ['MultiStepLR fractional milestone', () => new optim.MultiStepLR(sgd, { milestones: [100, 1.5] }), "MultiStepLR(): argument 'milestones[1]' must be an integer, not number 1.5"],
  // Tensor memory formats
  ['contiguous with a misspelt format', () => x.contiguous('channels_lst' as never), "Tensor.contiguous(): argument 'memoryFormat' must be a memory format ('contiguous', 'channels_last', 'channels_last_3d' or 'preserve'), not string 'channels_lst'"],
  ['to with a misspelt format', () => x.to({ memoryFormat: 'channels_lst' as never }), "Tensor.to(): argument 'memoryFormat' must be a memory format ('contiguous', 'channels_last', 'channels_last_3d' or 'preserve'), not string 'channels_lst'"],
  ['isContiguous with a misspelt format', () => x.isContiguous('channels_lst' as never), "isContiguous(): argument 'memoryFormat' must be 'contiguous' or 'channels_last', not the string 'channels_lst'"],
  // nn
  ['Module.to with a misspelt format', () => lin.to({ memoryFormat: 'channels_lst' as never }), "Module.to(): argument 'memoryFormat' must be 'contiguous' or 'channels_last', not the string 'channels_lst'"],
  ['Module.to(undefined)', () => lin.to(undefined as never), "Module.to(): argument 'target' must be an object, not null"],
  ['loadStateDict(null)', () => lin.loadStateDict(null as never), 'Expected state_dict to be dict-like, got null.'],
  ['loadStateDict of a string', () => lin.loadStateDict('w' as never), "Expected state_dict to be dict-like, got the string 'w'."],
  // models
  ["resnet20 shortcut 'C'", () => models.resnet20({ shortcut: 'C' as never }), "ResNet(): argument 'shortcut' must be 'A' or 'B', not the string 'C'"],
  ["resnet20 shortcut 'b'", () => models.resnet20({ shortcut: 'b' as never }), "ResNet(): argument 'shortcut' must be 'A' or 'B', not the string 'b'"],
  ['resnet20 numClasses 0', () => models.resnet20({ numClasses: 0 }), "ResNet(): argument 'numClasses' must be at least 1, got 0"],
  ["BasicBlock shortcut 'a'", () => new models.BasicBlock(16, 32, 2, 'a' as never), "BasicBlock(): argument 'shortcut' must be 'A' or 'B', not the string 'a'"],
  // data
  ['DataLoader over numbers', () => new data.DataLoader({ data: 5, targets: 6 } as never), "DataLoader(): argument 'dataset.data' must be a Tensor, not number 5"],
  ['DataLoader over null', () => new data.DataLoader(null as never), "DataLoader(): argument 'dataset' must be a TensorDataset or a data set with data and targets tensors, not null"],
  ['DataLoader batchSize 0', () => new data.DataLoader(ds, { batchSize: 0 }), 'batch_size should be a positive integer value, but got batch_size=0'],
  ["DataLoader batchSize '128'", () => new data.DataLoader(ds, { batchSize: '128' as never }), "batch_size should be a positive integer value, but got batch_size='128'"],
  ["DataLoader shuffle 'yes'", () => new data.DataLoader(ds, { shuffle: 'yes' as never }), "shuffle should be a boolean value, but got shuffle='yes'"],
  ['DataLoader dropLast 1', () => new data.DataLoader(ds, { dropLast: 1 as never }), 'drop_last should be a boolean value, but got drop_last=1'],
  ['DataLoader transform not a function', () => new data.DataLoader(ds, { transform: 'crop' as never }), "DataLoader(): argument 'transform' must be a function, not the string 'crop'"],
  // serialization
  ['load of a number', () => torch.load(5 as never), "load(): argument 'f' must be a string, not number 5"],
  ['save to a number', () => torch.save({}, 5 as never), "save(): argument 'f' must be a string, not number 5"],
  ['load with device 0', () => torch.load('x.pth', { device: 0 as never }), "load(): argument 'device' (map_location) must be a device string, an object of saved location -> device strings, or a function (storage, location) => storage, not number 0"],
];

describe('bad arguments are TorchErrors naming the argument', () => {
  it.each(cases)('%s', (_name, call, message) => {
    let err: unknown;
    try {
      call();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(torch.TorchError);
    expect((err as Error).message).toBe(message);
  });

  it('the valid spellings still work', () => {
    expect(x.contiguous('channels_last').isContiguous('channels_last')).toBe(true);
    expect(x.to({ memoryFormat: 'contiguous' }).isContiguous()).toBe(true);
    expect(models.resnet20({ shortcut: 'A' }).parameterCount()).toBe(269722);
    expect(new optim.SGD([{ params, lr: 0.5 }], { lr: 0.1 }).paramGroups[0].lr).toBe(0.5);
    expect(new data.DataLoader(ds, { batchSize: 3, shuffle: true, dropLast: true }).length).toBe(1);
  });
});
