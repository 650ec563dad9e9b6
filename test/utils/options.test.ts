// The one options rule of the library (lib/utils/options.ts): every public options object takes its
// camelCase keys or PyTorch's snake_case spelling of them, and refuses anything else with a TorchError
// that names the key and the closest known one. One row per public options-taking entry point.
import * as os from 'os';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { Tensor, TorchError, nn, optim } from '../../lib';
import { arr, maxDiff } from '../helpers/compare';
import { runPython } from '../helpers/python';
import { camelCase, closestName, readOptions } from '../../lib/utils/options';

const F = nn.functional;
const bad = <T>(o: Record<string, unknown>) => o as unknown as T;
const params = () => [nn.Parameter(torch.zeros([2]))];
const sgd = () => new optim.SGD(params(), { lr: 0.1 });
const ds = () => new torch.data.TensorDataset(torch.zeros([4, 3, 8, 8]), torch.zeros([4], { dtype: 'int64' }));
const tiny = () => new nn.Linear(2, 2);
const tmp = path.join(os.tmpdir(), 'libtorch-node-options-test-missing');

/** [entry, call with one misspelt key, the key named in the message, the suggestion]. */
const ROWS: [string, () => unknown, string, string][] = [
  // nn layers
  ['nn.Conv2d', () => new nn.Conv2d(1, 1, 3, bad({ padding_mod: 'reflect' })), 'padding_mod', 'paddingMode'],
  ['nn.Conv1d', () => new nn.Conv1d(1, 1, 3, bad({ strid: 2 })), 'strid', 'stride'],
  ['nn.ConvTranspose2d', () => new nn.ConvTranspose2d(1, 1, 3, bad({ output_pad: 1 })), 'output_pad', 'outputPadding'],
  ['nn.Linear', () => new nn.Linear(2, 2, bad({ bais: false })), 'bais', 'bias'],
  ['nn.BatchNorm2d', () => new nn.BatchNorm2d(2, bad({ momentun: 0.2 })), 'momentun', 'momentum'],
  ['nn.BatchNorm1d', () => new nn.BatchNorm1d(2, bad({ track_running_stat: false })), 'track_running_stat', 'trackRunningStats'],
  ['nn.LayerNorm', () => new nn.LayerNorm(2, bad({ elementwise_afine: false })), 'elementwise_afine', 'elementwiseAffine'],
  ['nn.Embedding', () => new nn.Embedding(4, 2, bad({ padding_index: 0 })), 'padding_index', 'paddingIdx'],
  ['nn.AvgPool2d', () => new nn.AvgPool2d(2, bad({ count_include_pads: false })), 'count_include_pads', 'countIncludePad'],
  ['nn.MaxPool2d', () => new nn.MaxPool2d(2, bad({ ceilmode: true })), 'ceilmode', 'ceilMode'],
  ['nn.GroupNorm', () => new nn.GroupNorm(1, 2, bad({ afine: false })), 'afine', 'affine'],
  ['nn.Upsample', () => new nn.Upsample(bad({ scalefactor: 2 })), 'scalefactor', 'scaleFactor'],
  ['nn.InstanceNorm2d', () => new nn.InstanceNorm2d(2, bad({ affin: true })), 'affin', 'affine'],
  ['nn.LSTM', () => new nn.LSTM(2, 2, bad({ batch_frist: true })), 'batch_frist', 'batchFirst'],
  ['nn.GRU', () => new nn.GRU(2, 2, bad({ num_layer: 2 })), 'num_layer', 'numLayers'],
  ['nn.MultiheadAttention', () => new nn.MultiheadAttention(4, 2, bad({ batchfirst: true })), 'batchfirst', 'batchFirst'],
  ['nn.TransformerEncoderLayer', () => new nn.TransformerEncoderLayer(4, 2, bad({ dim_feedforwrd: 8 })), 'dim_feedforwrd', 'dimFeedforward'],
  ['nn.CrossEntropyLoss', () => new nn.CrossEntropyLoss(bad({ label_smooth: 0.1 })), 'label_smooth', 'labelSmoothing'],
  ['nn.BCEWithLogitsLoss', () => new nn.BCEWithLogitsLoss(bad({ posweight: null })), 'posweight', 'posWeight'],
  ['nn.CTCLoss', () => new nn.CTCLoss(bad({ zero_infinty: true })), 'zero_infinty', 'zeroInfinity'],
  ['F.interpolate', () => F.interpolate(torch.zeros([1, 1, 2, 2]), bad({ scale_factr: 2 })), 'scale_factr', 'scaleFactor'],
  ['F.conv2d', () => F.conv2d(torch.zeros([1, 1, 3, 3]), torch.zeros([1, 1, 3, 3]), null, bad({ dilaton: 1 })), 'dilaton', 'dilation'],
  ['F.maxPool2d', () => F.maxPool2d(torch.zeros([1, 1, 2, 2]), 2, bad({ strides: 1 })), 'strides', 'stride'],
  ['F.nllLoss', () => F.nllLoss(torch.zeros([1, 2]), torch.zeros([1], { dtype: 'int64' }), bad({ ignore: 1 })), 'ignore', 'ignoreIndex'],
  ['nn.init.kaimingUniform_', () => nn.init.kaimingUniform_(torch.zeros([2, 2]), bad({ nonlinear: 'relu' })), 'nonlinear', 'nonlinearity'],
  ['nn.utils.spectralNorm', () => nn.utils.spectralNorm(tiny(), 'weight', bad({ n_power_iteration: 2 })), 'n_power_iteration', 'nPowerIterations'],
  ['autocast', () => torch.autocast('cpu', () => 0, bad({ dtpye: 'bfloat16' })), 'dtpye', 'dtype'],
  ['nn.utils.clipGradNorm_', () => nn.utils.clipGradNorm_(params(), 1, 2, bad({ for_each: true })), 'for_each', 'foreach'],
  ['Module.stateDict', () => tiny().stateDict(bad({ keep_var: true })), 'keep_var', 'keepVars'],
  ['Module.loadStateDict', () => tiny().loadStateDict({}, bad({ strickt: false })), 'strickt', 'strict'],
  ['Module.zeroGrad', () => tiny().zeroGrad(bad({ setToNon: true })), 'setToNon', 'setToNone'],
  // optimizers and schedulers
  ['SGD', () => new optim.SGD(params(), bad({ nestrov: true })), 'nestrov', 'nesterov'],
  ['Adam', () => new optim.Adam(params(), bad({ beta: [0.9, 0.99] })), 'beta', 'betas'],
  ['AdamW', () => new optim.AdamW(params(), bad({ weight_decy: 0.5 })), 'weight_decy', 'weightDecay'],
  ['RMSprop', () => new optim.RMSprop(params(), bad({ centred: true })), 'centred', 'centered'],
  ['Optimizer.zeroGrad', () => sgd().zeroGrad(bad({ set_to_non: true })), 'set_to_non', 'setToNone'],
  ['StepLR', () => new optim.StepLR(sgd(), bad({ step_sise: 2 })), 'step_sise', 'stepSize'],
  ['MultiStepLR', () => new optim.MultiStepLR(sgd(), bad({ milestones: [1], gama: 0.5 })), 'gama', 'gamma'],
  ['CosineAnnealingLR', () => new optim.CosineAnnealingLR(sgd(), bad({ tMax: 3, eta_mn: 0 })), 'eta_mn', 'etaMin'],
  ['LinearLR', () => new optim.LinearLR(sgd(), bad({ total_iter: 3 })), 'total_iter', 'totalIters'],
  ['ExponentialLR', () => new optim.ExponentialLR(sgd(), bad({ gamma: 0.9, last_epoc: -1 })), 'last_epoc', 'lastEpoch'],
  ['OneCycleLR', () => new optim.OneCycleLR(sgd(), bad({ maxLr: 1, totalSteps: 10, pct_strt: 0.3 })), 'pct_strt', 'pctStart'],
  ['ReduceLROnPlateau', () => new optim.ReduceLROnPlateau(sgd(), bad({ patiense: 2 })), 'patiense', 'patience'],
  ['SequentialLR', () => new optim.SequentialLR(sgd(), bad({ schedulers: [], milestone: [] })), 'milestone', 'milestones'],
  ['GradScaler', () => new torch.GradScaler('cpu', bad({ init_scal: 2 })), 'init_scal', 'initScale'],
  // data, vision, tensorboard
  ['DataLoader', () => new torch.data.DataLoader(ds(), bad({ batchsize: 2 })), 'batchsize', 'batchSize'],
  ['DistributedSampler', () => new torch.data.DistributedSampler(10, bad({ num_replica: 2 })), 'num_replica', 'numReplicas'],
  ['CIFAR10', () => new torch.data.CIFAR10(bad({ root: tmp, downlod: true })), 'downlod', 'download'],
  ['CIFAR10.create', () => torch.data.CIFAR10.create(bad({ root: tmp, tarin: true })), 'tarin', 'train'],
  ['data.download', () => torch.data.download(tmp, bad({ url: 'http://127.0.0.1:9/x.tar.gz', md: 'x' })), 'md', 'md5'],
  ['data.downloadFile', () => torch.data.downloadFile('http://127.0.0.1:9/x', tmp, bad({ url: 'x', max_redirect: 1 })), 'max_redirect', 'maxRedirects'],
  ['transforms.randomCrop', () => torch.data.randomCrop(32, bad({ pading: 4 })), 'pading', 'padding'],
  ['transforms.randomCropFlip', () => torch.data.randomCropFlip(32, bad({ padding: 4, prob: 0.5 })), 'prob', 'p'],
  ['vision.resize', () => torch.vision.resize(torch.zeros([3, 4, 4], { dtype: 'uint8' }), 2, bad({ antialiaz: true })), 'antialiaz', 'antialias'],
  ['vision.decodeImage', () => torch.vision.decodeImage(new Uint8Array(4), bad({ channel: 3 })), 'channel', 'channels'],
  ['SummaryWriter', () => new torch.utils.tensorboard.SummaryWriter(tmp, bad({ flush_sec: 1 })), 'flush_sec', 'flushSecs'],
  // models, serialization, jit, export, distributed
  ['models.resnet20', () => torch.models.resnet20(bad({ num_class: 10 })), 'num_class', 'numClasses'],
  ['save', () => torch.save({}, tmp, bad({ force_zip: true })), 'force_zip', 'forceZip64'],
  ['saveAsync', () => torch.saveAsync({}, tmp, bad({ forcezip64: true })), 'forcezip64', 'forceZip64'],
  ['load', () => torch.load(tmp, bad({ devic: 'cpu' })), 'devic', 'device'],
  ['loadAsync', () => torch.loadAsync(tmp, bad({ mmaps: true })), 'mmaps', 'mmap'],
  ['jit.load', () => torch.jit.load(tmp, bad({ devise: 'cpu' })), 'devise', 'device'],
  ['jit.loadAsync', () => torch.jit.loadAsync(tmp, bad({ devise: 'cpu' })), 'devise', 'device'],
  ['export.load', () => torch.export.load(tmp, bad({ runner: 2 })), 'runner', 'runners'],
  ['DistributedDataParallel', () => new nn.parallel.DistributedDataParallel(tiny(), bad({ find_unused_parameter: true })), 'find_unused_parameter', 'findUnusedParameters'],
  ['initProcessGroup', () => torch.distributed.initProcessGroup(bad({ world_sise: 2 })), 'world_sise', 'worldSize'],
  ['allReduce', () => torch.distributed.allReduce(torch.zeros([1]), bad({ ops: 'sum' })), 'ops', 'op'],
  ['broadcast', () => torch.distributed.broadcast(torch.zeros([1]), bad({ sorce: 0 })), 'sorce', 'src'],
  ['allGather', () => torch.distributed.allGather([], torch.zeros([1]), bad({ async_ops: true })), 'async_ops', 'asyncOp'],
  ['barrier', () => torch.distributed.barrier(bad({ asyncop: true })), 'asyncop', 'asyncOp'],
  // training
  ['fit', () => torch.fit(tiny(), bad({ epoch: 1 })), 'epoch', 'epochs'],
  ['evaluate', () => torch.evaluate(tiny(), ds(), bad({ batch_sise: 2 })), 'batch_sise', 'batchSize'],
  ['TrainStep', () => new torch.TrainStep(tiny(), sgd(), bad({ lossfunction: null })), 'lossfunction', 'lossFn'],
  ['trainResNet20', () => torch.trainResNet20(bad({ epoch: 1 })), 'epoch', 'epochs'],
  ['train.resolveOptions', () => torch.train.resolveOptions(bad({ label_smothing: 0.1 })), 'label_smothing', 'labelSmoothing'],
  ['train.loadClassifier', () => torch.train.loadClassifier(tmp, bad({ devce: 'cpu' })), 'devce', 'device'],
  ['train.preprocess', () => torch.train.preprocess([], bad({ siz: 32 })), 'siz', 'size'],
  ['train.classify', () => torch.train.classify(tiny() as never, [], bad({ top_k: 3 })), 'top_k', 'topk'],
  ['train.predictFiles', () => torch.train.predictFiles(tmp, ['x.png'], bad({ topK: 3 })), 'topK', 'topk'],
  ['train.createProgress', () => torch.train.createProgress('Train', 1, bad({ mod: 'none' })), 'mod', 'mode'],
  ['train.report', () => torch.train.report(os.tmpdir(), bad({ log_fil: 'x' })), 'log_fil', 'logFile'],
];

async function thrown(call: () => unknown): Promise<unknown> {
  try {
    await call();
  } catch (e) {
    return e;
  }
  return null;
}

describe('every options object refuses an unknown key, naming it and the closest known key', () => {
  it.each(ROWS)('%s', async (where, call, key, near) => {
    const e = await thrown(call);
    expect(e).toBeInstanceOf(TorchError);
    expect((e as Error).message).toMatch(new RegExp(`unknown option '${key}'; did you mean '${near}'\\?$`));
    expect((e as Error).message.split('\n')).toHaveLength(1);
  });
});

describe('PyTorch snake_case spellings are aliases of the camelCase options', () => {
  it('camelCase and closestName: weight_decay → weightDecay, T_max → tMax; nestrov → nesterov', () => {
    expect(camelCase('weight_decay')).toBe('weightDecay');
    expect(camelCase('T_max')).toBe('tMax');
    expect(camelCase('nesterov')).toBe('nesterov');
    expect(closestName('nestrov', ['lr', 'momentum', 'nesterov', 'maximize'])).toBe('nesterov');
    expect(() => readOptions('SGD', { nestrov: true }, ['lr', 'nesterov'])).toThrow("SGD: unknown option 'nestrov'; did you mean 'nesterov'?");
    expect(() => readOptions('SGD', { weight_decay: 1, weightDecay: 2 }, ['weightDecay'])).toThrow("SGD: option 'weightDecay' given twice, as 'weightDecay' and as 'weight_decay'");
    expect(() => readOptions('SGD', 3 as never, ['lr'])).toThrow(/must be an object/);
  });

  it('nn.LSTM(6, 8, {batch_first: true}) is batchFirst: the same outputs for the same seed', () => {
    const x = torch.randn([2, 5, 6]);
    torch.manualSeed(3);
    const a = new nn.LSTM(6, 8, { batchFirst: true });
    torch.manualSeed(3);
    const b = new nn.LSTM(6, 8, bad({ batch_first: true }));
    expect(b.batchFirst).toBe(true);
    expect(maxDiff(arr(a.forward(x)[0]), arr(b.forward(x)[0]))).toBe(0);
  });

  it("nn.Conv2d({padding_mode: 'reflect'}) pads by reflection", () => {
    torch.manualSeed(4);
    const a = new nn.Conv2d(1, 1, 3, { padding: 1, paddingMode: 'reflect' });
    torch.manualSeed(4);
    const b = new nn.Conv2d(1, 1, 3, bad({ padding: 1, padding_mode: 'reflect' }));
    const x = torch.randn([1, 1, 4, 4]);
    expect(b.paddingMode).toBe('reflect');
    expect(maxDiff(arr(a.forward(x)), arr(b.forward(x)))).toBe(0);
  });

  it('CosineAnnealingLR takes PyTorch\'s T_max and eta_min', () => {
    const s = new optim.CosineAnnealingLR(sgd(), bad({ T_max: 4, eta_min: 0.01 }));
    expect([s.tMax, s.etaMin]).toEqual([4, 0.01]);
  });

  it('AdamW({weight_decay: 0.5}) and a param group {weight_decay} apply 0.5: one step equals PyTorch', () => {
    const w0 = [[0.5, -1.0, 2.0], [0.25, 0.75, -0.5]];
    const g = [[0.1, -0.2, 0.3], [0.4, 0.0, -0.6]];
    const step = (make: (p: Tensor) => optim.Optimizer) => {
      const p = nn.Parameter(torch.tensor(w0));
      const opt = make(p);
      p.mul(torch.tensor(g)).sum().backward();
      opt.step();
      return arr(p);
    };
    const viaOptions = step((p) => new optim.AdamW([p], bad({ lr: 0.1, weight_decay: 0.5 })));
    const viaGroup = step((p) => new optim.AdamW([{ params: [p], weight_decay: 0.5 }], { lr: 0.1 }));
    const py = runPython(
      `
import torch
p = torch.nn.Parameter(torch.tensor(inp['w']))
opt = torch.optim.AdamW([p], lr=0.1, weight_decay=0.5)
(p * torch.tensor(inp['g'])).sum().backward()
opt.step()
print(json.dumps(p.tolist()))`,
      { w: w0, g },
    );
    expect(maxDiff(viaOptions, py)).toBeLessThan(1e-6);
    expect(maxDiff(viaGroup, py)).toBeLessThan(1e-6);
    // and not the default 0.01
    const defaultDecay = step((p) => new optim.AdamW([p], { lr: 0.1 }));
    expect(maxDiff(defaultDecay, py)).toBeGreaterThan(1e-3);
  });

  it('a param group keeps its own extra keys (PyTorch keeps them for the user)', () => {
    const opt = new optim.SGD([{ params: params(), name: 'head', weight_decay: 0.1 }], { lr: 0.1 });
    expect(opt.paramGroups[0].name).toBe('head');
    expect(opt.paramGroups[0].weightDecay).toBe(0.1);
    expect('weight_decay' in opt.paramGroups[0]).toBe(false);
  });
});
