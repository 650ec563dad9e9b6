// libtorch-node: the `torch` namespace of PyTorch, for Node.js.
export { TorchError } from './errors';
export type { DType, Device, TensorOptions } from './dtype';
export { DTYPES } from './dtype';
export {
  Tensor,
  isTensor,
  tensor,
  zeros,
  ones,
  empty,
  full,
  rand,
  randn,
  randint,
  randperm,
  arange,
  cat,
  stack,
  manualSeed,
  getRngState,
  setRngState,
  noGrad,
  isGradEnabled,
  setGradEnabled,
  enableGrad,
  inferenceMode,
  isInferenceModeEnabled,
  getNumThreads,
  setNumThreads,
  getDefaultDtype,
  setDefaultDtype,
  libtorchVersion,
} from './tensor';
export type { Scalar, TensorLike, NestedArray, MemoryFormat, BoolTensor, SizeArgs } from './tensor';
export { Slice, Ellipsis } from './indexing';
export type { TensorIndex } from './indexing';
export { einsum, meshgrid, broadcastTensors, blockDiag, cartesianProd, chainMatmul, unique, uniqueConsecutive, tensordot } from './functional';
export type { UniqueOptions } from './tensor_types';
export { tidy, keep, dispose, memory } from './memory';
export { setPrintoptions, getPrintoptions } from './print_options';
export type { SetPrintOptions, PrintOptions, PrintProfile } from './print_options';
// Every torch.* function PyTorch declares (the names above, written by hand, take precedence).
export * from './generated/torch';
export * as linalg from './generated/linalg';
export * as fft from './generated/fft';
export * as special from './generated/special';
export { hasOp, opSchema } from './ops';
export type { MemoryInfo, DeviceUsage } from './memory';
export { cuda } from './cuda';
export { autocast, isAutocastEnabled } from './amp';
export {
  backends,
  useDeterministicAlgorithms,
  areDeterministicAlgorithmsEnabled,
  isDeterministicAlgorithmsWarnOnlyEnabled,
  setFloat32MatmulPrecision,
  getFloat32MatmulPrecision,
} from './backends';
export type { Float32MatmulPrecision } from './backends';
export type { AutocastDevice } from './amp';
export { GradScaler } from './grad_scaler';
export type { GradScalerOptions, GradScalerStateDict } from './grad_scaler';
export { save, load, saveAsync, loadAsync } from './serialization';
export type { SaveOptions, LoadOptions, MapLocation } from './serialization';
export * as data from './data';
export * as nn from './nn';
export * as optim from './optim';
export * as models from './models';
export * as train from './train';
export * as jit from './jit';
export * as export from './export';
export * as vision from './vision';
export * as utils from './utils';
export * as distributed from './distributed';
export { trainResNet20, evaluate, fit, predict, TrainStep } from './train';
export * as cli from './cli';
export type { TrainOptions, TrainResult, EpochRecord, Evaluation } from './train';
// The modules that add Tensor's methods by augmenting its interface (`declare module './tensor_types'`),
// imported for their types: a declaration file keeps only the imports of what it names, and side-effect
// imports, so without these dist/index.d.ts would not reach them and a project that installs the package
// would see no generated method (lib/tensor.ts loads them at run time). test/docs_typecheck.test.ts checks
// that every augmenting module is reached.
import './generated/tensor_methods';
import './indexing';
