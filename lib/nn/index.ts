// torch.nn: Module, the layers, and nn.functional.
export { Module, Parameter, isParameter } from './module';
export type { StateDict, LoadStateDictResult, ToTarget } from './module';
export {
  Conv2d,
  BatchNorm2d,
  Linear,
  ReLU,
  Identity,
  AdaptiveAvgPool2d,
  AvgPool2d,
  Flatten,
  Sequential,
  MaxPool2d,
  Dropout,
  Dropout2d,
  BatchNorm1d,
  LayerNorm,
  Embedding,
  GELU,
  SiLU,
  Sigmoid,
  Tanh,
  Softmax,
  LogSoftmax,
  ModuleList,
  ModuleDict,
} from './layers';
export {
  Conv1d,
  ConvTranspose2d,
  GroupNorm,
  LeakyReLU,
  ELU,
  Hardswish,
  Mish,
  PixelShuffle,
  Upsample,
  InstanceNorm2d,
  LSTM,
  GRU,
  MultiheadAttention,
  TransformerEncoderLayer,
} from './layers_ops';
export type { ConvNdOptions, ConvTransposeNdOptions, RNNOptions, MultiheadAttentionOptions, AttentionCallOptions, TransformerEncoderLayerOptions } from './layers_ops';
export type { Conv2dOptions, BatchNorm2dOptions, LinearOptions, FactoryOptions } from './layers';
export {
  L1Loss,
  MSELoss,
  CrossEntropyLoss,
  CTCLoss,
  NLLLoss,
  PoissonNLLLoss,
  GaussianNLLLoss,
  KLDivLoss,
  BCELoss,
  BCEWithLogitsLoss,
  MarginRankingLoss,
  HingeEmbeddingLoss,
  MultiLabelMarginLoss,
  HuberLoss,
  SmoothL1Loss,
  SoftMarginLoss,
  MultiLabelSoftMarginLoss,
  CosineEmbeddingLoss,
  MultiMarginLoss,
  TripletMarginLoss,
  TripletMarginWithDistanceLoss,
} from './loss';
export type { CrossEntropyLossOptions } from './loss';
export * as functional from './functional';
export * as parallel from './parallel';
export * as init from './init';
export * as utils from './utils';
