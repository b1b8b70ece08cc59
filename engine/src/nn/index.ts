export { Module } from "./module.ts";
export { parameter } from "./parameter.ts";
export * as init from "./init.ts";
export { Linear } from "./layers/linear.ts";
export { Conv2d, type Conv2dConfig } from "./layers/conv.ts";
export { MaxPool2d, AvgPool2d } from "./layers/pooling.ts";
export { BatchNorm2d, LayerNorm } from "./layers/normalization.ts";
export { ReLU, GELU, Softplus, Tanh, Sigmoid, Identity, Dropout, Flatten } from "./layers/activation.ts";
export { Embedding, type EmbeddingOptions } from "./layers/embedding.ts";
export { Sequential } from "./layers/sequential.ts";
export { CrossEntropyLoss, NLLLoss, MSELoss, L1Loss, SmoothL1Loss, BCELoss, BCEWithLogitsLoss, KLDivLoss } from "./layers/loss.ts";
export { ModuleList, ModuleDict } from "./layers/containers.ts";
export type { HookHandle, ForwardHook, ForwardPreHook, BackwardHook } from "./hooks.ts";
export { MultiheadAttention, type MultiheadAttentionConfig, type MultiheadAttentionCall } from "./layers/attention.ts";
export {
  TransformerEncoderLayer,
  TransformerDecoderLayer,
  TransformerEncoder,
  type TransformerLayerConfig,
  type EncoderCall,
  type DecoderCall,
} from "./layers/transformer.ts";
export { Conv1d, ConvTranspose2d, type Conv1dConfig, type ConvTranspose2dConfig } from "./layers/conv-extra.ts";
export { BatchNorm1d, GroupNorm } from "./layers/normalization-extra.ts";
export { Upsample } from "./layers/upsample.ts";
export { GraphModule } from "./graph-module.ts";
export { LSTM, GRU, RNN, type RecurrentOptions, type RecurrentResult } from "./layers/recurrent.ts";
export { LSTMCell, GRUCell, RNNCell } from "./layers/recurrent-cells.ts";
export {
  LeakyReLU,
  SiLU,
  ELU,
  SELU,
  CELU,
  Hardswish,
  Hardsigmoid,
  Mish,
  ReLU6,
  Hardtanh,
  LogSigmoid,
  Softsign,
  GLU,
  PReLU,
  Softmax,
  LogSoftmax,
  Softmin,
} from "./layers/activation-extra.ts";
export { AdaptiveAvgPool2d, AdaptiveMaxPool2d, AdaptiveAvgPool1d, AdaptiveMaxPool1d, AvgPool1d, MaxPool1d } from "./layers/pooling-adaptive.ts";
export { Unflatten, PixelShuffle, PixelUnshuffle, ZeroPad2d, ConstantPad2d, ReflectionPad2d, ReplicationPad2d } from "./layers/reshape-extra.ts";
export { Dropout1d, Dropout2d } from "./layers/dropout-channel.ts";
export { CosineSimilarity, PairwiseDistance } from "./layers/distance.ts";
export { InstanceNorm1d, InstanceNorm2d, RMSNorm, type InstanceNormOptions } from "./layers/normalization-instance.ts";
export { TransformerDecoder } from "./layers/transformer-decoder.ts";
export {
  HuberLoss,
  SoftMarginLoss,
  MultiLabelSoftMarginLoss,
  HingeEmbeddingLoss,
  PoissonNLLLoss,
  CosineEmbeddingLoss,
  MarginRankingLoss,
  TripletMarginLoss,
  GaussianNLLLoss,
} from "./layers/loss-extra.ts";
export { Parameter, ParameterList, ParameterDict, type ParameterConstructor } from "./layers/parameter-containers.ts";
