/**
 * Unary math and activations. Each op's forward and backward sit together; the backward kernels
 * take the forward input or output, whichever the derivative needs (Backend.unaryBackward).
 */
import { defineOp } from '../autograd/function';
import type { UnaryOp } from '../backend/backend';
import type { Tensor } from '../tensor';
import { unaryGradRaw, unaryRaw } from './kernels';
import { checkNumber, checkTensor } from './util';

/** Which forward value the derivative needs. */
type Needs = 'x' | 'y' | 'xy' | 'none';

function unaryFunction(op: UnaryOp, needs: Needs) {
  return defineOp({
    name: op,
    forward(ctx, x: Tensor, alpha: number, beta: number) {
      const y = unaryRaw(op, x, alpha, beta);
      ctx.alpha = alpha;
      ctx.beta = beta;
      if (needs === 'x') ctx.saveForBackward(x);
      if (needs === 'y') ctx.saveForBackward(y);
      if (needs === 'xy') ctx.saveForBackward(x, y);
      return y;
    },
    backward(ctx, g) {
      const saved = ctx.savedTensors;
      const x = needs === 'x' || needs === 'xy' ? saved[0] : null;
      const y = needs === 'y' ? saved[0] : needs === 'xy' ? saved[1] : null;
      return [unaryGradRaw(op, x, y, g, ctx.alpha as number, ctx.beta as number)];
    },
  });
}

const fns = {
  neg: unaryFunction('neg', 'none'),
  exp: unaryFunction('exp', 'y'),
  log: unaryFunction('log', 'x'),
  sqrt: unaryFunction('sqrt', 'y'),
  abs: unaryFunction('abs', 'x'),
  sign: unaryFunction('sign', 'x'),
  relu: unaryFunction('relu', 'x'),
  leakyRelu: unaryFunction('leakyRelu', 'x'),
  elu: unaryFunction('elu', 'xy'),
  sigmoid: unaryFunction('sigmoid', 'y'),
  tanh: unaryFunction('tanh', 'y'),
  clamp: unaryFunction('clamp', 'x'),
};

function apply(op: keyof typeof fns, x: Tensor, alpha = 0, beta = 0): Tensor {
  checkTensor(op, 'input', x);
  return fns[op](x, alpha, beta);
}

export const neg = (x: Tensor): Tensor => apply('neg', x);
export const exp = (x: Tensor): Tensor => apply('exp', x);
export const log = (x: Tensor): Tensor => apply('log', x);
export const sqrt = (x: Tensor): Tensor => apply('sqrt', x);
export const abs = (x: Tensor): Tensor => apply('abs', x);
/** -1, 0 or 1 (gradient zero). */
export const sign = (x: Tensor): Tensor => apply('sign', x);
export const relu = (x: Tensor): Tensor => apply('relu', x);
export const sigmoid = (x: Tensor): Tensor => apply('sigmoid', x);
export const tanh = (x: Tensor): Tensor => apply('tanh', x);

/** x > 0 ? x : negativeSlope * x. */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  checkNumber('leakyRelu', 'negativeSlope', negativeSlope);
  return apply('leakyRelu', x, negativeSlope);
}

/** x > 0 ? x : alpha * (exp(x) - 1). */
export function elu(x: Tensor, alpha = 1): Tensor {
  checkNumber('elu', 'alpha', alpha);
  return apply('elu', x, alpha);
}

/** Limits x to [min, max]; either bound may be omitted. The gradient flows where min <= x <= max. */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  checkNumber('clamp', 'min', lo);
  checkNumber('clamp', 'max', hi);
  if (lo > hi) throw new RangeError(`clamp: min (${lo}) must not exceed max (${hi})`);
  return apply('clamp', x, lo, hi);
}
