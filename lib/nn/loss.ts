// The loss modules of torch.nn: PyTorch's constructor options (camelCase, or PyTorch's snake_case
// names), defaults and forward; each forwards to its functional form in nn.functional. The class
// weights of the weighted losses are buffers ('weight', 'pos_weight'), as PyTorch's _WeightedLoss
// registers them, so the state dicts have PyTorch's keys.
import type { Tensor } from '../tensor';
import { readOptions } from '../utils/options';
import * as F from './functional';
import type { Reduction } from './functional_loss';
import { Module } from './module';

/** _Loss: the reduction every loss takes ('mean', 'sum' or 'none'). */
abstract class Loss extends Module {
  readonly reduction: Reduction;
  constructor(reduction: Reduction | undefined) {
    super();
    this.reduction = reduction ?? 'mean';
  }
}

/** _WeightedLoss: a loss with optional per-class weights, held as the buffer 'weight'. */
abstract class WeightedLoss extends Loss {
  declare weight: Tensor | null;
  constructor(weight: Tensor | null | undefined, reduction: Reduction | undefined) {
    super(reduction);
    this.registerBuffer('weight', weight ?? null);
  }
}

/** nn.L1Loss({reduction='mean'}): |input - target|. */
export class L1Loss extends Loss {
  constructor(options: { reduction?: Reduction } = {}) {
    super(readOptions('nn.L1Loss', options, ['reduction']).reduction);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.l1Loss(input, target, { reduction: this.reduction });
  }
}

/** nn.MSELoss({reduction='mean'}): (input - target)². */
export class MSELoss extends Loss {
  constructor(options: { reduction?: Reduction } = {}) {
    super(readOptions('nn.MSELoss', options, ['reduction']).reduction);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.mseLoss(input, target, { reduction: this.reduction });
  }
}

export interface CrossEntropyLossOptions {
  weight?: Tensor | null;
  ignoreIndex?: number;
  reduction?: Reduction;
  labelSmoothing?: number;
}
/**
 * nn.CrossEntropyLoss({weight=null, ignoreIndex=-100, reduction='mean', labelSmoothing=0}): target holds
 * int64 class indices or class probabilities (the input's shape).
 */
export class CrossEntropyLoss extends WeightedLoss {
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  constructor(options: CrossEntropyLossOptions = {}) {
    const o = readOptions('nn.CrossEntropyLoss', options, ['weight', 'ignoreIndex', 'reduction', 'labelSmoothing']);
    super(o.weight, o.reduction);
    this.ignoreIndex = o.ignoreIndex ?? -100;
    this.labelSmoothing = o.labelSmoothing ?? 0;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.crossEntropy(input, target, {
      weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction, labelSmoothing: this.labelSmoothing,
    });
  }
}

/** nn.NLLLoss({weight=null, ignoreIndex=-100, reduction='mean'}): input holds log-probabilities. */
export class NLLLoss extends WeightedLoss {
  readonly ignoreIndex: number;
  constructor(options: { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction } = {}) {
    const o = readOptions('nn.NLLLoss', options, ['weight', 'ignoreIndex', 'reduction']);
    super(o.weight, o.reduction);
    this.ignoreIndex = o.ignoreIndex ?? -100;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.nllLoss(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }
}

/** nn.BCELoss({weight=null, reduction='mean'}): input holds probabilities. */
export class BCELoss extends WeightedLoss {
  constructor(options: { weight?: Tensor | null; reduction?: Reduction } = {}) {
    const o = readOptions('nn.BCELoss', options, ['weight', 'reduction']);
    super(o.weight, o.reduction);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropy(input, target, { weight: this.weight, reduction: this.reduction });
  }
}

/** nn.BCEWithLogitsLoss({weight=null, reduction='mean', posWeight=null}): buffers 'weight' and 'pos_weight'. */
export class BCEWithLogitsLoss extends WeightedLoss {
  declare pos_weight: Tensor | null;
  constructor(options: { weight?: Tensor | null; reduction?: Reduction; posWeight?: Tensor | null } = {}) {
    const o = readOptions('nn.BCEWithLogitsLoss', options, ['weight', 'reduction', 'posWeight']);
    super(o.weight, o.reduction);
    this.registerBuffer('pos_weight', o.posWeight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropyWithLogits(input, target, { weight: this.weight, posWeight: this.pos_weight, reduction: this.reduction });
  }
}

/** nn.SmoothL1Loss({reduction='mean', beta=1.0}). */
export class SmoothL1Loss extends Loss {
  readonly beta: number;
  constructor(options: { reduction?: Reduction; beta?: number } = {}) {
    const o = readOptions('nn.SmoothL1Loss', options, ['reduction', 'beta']);
    super(o.reduction);
    this.beta = o.beta ?? 1.0;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

/** nn.HuberLoss({reduction='mean', delta=1.0}). */
export class HuberLoss extends Loss {
  readonly delta: number;
  constructor(options: { reduction?: Reduction; delta?: number } = {}) {
    const o = readOptions('nn.HuberLoss', options, ['reduction', 'delta']);
    super(o.reduction);
    this.delta = o.delta ?? 1.0;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

/** nn.KLDivLoss({reduction='mean', logTarget=false}); 'batchmean' divides the sum by the batch size. */
export class KLDivLoss extends Module {
  readonly reduction: Reduction | 'batchmean';
  readonly logTarget: boolean;
  constructor(options: { reduction?: Reduction | 'batchmean'; logTarget?: boolean } = {}) {
    super();
    const o = readOptions('nn.KLDivLoss', options, ['reduction', 'logTarget']);
    this.reduction = o.reduction ?? 'mean';
    this.logTarget = o.logTarget ?? false;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
}

/** nn.CTCLoss({blank=0, reduction='mean', zeroInfinity=false}); forward(logProbs, targets, inputLengths, targetLengths). */
export class CTCLoss extends Loss {
  readonly blank: number;
  readonly zeroInfinity: boolean;
  constructor(options: F.CTCLossOptions = {}) {
    const o = readOptions('nn.CTCLoss', options, ['blank', 'reduction', 'zeroInfinity']);
    super(o.reduction);
    this.blank = o.blank ?? 0;
    this.zeroInfinity = o.zeroInfinity ?? false;
  }
  forward(logProbs: Tensor, targets: Tensor, inputLengths: Tensor | number[], targetLengths: Tensor | number[]): Tensor {
    return F.ctcLoss(logProbs, targets, inputLengths, targetLengths, { blank: this.blank, reduction: this.reduction, zeroInfinity: this.zeroInfinity });
  }
}

/** nn.PoissonNLLLoss({logInput=true, full=false, eps=1e-8, reduction='mean'}). */
export class PoissonNLLLoss extends Loss {
  readonly logInput: boolean;
  readonly full: boolean;
  readonly eps: number;
  constructor(options: F.PoissonNLLLossOptions = {}) {
    const o = readOptions('nn.PoissonNLLLoss', options, ['logInput', 'full', 'eps', 'reduction']);
    super(o.reduction);
    this.logInput = o.logInput ?? true;
    this.full = o.full ?? false;
    this.eps = o.eps ?? 1e-8;
  }
  forward(logInput: Tensor, target: Tensor): Tensor {
    return F.poissonNllLoss(logInput, target, { logInput: this.logInput, full: this.full, eps: this.eps, reduction: this.reduction });
  }
}

/** nn.GaussianNLLLoss({full=false, eps=1e-6, reduction='mean'}); forward(input, target, var). */
export class GaussianNLLLoss extends Loss {
  readonly full: boolean;
  readonly eps: number;
  constructor(options: F.GaussianNLLLossOptions = {}) {
    const o = readOptions('nn.GaussianNLLLoss', options, ['full', 'eps', 'reduction']);
    super(o.reduction);
    this.full = o.full ?? false;
    this.eps = o.eps ?? 1e-6;
  }
  forward(input: Tensor, target: Tensor, variance: Tensor | number): Tensor {
    return F.gaussianNllLoss(input, target, variance, { full: this.full, eps: this.eps, reduction: this.reduction });
  }
}

/** A loss whose only options are a margin and the reduction. */
abstract class MarginLoss extends Loss {
  readonly margin: number;
  constructor(where: string, options: { margin?: number; reduction?: Reduction }, defaultMargin: number) {
    const o = readOptions(where, options, ['margin', 'reduction']);
    super(o.reduction);
    this.margin = o.margin ?? defaultMargin;
  }
}

/** nn.MarginRankingLoss({margin=0, reduction='mean'}); forward(input1, input2, target). */
export class MarginRankingLoss extends MarginLoss {
  constructor(options: { margin?: number; reduction?: Reduction } = {}) {
    super('nn.MarginRankingLoss', options, 0);
  }
  forward(input1: Tensor, input2: Tensor, target: Tensor): Tensor {
    return F.marginRankingLoss(input1, input2, target, { margin: this.margin, reduction: this.reduction });
  }
}

/** nn.HingeEmbeddingLoss({margin=1.0, reduction='mean'}). */
export class HingeEmbeddingLoss extends MarginLoss {
  constructor(options: { margin?: number; reduction?: Reduction } = {}) {
    super('nn.HingeEmbeddingLoss', options, 1.0);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.hingeEmbeddingLoss(input, target, { margin: this.margin, reduction: this.reduction });
  }
}

/** nn.CosineEmbeddingLoss({margin=0, reduction='mean'}); forward(input1, input2, target). */
export class CosineEmbeddingLoss extends MarginLoss {
  constructor(options: { margin?: number; reduction?: Reduction } = {}) {
    super('nn.CosineEmbeddingLoss', options, 0);
  }
  forward(input1: Tensor, input2: Tensor, target: Tensor): Tensor {
    return F.cosineEmbeddingLoss(input1, input2, target, { margin: this.margin, reduction: this.reduction });
  }
}

/** nn.MultiLabelMarginLoss({reduction='mean'}). */
export class MultiLabelMarginLoss extends Loss {
  constructor(options: { reduction?: Reduction } = {}) {
    super(readOptions('nn.MultiLabelMarginLoss', options, ['reduction']).reduction);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.multilabelMarginLoss(input, target, { reduction: this.reduction });
  }
}

/** nn.SoftMarginLoss({reduction='mean'}). */
export class SoftMarginLoss extends Loss {
  constructor(options: { reduction?: Reduction } = {}) {
    super(readOptions('nn.SoftMarginLoss', options, ['reduction']).reduction);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.softMarginLoss(input, target, { reduction: this.reduction });
  }
}

/** nn.MultiLabelSoftMarginLoss({weight=null, reduction='mean'}). */
export class MultiLabelSoftMarginLoss extends WeightedLoss {
  constructor(options: { weight?: Tensor | null; reduction?: Reduction } = {}) {
    const o = readOptions('nn.MultiLabelSoftMarginLoss', options, ['weight', 'reduction']);
    super(o.weight, o.reduction);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.multilabelSoftMarginLoss(input, target, { weight: this.weight, reduction: this.reduction });
  }
}

/** nn.MultiMarginLoss({p=1, margin=1, weight=null, reduction='mean'}). */
export class MultiMarginLoss extends WeightedLoss {
  readonly p: 1 | 2;
  readonly margin: number;
  constructor(options: F.MultiMarginLossOptions = {}) {
    const o = readOptions('nn.MultiMarginLoss', options, ['p', 'margin', 'weight', 'reduction']);
    super(o.weight, o.reduction);
    this.p = o.p ?? 1;
    this.margin = o.margin ?? 1;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.multiMarginLoss(input, target, { p: this.p, margin: this.margin, weight: this.weight, reduction: this.reduction });
  }
}

/** nn.TripletMarginLoss({margin=1.0, p=2, eps=1e-6, swap=false, reduction='mean'}); forward(anchor, positive, negative). */
export class TripletMarginLoss extends Loss {
  readonly margin: number;
  readonly p: number;
  readonly eps: number;
  readonly swap: boolean;
  constructor(options: F.TripletMarginLossOptions = {}) {
    const o = readOptions('nn.TripletMarginLoss', options, ['margin', 'p', 'eps', 'swap', 'reduction']);
    super(o.reduction);
    this.margin = o.margin ?? 1.0;
    this.p = o.p ?? 2;
    this.eps = o.eps ?? 1e-6;
    this.swap = o.swap ?? false;
  }
  forward(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor {
    return F.tripletMarginLoss(anchor, positive, negative, { margin: this.margin, p: this.p, eps: this.eps, swap: this.swap, reduction: this.reduction });
  }
}

/** nn.TripletMarginWithDistanceLoss({distanceFunction=pairwise_distance, margin=1.0, swap=false, reduction='mean'}). */
export class TripletMarginWithDistanceLoss extends Loss {
  readonly distanceFunction: ((x1: Tensor, x2: Tensor) => Tensor) | null;
  readonly margin: number;
  readonly swap: boolean;
  constructor(options: F.TripletMarginWithDistanceLossOptions = {}) {
    const o = readOptions('nn.TripletMarginWithDistanceLoss', options, ['distanceFunction', 'margin', 'swap', 'reduction']);
    super(o.reduction);
    this.distanceFunction = o.distanceFunction ?? null;
    this.margin = o.margin ?? 1.0;
    this.swap = o.swap ?? false;
  }
  forward(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor {
    return F.tripletMarginWithDistanceLoss(anchor, positive, negative, {
      distanceFunction: this.distanceFunction, margin: this.margin, swap: this.swap, reduction: this.reduction,
    });
  }
}
