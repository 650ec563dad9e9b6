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
  /** V8's external-memory total for this thread after the last report: the native bytes the collector weighs. */
  v8ExternalBytes: number;
  /** CUDA caching-allocator figures per device, or null without CUDA. */
  cuda: Record<string, { allocatedBytes: number; reservedBytes: number; peakAllocatedBytes: number }> | null;
}

type Options = { dtype?: string; device?: string; requiresGrad?: boolean } | undefined;
type Typed = Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array | BigInt64Array;
type Fn = (...args: any[]) => any;

/** A native nn layer (native/module.cc), held by lib/nn/modules/native_layer.ts. */
export interface NativeLayer {
  forward(x: Tensor): Tensor;
  namedParameters(): [string, Tensor][];
  namedBuffers(): [string, Tensor][];
  train(mode: boolean): void;
  to(device: string | null, dtype: DType | null): void;
  readonly name: string;
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

/**
 * What the addon exports (native/*.cc, registered from addon.cc). The Tensor class's methods are typed by
 * lib/tensor_types.ts's Tensor interface; test/native.test.ts checks that interface against the native op table.
 * Each namespace also admits exports not typed here yet (the index signatures), so a native function added
 * on another branch still compiles; type it here when it is used.
 */
export interface NativeAddon {
  Tensor: { prototype: Tensor };
  setErrorClass(cls: new (message: string) => Error): void;
  libtorchVersion(): string;
  // factories.cc (what is not an operator: the ops are lib/generated/, through ops.bind)
  fromTypedArray(data: Typed, shape: number[], options: Options): Tensor;
  manualSeed(seed: number): void;
  getRngState(device: string): Tensor;
  setRngState(state: Tensor, device: string): void;
  setGradEnabled(enabled: boolean): boolean;
  isGradEnabled(): boolean;
  numThreads(n?: number): number;
  // memory.cc
  startScope(): number;
  endScope(depth: number, keep: Tensor[]): void;
  keep<T extends Tensor>(t: T): T;
  memory(): MemoryInfo;
  // data.cc
  splitRecords(bytes: Uint8Array, count: number, recordBytes: number): [Tensor, Tensor];
  generator: {
    create(seed: number): unknown;
    randperm(handle: unknown, n: number): Tensor;
    getState(handle: unknown): Tensor;
    setState(handle: unknown, state: Tensor): void;
    [name: string]: Fn;
  };
  // cuda.cc, autocast.cc, backends.cc
  cuda: {
    isAvailable(): boolean;
    deviceCount(): number;
    setDevice(index: number): void;
    currentDevice(): number;
    cudnnIsAvailable(): boolean;
    synchronize(device?: string | number): void;
    emptyCache(): void;
    manualSeedAll(seed: number): void;
    compiled: boolean;
    [name: string]: Fn | boolean;
  };
  amp: {
    enter(deviceType: string, enabled: boolean, dtype?: string): unknown;
    exit(deviceType: string, previous: unknown): void;
    isEnabled(deviceType: string): boolean;
    [name: string]: Fn;
  };
  /** at::globalContext()'s flags: each sets its flag when given a boolean (a name for the precision) and returns its value. */
  backends: {
    matmulAllowTf32(value?: boolean): boolean;
    cudnnAllowTf32(value?: boolean): boolean;
    cudnnBenchmark(value?: boolean): boolean;
    cudnnDeterministic(value?: boolean): boolean;
    cudnnEnabled(value?: boolean): boolean;
    useDeterministicAlgorithms(mode: boolean, warnOnly: boolean): void;
    deterministicAlgorithms(): boolean;
    deterministicAlgorithmsWarnOnly(): boolean;
    float32MatmulPrecision(value?: string): 'highest' | 'high' | 'medium';
  };
  // module.cc, optimizer.cc
  nn: {
    NativeModule: new (kind: string, options: Record<string, unknown>) => NativeLayer;
    setData(t: Tensor, value: Tensor): void;
    [name: string]: Fn | (new (...args: any[]) => any);
  };
  optim: {
    sgdStep(params: Tensor[], buffers: (Tensor | null)[], group: object): void;
    zeroGrad(params: Tensor[], setToNone: boolean): void;
    adamStep(params: Tensor[], ...slotsAndGroup: unknown[]): void;
    rmspropStep(params: Tensor[], ...slotsAndGroup: unknown[]): void;
    fusedSgdStep(params: Tensor[], buffers: (Tensor | null)[], lr: Tensor, group: object, gradScale?: Tensor | null, foundInf?: Tensor | null): void;
    /** libtorch 2.4+ has at::_fused_sgd_ with a tensor learning rate. */
    hasFusedSgd: boolean;
    [name: string]: Fn | boolean;
  };
  // ops.cc: the generic operator call (lib/ops.ts)
  ops: {
    bind(display: string, overloads: string[], method: boolean): Fn;
    has(name: string): boolean;
    schema(name: string): string | null;
  };
  // aoti.cc: AOTInductor packages (libtorch 2.x; `available` is false on a libtorch without them)
  export: {
    available: boolean;
    load(path: string, deviceIndex: number | null, runners: number): NativeAotiPackage;
    readMetadata(path: string): Record<string, string>;
  };
  /** Exports added on other branches and not typed yet. */
  [name: string]: any;
}
