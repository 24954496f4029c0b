/**
 * The reference backend: plain, readable TypeScript loops over the kernel contract (backend.ts),
 * generic over Float32Array and Float64Array. It is the oracle the native kernels are tested
 * against, the float64 engine of gradcheck, and the fallback when the addon cannot load.
 */
import type { Backend } from '../backend';
import { conv2dBackwardData, conv2dBackwardFilter, conv2dForward } from './conv';
import { binary, unary, unaryBackward, where } from './elementwise';
import { gemm } from './gemm';
import { batchNormBackward, batchNormStats, channelAffine } from './norm';
import { adamStep, sgdUpdate } from './optim';
import { dropoutForward } from './random';
import { lstmCell, lstmCellBackward } from './recurrent';
import { copyStrided, upsampleNearest, upsampleNearestBackward } from './layout';
import { avgPool2dBackward, avgPool2dForward, maxPool2dBackward, maxPool2dForward } from './pool';
import { argReduce, crossEntropyBackward, reduce, softmax, softmaxBackward } from './reduce';

export const referenceBackend: Backend = {
  name: 'reference',
  gemm,
  conv2dForward,
  conv2dBackwardData,
  conv2dBackwardFilter,
  maxPool2dForward,
  maxPool2dBackward,
  avgPool2dForward,
  avgPool2dBackward,
  unary,
  unaryBackward,
  binary,
  where,
  reduce,
  argReduce,
  softmax,
  softmaxBackward,
  crossEntropyBackward,
  copyStrided,
  batchNormStats,
  channelAffine,
  batchNormBackward,
  sgdStep: sgdUpdate,
  adamStep,
  dropoutForward,
  lstmCell,
  lstmCellBackward,
  upsampleNearest,
  upsampleNearestBackward,
};
