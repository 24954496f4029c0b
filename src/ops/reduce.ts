/**
 * Reductions over any set of dims (all by default), with keepdim: sum, mean, max, min (gradient
 * split evenly between tied extremes), var, std, logSumExp; argmax / argmin (not differentiable; the
 * index of the first extreme, as a float).
 */
import { defineOp } from '../autograd/function';
import { backendFor } from '../backend';
import { fmtShape, normalizeDim, normalizeDims, numel } from '../shape';
import { Tensor } from '../tensor';
import { binaryRaw, expandRaw, reduceKeepdim, scalarRaw } from './kernels';
import { checkInt, checkTensor, empty } from './util';
import { add, div, mul, sub } from './elementwise';
import { exp, log, sqrt } from './unary';
import { reshape } from './views';

export type Dims = number | readonly number[];

function dropDims(shape: readonly number[], dims: readonly number[]): number[] {
  return shape.filter((_, d) => !dims.includes(d));
}

const Sum = defineOp({
  name: 'sum',
  forward(ctx, x: Tensor, dims: number[], keepdim: boolean) {
    ctx.inShape = x.shape;
    const r = reduceKeepdim('sum', x, dims);
    ctx.keptShape = r.shape;
    return keepdim ? r : new Tensor(r.data, dropDims(x.shape, dims));
  },
  backward(ctx, g) {
    return [expandRaw(new Tensor(g.data, ctx.keptShape as number[]), ctx.inShape as number[])];
  },
});

function extremum(op: 'max' | 'min') {
  return defineOp({
    name: op,
    forward(ctx, x: Tensor, dims: number[], keepdim: boolean) {
      const r = reduceKeepdim(op, x, dims);
      ctx.saveForBackward(x, r);
      ctx.dims = dims;
      return keepdim ? r : new Tensor(r.data, dropDims(x.shape, dims));
    },
    backward(ctx, g) {
      // Split the gradient evenly between the elements equal to the extreme.
      const [x, r] = ctx.savedTensors;
      const mask = binaryRaw('eq', x, r);
      const count = reduceKeepdim('sum', mask, ctx.dims as number[]);
      const share = binaryRaw('div', new Tensor(g.data, r.shape), count);
      return [binaryRaw('mul', mask, share)];
    },
  });
}
const Max = extremum('max');
const Min = extremum('min');

function reduceDims(op: string, x: Tensor, dim: Dims | undefined): number[] {
  checkTensor(op, 'input', x);
  return normalizeDims(op, dim, x.ndim);
}

/** Sum over dims (all by default). */
export function sum(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return Sum(x, reduceDims('sum', x, dim), keepdim);
}

/** Mean over dims (all by default). */
export function mean(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  const dims = reduceDims('mean', x, dim);
  const count = numel(dims.map((d) => x.shape[d]));
  return div(sum(x, dims, keepdim), count);
}

function checkNonEmpty(op: string, x: Tensor, dims: number[]): void {
  if (dims.some((d) => x.shape[d] === 0) || (dims.length === 0 && x.numel === 0)) {
    throw new RangeError(`${op}: cannot reduce over an empty dimension (input shape ${fmtShape(x.shape)})`);
  }
}

/** Maximum over dims (all by default); NaN propagates. */
export function max(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  const dims = reduceDims('max', x, dim);
  checkNonEmpty('max', x, dims);
  return Max(x, dims, keepdim);
}

/** Minimum over dims (all by default); NaN propagates. */
export function min(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  const dims = reduceDims('min', x, dim);
  checkNonEmpty('min', x, dims);
  return Min(x, dims, keepdim);
}

export interface VarOptions {
  /** Subtracted from the count in the divisor: 1 (default) is the unbiased estimate, 0 the population variance. */
  correction?: number;
  keepdim?: boolean;
}

/** Variance over dims (all by default). */
export function variance(x: Tensor, dim?: Dims, opts: VarOptions = {}): Tensor {
  const dims = reduceDims('var', x, dim);
  const correction = opts.correction ?? 1;
  const count = numel(dims.map((d) => x.shape[d]));
  const centered = sub(x, mean(x, dims, true));
  return div(sum(mul(centered, centered), dims, opts.keepdim ?? false), Math.max(count - correction, 0));
}

/** Standard deviation over dims (all by default). */
export function std(x: Tensor, dim?: Dims, opts: VarOptions = {}): Tensor {
  return sqrt(variance(x, dim, opts));
}

/** log(sum(exp(x))) over dims, computed stably. */
export function logSumExp(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  const dims = reduceDims('logSumExp', x, dim);
  checkNonEmpty('logSumExp', x, dims);
  const m = reduceKeepdim('max', x.detach(), dims);
  // Rows that are entirely -Infinity (or +Infinity) keep their shift at 0 so the result is the
  // mathematically right -Infinity (or +Infinity) instead of NaN.
  for (let i = 0; i < m.numel; i++) if (!Number.isFinite(m.data[i])) m.data[i] = 0;
  const s = log(sum(exp(sub(x, m)), dims, true));
  const r = add(s, m);
  return keepdim ? r : reshape(r, dropDims(x.shape, dims));
}

function argExtremum(op: 'max' | 'min', x: Tensor, dim: number | undefined, keepdim: boolean): Tensor {
  const name = `arg${op}`;
  checkTensor(name, 'input', x);
  if (x.numel === 0) throw new RangeError(`${name}: the input is empty (shape ${fmtShape(x.shape)})`);
  if (dim === undefined) {
    const out = empty(keepdim ? x.shape.map(() => 1) : [], x.dtype);
    backendFor(x.data).argReduce(op, x.data, out.data, 1, x.numel, 1);
    return out;
  }
  checkInt(name, 'dim', dim);
  const d = normalizeDim(name, dim, x.ndim);
  const outer = numel(x.shape.slice(0, d));
  const inner = numel(x.shape.slice(d + 1));
  const kept = x.shape.map((s, i) => (i === d ? 1 : s));
  const out = empty(keepdim ? kept : dropDims(x.shape, [d]), x.dtype);
  backendFor(x.data).argReduce(op, x.data, out.data, outer, x.shape[d] ?? 1, inner);
  return out;
}

/** Index of the first maximum along dim (of the flattened tensor when dim is omitted). */
export function argmax(x: Tensor, dim?: number, keepdim = false): Tensor {
  return argExtremum('max', x, dim, keepdim);
}

/** Index of the first minimum along dim (of the flattened tensor when dim is omitted). */
export function argmin(x: Tensor, dim?: number, keepdim = false): Tensor {
  return argExtremum('min', x, dim, keepdim);
}

