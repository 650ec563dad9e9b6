// torch.nn.parallel.DistributedDataParallel: one model replica per rank, kept identical by
//   - broadcasting rank 0's parameters and buffers at construction (await ddp.ready),
//   - averaging gradients across ranks after backward: one flattened all-reduce of every gradient
//     (ResNet-20's 1.1 MB in one collective), issued in the same order on every rank,
//   - broadcasting rank 0's buffers (batch-norm statistics) with each gradient sync, so that the next
//     forward sees rank 0's buffers, as PyTorch's broadcast_buffers does at the start of forward.
// JS cannot hook autograd's end the way PyTorch's reducer does, so the sync is an awaited call:
// `await ddp.backward(loss)` (loss.backward() then the sync) or `loss.backward(); await ddp.syncGradients()`.
import { TorchError } from '../../errors';
import * as dist from '../../distributed';
import type { Tensor } from '../../tensor';
import { Module } from '../module';

export interface DistributedDataParallelOptions {
  /** Broadcast rank 0's buffers with each gradient sync (default true, as PyTorch). */
  broadcastBuffers?: boolean;
}

export class DistributedDataParallel<M extends Module = Module> extends Module {
  /** The wrapped model (its state dict keys appear under 'module.' here, as in PyTorch). */
  module!: M;
  readonly broadcastBuffers: boolean;
  /** Resolves once rank 0's parameters and buffers have reached this rank; forward() refuses to run before. */
  readonly ready: Promise<void>;
  private isReady = false;
  private noSyncDepth = 0;

  constructor(module: M, options: DistributedDataParallelOptions = {}) {
    super();
    if (!(module instanceof Module)) throw new TorchError('DistributedDataParallel: expected an nn.Module');
    if (!dist.isInitialized()) {
      throw new TorchError('DistributedDataParallel: Default process group has not been initialized, please make sure to call initProcessGroup.');
    }
    this.module = module;
    this.broadcastBuffers = options.broadcastBuffers ?? true;
    const state = [...module.parameters(), ...module.buffers()];
    this.ready = (state.length ? dist.broadcast(state, { src: 0 }) : Promise.resolve()).then(() => {
      this.isReady = true;
    });
  }

  forward(...args: any[]): any {
    if (!this.isReady) throw new TorchError('DistributedDataParallel: await ddp.ready (the broadcast of rank 0\'s weights) before the first forward');
    return (this.module.forward as (...a: unknown[]) => unknown)(...args);
  }

  /** loss.backward() followed by syncGradients(). */
  async backward(loss: Tensor): Promise<void> {
    loss.backward();
    await this.syncGradients();
  }

  /**
   * Averages every parameter's gradient across ranks (in place), and broadcasts rank 0's buffers.
   * Inside noSync() it does nothing: gradients accumulate locally until the next sync outside it.
   */
  async syncGradients(): Promise<void> {
    if (this.noSyncDepth > 0) return;
    const params = this.module.namedParameters().filter(([, p]) => p.requiresGrad);
    const grads: Tensor[] = [];
    try {
      for (const [name, p] of params) {
        const g = p.grad;
        if (g === null) {
          throw new TorchError(
            `DistributedDataParallel: parameter '${name}' has no gradient: every rank must use every parameter in forward ` +
              "(PyTorch's find_unused_parameters is not supported)",
          );
        }
        grads.push(g);
      }
      const pending: Promise<void>[] = [];
      if (grads.length) pending.push(dist.allReduce(grads, { op: 'avg' }));
      const buffers = this.broadcastBuffers ? this.module.buffers() : [];
      if (buffers.length) pending.push(dist.broadcast(buffers, { src: 0 }));
      await Promise.all(pending);
    } finally {
      // The collective holds its own references to the gradients: the handles can go now.
      for (const g of grads) g.dispose();
    }
  }

  /**
   * no_sync: syncGradients() (and so backward(loss)) does not communicate inside `fn`; the first sync
   * after it averages the accumulated gradients. `fn` may be async.
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
}
