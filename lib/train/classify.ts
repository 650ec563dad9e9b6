// Inference on image files with a trained classifier: our ckpt.pth (ResNet state dict), a
// TorchScript file or an AOTInductor package (.pt2, examples/export_pt2.py). examples/predict.ts and a CLI `predict` subcommand call predictFiles; the
// server (examples/serve.ts) calls loadClassifier, preprocess and classify. (predict(model, x), the
// probabilities of a batch tensor, is in predict.ts.)
import { TorchError } from '../errors';
import { ScriptModule, isScriptFile, load as jitLoad } from '../jit';
import { AOTICompiledModel, isPackageFile, load as exportLoad } from '../export';
import { tidy } from '../memory';
import { ResNet, BasicBlock } from '../models';
import type { ShortcutType } from '../models/resnet';
import { logSoftmax } from '../nn/functional';
import { load } from '../serialization';
import { isTensor, noGrad, stack, type Tensor } from '../tensor';
import { decodeImage, normalize, resize } from '../vision';
import { CIFAR10_MEAN, CIFAR10_STD } from '../data/transforms';
import { Placement, placed, placementOf } from './forward';
import { optionKeys, readOptions } from '../utils/options';

/** CIFAR-10's classes in label order (batches.meta.txt). */
export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** A model that maps a normalized batch [N, 3, H, W] to logits [N, classes]. */
export interface Classifier {
  forward(x: Tensor): Tensor;
  forwardAsync(x: Tensor): Promise<Tensor>;
  to(device: string): unknown;
  /** The device of a model without parameters() (a .pt2 package runs on the one it was compiled for). */
  readonly device?: string;
}

export interface ClassifierOptions {
  device?: string;
}

// The keys of ClassifierOptions, a list the compiler keeps complete, for readOptions at the entry.
const CLASSIFIER = optionKeys<ClassifierOptions>({ device: true });

function stateDictOf(value: unknown, file: string): Map<string, Tensor> {
  const obj = value instanceof Map ? Object.fromEntries(value) : (value as Record<string, unknown>);
  const net = obj && typeof obj === 'object' && 'net' in obj ? (obj as Record<string, unknown>).net : value;
  const entries = net instanceof Map ? [...net.entries()] : net && typeof net === 'object' ? Object.entries(net) : [];
  if (entries.length === 0 || !entries.every(([, t]) => isTensor(t))) {
    throw new TorchError(`predict: '${file}' is not a TorchScript file, an AOTInductor package (.pt2) or a checkpoint with a state dict ({net: …} or the state dict itself)`);
  }
  return new Map(entries.map(([k, t]) => [String(k).replace(/^module\./, ''), t as Tensor]));
}

/** The CIFAR ResNet that a state dict describes: depth from its blocks, shortcut from its keys, classes from its last layer. */
function resnetFor(sd: Map<string, Tensor>, file: string): ResNet {
  const blocks = new Set([...sd.keys()].filter((k) => k.startsWith('layer1.')).map((k) => k.split('.')[1])).size;
  const linear = sd.get('linear.weight');
  if (blocks === 0 || !linear) throw new TorchError(`predict: '${file}' does not hold a CIFAR ResNet state dict (no layer1.* or linear.weight)`);
  const shortcut: ShortcutType = [...sd.keys()].some((k) => k.includes('.shortcut.')) ? 'B' : 'A';
  return new ResNet(BasicBlock, [blocks, blocks, blocks], { numClasses: linear.shape[0], shortcut });
}

// The classifiers made from .pt2 packages: predictFiles frees them as it does the TorchScript modules it loads.
const PACKAGED = new WeakSet<Classifier>();

/** A .pt2 package as a Classifier: it runs on the device it was compiled for, and to() can only name that one. */
function packageClassifier(model: AOTICompiledModel): Classifier & { dispose(): void } {
  const classifier: Classifier & { dispose(): void } = {
    forward: (x) => model.forward(x) as Tensor,
    forwardAsync: (x) => model.forwardAsync(x) as Promise<Tensor>,
    to(device: string) {
      if (device.split(':')[0] !== model.device.split(':')[0]) throw new TorchError(`predict: the package runs on ${model.device}, not ${device}; compile one for ${device}`);
      return this;
    },
    device: model.device,
    dispose: () => model.dispose(),
  };
  PACKAGED.add(classifier);
  return classifier;
}

/**
 * Loads a TorchScript file (torch.jit.save), an AOTInductor package (.pt2) or our checkpoint (ckpt.pth,
 * last.pth, a bare state dict), in eval mode. A package runs on the device it was compiled for.
 */
export function loadClassifier(file: string, options: ClassifierOptions = {}): Classifier {
  options = readOptions('loadClassifier', options, CLASSIFIER);
  const device = options.device ?? 'cpu';
  if (isScriptFile(file)) return jitLoad(file, { device }).eval() as ScriptModule as Classifier;
  if (isPackageFile(file)) return packageClassifier(exportLoad(file, { device }));
  const loaded = load(file, { device: 'cpu' });
  try {
    const sd = stateDictOf(loaded, file);
    const model = resnetFor(sd, file);
    model.loadStateDict(sd);
    return model.to(device).eval() as unknown as Classifier;
  } finally {
    tidy(() => disposeAll(loaded));
  }
}

function disposeAll(v: unknown): void {
  if (isTensor(v)) v.dispose();
  else if (v instanceof Map) v.forEach(disposeAll);
  else if (Array.isArray(v)) v.forEach(disposeAll);
  else if (v && typeof v === 'object') Object.values(v).forEach(disposeAll);
}

export interface PreprocessOptions {
  /** Input size of the model (default 32, CIFAR's); other sizes are resized (bilinear, antialiased). */
  size?: number;
  mean?: readonly number[];
  std?: readonly number[];
  device?: string;
}

// The keys of PreprocessOptions, a list the compiler keeps complete, for readOptions at the entry.
const PREPROCESS = optionKeys<PreprocessOptions>({ size: true, mean: true, std: true, device: true });

/** uint8 images [3, H, W] → the normalized float batch [N, 3, size, size] the model takes. */
export function preprocess(images: Tensor[], options: PreprocessOptions = {}): Tensor {
  options = readOptions('preprocess', options, PREPROCESS);
  const size = options.size ?? 32;
  return tidy(() => {
    const fitted = images.map((img, i) => {
      if (img.ndim !== 3 || img.shape[0] !== 3) throw new TorchError(`predict: image ${i} has shape [${img.shape.join(', ')}], expected [3, H, W]`);
      return img.shape[1] === size && img.shape[2] === size ? img : resize(img, [size, size]);
    });
    const batch = normalize(stack(fitted), options.mean ?? CIFAR10_MEAN, options.std ?? CIFAR10_STD);
    return options.device && options.device !== 'cpu' ? batch.to(options.device) : batch;
  });
}

export interface ClassScore {
  index: number;
  label: string;
  probability: number;
}

/** Top-k classes with their softmax probabilities, per row of the logits. */
export function topK(logits: Tensor, k = 5, classes: readonly string[] = CIFAR10_CLASSES): ClassScore[][] {
  const [n, c] = logits.shape;
  const probs = tidy(() => logSoftmax(logits.to('float32'), 1).exp().cpu().toTypedArray()) as Float32Array;
  return Array.from({ length: n }, (_, row) => {
    const scores = Array.from({ length: c }, (_, j) => ({ index: j, label: classes[j] ?? String(j), probability: probs[row * c + j] }));
    return scores.sort((a, b) => b.probability - a.probability || a.index - b.index).slice(0, k);
  });
}

/** Where a classifier's inputs go: its first parameter's device and floating dtype, else its device. */
function classifierPlacement(model: Classifier): Placement | null {
  const where = placementOf(model as { parameters?: () => Tensor[] });
  if (where) return where;
  return typeof model.device === 'string' ? { device: model.device, dtype: null } : null;
}

/**
 * The model on a batch of uint8 images, off the JS thread: top-k classes per image. The images are
 * preprocessed on `options.device` (default: where they are) and the batch then goes to the model's device.
 */
export async function classify(model: Classifier, images: Tensor[], options: PreprocessOptions & { topk?: number; classes?: readonly string[] } = {}): Promise<ClassScore[][]> {
  const { topk, classes, ...pre } = readOptions('classify', options, [...PREPROCESS, 'topk', 'classes']);
  const batch = tidy(() => placed(preprocess(images, pre), classifierPlacement(model)));
  try {
    const logits = await noGrad(() => model.forwardAsync(batch));
    try {
      return topK(logits, topk ?? 5, classes);
    } finally {
      logits.dispose();
    }
  } finally {
    batch.dispose();
  }
}

export interface FilePrediction {
  file: string;
  top: ClassScore[];
}

/** predict on image files (PNG or JPEG): loads the checkpoint, decodes, classifies in one batch. */
export async function predictFiles(checkpoint: string, files: string[], options: ClassifierOptions & { topk?: number; size?: number } = {}): Promise<FilePrediction[]> {
  if (files.length === 0) throw new TorchError('predict: no image files given');
  options = readOptions('predictFiles', options, [...CLASSIFIER, 'topk', 'size']);
  const model = loadClassifier(checkpoint, { device: options.device });
  const images = files.map((f) => decodeImage(f, { channels: 3 }));
  try {
    const tops = await classify(model, images, { ...options, device: options.device });
    return files.map((file, i) => ({ file, top: tops[i] }));
  } finally {
    images.forEach((t) => t.dispose());
    if (model instanceof ScriptModule || PACKAGED.has(model)) (model as { dispose(): void }).dispose();
  }
}
