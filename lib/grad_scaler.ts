// torch.amp.GradScaler: loss scaling for float16 training. The scale, the growth tracker and the
// found-inf flags are device tensors updated by PyTorch's kernels (native/grad_scaler.cc), so scale →
// backward → unscale_ → step → update reads nothing back to the host, except where PyTorch's does too:
// an optimizer without fused scaling support decides its skip with found_inf.item().
import { TorchError } from './errors';
import { keep, tidy } from './memory';
import { native } from './native';
import type { Optimizer } from './optim/optimizer';
import { Tensor, full, isTensor, noGrad, ones } from './tensor';
import { optionKeys, readOptions } from './utils/options';

export interface GradScalerOptions {
  /** Default 2**16. */
  initScale?: number;
  /** Default 2. */
  growthFactor?: number;
  /** Default 0.5. */
  backoffFactor?: number;
  /** Clean steps in a row before the scale grows. Default 2000. */
  growthInterval?: number;
  /** Default true; a disabled scaler passes everything through. */
  enabled?: boolean;
}

// The keys of GradScalerOptions, a list the compiler keeps complete, for readOptions at the entry.
const GRAD_SCALER = optionKeys<GradScalerOptions>({ initScale: true, growthFactor: true, backoffFactor: true, growthInterval: true, enabled: true });

/** GradScaler.stateDict(): PyTorch's keys and Python types (numbers), so torch.load reads it. */
export interface GradScalerStateDict {
  scale: number;
  growth_factor: number;
  backoff_factor: number;
  growth_interval: number;
  _growth_tracker: number;
}

type Stage = 'ready' | 'unscaled' | 'stepped';
interface PerOptimizer {
  stage: Stage;
  foundInf: Tensor | null;
}

export class GradScaler {
  readonly device: string;
  private initScale: number;
  private growthFactor: number;
  private backoffFactor: number;
  private growthInterval: number;
  private initGrowthTracker = 0;
  private readonly enabled: boolean;
  private scaleT: Tensor | null = null;
  private trackerT: Tensor | null = null;
  private perOptimizer = new Map<Optimizer, PerOptimizer>();

  /** new GradScaler(device='cuda', {initScale=65536, growthFactor=2, backoffFactor=0.5, growthInterval=2000, enabled=true}). */
  constructor(device = 'cuda', options: GradScalerOptions = {}) {
    options = readOptions('GradScaler', options, GRAD_SCALER);
    this.device = device;
    this.initScale = options.initScale ?? 2 ** 16;
    this.growthFactor = options.growthFactor ?? 2;
    this.backoffFactor = options.backoffFactor ?? 0.5;
    this.growthInterval = options.growthInterval ?? 2000;
    this.enabled = options.enabled ?? true;
    if (!(this.growthFactor > 1)) throw new TorchError('The growth factor must be > 1.0.');
    if (!(this.backoffFactor < 1)) throw new TorchError('The backoff factor must be < 1.0.');
    if (!Number.isInteger(this.growthInterval) || this.growthInterval <= 0) throw new TorchError('growth_interval must be a positive integer.');
  }

  isEnabled(): boolean {
    return this.enabled;
  }

  private lazyInit(device: string): void {
    if (this.scaleT) return;
    this.scaleT = keep(full([1], this.initScale, { dtype: 'float32', device }));
    this.trackerT = keep(full([1], this.initGrowthTracker, { dtype: 'int32', device }));
  }

  private checkScale(fn: string): Tensor {
    if (!this.scaleT) throw new TorchError(`Attempted ${fn} but _scale is None.  This may indicate your script did not use scaler.scale(loss or outputs) earlier in the iteration.`);
    return this.scaleT;
  }

  private stateOf(opt: Optimizer): PerOptimizer {
    let s = this.perOptimizer.get(opt);
    if (!s) this.perOptimizer.set(opt, (s = { stage: 'ready', foundInf: null }));
    return s;
  }

  /** outputs * scale (a Tensor or a nested array of them); the scale is made on the first call's device. */
  scale<T extends Tensor | Tensor[]>(outputs: T): T {
    if (!this.enabled) return outputs;
    const one = (t: Tensor): Tensor => {
      if (!isTensor(t)) throw new TorchError('outputs must be a Tensor or an iterable of Tensors');
      this.lazyInit(t.device);
      return t.mul(this.scaleT!.to(t.device));
    };
    return (Array.isArray(outputs) ? outputs.map(one) : one(outputs as Tensor)) as T;
  }

  // The gradients of opt's parameters divided by scale in place, inf/nan noted into a new found-inf flag.
  private unscaleGrads(opt: Optimizer, invScale: Tensor, allowFp16: boolean): Tensor {
    const grads: Tensor[] = [];
    for (const g of opt.paramGroups) {
      for (const p of g.params) {
        const grad = p.grad;
        if (!grad) continue;
        if (!allowFp16 && grad.dtype === 'float16') throw new TorchError('Attempting to unscale FP16 gradients.');
        grads.push(grad);
      }
    }
    const foundInf = keep(full([1], 0, { dtype: 'float32', device: invScale.device }));
    noGrad(() => native.gradScaler.unscaleGrads(grads, foundInf, invScale));
    return foundInf;
  }

  /** Divides opt's gradients by the scale in place (once per step, before clipping, as in PyTorch). */
  unscale_(opt: Optimizer): void {
    if (!this.enabled) return;
    const scale = this.checkScale('unscale_');
    const s = this.stateOf(opt);
    if (s.stage === 'unscaled') throw new TorchError('unscale_() has already been called on this optimizer since the last update().');
    if (s.stage === 'stepped') throw new TorchError('unscale_() is being called after step().');
    // PyTorch: scale.double().reciprocal().float()
    const inv = tidy(() => noGrad(() => ones([1], { dtype: 'float64', device: scale.device }).div(scale.to('float64')).to('float32')));
    try {
      s.foundInf = this.unscaleGrads(opt, inv, false);
    } finally {
      inv.dispose();
    }
    s.stage = 'unscaled';
  }

  /**
   * Unscales (unless unscale_ ran) and steps opt unless a gradient held inf/nan. An optimizer with fused
   * scaling support gets the scale and the flag and skips on the device; any other reads the flag.
   */
  step(opt: Optimizer): number | Tensor | undefined {
    if (!this.enabled) return opt.step();
    const scale = this.checkScale('step');
    const s = this.stateOf(opt);
    if (s.stage === 'stepped') throw new TorchError('step() has already been called since the last update().');
    let result: number | Tensor | undefined;
    if (opt.stepSupportsAmpScaling) {
      if (s.stage === 'ready') {
        const one = keep(full([1], 1, { dtype: 'float32', device: scale.device }));
        try {
          s.foundInf = this.unscaleGrads(opt, one, true); // checks only: the kernel divides by grad_scale itself
        } finally {
          one.dispose();
        }
      }
      // PyTorch's optimizer.grad_scale / found_inf: the fused kernel unscales and skips on the device.
      opt.gradScale = s.stage === 'unscaled' ? null : scale;
      opt.foundInf = s.foundInf;
      try {
        result = opt.step();
      } finally {
        opt.gradScale = null;
        opt.foundInf = null;
      }
    } else {
      if (s.stage === 'ready') this.unscale_(opt);
      if ((s.foundInf!.item() as number) === 0) result = opt.step();
    }
    s.stage = 'stepped';
    return result;
  }

  /** Grows or backs off the scale from this step's flags, or sets it to newScale; then a new step may start. */
  update(newScale?: number | Tensor): void {
    if (!this.enabled) return;
    const scale = this.checkScale('update');
    try {
      if (newScale !== undefined) {
        noGrad(() => (isTensor(newScale) ? scale.copy_(newScale) : scale.fill_(newScale)));
        return;
      }
      const flags = [...this.perOptimizer.values()].map((s) => s.foundInf).filter((t): t is Tensor => t !== null);
      if (flags.length === 0) throw new TorchError('No inf checks were recorded prior to update.');
      const combined = flags.length === 1 ? flags[0] : noGrad(() => flags.slice(1).reduce((a, b) => a.add(b), flags[0]));
      const tracker = this.trackerT as Tensor; // made and dropped with scaleT, checked above
      native.gradScaler.updateScale(scale, tracker, combined, this.growthFactor, this.backoffFactor, this.growthInterval);
      if (combined !== flags[0]) combined.dispose();
    } finally {
      this.resetSteps();
    }
  }

  private resetSteps(): void {
    for (const s of this.perOptimizer.values()) s.foundInf?.dispose();
    this.perOptimizer.clear();
  }

  /** The current scale as a number (reads the device: a sync); 1 when disabled. */
  getScale(): number {
    if (!this.enabled) return 1;
    return this.scaleT ? (this.scaleT.item() as number) : this.initScale;
  }
  /** The scale tensor itself (no sync), or null before the first scale(). */
  getScaleTensor(): Tensor | null {
    return this.scaleT;
  }
  getGrowthFactor(): number {
    return this.growthFactor;
  }
  setGrowthFactor(v: number): void {
    this.growthFactor = v;
  }
  getBackoffFactor(): number {
    return this.backoffFactor;
  }
  setBackoffFactor(v: number): void {
    this.backoffFactor = v;
  }
  getGrowthInterval(): number {
    return this.growthInterval;
  }
  setGrowthInterval(v: number): void {
    this.growthInterval = v;
  }

  /** PyTorch's state_dict: {} when disabled. */
  stateDict(): GradScalerStateDict | Record<string, never> {
    if (!this.enabled) return {};
    return {
      scale: this.getScale(),
      growth_factor: this.growthFactor,
      backoff_factor: this.backoffFactor,
      growth_interval: this.growthInterval,
      _growth_tracker: this.trackerT ? (this.trackerT.item() as number) : this.initGrowthTracker,
    };
  }

  loadStateDict(sd: GradScalerStateDict | Record<string, never> | Map<string, unknown>): void {
    if (!this.enabled) return;
    const get = (k: keyof GradScalerStateDict) => Number(sd instanceof Map ? sd.get(k) : (sd as GradScalerStateDict)[k]);
    if ((sd instanceof Map ? sd.size : Object.keys(sd).length) === 0) {
      throw new TorchError('The source state dict is empty, possibly because it was saved from a disabled instance of GradScaler.');
    }
    this.initScale = get('scale');
    this.growthFactor = get('growth_factor');
    this.backoffFactor = get('backoff_factor');
    this.growthInterval = get('growth_interval');
    this.initGrowthTracker = get('_growth_tracker');
    noGrad(() => {
      this.scaleT?.fill_(this.initScale);
      this.trackerT?.fill_(this.initGrowthTracker);
    });
  }

  /** Frees the scale, tracker and flags now. */
  dispose(): void {
    this.resetSteps();
    this.scaleT?.dispose();
    this.trackerT?.dispose();
    this.scaleT = this.trackerT = null;
  }
}
