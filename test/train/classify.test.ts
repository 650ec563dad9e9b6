// predict on CIFAR-10 test images written out as PNG files gives the same classes as evaluate() on
// the tensors; top-k probabilities are a softmax; bad checkpoints say what they are.
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../../lib';
import { data, models, noGrad, train, vision, TorchError } from '../../lib';
import { hasPythonTorch, runPython } from '../helpers/python';
import { CIFAR, hasCifar, tmpDir } from './helpers';

const N = 40;
let dir: string;
beforeAll(() => {
  torch.setNumThreads(1);
  dir = tmpDir('predict');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A ResNet-20 whose batch-norm statistics come from the images, so its predictions vary by image. */
function modelFor(images: torch.Tensor): models.ResNet {
  torch.manualSeed(3);
  const model = models.resnet20();
  torch.tidy(() => noGrad(() => model.train().forward(data.cifar10TestTransform()(images))));
  return model.eval();
}

describe.skipIf(!hasCifar)('predict on PNG files', () => {
  it('gives evaluate()’s classes: the same confusion matrix on the same images', async () => {
    const test = new data.CIFAR10({ root: CIFAR, train: false });
    const images = test.data.narrow(0, 0, N).contiguous();
    const targets = test.targets.narrow(0, 0, N).contiguous();
    const model = modelFor(images);
    const ckpt = path.join(dir, 'ckpt.pth');
    torch.save({ net: model.stateDict(), acc: 0, epoch: 0 }, ckpt);
    const files = Array.from({ length: N }, (_, i) => path.join(dir, `img${i}.png`));
    files.forEach((f, i) => vision.toPng(images.select(0, i), f));

    const evaluation = await train.evaluate(model, new data.TensorDataset(images, targets), { batchSize: 16 });
    const predictions = await train.predictFiles(ckpt, files);
    const labels = targets.toArray() as number[];
    const confusion = Array.from({ length: 10 }, () => Array<number>(10).fill(0));
    predictions.forEach((p, i) => confusion[labels[i]][p.top[0].index]++);
    expect(confusion).toEqual(evaluation.confusion);
    expect(new Set(predictions.map((p) => p.top[0].index)).size).toBeGreaterThan(1);
    test.data.dispose();
    test.targets.dispose();
  });
});

describe('classify', () => {
  it('top-5 are the softmax’s largest, in order, with CIFAR-10’s names', () => {
    const logits = torch.tensor([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]]);
    const [a, b] = train.topK(logits, 5);
    const z = Array.from({ length: 10 }, (_, j) => Math.exp(j)).reduce((s, v) => s + v, 0);
    expect(a.map((s) => s.label)).toEqual(['truck', 'ship', 'horse', 'frog', 'dog']);
    expect(a[0].probability).toBeCloseTo(Math.exp(9) / z, 6);
    expect(b.map((s) => s.index)).toEqual([0, 1, 2, 3, 4]);
  });

  it('resizes images of another size to 32×32 before the model', async () => {
    const model = models.resnet20().eval();
    const big = torch.randint(0, 256, [3, 64, 48], { dtype: 'uint8' });
    const small = vision.resize(big, [32, 32]);
    const [viaResize] = await train.classify(model, [big]);
    const [direct] = await train.classify(model, [small]);
    expect(viaResize).toEqual(direct);
    // The answer depends on the image (a classify that ignored its input would pass the line above).
    const [other] = await train.classify(model, [vision.resize(big.flip(2), [32, 32])]);
    expect(other).not.toEqual(direct);
  });

  it.skipIf(!hasPythonTorch())('a TorchScript file from Python gives Python’s top-5 on the same PNG', async () => {
    const png = path.join(dir, 'ts-input.png');
    const model = path.join(dir, 'small.pt');
    torch.manualSeed(6);
    vision.toPng(torch.randint(0, 256, [3, 32, 32], { dtype: 'uint8' }), png);
    const py = runPython<{ index: number[]; p: number[] }>(
      `import torch, numpy as np
from PIL import Image
torch.manual_seed(0)
m = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(8, 10)).eval()
torch.jit.trace(m, torch.randn(1, 3, 32, 32)).save(inp['model'])
x = torch.tensor(np.asarray(Image.open(inp['png']).convert('RGB'))).permute(2, 0, 1).float() / 255
x = (x - torch.tensor([0.4914, 0.4822, 0.4465])[:, None, None]) / torch.tensor([0.2023, 0.1994, 0.2010])[:, None, None]
with torch.no_grad():
    p = torch.softmax(m(x[None]), 1)[0]
top = torch.topk(p, 5)
print(json.dumps({'index': top.indices.tolist(), 'p': top.values.tolist()}))`,
      { model, png },
    );
    const [result] = await train.predictFiles(model, [png]);
    expect(result.top.map((s) => s.index)).toEqual(py.index);
    result.top.forEach((s, j) => expect(Math.abs(s.probability - py.p[j])).toBeLessThan(1e-6));
  });

  it('a file that is not a checkpoint or TorchScript says so', () => {
    const bad = path.join(dir, 'list.pth');
    torch.save([1, 2, 3], bad);
    expect(() => train.loadClassifier(bad)).toThrow(TorchError);
    expect(() => train.loadClassifier(bad)).toThrow(/is not a TorchScript file, an AOTInductor package \(\.pt2\) or a checkpoint/);
  });
});
