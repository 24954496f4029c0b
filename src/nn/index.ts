/**
 * gn.nn: modules, layers, containers, losses, initialisers and the functional forms of the layers.
 */
export { Module, Parameter } from './module';
export type { LoadResult, StateDict } from './module';
export { ModuleDict, ModuleList, Sequential } from './containers';
export { Linear } from './layers/linear';
export type { LinearOptions } from './layers/linear';
export { Conv2d, ConvTranspose2d } from './layers/conv';
export type { Conv2dLayerOptions, ConvTranspose2dLayerOptions } from './layers/conv';
export { AdaptiveAvgPool2d, AvgPool2d, MaxPool2d } from './layers/pooling';
export { BatchNorm1d, BatchNorm2d } from './layers/normalization';
export type { BatchNormOptions } from './layers/normalization';
export { Dropout, ELU, LeakyReLU, LogSoftmax, Maxout, PReLU, ReLU, Sigmoid, Softmax, Tanh } from './layers/activation';
export { Flatten, Identity, Upsample } from './layers/shape';
export type { UpsampleOptions } from './layers/shape';
export { Embedding } from './layers/embedding';
export type { EmbeddingOptions } from './layers/embedding';
export { LSTM, RNN } from './layers/rnn';
export type { RNNOptions } from './layers/rnn';
export * from './losses';
export * as init from './init';
export * as functional from './functional';
