/**
 * Tensor-level calls into the backend without autograd: the building blocks of the ops' forwards
 * and backwards (broadcasting elementwise math, reductions over any set of dims, materialising a
 * broadcast, summing a gradient back to an operand's shape).
 */
import { backendFor } from '../backend';
import type { BinaryOp, ReduceOp, UnaryOp } from '../backend/backend';
import { broadcastShapes, broadcastStrides, contiguousStrides, numel, shapesEqual } from '../shape';
import { Tensor } from '../tensor';
import { dataAs, empty, resultDtype } from './util';

/** a op b with broadcasting (no autograd). */
export function binaryRaw(op: BinaryOp, a: Tensor, b: Tensor, name: string = op): Tensor {
  const shape = broadcastShapes(name, a.shape, b.shape);
  const dtype = resultDtype(a, b);
  const out = empty(shape, dtype);
  const ad = dataAs(a, dtype);
  const bd = dataAs(b, dtype);
  backendFor(ad, bd).binary(op, ad, broadcastStrides(a.shape, shape), bd, broadcastStrides(b.shape, shape), out.data, shape);
  return out;
}

/** cond != 0 ? a : b with broadcasting (no autograd). */
export function whereRaw(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes('where', cond.shape, a.shape, b.shape);
  const dtype = resultDtype(a, b);
  const out = empty(shape, dtype);
  const c = dataAs(cond, dtype);
  const ad = dataAs(a, dtype);
  const bd = dataAs(b, dtype);
  backendFor(c, ad, bd).where(
    c,
    broadcastStrides(cond.shape, shape),
    ad,
    broadcastStrides(a.shape, shape),
    bd,
    broadcastStrides(b.shape, shape),
    out.data,
    shape,
  );
  return out;
}

/** a op scalar. */
export function scalarRaw(op: BinaryOp, a: Tensor, s: number): Tensor {
  const b = empty([], a.dtype);
  b.data[0] = s;
  return binaryRaw(op, a, b);
}

export function unaryRaw(op: UnaryOp, x: Tensor, alpha = 0, beta = 0): Tensor {
  const out = empty(x.shape, x.dtype);
  backendFor(x.data).unary(op, x.data, out.data, alpha, beta);
  return out;
}

/** dL/dx of a unary op from the forward input and/or output (see Backend.unaryBackward). */
export function unaryGradRaw(op: UnaryOp, x: Tensor | null, y: Tensor | null, g: Tensor, alpha = 0, beta = 0): Tensor {
  const dx = empty(g.shape, g.dtype);
  const xd = x ? dataAs(x, g.dtype) : null;
  const yd = y ? dataAs(y, g.dtype) : null;
  backendFor(g.data).unaryBackward(op, xd, yd, g.data, dx.data, alpha, beta);
  return dx;
}

/** Reduces over sorted, distinct dims, keeping them as size-1 dims. */
export function reduceKeepdim(op: ReduceOp, x: Tensor, dims: readonly number[]): Tensor {
  let cur = x;
  // Runs of consecutive dims reduce in one kernel call; handle the last run first.
  let i = dims.length - 1;
  while (i >= 0) {
    let j = i;
    while (j > 0 && dims[j - 1] === dims[j] - 1) j--;
    const d0 = dims[j];
    const d1 = dims[i];
    const shape = cur.shape;
    const outer = numel(shape.slice(0, d0));
    const n = numel(shape.slice(d0, d1 + 1));
    const inner = numel(shape.slice(d1 + 1));
    const outShape = shape.map((s, d) => (d >= d0 && d <= d1 ? 1 : s));
    const out = empty(outShape, cur.dtype);
    backendFor(cur.data).reduce(op, cur.data, out.data, outer, n, inner);
    cur = out;
    i = j - 1;
  }
  return cur === x ? new Tensor(x.data.slice(), x.shape) : cur;
}

/** A tensor of `shape` holding x broadcast to it (a copy). */
export function expandRaw(x: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(x.shape, shape)) return x;
  const out = empty(shape, x.dtype);
  backendFor(x.data).copyStrided(x.data, 0, broadcastStrides(x.shape, shape), out.data, 0, contiguousStrides(shape), shape.slice());
  return out;
}

/** Sums a gradient of a broadcast result back to the shape of the operand that was broadcast. */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const dims: number[] = [];
  for (let d = 0; d < g.ndim; d++) {
    if (d < lead || (shape[d - lead] === 1 && g.shape[d] !== 1)) dims.push(d);
  }
  const reduced = dims.length > 0 ? reduceKeepdim('sum', g, dims) : g;
  return new Tensor(reduced.data, shape);
}
