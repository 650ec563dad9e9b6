// torch.distributed: the default process group over PyTorch's c10d (TCPStore rendezvous, ProcessGroupGloo, or
// ProcessGroupNCCL in a CUDA build with NCCL),
// configured like torchrun does (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT).
// Collectives return promises: they are issued at once, in call order (ranks must issue the same
// collectives in the same order, as in PyTorch), and settle when done; tensors change in place.
import { requireBuilt, isInitialized } from './built';
import { native } from '../native';
import { TorchError } from '../errors';
import type { Tensor } from '../tensor';
import { optionKeys, readOptions } from '../utils/options';

export type Backend = 'gloo' | 'nccl';
export type ReduceOp = 'sum' | 'avg' | 'product' | 'max' | 'min';
/** PyTorch's dist.ReduceOp names. */
export const ReduceOp = { SUM: 'sum', AVG: 'avg', PRODUCT: 'product', MAX: 'max', MIN: 'min' } as const;

export interface InitOptions {
  backend?: Backend;
  /** 'env://' (default: MASTER_ADDR, MASTER_PORT) or 'tcp://host:port'. */
  initMethod?: string;
  rank?: number;
  worldSize?: number;
  /** Milliseconds for the rendezvous and each collective (PyTorch's default: 30 minutes). */
  timeout?: number;
}

// The keys of InitOptions, a list the compiler keeps complete, for readOptions at the entry.
const INIT_PROCESS_GROUP = optionKeys<InitOptions>({ backend: true, initMethod: true, rank: true, worldSize: true, timeout: true });

const DEFAULT_TIMEOUT_MS = 30 * 60 * 1000;


/** Whether this build has a process-group backend (gloo's headers, or NCCL's with a CUDA libtorch, at build time). */
export function isAvailable(): boolean {
  return native.distributed.isAvailable();
}
/** torch.distributed.is_gloo_available. */
export function isGlooAvailable(): boolean {
  return native.distributed.isGlooAvailable();
}
/** torch.distributed.is_nccl_available: this build has c10d's ProcessGroupNCCL (a GPU is still needed to use it). */
export function isNcclAvailable(): boolean {
  return native.distributed.isNcclAvailable();
}

function envInt(name: string, given: number | undefined): number {
  if (given !== undefined) return given;
  const v = process.env[name];
  if (v === undefined || v === '') {
    throw new TorchError(`initProcessGroup: ${name} is not set (pass the option or launch with torchrun / libtorch-node launch)`);
  }
  if (!/^\d+$/.test(v)) throw new TorchError(`initProcessGroup: ${name} must be a non-negative integer, got '${v}'`);
  return Number(v);
}

function master(initMethod: string): { addr: string; port: number } {
  let addr: string | undefined;
  let port: string | undefined;
  if (initMethod === 'env://') {
    addr = process.env.MASTER_ADDR;
    port = process.env.MASTER_PORT;
    if (!addr) throw new TorchError('initProcessGroup: MASTER_ADDR is not set (env:// rendezvous)');
    if (!port) throw new TorchError('initProcessGroup: MASTER_PORT is not set (env:// rendezvous)');
  } else {
    const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(initMethod);
    if (!m) throw new TorchError(`initProcessGroup: initMethod must be 'env://' or 'tcp://host:port', got '${initMethod}'`);
    addr = m[1].replace(/^\[|\]$/g, '');
    port = m[2];
  }
  if (!/^\d+$/.test(port)) throw new TorchError(`initProcessGroup: master port must be an integer, got '${port}'`);
  return { addr, port: Number(port) };
}

/** torch.distributed.init_process_group: resolves once every rank has joined (or rejects within the timeout). */
export async function initProcessGroup(options: InitOptions = {}): Promise<void> {
  options = readOptions('initProcessGroup', options, INIT_PROCESS_GROUP);
  const backend = options.backend ?? 'gloo';
  if (backend !== 'gloo' && backend !== 'nccl') throw new TorchError(`initProcessGroup: unknown backend '${String(backend)}' (expected 'gloo' or 'nccl')`);
  requireBuilt('initProcessGroup');
  const rank = envInt('RANK', options.rank);
  const worldSize = envInt('WORLD_SIZE', options.worldSize);
  const { addr, port } = master(options.initMethod ?? 'env://');
  const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
  // Under torchrun (torchelastic) the agent already hosts the TCPStore at MASTER_PORT: every rank is a
  // client, with keys under a per-attempt prefix (as PyTorch's env:// rendezvous does).
  const agentStore = (options.initMethod ?? 'env://') === 'env://' && process.env.TORCHELASTIC_USE_AGENT_STORE === 'True';
  const prefix = agentStore ? `torch_node/attempt_${process.env.TORCHELASTIC_RESTART_COUNT ?? '0'}/` : '';
  await native.distributed.init(addr, port, rank, worldSize, timeout, !agentStore && rank === 0, prefix, backend);
}


function info(where: string): { rank: number; worldSize: number; backend: Backend } {
  requireBuilt(where);
  const i = native.distributed.info();
  if (i === null) throw new TorchError(`${where}: Default process group has not been initialized, please make sure to call initProcessGroup.`);
  return i;
}

/** This process's rank in the default group. */
export function getRank(): number {
  return info('getRank').rank;
}
export function getWorldSize(): number {
  return info('getWorldSize').worldSize;
}
export function getBackend(): Backend {
  return info('getBackend').backend;
}

/** torch.distributed.destroy_process_group. */
export async function destroyProcessGroup(): Promise<void> {
  requireBuilt('destroyProcessGroup');
  await native.distributed.destroy();
}

/** A pending collective, as PyTorch's Work (asyncOp: true). */
export class Work {
  private done = false;
  constructor(private readonly promise: Promise<void>) {
    promise.then(
      () => (this.done = true),
      () => (this.done = true),
    );
  }
  /** Resolves when the collective has finished; rejects with its error. */
  wait(): Promise<void> {
    return this.promise;
  }
  isCompleted(): boolean {
    return this.done;
  }
}

export interface CollectiveOptions {
  /** Return a Work handle instead of a promise (PyTorch's async_op=True). */
  asyncOp?: boolean;
}

// The keys of CollectiveOptions, a list the compiler keeps complete, for readOptions at the entry.
const COLLECTIVE = optionKeys<CollectiveOptions>({ asyncOp: true });

function finish(promise: Promise<void>, asyncOp: boolean | undefined): Promise<void> | Work {
  return asyncOp ? new Work(promise) : promise;
}

function list(x: Tensor | Tensor[]): Tensor[] {
  return Array.isArray(x) ? x : [x];
}

/** all_reduce in place. A tensor array is reduced as one flattened buffer per dtype (one collective each).
 * 'avg' is computed as a sum divided by the world size (gloo itself has no AVG). */
export function allReduce(tensor: Tensor | Tensor[], options: CollectiveOptions & { op?: ReduceOp } & { asyncOp: true }): Work;
export function allReduce(tensor: Tensor | Tensor[], options?: CollectiveOptions & { op?: ReduceOp }): Promise<void>;
export function allReduce(tensor: Tensor | Tensor[], options: CollectiveOptions & { op?: ReduceOp } = {}): Promise<void> | Work {
  options = readOptions('allReduce', options, [...COLLECTIVE, 'op']);
  requireBuilt('allReduce');
  return finish(native.distributed.allReduce(list(tensor), options.op ?? 'sum'), options.asyncOp);
}

/** broadcast in place from rank `src` (default 0). */
export function broadcast(tensor: Tensor | Tensor[], options: CollectiveOptions & { src?: number } & { asyncOp: true }): Work;
export function broadcast(tensor: Tensor | Tensor[], options?: CollectiveOptions & { src?: number }): Promise<void>;
export function broadcast(tensor: Tensor | Tensor[], options: CollectiveOptions & { src?: number } = {}): Promise<void> | Work {
  options = readOptions('broadcast', options, [...COLLECTIVE, 'src']);
  requireBuilt('broadcast');
  return finish(native.distributed.broadcast(list(tensor), options.src ?? 0), options.asyncOp);
}

/** all_gather(tensorList, tensor): tensorList[i] receives rank i's tensor. */
export function allGather(tensorList: Tensor[], tensor: Tensor, options: CollectiveOptions & { asyncOp: true }): Work;
export function allGather(tensorList: Tensor[], tensor: Tensor, options?: CollectiveOptions): Promise<void>;
export function allGather(tensorList: Tensor[], tensor: Tensor, options: CollectiveOptions = {}): Promise<void> | Work {
  options = readOptions('allGather', options, COLLECTIVE);
  requireBuilt('allGather');
  return finish(native.distributed.allGather(tensorList, tensor), options.asyncOp);
}

/** Resolves when every rank has reached the barrier. */
export function barrier(options: CollectiveOptions & { asyncOp: true }): Work;
export function barrier(options?: CollectiveOptions): Promise<void>;
export function barrier(options: CollectiveOptions = {}): Promise<void> | Work {
  options = readOptions('barrier', options, COLLECTIVE);
  requireBuilt('barrier');
  return finish(native.distributed.barrier(), options.asyncOp);
}

export { defaultDevice, localDevice } from './device';
export { Store, TCPStore } from './store';
export type { StoreValue, TCPStoreOptions } from './store';
export { isInitialized, requireBuilt } from './built';
