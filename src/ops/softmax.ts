/** softmax and logSoftmax along one dim, with their fused backward kernels. */
import { defineFunction } from '../autograd/function';
import { backendFor } from '../backend';
import { normalizeDim, numel } from '../shape';
import type { Tensor } from '../tensor';
import { checkInt, checkTensor, empty } from './util';

function softmaxFunction(log: boolean) {
  return defineFunction({
    name: log ? 'logSoftmax' : 'softmax',
    forward(ctx, x: Tensor, outer: number, n: number, inner: number) {
      const y = empty(x.shape, x.dtype);
      backendFor(x.data).softmax(x.data, y.data, outer, n, inner, log);
      ctx.saveForBackward(y);
      ctx.dims = [outer, n, inner];
      return y;
    },
    backward(ctx, g) {
      const [y] = ctx.savedTensors;
      const [outer, n, inner] = ctx.dims as number[];
      const dx = empty(g.shape, g.dtype);
      backendFor(g.data).softmaxBackward(y.data, g.data, dx.data, outer, n, inner, log);
      return [dx];
    },
  });
}

const Softmax = softmaxFunction(false);
const LogSoftmax = softmaxFunction(true);

function run(log: boolean, x: Tensor, dim: number): Tensor {
  const name = log ? 'logSoftmax' : 'softmax';
  checkTensor(name, 'input', x);
  checkInt(name, 'dim', dim);
  const d = normalizeDim(name, dim, x.ndim);
  const outer = numel(x.shape.slice(0, d));
  const n = x.ndim === 0 ? 1 : x.shape[d];
  const inner = numel(x.shape.slice(d + 1));
  return (log ? LogSoftmax : Softmax)(x, outer, n, inner);
}

/** exp(x) / sum(exp(x)) along dim (default: the last). */
export function softmax(x: Tensor, dim = -1): Tensor {
  return run(false, x, dim);
}

/** log(softmax(x)) along dim (default: the last), computed stably. */
export function logSoftmax(x: Tensor, dim = -1): Tensor {
  return run(true, x, dim);
}
