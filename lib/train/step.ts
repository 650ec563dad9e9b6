// The training step as one object: forward, loss, backward and the optimizer update (the fused tensor-lr
// SGD where the libtorch has it). On CUDA with cudaGraphs it follows what PyTorch's docs ask of a
// whole-network capture (torch.cuda.graphs):
//   - `warmupSteps` (at least 3) eager steps on the capture's side stream first, optimizer step included,
//     so momentum's first-step branch, cuDNN autotuning and cuBLAS handles are settled before capture;
//   - gradients set to undefined before capture, so backward allocates them in the graph's private pool;
//   - static input buffers that each step copies its batch into, then one replay() launches everything;
//   - a batch of another shape (an epoch's last, smaller batch) runs eagerly on the same tensors;
//   - the learning rate lives in a device tensor that the scheduler's number is written into with fill_
//     before a replay, outside the graph (optimizer.writeLrTensors()): no host value is baked into the capture;
//   - a train()/eval() switch of any module since the capture makes the next step capture again.
// On the CPU (or with cudaGraphs off) the same object runs every step eagerly, with the same update;
// so does a CUDA model whose optimizer is not `capturable` (today: only SGD({fused: true}) is), unless
// cudaGraphs was asked for explicitly (then the constructor says why it cannot): `eagerReason` says why a
// step is not graphed. The step knows no concrete optimizer: it asks the Optimizer interface.
// Every batch is moved to the model first (its device and floating dtype, non_blocking), as a PyTorch
// loop's `x.to(device)`: a host batch feeds a CUDA model, and the graph's static buffers live on the device.
import { TorchError } from '../errors';
import type { GradScaler } from '../grad_scaler';
import { dispose, keep, tidy } from '../memory';
import { native, type CudaGraphHandle } from '../native';
import type { Module } from '../nn';
import type { Optimizer } from '../optim';
import { Tensor, noGrad } from '../tensor';
import type { LossFn } from './evaluate';
import { Amp, Placement, checkAmp, defaultLoss, forwardWith, modelDevice, placeBatch, placedDtype, placementOf, withAmp } from './forward';
import { optionKeys, readOptions } from '../utils/options';

export interface TrainStepOptions {
  /** loss(output, target), a scalar; default cross-entropy. */
  lossFn?: LossFn;
  /** Autocast for forward and loss: 'bf16', 'fp16' (needs `scaler`) or false. Default false. */
  amp?: Amp;
  /** Scales the fp16 loss and skips steps with inf/nan gradients (torch.amp.GradScaler). */
  scaler?: GradScaler;
  /** Feed inputs in channels_last memory format. Default false. */
  channelsLast?: boolean;
  /**
   * Capture the step in a CUDA graph and replay it (needs SGD({fused: true}): its learning rate is a device
   * tensor). Default: on when the model is on CUDA and the optimizer allows it, else eager (see eagerReason).
   */
  cudaGraphs?: boolean;
  /** Eager steps on the side stream before capture (PyTorch's docs: at least 3). Default 3. */
  warmupSteps?: number;
}

// The keys of TrainStepOptions, a list the compiler keeps complete, for readOptions at the entry.
const TRAIN_STEP = optionKeys<TrainStepOptions>({ lossFn: true, amp: true, scaler: true, channelsLast: true, cudaGraphs: true, warmupSteps: true });

/** A step's results: valid until the next step() (a graph's static outputs are overwritten by the next replay). */
export interface StepResult {
  loss: Tensor;
  output: Tensor;
}

interface Captured {
  graph: CudaGraphHandle;
  x: Tensor;
  y: Tensor;
  out: StepResult;
  modes: string;
}

export class TrainStep {
  readonly device: string;
  /** Whether steps of the captured shape replay a CUDA graph. */
  readonly cudaGraphs: boolean;
  /** Why steps run eagerly rather than as a CUDA graph; null when they are graphed. */
  readonly eagerReason: string | null;
  /** Where batches go: the model's device and floating dtype. */
  private readonly where: Placement | null;
  private readonly warmupSteps: number;
  private warmed = 0;
  private captured: Captured | null = null;
  private graph: CudaGraphHandle | null = null; // the native graph the warm-up and the next capture use
  private largest = 0; // the largest batch seen: the shape a capture is made for
  private last: StepResult | null = null;
  private readonly forward: (x: Tensor) => Tensor;
  /** Captures made so far (a train()/eval() switch makes another). */
  captures = 0;

  constructor(
    private readonly model: Module & { forward(x: Tensor): Tensor },
    private readonly optimizer: Optimizer,
    private readonly options: TrainStepOptions = {},
  ) {
    this.options = options = readOptions('TrainStep', options, TRAIN_STEP);
    this.device = modelDevice(model);
    this.where = placementOf(model);
    this.forward = forwardWith(model, options);
    this.warmupSteps = options.warmupSteps ?? 3;
    checkAmp('TrainStep', options.amp, options.scaler);
    const blocker = graphBlocker(this.device, optimizer);
    if (options.cudaGraphs && blocker) throw new TorchError(`TrainStep: cudaGraphs needs ${blocker}`);
    this.cudaGraphs = (options.cudaGraphs ?? true) && blocker === null;
    this.eagerReason = this.cudaGraphs ? null : options.cudaGraphs === false ? 'cudaGraphs: false' : `a CUDA graph needs ${blocker}`;
    if (this.cudaGraphs && (!Number.isInteger(this.warmupSteps) || this.warmupSteps < 3)) {
      throw new TorchError(`TrainStep: warmupSteps must be an integer >= 3, got ${this.warmupSteps}`);
    }
  }

  // The train/eval flag of every module, as one string: a change means the captured kernels are stale.
  private modes(): string {
    return this.model.modules().map((m) => (m.training ? '1' : '0')).join('');
  }

  // forward, loss and backward: the gradients are then ready for the update (or a sync across ranks first).
  private forwardBackward(x: Tensor, y: Tensor): StepResult {
    const o = this.options;
    const output = this.forward(x);
    const loss = withAmp(this.device, o.amp, () => (o.lossFn ?? defaultLoss)(output, y));
    this.optimizer.zeroGrad(); // set to none: backward makes the gradients (in the graph's pool when capturing)
    if (o.scaler) o.scaler.scale(loss).backward();
    else loss.backward();
    return { loss: loss.detach(), output: output.detach() };
  }

  private update(): void {
    const scaler = this.options.scaler;
    if (scaler) {
      scaler.step(this.optimizer);
      scaler.update();
    } else {
      this.optimizer.step();
    }
  }

  // forward, loss, backward, update: the ops a capture records.
  private run(x: Tensor, y: Tensor): StepResult {
    const r = this.forwardBackward(x, y);
    this.update();
    return r;
  }

  private eager(x: Tensor, y: Tensor): StepResult {
    return tidy(() => {
      const b = placeBatch(x, y, this.where); // copies made here are freed when the step's scope ends
      const r = this.run(b.x, b.y);
      return { loss: keep(r.loss), output: keep(r.output) };
    });
  }

  // The scheduler's numbers go into the lr tensors now, outside any capture.
  private syncLr(): void {
    this.optimizer.writeLrTensors();
  }

  private releaseLast(): void {
    if (this.last && this.last !== this.captured?.out) {
      this.last.loss.dispose();
      this.last.output.dispose();
    }
    this.last = null;
  }

  /**
   * One eager step with `sync` awaited between backward and the update: DistributedDataParallel's gradient
   * averaging. Never graphed (an awaited collective cannot be captured).
   */
  async stepWithSync(x: Tensor, y: Tensor, sync: () => Promise<void>): Promise<StepResult> {
    this.releaseLast();
    const r = tidy(() => {
      const b = placeBatch(x, y, this.where);
      const { loss, output } = this.forwardBackward(b.x, b.y);
      return { loss: keep(loss), output: keep(output) };
    });
    try {
      await sync();
      tidy(() => this.update());
    } catch (e) {
      dispose([r.loss, r.output]);
      throw e;
    }
    return (this.last = r);
  }

  /** One training step on the batch (x, y); the model should be in training mode. */
  step(x: Tensor, y: Tensor): StepResult {
    this.releaseLast();
    if (!this.cudaGraphs) return (this.last = this.eager(x, y));
    if (this.captured && this.captured.modes !== this.modes()) this.reset();
    if (this.captured) return (this.last = this.replay(this.captured, x, y));
    // A batch smaller than one seen before (an epoch's last) neither warms up nor gets captured: the graph
    // is for the full batches.
    this.largest = Math.max(this.largest, x.shape[0] ?? 0);
    if ((x.shape[0] ?? 0) < this.largest) return (this.last = this.eager(x, y));
    this.syncLr();
    const graph = (this.graph ??= native.cudaGraph.create(deviceIndex(this.device)));
    if (this.warmed < this.warmupSteps) return (this.last = this.warmUp(graph, x, y));
    return (this.last = this.capture(graph, x, y));
  }

  // A batch of the captured shape is copied into the static buffers and the graph replayed; another shape
  // runs eagerly, on the same parameters and state.
  private replay(s: Captured, x: Tensor, y: Tensor): StepResult {
    if (!sameShape(s.x, x) || !sameShape(s.y, y) || s.x.dtype !== placedDtype(x, this.where) || s.y.dtype !== y.dtype) {
      return this.eager(x, y);
    }
    // A host batch goes over with a non-blocking copy, then device to device into the static buffers.
    tidy(() =>
      noGrad(() => {
        const b = placeBatch(x, y, this.where);
        s.x.copy_(b.x);
        s.y.copy_(b.y);
      }),
    );
    this.syncLr();
    native.cudaGraph.replay(s.graph);
    return s.out;
  }

  // An eager step on the capture's side stream (PyTorch's warm-up before a whole-network capture).
  private warmUp(graph: CudaGraphHandle, x: Tensor, y: Tensor): StepResult {
    this.warmed++;
    native.cudaGraph.beginSide(graph);
    try {
      return this.eager(x, y);
    } finally {
      native.cudaGraph.endSide(graph);
    }
  }

  // Capture: static copies of the batch on the model's device (every replay copies its batch into them),
  // gradients undefined, everything between begin and end recorded; then this batch's step is replayed.
  private capture(graph: CudaGraphHandle, x: Tensor, y: Tensor): StepResult {
    const c = native.cudaGraph;
    const { x: sx, y: sy } = tidy(() =>
      noGrad(() => {
        const b = placeBatch(x, y, this.where);
        return { x: keep(b.x.clone()), y: keep(b.y.clone()) };
      }),
    );
    this.optimizer.zeroGrad();
    let out: StepResult;
    c.captureBegin(graph);
    try {
      out = this.eager(sx, sy);
    } catch (e) {
      try {
        c.reset(graph);
      } finally {
        sx.dispose();
        sy.dispose();
      }
      throw e;
    }
    c.captureEnd(graph);
    this.graph = null;
    this.captured = { graph, x: sx, y: sy, out, modes: this.modes() };
    this.captures++;
    // The capture recorded the kernels without running them: run this batch's step now.
    c.replay(graph);
    return out;
  }

  /** Drops the captured graph (the next step warms up and captures again). */
  reset(): void {
    const s = this.captured;
    if (!s) return;
    if (this.last === s.out) this.last = null;
    for (const t of [s.x, s.y, s.out.loss, s.out.output]) t.dispose();
    native.cudaGraph.reset(s.graph);
    this.captured = null;
    this.graph = null;
    this.warmed = 0;
  }

  /** Frees the graph, its static buffers and the last step's results. */
  dispose(): void {
    this.releaseLast();
    this.reset();
  }
}

/** What keeps a step on `device` with `optimizer` from being captured (a phrase), or null. */
function graphBlocker(device: string, optimizer: Optimizer): string | null {
  if (!device.startsWith('cuda')) return `a model on CUDA, this one is on ${device}`;
  return optimizer.captureBlocker();
}

function sameShape(a: Tensor, b: Tensor): boolean {
  return a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
}

function deviceIndex(device: string): number {
  const i = device.indexOf(':');
  return i < 0 ? 0 : Number(device.slice(i + 1));
}
