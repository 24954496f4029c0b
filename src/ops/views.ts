/**
 * Shape ops. reshape / view / flatten / unflatten / squeeze / unsqueeze are views: the result shares
 * storage with the input (no copy). permute / transpose / expand copy into a new contiguous tensor.
 */
import { defineOp } from '../autograd/function';
import { backendFor } from '../backend';
import { checkShape, contiguousStrides, fmtShape, normalizeDim, numel, shapesEqual } from '../shape';
import { Tensor } from '../tensor';
import { expandRaw, sumTo } from './kernels';
import { checkInt, checkTensor, empty } from './util';

const View = defineOp({
  name: 'view',
  forward(ctx, x: Tensor, shape: number[]) {
    ctx.inShape = x.shape;
    return new Tensor(x.data, shape);
  },
  backward(ctx, g) {
    return [new Tensor(g.data, ctx.inShape as number[])];
  },
});

/** A view with a new shape (one size may be -1, inferred). Shares storage with x. */
export function reshape(x: Tensor, ...shape: (number | readonly number[])[]): Tensor {
  checkTensor('reshape', 'input', x);
  const want = (Array.isArray(shape[0]) ? shape[0] : shape) as number[];
  const inferAt = want.indexOf(-1);
  if (want.filter((s) => s === -1).length > 1) throw new RangeError(`reshape: only one dimension can be -1, got ${fmtShape(want)}`);
  const known = want.filter((_, i) => i !== inferAt);
  checkShape('reshape', known);
  const out = want.slice();
  if (inferAt >= 0) {
    const rest = numel(known);
    if (rest === 0 || x.numel % rest !== 0) {
      throw new RangeError(`reshape: shape ${fmtShape(want)} is invalid for a tensor of ${x.numel} elements`);
    }
    out[inferAt] = x.numel / rest;
  }
  if (numel(out) !== x.numel) {
    throw new RangeError(
      `reshape: shape ${fmtShape(want)} is invalid for a tensor of shape ${fmtShape(x.shape)} (${x.numel} elements)`,
    );
  }
  return shapesEqual(out, x.shape) && !x.requiresGrad ? new Tensor(x.data, out) : View(x, out);
}

export const view = reshape;

/** Merges dims startDim..endDim into one. */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  checkTensor('flatten', 'input', x);
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normalizeDim('flatten', startDim, x.ndim);
  const e = normalizeDim('flatten', endDim, x.ndim);
  if (s > e) throw new RangeError(`flatten: startDim (${startDim}) must not come after endDim (${endDim})`);
  return reshape(x, [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

/** Splits dim into the given sizes (one may be -1). */
export function unflatten(x: Tensor, dim: number, sizes: readonly number[]): Tensor {
  checkTensor('unflatten', 'input', x);
  const d = normalizeDim('unflatten', dim, x.ndim);
  const inferred = sizes.includes(-1) ? x.shape[d] / numel(sizes.filter((s) => s !== -1)) : null;
  const full = sizes.map((s) => (s === -1 ? (inferred as number) : s));
  if (numel(full) !== x.shape[d] || !full.every(Number.isInteger)) {
    throw new RangeError(`unflatten: sizes ${fmtShape(sizes)} do not multiply to ${x.shape[d]}, the size of dim ${dim}`);
  }
  return reshape(x, [...x.shape.slice(0, d), ...full, ...x.shape.slice(d + 1)]);
}

/** Removes size-1 dims (all of them, or only `dim`). */
export function squeeze(x: Tensor, dim?: number): Tensor {
  checkTensor('squeeze', 'input', x);
  if (dim === undefined) return reshape(x, x.shape.filter((s) => s !== 1));
  const d = normalizeDim('squeeze', dim, x.ndim);
  if (x.ndim === 0 || x.shape[d] !== 1) return reshape(x, x.shape.slice());
  return reshape(x, x.shape.filter((_, i) => i !== d));
}

/** Inserts a size-1 dim at position dim (in [-ndim-1, ndim]). */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  checkTensor('unsqueeze', 'input', x);
  const d = normalizeDim('unsqueeze', dim, x.ndim + 1);
  return reshape(x, [...x.shape.slice(0, d), 1, ...x.shape.slice(d)]);
}

function permuteRaw(x: Tensor, dims: readonly number[]): Tensor {
  const shape = dims.map((d) => x.shape[d]);
  const out = empty(shape, x.dtype);
  const src = contiguousStrides(x.shape);
  backendFor(x.data).copyStrided(x.data, 0, dims.map((d) => src[d]), out.data, 0, contiguousStrides(shape), shape);
  return out;
}

const Permute = defineOp({
  name: 'permute',
  forward(ctx, x: Tensor, dims: number[]) {
    ctx.dims = dims;
    return permuteRaw(x, dims);
  },
  backward(ctx, g) {
    const dims = ctx.dims as number[];
    const inverse = new Array<number>(dims.length);
    dims.forEach((d, i) => {
      inverse[d] = i;
    });
    return [permuteRaw(g, inverse)];
  },
});

/** Reorders the dims: result dim i is input dim dims[i]. */
export function permute(x: Tensor, ...dims: (number | readonly number[])[]): Tensor {
  checkTensor('permute', 'input', x);
  const list = (Array.isArray(dims[0]) ? dims[0] : dims) as number[];
  if (list.length !== x.ndim) {
    throw new RangeError(`permute: expected ${x.ndim} dims for a tensor of shape ${fmtShape(x.shape)}, got [${list.join(',')}]`);
  }
  const norm = list.map((d) => normalizeDim('permute', d, x.ndim));
  if (new Set(norm).size !== norm.length) throw new RangeError(`permute: dims [${list.join(',')}] repeat a dimension`);
  if (norm.every((d, i) => d === i)) return reshape(x, x.shape.slice());
  return Permute(x, norm);
}

/** Swaps two dims. */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  checkTensor('transpose', 'input', x);
  checkInt('transpose', 'dim0', dim0);
  checkInt('transpose', 'dim1', dim1);
  const a = normalizeDim('transpose', dim0, x.ndim);
  const b = normalizeDim('transpose', dim1, x.ndim);
  const dims = x.shape.map((_, i) => i);
  dims[a] = b;
  dims[b] = a;
  return permute(x, dims);
}

/** Transpose of a 2-D tensor (1-D and 0-D tensors are returned as they are). */
export function t(x: Tensor): Tensor {
  checkTensor('t', 'input', x);
  if (x.ndim > 2) throw new RangeError(`t: expects a tensor with at most 2 dims, got shape ${fmtShape(x.shape)}; use transpose or permute`);
  return x.ndim < 2 ? reshape(x, x.shape.slice()) : transpose(x, 0, 1);
}

const Expand = defineOp({
  name: 'expand',
  forward(ctx, x: Tensor, shape: number[]) {
    ctx.inShape = x.shape;
    return expandRaw(x, shape);
  },
  backward(ctx, g) {
    return [sumTo(g, ctx.inShape as number[])];
  },
});

/** Broadcasts x to a larger shape (-1 keeps a size). Returns a new tensor (a copy). */
export function expand(x: Tensor, ...shape: (number | readonly number[])[]): Tensor {
  checkTensor('expand', 'input', x);
  const want = ((Array.isArray(shape[0]) ? shape[0] : shape) as number[]).slice();
  if (want.length < x.ndim) {
    throw new RangeError(`expand: the target ${fmtShape(want)} has fewer dims than the tensor ${fmtShape(x.shape)}`);
  }
  const lead = want.length - x.ndim;
  want.forEach((s, i) => {
    const cur = i >= lead ? x.shape[i - lead] : 1;
    if (s === -1 && i >= lead) want[i] = cur;
    else if (s !== cur && cur !== 1) {
      throw new RangeError(`expand: cannot expand shape ${fmtShape(x.shape)} to ${fmtShape(shape.flat())} (dim ${i}: ${cur} to ${s})`);
    }
  });
  checkShape('expand', want);
  return shapesEqual(want, x.shape) ? reshape(x, want) : Expand(x, want);
}

const Clone = defineOp({
  name: 'clone',
  forward(_ctx, x: Tensor) {
    return new Tensor(x.data.slice(), x.shape);
  },
  backward(_ctx, g) {
    return [g];
  },
});

/** A copy with its own storage (differentiable). */
export function clone(x: Tensor): Tensor {
  checkTensor('clone', 'input', x);
  return Clone(x);
}

const Cast = defineOp({
  name: 'cast',
  forward(ctx, x: Tensor, dtype: 'float32' | 'float64') {
    ctx.from = x.dtype;
    return new Tensor(dtype === 'float64' ? Float64Array.from(x.data) : Float32Array.from(x.data), x.shape);
  },
  backward(ctx, g) {
    return [new Tensor(ctx.from === 'float64' ? Float64Array.from(g.data) : Float32Array.from(g.data), g.shape)];
  },
});

/** Converts to another dtype (differentiable); returns x itself when it already has that dtype. */
export function to(x: Tensor, dtype: 'float32' | 'float64'): Tensor {
  checkTensor('to', 'input', x);
  if (dtype !== 'float32' && dtype !== 'float64') throw new TypeError(`to: dtype must be "float32" or "float64", got ${String(dtype)}`);
  return x.dtype === dtype ? x : Cast(x, dtype);
}
