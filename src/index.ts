/**
 * gradnode: deep learning for Node.js. PyTorch-style tensors and autograd in TypeScript; the heavy
 * arithmetic runs in a C++ addon with SIMD and OpenMP kernels (or, where it cannot load, in the
 * pure-TypeScript reference backend).
 *
 *   import * as gn from 'gradnode';
 *   const x = gn.randn([4, 3], { requiresGrad: true });
 *   const y = x.matmul(gn.randn([3, 2])).relu().sum();
 *   y.backward();
 *   console.log(x.grad);
 */
import './tensor_methods';

export { Tensor } from './tensor';
export type { DType, NestedArray } from './tensor';
export type { FloatArray } from './backend/backend';
export type { TensorLike } from './ops/util';

export {
  arange,
  eye,
  full,
  fullLike,
  linspace,
  ones,
  onesLike,
  rand,
  randint,
  randLike,
  randn,
  randnLike,
  tensor,
  zeros,
  zerosLike,
} from './ops/creation';
export type { CreateOptions, IntegerArray, RandomOptions, TensorOptions } from './ops/creation';

export { add, div, eq, ge, gt, le, lt, maximum, minimum, mul, ne, pow, sub, where } from './ops/elementwise';
export { abs, clamp, elu, exp, leakyRelu, log, neg, relu, sigmoid, sign, sqrt, tanh } from './ops/unary';
export { argmax, argmin, logSumExp, max, mean, min, std, sum, variance } from './ops/reduce';
export type { Dims, VarOptions } from './ops/reduce';
export { logSoftmax, softmax } from './ops/softmax';
export { linear, matmul } from './ops/matmul';
export { conv2d } from './ops/conv';
export type { Conv2dOptions } from './ops/conv';
export { avgPool2d, maxPool2d } from './ops/pool';
export type { AvgPool2dOptions, Pool2dOptions } from './ops/pool';
export { dropout } from './ops/dropout';
export { clone, expand, flatten, permute, reshape, squeeze, t, to, transpose, unflatten, unsqueeze, view } from './ops/views';
export { cat, chunk, index, narrow, pad, select, slice, split, stack } from './ops/join';
export type { IndexSpec } from './ops/join';

export { enableGrad, isGradEnabled, noGrad, setGradEnabled } from './autograd/grad_mode';
export { Context, Function, defineFunction } from './autograd/function';
export type { FunctionSpec } from './autograd/function';
export { backward } from './autograd/engine';
export type { BackwardOptions } from './autograd/engine';
export { gradcheck } from './autograd/gradcheck';
export type { GradcheckOptions } from './autograd/gradcheck';

export { Generator, defaultGenerator, manualSeed } from './random';
export { backendInfo, getNumThreads, setBackend, setNumThreads, withBackend } from './backend';
export type { BackendInfo, BackendName } from './backend';
export { formatTensor } from './print';

export * as nn from './nn';
export * as optim from './optim';
export * as io from './io';
export * as data from './data';
export * as train from './train';
export * as models from './models';
