// The addon's typed exports (what native/*.cc registers) and the records they return: a leaf module that
// imports only types from other leaves, so lib/native.ts, lib/tensor.ts and lib/memory.ts share these types
// without importing each other for them.
import type { DType } from './dtype';
import type { Tensor } from './tensor_types';

export interface DeviceUsage {
  tensors: number;
  bytes: number;
}
export interface MemoryInfo {
  /** JS Tensor handles alive (not disposed, not yet finalized). */
  liveTensors: number;
  /** Per device: live handles, and bytes of the distinct storages they hold. */
  devices: Record<string, DeviceUsage>;
  scopeDepth: number;
  /** Bytes libtorch's CPU allocator holds for tensors, whether JS handles reach them or not (autograd graphs
   * included); the garbage collector is told this figure, so it collects as native memory grows. */
  cpuAllocatedBytes: number;
  /** Freed CPU blocks of up to 1 KiB that this thread keeps to hand out again (at most 256 KiB), not counted in
   * cpuAllocatedBytes: a tidy() scope frees its small tensors all at once, and the next scope reuses them. */
  cpuCachedBytes: number;
  /** V8's external-memory total for this thread after the last report: the native bytes the collector weighs. */
  v8ExternalBytes: number;
  /** CUDA caching-allocator figures per device, or null without CUDA. */
  cuda: Record<string, { allocatedBytes: number; reservedBytes: number; peakAllocatedBytes: number }> | null;
}

type Options = { dtype?: string; device?: string; requiresGrad?: boolean } | undefined;
type Typed = Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array | BigInt64Array;

// Opaque handles: native objects (Napi::External) that JS only hands back to the functions that made them.
/** A private CPU generator (data.cc generator.create). */
export interface GeneratorHandle {
  readonly __brand: 'Generator';
}
/** A CUDA graph and its capture stream (cuda_graph.cc cudaGraph.create). */
export interface CudaGraphHandle {
  readonly __brand: 'CudaGraph';
}
/** DDP's reducer: buckets, autograd hooks and pending all-reduces (reducer.cc distributed.reducerNew). */
export interface ReducerHandle {
  readonly __brand: 'Reducer';
}
/** A c10d key-value store: a TCPStore, or the default group's (store.cc distributed.tcpStore, defaultStore). */
export interface StoreHandle {
  readonly __brand: 'Store';
}
/** A checkpoint's storages, read by serialization.cc readStorages and consumed by rebuildTensors. */
export interface ArchiveHandle {
  readonly __brand: 'Archive';
}
/** A class the addon defines: JS gets its instances from native functions, never with `new`. */
export interface NativeClass<T> {
  readonly prototype: T;
}

/** A native nn layer (native/module.cc), held by lib/nn/modules/native_layer.ts. */
export interface NativeLayer {
  forward(x: Tensor): Tensor;
  namedParameters(): [string, Tensor][];
  namedBuffers(): [string, Tensor][];
  train(mode: boolean): void;
  to(device: string | null, dtype: DType | null): void;
  readonly name: string;
}

/** A value TorchScript arguments and results take in JS (ivalue.cc FromJs/ToJs): tensors, numbers, booleans,
 * strings, None, lists and tuples (arrays), and dicts with string keys (plain objects). */
export type JitValue = Tensor | number | boolean | string | null | JitValue[] | { [key: string]: JitValue };

/** A TorchScript module (script_module.cc), held by lib/jit's ScriptModule. */
export interface NativeScriptModule {
  readonly training: boolean;
  readonly isDisposed: boolean;
  /** The module's TorchScript class, e.g. '__torch__.Net'. */
  readonly typeName: string;
  runMethod(name: string, inputs: unknown[]): JitValue;
  runMethodAsync(name: string, inputs: unknown[]): Promise<JitValue>;
  methodNames(): string[];
  methodSchema(name: string): string;
  namedParameters(recurse: boolean): [string, Tensor][];
  namedBuffers(recurse: boolean): [string, Tensor][];
  stateDict(): [string, Tensor][];
  train(mode: boolean): void;
  to(device: string | null, dtype: string | null): void;
  dispose(): void;
}

/** A graph recorded by jit.trace (traced_function.cc): runs on the JS thread or the libuv pool. */
export interface NativeTracedFunction {
  run(inputs: Tensor[]): JitValue;
  runAsync(inputs: Tensor[]): Promise<JitValue>;
  /** The recorded graph as TorchScript IR. */
  graph(): string;
}

/** A loaded .pt2 package (aoti.cc): runs on flat lists of tensors. */
export interface NativeAotiPackage {
  run(inputs: Tensor[]): Tensor[];
  runAsync(inputs: Tensor[]): Promise<Tensor[]>;
  metadata(): Record<string, string>;
  callSpec(): string[];
  constantFqns(): string[];
  dispose(): void;
  readonly isDisposed: boolean;
}

/** generator (data.cc): private random generators for a DataLoader's shuffle. */
export interface NativeGenerator {
  create(seed: number): GeneratorHandle;
  randperm(handle: GeneratorHandle, n: number): Tensor;
  getState(handle: GeneratorHandle): Tensor;
  setState(handle: GeneratorHandle, state: Tensor): void;
}

/** cuda (cuda.cc): in a build without CUDA every query says "none". */
export interface NativeCuda {
  isAvailable(): boolean;
  deviceCount(): number;
  setDevice(index: number): void;
  currentDevice(): number;
  cudnnIsAvailable(): boolean;
  /** All devices when no index is given. */
  synchronize(device?: number): void;
  emptyCache(): void;
  manualSeedAll(seed: number): void;
  /** Whether the addon was compiled against a CUDA libtorch. */
  compiled: boolean;
}

/** What amp.enter returns for amp.exit: the autocast state before it. */
export interface AutocastState {
  enabled: boolean;
  dtype: string;
}
/** amp (autocast.cc): torch.autocast's switches per device type ('cpu' or 'cuda'). */
export interface NativeAmp {
  enter(deviceType: string, enabled: boolean, dtype: string): AutocastState;
  exit(deviceType: string, previous: AutocastState): void;
  isEnabled(deviceType: string): boolean;
}

/** at::globalContext()'s flags (backends.cc): each sets its flag when given a boolean (a name for the precision) and returns its value. */
export interface NativeBackends {
  matmulAllowTf32(value?: boolean): boolean;
  cudnnAllowTf32(value?: boolean): boolean;
  cudnnBenchmark(value?: boolean): boolean;
  cudnnDeterministic(value?: boolean): boolean;
  cudnnEnabled(value?: boolean): boolean;
  useDeterministicAlgorithms(mode: boolean, warnOnly: boolean): void;
  deterministicAlgorithms(): boolean;
  deterministicAlgorithmsWarnOnly(): boolean;
  float32MatmulPrecision(value?: string): 'highest' | 'high' | 'medium';
}

/** cudaGraph (cuda_graph.cc): the training step's CUDA graph; without CUDA every function throws. */
export interface NativeCudaGraph {
  create(deviceIndex?: number): CudaGraphHandle;
  beginSide(graph: CudaGraphHandle): void;
  endSide(graph: CudaGraphHandle): void;
  captureBegin(graph: CudaGraphHandle): void;
  captureEnd(graph: CudaGraphHandle): void;
  replay(graph: CudaGraphHandle): void;
  reset(graph: CudaGraphHandle): void;
  /** Whether the addon was compiled against a CUDA libtorch. */
  compiled: boolean;
}

/** gradScaler (grad_scaler.cc): torch.amp.GradScaler's two kernels, on one-element device tensors. */
export interface NativeGradScaler {
  unscaleGrads(grads: Tensor[], foundInf: Tensor, invScale: Tensor): void;
  updateScale(scale: Tensor, growthTracker: Tensor, foundInf: Tensor, growthFactor: number, backoffFactor: number, growthInterval: number): void;
}

/** The default process group, or null before initProcessGroup (distributed.cc info). */
export interface ProcessGroupInfo {
  rank: number;
  worldSize: number;
  backend: 'gloo' | 'nccl';
  /** Milliseconds. */
  timeout: number;
}
export interface ReducerOptions {
  /** Bucket size limits in bytes for the first iteration, and after the buckets are rebuilt in gradient order. */
  initialLimits: number[];
  rebuildLimits: number[];
  findUnusedParameters: boolean;
  gradientAsBucketView: boolean;
  trace: boolean;
}
/** One event of the reducer's trace of the last iteration (reducer.cc Record). */
export interface ReducerTraceEvent {
  event: 'forward' | 'backward' | 'grad_ready' | 'allreduce_start' | 'allreduce_end' | 'backward_end' | 'finalize_start' | 'finalize_end';
  bucket?: number;
  /** Microseconds. */
  us: number;
}
/**
 * distributed (distributed.cc, reducer.cc). The process-group functions exist in every build (without a
 * backend they throw and say how to get one); the reducer's exist only in a build with a backend.
 */
export interface NativeDistributed {
  isAvailable(): boolean;
  isGlooAvailable(): boolean;
  isNcclAvailable(): boolean;
  init(addr: string, port: number, rank: number, worldSize: number, timeoutMs: number, isServer: boolean, prefix: string, backend: string): Promise<void>;
  destroy(): Promise<void>;
  info(): ProcessGroupInfo | null;
  allReduce(tensors: Tensor[], op: string): Promise<void>;
  broadcast(tensors: Tensor[], src: number): Promise<void>;
  allGather(outputs: Tensor[], input: Tensor): Promise<void>;
  barrier(): Promise<void>;
  // store.cc: c10d's stores, every call on the libuv pool; values are bytes (lib/distributed/store.ts).
  /** A TCPStore (worldSize -1: not given), once it is up. */
  tcpStore(host: string, port: number, worldSize: number, isMaster: boolean, timeoutMs: number, waitForWorkers: boolean): Promise<StoreHandle>;
  /** The default group's store. */
  defaultStore(): StoreHandle;
  storeSet(store: StoreHandle, key: string, value: Buffer): Promise<void>;
  storeGet(store: StoreHandle, key: string): Promise<Buffer>;
  storeAdd(store: StoreHandle, key: string, amount: number): Promise<number>;
  storeCompareSet(store: StoreHandle, key: string, expected: Buffer, desired: Buffer): Promise<Buffer>;
  storeCheck(store: StoreHandle, keys: string[]): Promise<boolean>;
  /** timeoutMs undefined: the store's own. */
  storeWait(store: StoreHandle, keys: string[], timeoutMs?: number): Promise<void>;
  storeDeleteKey(store: StoreHandle, key: string): Promise<boolean>;
  storeNumKeys(store: StoreHandle): Promise<number>;
  // reducer.cc: builds with a process-group backend only
  reducerNew?(params: Tensor[], names: string[], options: ReducerOptions): ReducerHandle;
  reducerPrepare?(reducer: ReducerHandle, outputs: Tensor[]): void;
  /** The outputs through one identity autograd node (PyTorch's _DDPSink), as new tensors in order. */
  reducerSink?(outputs: Tensor[]): Tensor[];
  reducerFinalize?(reducer: ReducerHandle): Promise<void>;
  /** Each bucket's parameters, as indices into the parameters reducerNew was given. */
  reducerBuckets?(reducer: ReducerHandle): number[][];
  reducerTrace?(reducer: ReducerHandle): ReducerTraceEvent[];
  syncBuffers?(buffers: Tensor[]): void;
}

/** reducer.cc's functions: a build with a process-group backend has all of them, one without has none. */
export type NativeReducer = Required<
  Pick<NativeDistributed, 'reducerNew' | 'reducerPrepare' | 'reducerSink' | 'reducerFinalize' | 'reducerBuckets' | 'reducerTrace' | 'syncBuffers'>
>;

/** nn (module.cc). */
export interface NativeNn {
  NativeModule: new (kind: string, options: Record<string, unknown>) => NativeLayer;
  /** PyTorch's `t.data = value`: t keeps its identity (and JS handles). */
  setData(t: Tensor, value: Tensor): void;
}


/** A function ops.bind made: converts its arguments by the operator's schema (a method takes the tensor as `this`). */
export type NativeOp = (this: unknown, ...args: unknown[]) => unknown;
/**
 * The op call's shared words: [0] a mask (bit i: positional i is a Tensor whose token is in word 1 + i;
 * bit 8: the wrapper wrote it and passes a fresh Tensor object as a last extra argument), [1..8] tokens,
 * [9] the token + 1 of a Tensor result that went into that object (0: the op returned something else).
 */
export interface NativeCallProtocol {
  /** The symbol a Tensor object keeps its token under. */
  key: symbol;
  /** The constructor of Tensor objects (its prototype is Tensor's): `new Handle(token)`; -1 names no tensor. */
  Handle: new (token: number) => Tensor;
  words: Float64Array;
  /** How many positionals' tokens the words hold (8), and the word a result's token + 1 comes back in (9). */
  tokens: number;
  resultWord: number;
  /** Frees the tensor a token names (Tensor.dispose). */
  dispose(token: number): void;
}

/** ops (ops.cc): the generic operator call (lib/ops.ts). */
export interface NativeOps {
  bind(display: string, overloads: string[], method: boolean): NativeOp;
  /** What lib/ops.ts's wrapper shares with the op call (Tensor::CallProtocol in tensor.cc). */
  handles: NativeCallProtocol;
  has(name: string): boolean;
  schema(name: string): string | null;
}

/** jit (jit.cc, script_module.cc, traced_function.cc): TorchScript. */
export interface NativeJit {
  ScriptModule: NativeClass<NativeScriptModule>;
  TracedFunction: NativeClass<NativeTracedFunction>;
  load(path: string, device: string | null): NativeScriptModule;
  loadAsync(path: string, device: string | null): Promise<NativeScriptModule>;
  /** Calls fn once under libtorch's tracer; every tensor the graph reads must be one of the inputs. */
  trace(fn: () => Tensor | Tensor[], inputs: Tensor[]): NativeTracedFunction & { readonly inputCount: number };
}

/** export (aoti.cc): AOTInductor packages; on a libtorch without them (1.13) `available` is false and both functions throw. */
export interface NativeExport {
  available: boolean;
  /** deviceIndex null (or -1): the current device. */
  load(path: string, deviceIndex: number | null, runners: number): NativeAotiPackage;
  readMetadata(path: string): Record<string, string>;
  /** libtorch 2.x (AOTInductor) builds only. */
  AotiPackage?: NativeClass<NativeAotiPackage>;
}

/** vision (vision.cc). */
export interface NativeVision {
  /** An image [C, H, W] or batch [N, C, H, W] resized as torchvision's resize on tensors. */
  resize(image: Tensor, size: number[], mode: 'nearest' | 'bilinear' | 'bicubic', antialias: boolean): Tensor;
}

/** A tensor list kept natively between optimizer steps (optim_lists.cc): any op argument typed Tensor[] takes it. */
export interface NativeTensorList {
  readonly __brand: 'TensorList';
}
/** optimLists (optim_lists.cc): lib/optim's lists, taken by the generic op call without a handle lookup per element. */
export interface NativeOptimLists {
  /** A native list of these Tensors (a later op refuses it once one of them is disposed). */
  list(tensors: Tensor[]): NativeTensorList;
  /** The gradients of the list's tensors, read each time an op takes the view (none is kept). */
  gradsOf(list: NativeTensorList): NativeTensorList;
  /** null when every tensor of the list has a gradient, else the positions of those that have one. */
  gradIndices(list: NativeTensorList): number[] | null;
}

/** storageOf's record: what torch.save writes for a tensor (serialization.cc). */
export interface NativeStorageView {
  /** A uint8 view of the tensor's whole storage, on its device. */
  bytes: Tensor;
  /** The storage's identity: tensors sharing a storage have the same id. */
  id: string;
  /** In elements. */
  offset: number;
  stride: number[];
}

/**
 * What the addon exports (native/*.cc, registered from addon.cc), exactly: test/native.test.ts checks these
 * members and each namespace's against the loaded addon and against the Entry tables of native/*.cc. Optional
 * members exist only on some builds. The Tensor class's methods are typed by lib/tensor_types.ts's Tensor
 * interface (checked against the native op table by the same test).
 */
export interface NativeAddon {
  Tensor: NativeClass<Tensor>;
  setErrorClass(cls: new (message: string) => Error): void;
  // factories.cc (what is not an operator: the ops are lib/generated/, through ops.bind)
  libtorchVersion(): string;
  fromTypedArray(data: Typed, shape: number[], options: Options): Tensor;
  manualSeed(seed: number): void;
  getRngState(device: string): Tensor;
  setRngState(state: Tensor, device: string): void;
  numThreads(n?: number): number;
  getDefaultDtype(): DType;
  setDefaultDtype(dtype: string): void;
  // grad_mode.cc
  setGradEnabled(enabled: boolean): boolean;
  isGradEnabled(): boolean;
  /** Pushes a c10::InferenceMode(mode) guard on this thread's stack; returns the stack's depth, for exitInferenceMode. */
  enterInferenceMode(mode: boolean): number;
  /** Pops the guard enterInferenceMode returned `depth` for; a TorchError unless it is the latest (last in, first out). */
  exitInferenceMode(depth: number): void;
  isInferenceModeEnabled(): boolean;
  // memory.cc
  startScope(): number;
  endScope(depth: number, keep: Tensor[]): void;
  keep<T extends Tensor>(t: T): T;
  memory(): MemoryInfo;
  // data.cc
  /** CIFAR's records (1 label byte + payload) → [labels int64 [count], payload uint8 [count, recordBytes - 1]]. */
  splitRecords(bytes: Uint8Array, count: number, recordBytes: number): [Tensor, Tensor];
  generator: NativeGenerator;
  // serialization.cc: torch.load's storages, all of an archive's in one call, then its tensors in one
  /** [localOffset, size, crc, flag (0 read + CRC, 1 mapped, 2 absent), nameLength] per storage in `records`; a string says which record is damaged. */
  readStorages(fd: number, fileSize: number, dataEnd: number, names: string[], records: Float64Array): ArchiveHandle | string;
  /** Storage i of the archive as a uint8 tensor (for map_location). */
  archiveStorage(archive: ArchiveHandle, index: number): Tensor;
  /** Puts storage i back where map_location placed it. */
  setArchiveStorage(archive: ArchiveHandle, index: number, bytes: Tensor): void;
  /** Drops the archive's storages (a failed load). */
  releaseArchive(archive: ArchiveHandle): void;
  /** The archive's tensors in spec order ([storage, dtype index, offset, requiresGrad, ndim, ...size, ...stride] each); empties the archive. */
  rebuildTensors(archive: ArchiveHandle, dtypes: DType[], specs: Float64Array): Tensor[];
  storageOf(t: Tensor): NativeStorageView;
  cuda: NativeCuda;
  amp: NativeAmp;
  backends: NativeBackends;
  cudaGraph: NativeCudaGraph;
  gradScaler: NativeGradScaler;
  distributed: NativeDistributed;
  nn: NativeNn;
  ops: NativeOps;
  optimLists: NativeOptimLists;
  jit: NativeJit;
  export: NativeExport;
  vision: NativeVision;
}
