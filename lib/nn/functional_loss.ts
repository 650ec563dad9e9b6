// torch.nn.functional's other losses (lib/nn/functional.ts has cross_entropy, nll_loss, mse_loss, l1_loss,
// binary_cross_entropy_with_logits): each is aten's operator with aten's integer reduction, or, where PyTorch's own is written in Python (gaussian_nll_loss,
// multilabel_soft_margin_loss, triplet_margin_with_distance_loss), the same formula on tensor ops.
import { TorchError } from '../errors';
import { bindOp } from '../ops';
import { Tensor, isTensor, noGrad } from '../tensor';
import { readOptions } from '../utils/options';

export type Reduction = 'mean' | 'sum' | 'none';
type Pairwise = (a: Tensor, b: Tensor, target: Tensor, margin: number, reduction: number) => Tensor;
type Pointwise = (input: Tensor, target: Tensor, reduction: number) => Tensor;
const ops = {
  ctcLoss: bindOp<(logProbs: Tensor, targets: Tensor, inputLengths: Tensor | number[], targetLengths: Tensor | number[],
    blank: number, reduction: number, zeroInfinity: boolean) => Tensor>('F.ctcLoss', ['ctc_loss.IntList', 'ctc_loss.Tensor']),
  poissonNllLoss: bindOp<(input: Tensor, target: Tensor, logInput: boolean, full: boolean, eps: number, reduction: number) => Tensor>(
    'F.poissonNllLoss', ['poisson_nll_loss']),
  marginRankingLoss: bindOp<(a: Tensor, b: Tensor, target: Tensor, margin: number, reduction: number) => Tensor>(
    'F.marginRankingLoss', ['margin_ranking_loss']),
  hingeEmbeddingLoss: bindOp<(input: Tensor, target: Tensor, margin: number, reduction: number) => Tensor>(
    'F.hingeEmbeddingLoss', ['hinge_embedding_loss']),
  multilabelMarginLoss: bindOp<Pointwise>('F.multilabelMarginLoss', ['multilabel_margin_loss']),
  softMarginLoss: bindOp<Pointwise>('F.softMarginLoss', ['soft_margin_loss']),
  cosineEmbeddingLoss: bindOp<Pairwise>('F.cosineEmbeddingLoss', ['cosine_embedding_loss']),
  multiMarginLoss: bindOp<(input: Tensor, target: Tensor, p: number, margin: number, weight: Tensor | null, reduction: number) => Tensor>(
    'F.multiMarginLoss', ['multi_margin_loss']),
  tripletMarginLoss: bindOp<(anchor: Tensor, positive: Tensor, negative: Tensor, margin: number, p: number, eps: number,
    swap: boolean, reduction: number) => Tensor>('F.tripletMarginLoss', ['triplet_margin_loss']),
  pairwiseDistance: bindOp<(a: Tensor, b: Tensor) => Tensor>('F.pairwiseDistance', ['pairwise_distance']),
  logSigmoid: bindOp<(input: Tensor) => Tensor>('F.logsigmoid', ['log_sigmoid']),
};

const REDUCTION = { none: 0, mean: 1, sum: 2 } as const;
/** aten's reduction enum for PyTorch's reduction string. */
export function reductionCode(reduction: Reduction | undefined, where: string): number {
  const r = reduction ?? 'mean';
  if (!Object.prototype.hasOwnProperty.call(REDUCTION, r)) {
    throw new TorchError(`${where}: reduction must be 'mean', 'sum' or 'none', got '${String(r)}'`);
  }
  return REDUCTION[r];
}

/** A per-element loss reduced as PyTorch's Python-level losses do. */
function reduce(loss: Tensor, reduction: Reduction | undefined, where: string): Tensor {
  const code = reductionCode(reduction, where);
  return code === 0 ? loss : code === 1 ? loss.mean() : loss.sum();
}

export interface CTCLossOptions {
  blank?: number;
  reduction?: Reduction;
  zeroInfinity?: boolean;
}
/**
 * F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction='mean', zero_infinity=False):
 * log_probs [T, N, C] (or [T, C]); lengths as arrays or int64 tensors. 'mean' divides each loss by its target
 * length, then averages over the batch.
 */
export function ctcLoss(
  logProbs: Tensor,
  targets: Tensor,
  inputLengths: Tensor | number[],
  targetLengths: Tensor | number[],
  options: CTCLossOptions = {},
): Tensor {
  const o = readOptions('F.ctcLoss', options, ['blank', 'reduction', 'zeroInfinity']);
  if (isTensor(inputLengths) !== isTensor(targetLengths)) {
    throw new TorchError('F.ctcLoss: inputLengths and targetLengths must both be Tensors or both be arrays');
  }
  return ops.ctcLoss(logProbs, targets, inputLengths, targetLengths, o.blank ?? 0, reductionCode(o.reduction, 'F.ctcLoss'), o.zeroInfinity ?? false);
}

export interface PoissonNLLLossOptions {
  logInput?: boolean;
  full?: boolean;
  eps?: number;
  reduction?: Reduction;
}
/** F.poisson_nll_loss(input, target, log_input=True, full=False, eps=1e-8, reduction='mean'). */
export function poissonNllLoss(input: Tensor, target: Tensor, options: PoissonNLLLossOptions = {}): Tensor {
  const o = readOptions('F.poissonNllLoss', options, ['logInput', 'full', 'eps', 'reduction']);
  const code = reductionCode(o.reduction, 'F.poissonNllLoss');
  return ops.poissonNllLoss(input, target, o.logInput ?? true, o.full ?? false, o.eps ?? 1e-8, code);
}

export interface GaussianNLLLossOptions {
  full?: boolean;
  eps?: number;
  reduction?: Reduction;
}
/**
 * F.gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction='mean'):
 * 0.5 * (log(max(var, eps)) + (input - target)² / max(var, eps)) (+ 0.5 * log(2π) when full).
 * var has the input's shape, or one dimension less, or a last dimension of 1 (one variance per sample).
 */
export function gaussianNllLoss(input: Tensor, target: Tensor, variance: Tensor | number, options: GaussianNLLLossOptions = {}): Tensor {
  const o = readOptions('F.gaussianNllLoss', options, ['full', 'eps', 'reduction']);
  reductionCode(o.reduction, 'F.gaussianNllLoss');
  let v = isTensor(variance) ? variance : input.newFull(input.shape, variance);
  const same = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  if (!same(v.shape, input.shape)) {
    if (same(input.shape.slice(0, -1), v.shape)) v = v.unsqueeze(-1);
    else if (!(same(input.shape.slice(0, -1), v.shape.slice(0, -1)) && v.shape[v.ndim - 1] === 1)) {
      throw new TorchError('F.gaussianNllLoss: var is of incorrect size');
    }
  }
  if (v.lt(0).any().item()) throw new TorchError('F.gaussianNllLoss: var has negative entry/entries');
  // PyTorch clamps a clone without recording it, so the gradient flows to var as if unclamped.
  v = v.clone();
  noGrad(() => v.clamp_(o.eps ?? 1e-6));
  let loss = v.log().add(input.sub(target).pow(2).div(v)).mul(0.5);
  if (o.full) loss = loss.add(0.5 * Math.log(2 * Math.PI));
  return reduce(loss, o.reduction, 'F.gaussianNllLoss');
}

/** F.margin_ranking_loss(input1, input2, target, margin=0, reduction='mean'): max(0, -target * (x1 - x2) + margin). */
export function marginRankingLoss(input1: Tensor, input2: Tensor, target: Tensor, options: { margin?: number; reduction?: Reduction } = {}): Tensor {
  const o = readOptions('F.marginRankingLoss', options, ['margin', 'reduction']);
  return ops.marginRankingLoss(input1, input2, target, o.margin ?? 0, reductionCode(o.reduction, 'F.marginRankingLoss'));
}

/** F.hinge_embedding_loss(input, target, margin=1.0, reduction='mean'): x where target is 1, max(0, margin - x) where -1. */
export function hingeEmbeddingLoss(input: Tensor, target: Tensor, options: { margin?: number; reduction?: Reduction } = {}): Tensor {
  const o = readOptions('F.hingeEmbeddingLoss', options, ['margin', 'reduction']);
  return ops.hingeEmbeddingLoss(input, target, o.margin ?? 1.0, reductionCode(o.reduction, 'F.hingeEmbeddingLoss'));
}

/** F.multilabel_margin_loss(input, target, reduction='mean'): target holds class indices, ended by -1. */
export function multilabelMarginLoss(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  const o = readOptions('F.multilabelMarginLoss', options, ['reduction']);
  return ops.multilabelMarginLoss(input, target, reductionCode(o.reduction, 'F.multilabelMarginLoss'));
}

/** F.soft_margin_loss(input, target, reduction='mean'): log(1 + exp(-target * input)). */
export function softMarginLoss(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  const o = readOptions('F.softMarginLoss', options, ['reduction']);
  return ops.softMarginLoss(input, target, reductionCode(o.reduction, 'F.softMarginLoss'));
}

/**
 * F.multilabel_soft_margin_loss(input, target, weight=None, reduction='mean'): the per-class binary
 * cross-entropy with logits, weighted, averaged over the classes (the last dimension).
 */
export function multilabelSoftMarginLoss(input: Tensor, target: Tensor, options: { weight?: Tensor | null; reduction?: Reduction } = {}): Tensor {
  const o = readOptions('F.multilabelSoftMarginLoss', options, ['weight', 'reduction']);
  reductionCode(o.reduction, 'F.multilabelSoftMarginLoss');
  let loss = target.mul(ops.logSigmoid(input)).add(target.neg().add(1).mul(ops.logSigmoid(input.neg()))).neg();
  if (o.weight) loss = loss.mul(o.weight);
  const classDim = input.ndim - 1;
  loss = loss.sum(classDim).div(input.shape[classDim]);
  return reduce(loss, o.reduction, 'F.multilabelSoftMarginLoss');
}

/** F.cosine_embedding_loss(input1, input2, target, margin=0, reduction='mean'). */
export function cosineEmbeddingLoss(input1: Tensor, input2: Tensor, target: Tensor, options: { margin?: number; reduction?: Reduction } = {}): Tensor {
  const o = readOptions('F.cosineEmbeddingLoss', options, ['margin', 'reduction']);
  return ops.cosineEmbeddingLoss(input1, input2, target, o.margin ?? 0, reductionCode(o.reduction, 'F.cosineEmbeddingLoss'));
}

export interface MultiMarginLossOptions {
  p?: 1 | 2;
  margin?: number;
  weight?: Tensor | null;
  reduction?: Reduction;
}
/** F.multi_margin_loss(input, target, p=1, margin=1, weight=None, reduction='mean'). */
export function multiMarginLoss(input: Tensor, target: Tensor, options: MultiMarginLossOptions = {}): Tensor {
  const o = readOptions('F.multiMarginLoss', options, ['p', 'margin', 'weight', 'reduction']);
  const p = o.p ?? 1;
  if (p !== 1 && p !== 2) throw new TorchError(`F.multiMarginLoss: only p == 1 and p == 2 supported, got ${p}`);
  return ops.multiMarginLoss(input, target, p, o.margin ?? 1, o.weight ?? null, reductionCode(o.reduction, 'F.multiMarginLoss'));
}

export interface TripletMarginLossOptions {
  margin?: number;
  p?: number;
  eps?: number;
  swap?: boolean;
  reduction?: Reduction;
}
/** F.triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, reduction='mean'). */
export function tripletMarginLoss(anchor: Tensor, positive: Tensor, negative: Tensor, options: TripletMarginLossOptions = {}): Tensor {
  const o = readOptions('F.tripletMarginLoss', options, ['margin', 'p', 'eps', 'swap', 'reduction']);
  const code = reductionCode(o.reduction, 'F.tripletMarginLoss');
  return ops.tripletMarginLoss(anchor, positive, negative, o.margin ?? 1.0, o.p ?? 2, o.eps ?? 1e-6, o.swap ?? false, code);
}

export interface TripletMarginWithDistanceLossOptions {
  /** (x1, x2) → distances; default F.pairwise_distance. */
  distanceFunction?: ((x1: Tensor, x2: Tensor) => Tensor) | null;
  margin?: number;
  swap?: boolean;
  reduction?: Reduction;
}
/**
 * F.triplet_margin_with_distance_loss(anchor, positive, negative, distance_function=None, margin=1.0,
 * swap=False, reduction='mean'): max(d(a, p) - d(a, n) + margin, 0); swap uses min(d(a, n), d(p, n)).
 */
export function tripletMarginWithDistanceLoss(
  anchor: Tensor,
  positive: Tensor,
  negative: Tensor,
  options: TripletMarginWithDistanceLossOptions = {},
): Tensor {
  const o = readOptions('F.tripletMarginWithDistanceLoss', options, ['distanceFunction', 'margin', 'swap', 'reduction']);
  reductionCode(o.reduction, 'F.tripletMarginWithDistanceLoss');
  const margin = o.margin ?? 1.0;
  if (!(margin > 0)) throw new TorchError(`F.tripletMarginWithDistanceLoss: margin must be greater than 0, got ${margin}`);
  const dist = o.distanceFunction ?? ((a: Tensor, b: Tensor) => ops.pairwiseDistance(a, b));
  const dPos = dist(anchor, positive);
  let dNeg = dist(anchor, negative);
  if (o.swap) dNeg = dNeg.minimum(dist(positive, negative));
  const loss = dPos.sub(dNeg).add(margin).clampMin(0);
  return reduce(loss, o.reduction, 'F.tripletMarginWithDistanceLoss');
}
