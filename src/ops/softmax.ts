/**
 * softmax and logSoftmax along one dim, with their fused backward kernels; and the cross-entropy of
 * softmax against integer labels, fused the same way (one log-softmax forward, one backward pass).
 */
import { defineOp } from '../autograd/function';
import { recycleArray } from '../autograd/scratch';
import { backendFor } from '../backend';
import { normalizeDim, numel } from '../shape';
import type { Tensor } from '../tensor';
import { checkInt, checkTensor, empty } from './util';
import type { FloatArray } from '../backend/backend';

function softmaxFunction(log: boolean) {
  return defineOp({
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

/**
 * The cross-entropy of softmax(x) over dim 1 against integer class labels, per position: x [N, C]
 * or [N, C, d1, ...], labels (already checked to lie in [0, C)) laid out [N, d1, ...]; returns
 * [N, d1, ...] with loss = −((1 − s) logp[label] + (s / C) Σ_j logp[j]), logp = logSoftmax(x).
 * The backward is one kernel: g (softmax(x) − target distribution).
 */
export const crossEntropyWithLabels = defineOp({
  name: 'crossEntropy',
  forward(ctx, x: Tensor, labels: Int32Array, smoothing: number) {
    const [outer, n] = x.shape;
    const inner = numel(x.shape.slice(2));
    const be = backendFor(x.data);
    // logp never leaves the op (backward reads it, the loss is a new tensor): engine scratch, given
    // back to the pool when the node is released, so that the next step's log-softmax writes into
    // memory still in cache instead of a fresh megabyte for [256, 1000], which the allocator often
    // maps and faults in anew. Forward + backward of that shape in a loop, 4 alternating runs per
    // build: 325-403 -> 267-340 us per call (noisy: the page faults follow the garbage collector).
    const logp = empty(x.shape, x.dtype);
    ctx.onRelease(() => recycleArray(logp.data)); // (only arrays large enough to be reused)
    be.softmax(x.data, logp.data, outer, n, inner, true);
    const loss = empty([outer, ...x.shape.slice(2)], x.dtype);
    let rowSums: FloatArray | null = null;
    if (smoothing !== 0) {
      rowSums = empty(loss.shape, x.dtype).data;
      be.reduce('sum', logp.data, rowSums, outer, n, inner);
    }
    const lp = logp.data;
    const out = loss.data;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const at = o * inner + i;
        const picked = lp[(o * n + labels[at]) * inner + i];
        out[at] = rowSums === null ? -picked : -((1 - smoothing) * picked + (smoothing / n) * rowSums[at]);
      }
    }
    ctx.saveForBackward(logp);
    ctx.labels = labels;
    ctx.smoothing = smoothing;
    return loss;
  },
  backward(ctx, g) {
    const [logp] = ctx.savedTensors;
    const [outer, n] = logp.shape;
    const inner = numel(logp.shape.slice(2));
    const dx = empty(logp.shape, logp.dtype);
    backendFor(g.data).crossEntropyBackward(logp.data, ctx.labels as Int32Array, g.data, dx.data, outer, n, inner, ctx.smoothing as number);
    return [dx];
  },
});
