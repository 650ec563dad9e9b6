// torch.nn.parallel.DistributedDataParallel: one model replica per rank, kept identical as PyTorch's DDP does,
// by its native reducer (native/reducer.cc):
//   - rank 0's parameters and buffers are broadcast at construction (await ddp.ready);
//   - every parameter's gradient accumulator has a native hook; parameters are grouped into buckets (PyTorch's
//     assignment: 1 MiB first, then bucketCapMb, in reverse order of registration) and each bucket's all-reduce
//     starts, on the autograd thread, as soon as its last gradient is ready: communication overlaps backward;
//   - when the last bucket has started, the reducer queues a callback on the autograd engine (PyTorch's
//     finalize_backward), so loss.backward() returns with the averages in .grad, or throws a failed
//     all-reduce's error; nothing else (Tensor, Module, the optimizers) knows about DDP;
//   - rank 0's buffers (batch-norm statistics) are broadcast at the start of each forward (broadcastBuffers).
//   - a synced forward first checks that the prior iteration's reduction finished (PyTorch's
//     prepare_for_forward): a reduction whose backward failed after its last bucket started is waited for
//     there, and a parameter that got no gradient raises "Expected to have finished reduction ...".
import { TorchError } from '../../errors';
import * as dist from '../../distributed';
import { native, type NativeDistributed, type NativeReducer, type ReducerHandle, type ReducerTraceEvent } from '../../native';
import { type Tensor, isGradEnabled, isTensor } from '../../tensor';
import { Module } from '../module';
import { optionKeys, readOptions } from '../../utils/options';

export interface DistributedDataParallelOptions {
  /** Broadcast rank 0's buffers at the start of each forward (default true, as PyTorch). */
  broadcastBuffers?: boolean;
  /** Bucket size in MiB (PyTorch's bucket_cap_mb, default 25). As in PyTorch, the first bucket is 1 MiB (in 2.x: unless
   * bucketCapMb is given), and without findUnusedParameters the buckets are rebuilt after the first iteration in the
   * order the gradients arrived. */
  bucketCapMb?: number;
  /** Walk the autograd graph from forward's outputs and reduce no gradient for parameters it does not reach
   * (PyTorch's find_unused_parameters, default false). */
  findUnusedParameters?: boolean;
  /** Gradients are views into the all-reduce buckets: no copy back after the reduction (default false). */
  gradientAsBucketView?: boolean;
  /** libtorch-node: record native timestamps of each iteration's forward, backward and all-reduces (ddp.trace()). */
  trace?: boolean;
}

// The keys of DistributedDataParallelOptions, a list the compiler keeps complete, for readOptions at the entry.
const DDP = optionKeys<DistributedDataParallelOptions>({ broadcastBuffers: true, bucketCapMb: true, findUnusedParameters: true, gradientAsBucketView: true, trace: true });

/** One event of ddp.trace(): `us` is a steady-clock time in microseconds; `bucket` for the all-reduces and for
 * grad_ready (a parameter's gradient copied into its bucket). */
export type DdpTraceEvent = ReducerTraceEvent;

// reducer.cc's functions: every build with a backend (dist.requireBuilt) has them all, one without has none.
function hasReducer(d: NativeDistributed): d is NativeDistributed & NativeReducer {
  return typeof d.reducerNew === 'function';
}
function reducerNatives(): NativeReducer {
  const d = native.distributed;
  if (!hasReducer(d)) throw new TorchError('DistributedDataParallel: this build has no native reducer');
  return d;
}

const MiB = 1024 * 1024;
const NO_LIMIT = Number.MAX_SAFE_INTEGER;

/**
 * PyTorch's bucket size limits, for the version this build has. Without findUnusedParameters the first
 * iteration reduces everything in one bucket and the buckets are then rebuilt in the order gradients arrived;
 * with it, the buckets stay as first assigned. The first bucket is 1 MiB; 2.x makes it bucketCapMb when that is given.
 */
function bucketLimits(bucketCapMb: number | undefined, findUnused: boolean): { initialLimits: number[]; rebuildLimits: number[] } {
  const cap = Math.floor((bucketCapMb ?? 25) * MiB);
  const v2 = Number(native.libtorchVersion().split('.')[0]) >= 2;
  const first = v2 && bucketCapMb !== undefined ? cap : MiB;
  const limits = v2 && first >= cap ? [cap] : [first, cap];
  return { initialLimits: findUnused ? limits : [NO_LIMIT], rebuildLimits: [first, cap] };
}

/** The tensors in a forward's result (a tensor, or arrays and plain objects of them), as PyTorch's DDP finds them. */
function outputTensors(value: unknown, out: Tensor[] = [], depth = 0): Tensor[] {
  if (isTensor(value)) out.push(value);
  else if (depth < 8 && Array.isArray(value)) for (const v of value) outputTensors(v, out, depth + 1);
  else if (depth < 8 && value instanceof Map) for (const v of value.values()) outputTensors(v, out, depth + 1);
  else if (depth < 8 && value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) outputTensors(v, out, depth + 1);
  }
  return out;
}

/** `value` with each tensor that `replaced` maps swapped for its replacement, in new arrays, Maps and objects. */
function replaceTensors(value: unknown, replaced: Map<Tensor, Tensor>, depth = 0): unknown {
  if (isTensor(value)) return replaced.get(value) ?? value;
  if (depth >= 8) return value;
  if (Array.isArray(value)) return value.map((v) => replaceTensors(v, replaced, depth + 1));
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, replaceTensors(v, replaced, depth + 1)]));
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceTensors(v, replaced, depth + 1)]));
  }
  return value;
}

export class DistributedDataParallel<M extends Module = Module> extends Module {
  /** The wrapped model (its state dict keys appear under 'module.' here, as in PyTorch). */
  module!: M;
  readonly broadcastBuffers: boolean;
  readonly findUnusedParameters: boolean;
  readonly gradientAsBucketView: boolean;
  readonly bucketCapMb: number;
  /** Resolves once rank 0's parameters and buffers have reached this rank; forward() refuses to run before. */
  readonly ready: Promise<void>;
  private isReady = false;
  private noSyncDepth = 0;
  private readonly natives: NativeReducer;
  private readonly reducer: ReducerHandle;
  private readonly paramNames: string[];

  constructor(module: M, options: DistributedDataParallelOptions = {}) {
    super();
    options = readOptions('DistributedDataParallel', options, DDP);
    if (!(module instanceof Module)) throw new TorchError('DistributedDataParallel: expected an nn.Module');
    dist.requireBuilt('DistributedDataParallel');
    this.natives = reducerNatives();
    if (!dist.isInitialized()) {
      throw new TorchError('DistributedDataParallel: Default process group has not been initialized, please make sure to call initProcessGroup.');
    }
    this.module = module;
    this.broadcastBuffers = options.broadcastBuffers ?? true;
    this.findUnusedParameters = options.findUnusedParameters ?? false;
    this.gradientAsBucketView = options.gradientAsBucketView ?? false;
    this.bucketCapMb = options.bucketCapMb ?? 25;
    if (!(this.bucketCapMb > 0)) throw new TorchError(`DistributedDataParallel: bucketCapMb must be positive, got ${this.bucketCapMb}`);
    const params = module.namedParameters().filter(([, p]) => p.requiresGrad);
    if (params.length === 0) {
      throw new TorchError("DistributedDataParallel is not needed when a module doesn't have any parameter that requires a gradient.");
    }
    this.paramNames = params.map(([n]) => n);
    this.reducer = this.natives.reducerNew(
      params.map(([, p]) => p),
      this.paramNames,
      {
        ...bucketLimits(options.bucketCapMb, this.findUnusedParameters),
        findUnusedParameters: this.findUnusedParameters,
        gradientAsBucketView: this.gradientAsBucketView,
        trace: options.trace ?? false,
      },
    );
    const state = [...module.parameters(), ...module.buffers()];
    this.ready = (state.length ? dist.broadcast(state, { src: 0 }) : Promise.resolve()).then(() => {
      this.isReady = true;
    });
  }

  forward(...args: any[]): any {
    if (!this.isReady) throw new TorchError('DistributedDataParallel: await ddp.ready (the broadcast of rank 0\'s weights) before the first forward');
    if (this.broadcastBuffers && dist.getWorldSize() > 1) {
      const buffers = this.module.buffers();
      if (buffers.length) this.natives.syncBuffers(buffers);
    }
    const out = (this.module.forward as (...a: unknown[]) => unknown)(...args);
    // PyTorch's prepare_for_backward: the next backward's hooks reduce (not inside noSync, not without grad).
    if (!isGradEnabled() || this.noSyncDepth > 0) return out;
    if (!this.findUnusedParameters) {
      this.natives.reducerPrepare(this.reducer, []);
      return out;
    }
    const outputs = outputTensors(out);
    this.natives.reducerPrepare(this.reducer, outputs);
    return this.throughSink(out, outputs);
  }

  // PyTorch's _DDPSink, with findUnusedParameters: the outputs that require grad come back through one identity
  // node (reducer.cc), so that a loss leaving some of them out still completes the reduction, those outputs'
  // parameters keeping their .grad as it was. The result has the forward's shape, with the sink's tensors.
  private throughSink(out: unknown, outputs: Tensor[]): unknown {
    const graded = outputs.filter((t) => t.requiresGrad);
    if (graded.length === 0) return out;
    const sunk = this.natives.reducerSink(graded);
    return replaceTensors(out, new Map(graded.map((t, i) => [t, sunk[i]])));
  }

  /** loss.backward() followed by syncGradients(). */
  async backward(loss: Tensor): Promise<void> {
    loss.backward();
    await this.syncGradients();
  }

  /**
   * Resolves once the last backward's reduction is finished: backward() itself finalizes it (the engine
   * callback), so this only waits where a backward failed before its end (off the JS thread), and checks the
   * iteration: rejects with PyTorch's "Expected to have finished reduction" error when a parameter got no
   * gradient and findUnusedParameters is off (which PyTorch raises at the next forward). Inside noSync() it
   * does nothing. A training loop needs neither this nor backward() (fit() calls neither): loss.backward()
   * finalizes and the next forward checks, as in PyTorch; this asks for the check before the optimizer step.
   */
  async syncGradients(): Promise<void> {
    if (this.noSyncDepth > 0) return;
    await this.natives.reducerFinalize(this.reducer);
  }

  /**
   * no_sync: forwards inside `fn` do not prepare a reduction, so their backward accumulates gradients
   * locally; the first synced iteration after it averages the accumulated gradients. `fn` may be async.
   */
  noSync<T>(fn: () => T): T {
    this.noSyncDepth++;
    let result: T;
    try {
      result = fn();
    } catch (e) {
      this.noSyncDepth--;
      throw e;
    }
    if (result instanceof Promise) {
      return result.finally(() => this.noSyncDepth--) as unknown as T;
    }
    this.noSyncDepth--;
    return result;
  }

  /** libtorch-node: the parameters' names in each gradient bucket, in the order the buckets are all-reduced. */
  buckets(): string[][] {
    const buckets = this.natives.reducerBuckets(this.reducer);
    return buckets.map((b) => b.map((i) => this.paramNames[i]));
  }

  /** libtorch-node: the last iteration's native timestamps (needs the `trace` option). */
  trace(): DdpTraceEvent[] {
    return this.natives.reducerTrace(this.reducer);
  }
}
