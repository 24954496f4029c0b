/**
 * Joining, splitting, slicing and padding: cat, stack, split, chunk, narrow, slice, select, index
 * and pad. All of them move data with the backend's one strided-copy kernel; each backward moves the
 * gradient back the same way.
 */
import { defineOp } from '../autograd/function';
import { backendFor } from '../backend';
import type { FloatArray } from '../backend/backend';
import { contiguousStrides, fmtShape, normalizeDim, shapesEqual } from '../shape';
import type { Tensor } from '../tensor';
import { checkInt, checkNumber, checkTensor, dataAs, empty, resultDtype, zerosOf } from './util';
import { reshape, unsqueeze } from './views';

/** One range per dim: elements start, start + step, ... (count of them). */
interface Range {
  start: number;
  step: number;
  count: number;
}

/**
 * Moves data between the strided region `ranges` of `whole` (a contiguous array of shape
 * wholeShape) and the contiguous array `part` of the region's shape: out of the region, or into it.
 */
function copyRegion(
  whole: FloatArray,
  wholeShape: readonly number[],
  ranges: readonly Range[],
  part: FloatArray,
  direction: 'out' | 'in',
): void {
  const strides = contiguousStrides(wholeShape);
  const offset = ranges.reduce((acc, r, d) => acc + r.start * strides[d], 0);
  const regionStrides = ranges.map((r, d) => r.step * strides[d]);
  const shape = ranges.map((r) => r.count);
  const dense = contiguousStrides(shape);
  const be = backendFor(whole, part);
  if (direction === 'in') be.copyStrided(part, 0, dense, whole, offset, regionStrides, shape);
  else be.copyStrided(whole, offset, regionStrides, part, 0, dense, shape);
}

const Slice = defineOp({
  name: 'slice',
  forward(ctx, x: Tensor, ranges: Range[]) {
    ctx.inShape = x.shape;
    ctx.ranges = ranges;
    const out = empty(ranges.map((r) => r.count), x.dtype);
    copyRegion(x.data, x.shape, ranges, out.data, 'out');
    return out;
  },
  backward(ctx, g) {
    const inShape = ctx.inShape as number[];
    const dx = zerosOf(inShape, g.dtype);
    copyRegion(dx.data, inShape, ctx.ranges as Range[], g.data, 'in');
    return [dx];
  },
});

function fullRanges(x: Tensor): Range[] {
  return x.shape.map((s) => ({ start: 0, step: 1, count: s }));
}

/** Elements start..start+length-1 of dim (a copy). */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  checkTensor('narrow', 'input', x);
  const d = normalizeDim('narrow', dim, x.ndim);
  checkInt('narrow', 'start', start);
  checkInt('narrow', 'length', length, 0);
  const size = x.shape[d];
  const s = start < 0 ? start + size : start;
  if (s < 0 || s + length > size) {
    throw new RangeError(`narrow: start ${start} and length ${length} exceed dim ${dim} of size ${size}`);
  }
  const ranges = fullRanges(x);
  ranges[d] = { start: s, step: 1, count: length };
  return Slice(x, ranges);
}

/** Python-style slice start:end:step of dim (negative indices count from the end; step > 0). */
export function slice(x: Tensor, dim: number, start?: number | null, end?: number | null, step = 1): Tensor {
  checkTensor('slice', 'input', x);
  const d = normalizeDim('slice', dim, x.ndim);
  checkInt('slice', 'step', step, 1);
  const size = x.shape[d];
  const clampIndex = (i: number) => Math.min(Math.max(i < 0 ? i + size : i, 0), size);
  const s = start === undefined || start === null ? 0 : (checkInt('slice', 'start', start), clampIndex(start));
  const e = end === undefined || end === null ? size : (checkInt('slice', 'end', end), clampIndex(end));
  const ranges = fullRanges(x);
  ranges[d] = { start: s, step, count: Math.max(0, Math.ceil((e - s) / step)) };
  return Slice(x, ranges);
}

/** The sub-tensor at `index` along dim, with that dim removed. */
export function select(x: Tensor, dim: number, index: number): Tensor {
  checkTensor('select', 'input', x);
  const d = normalizeDim('select', dim, x.ndim);
  checkInt('select', 'index', index);
  const size = x.shape[d];
  if (index < -size || index >= size) {
    throw new RangeError(`select: index ${index} is out of range for dim ${dim} of size ${size}`);
  }
  const i = index < 0 ? index + size : index;
  const ranges = fullRanges(x);
  ranges[d] = { start: i, step: 1, count: 1 };
  return reshape(Slice(x, ranges), x.shape.filter((_, k) => k !== d));
}

/** An index per dim: a number (selects, removing the dim), [start, end] or [start, end, step], or null (all). */
export type IndexSpec = number | null | readonly [number | null, number | null] | readonly [number | null, number | null, number];

/** NumPy-like basic indexing: x.index(0, [1, 3], null) is x[0, 1:3, :]. Trailing dims are kept. */
export function index(x: Tensor, ...specs: IndexSpec[]): Tensor {
  checkTensor('index', 'input', x);
  if (specs.length > x.ndim) throw new RangeError(`index: ${specs.length} indices for a tensor with ${x.ndim} dims`);
  const ranges = fullRanges(x);
  const keep: boolean[] = x.shape.map(() => true);
  specs.forEach((spec, d) => {
    const size = x.shape[d];
    if (spec === null || spec === undefined) return;
    if (typeof spec === 'number') {
      checkInt('index', `index for dim ${d}`, spec);
      if (spec < -size || spec >= size) throw new RangeError(`index: index ${spec} is out of range for dim ${d} of size ${size}`);
      ranges[d] = { start: spec < 0 ? spec + size : spec, step: 1, count: 1 };
      keep[d] = false;
      return;
    }
    if (!Array.isArray(spec) || spec.length < 2 || spec.length > 3) {
      throw new TypeError(`index: the spec for dim ${d} must be a number, null, [start, end] or [start, end, step]`);
    }
    const [start, end, step = 1] = spec;
    checkInt('index', 'step', step, 1);
    const clampIndex = (i: number) => Math.min(Math.max(i < 0 ? i + size : i, 0), size);
    const s = start === null ? 0 : clampIndex(start);
    const e = end === null ? size : clampIndex(end);
    ranges[d] = { start: s, step, count: Math.max(0, Math.ceil((e - s) / step)) };
  });
  const out = Slice(x, ranges);
  return reshape(out, out.shape.filter((_, d) => keep[d]));
}

const Cat = defineOp({
  name: 'cat',
  forward(ctx, ...args: unknown[]) {
    const tensors = args.slice(0, -1) as Tensor[];
    const dim = args[args.length - 1] as number;
    const dtype = resultDtype(...tensors);
    const shape = tensors[0].shape.slice();
    shape[dim] = tensors.reduce((acc, t) => acc + t.shape[dim], 0);
    const out = empty(shape, dtype);
    const sizes = tensors.map((t) => t.shape[dim]);
    ctx.sizes = sizes;
    ctx.dim = dim;
    ctx.shapes = tensors.map((t) => t.shape);
    let start = 0;
    for (const t of tensors) {
      const ranges = shape.map((s, d) => (d === dim ? { start, step: 1, count: t.shape[d] } : { start: 0, step: 1, count: s }));
      copyRegion(out.data, shape, ranges, dataAs(t, dtype), 'in');
      start += t.shape[dim];
    }
    return out;
  },
  backward(ctx, g) {
    const dim = ctx.dim as number;
    let start = 0;
    return (ctx.shapes as number[][]).map((s, i) => {
      const ranges = g.shape.map((size, d) => (d === dim ? { start, step: 1, count: s[d] } : { start: 0, step: 1, count: size }));
      start += s[dim];
      if (!ctx.needsInputGrad[i]) return null;
      const gi = empty(s, g.dtype);
      copyRegion(g.data, g.shape, ranges, gi.data, 'out');
      return gi;
    });
  },
});

/** Concatenates tensors along an existing dim (all other dims must match). */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!isArray(tensors) || tensors.length === 0) throw new TypeError('cat: expected a non-empty array of tensors');
  tensors.forEach((t, i) => checkTensor('cat', `tensors[${i}]`, t));
  const first = tensors[0];
  const d = normalizeDim('cat', dim, first.ndim);
  tensors.forEach((t, i) => {
    const same = t.ndim === first.ndim && t.shape.every((s, k) => k === d || s === first.shape[k]);
    if (!same) {
      throw new RangeError(
        `cat: tensors[${i}] has shape ${fmtShape(t.shape)}, which does not match ${fmtShape(first.shape)} ` +
          `outside dim ${dim}`,
      );
    }
  });
  if (first.ndim === 0) throw new RangeError('cat: zero-dimensional tensors cannot be concatenated; use stack');
  return Cat(...tensors, d);
}

/** Stacks tensors of the same shape along a new dim. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!isArray(tensors) || tensors.length === 0) throw new TypeError('stack: expected a non-empty array of tensors');
  tensors.forEach((t, i) => {
    checkTensor('stack', `tensors[${i}]`, t);
    if (!shapesEqual(t.shape, tensors[0].shape)) {
      throw new RangeError(`stack: tensors[${i}] has shape ${fmtShape(t.shape)}, expected ${fmtShape(tensors[0].shape)}`);
    }
  });
  const d = normalizeDim('stack', dim, tensors[0].ndim + 1);
  return cat(tensors.map((t) => unsqueeze(t, d)), d);
}

/** Splits dim into pieces of `size` (the last may be smaller) or of the given sizes. */
export function split(x: Tensor, sizeOrSizes: number | readonly number[], dim = 0): Tensor[] {
  checkTensor('split', 'input', x);
  const d = normalizeDim('split', dim, x.ndim);
  const total = x.shape[d];
  let sizes: number[];
  if (typeof sizeOrSizes === 'number') {
    checkInt('split', 'size', sizeOrSizes, 1);
    sizes = [];
    for (let s = 0; s < total; s += sizeOrSizes) sizes.push(Math.min(sizeOrSizes, total - s));
    if (sizes.length === 0) sizes.push(0);
  } else {
    sizes = sizeOrSizes.slice();
    sizes.forEach((s) => checkInt('split', 'size', s, 0));
    const sum = sizes.reduce((a, b) => a + b, 0);
    if (sum !== total) throw new RangeError(`split: sizes [${sizes.join(',')}] add up to ${sum}, but dim ${dim} has size ${total}`);
  }
  let start = 0;
  return sizes.map((s) => {
    const piece = narrow(x, d, start, s);
    start += s;
    return piece;
  });
}

/** Splits dim into `chunks` nearly equal pieces (the last may be smaller). */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  checkTensor('chunk', 'input', x);
  checkInt('chunk', 'chunks', chunks, 1);
  const d = normalizeDim('chunk', dim, x.ndim);
  return split(x, Math.max(1, Math.ceil(x.shape[d] / chunks)), d);
}

const Pad = defineOp({
  name: 'pad',
  forward(ctx, x: Tensor, before: number[], after: number[], value: number) {
    const shape = x.shape.map((s, d) => s + before[d] + after[d]);
    const out = value === 0 ? zerosOf(shape, x.dtype) : empty(shape, x.dtype);
    if (value !== 0) out.data.fill(value);
    const ranges = x.shape.map((s, d) => ({ start: before[d], step: 1, count: s }));
    ctx.ranges = ranges;
    copyRegion(out.data, shape, ranges, x.data, 'in');
    return out;
  },
  backward(ctx, g) {
    const ranges = ctx.ranges as Range[];
    const dx = empty(ranges.map((r) => r.count), g.dtype);
    copyRegion(g.data, g.shape, ranges, dx.data, 'out');
    return [dx];
  },
});

/**
 * Pads with a constant, PyTorch order: pads = [left, right] for the last dim, then [top, bottom]
 * for the one before, and so on.
 */
export function pad(x: Tensor, pads: readonly number[], value = 0): Tensor {
  checkTensor('pad', 'input', x);
  checkNumber('pad', 'value', value);
  if (!Array.isArray(pads) || pads.length % 2 !== 0 || pads.length / 2 > x.ndim) {
    throw new RangeError(`pad: expected an even number of pads, at most 2 per dim (${2 * x.ndim}), got [${String(pads)}]`);
  }
  pads.forEach((p) => checkInt('pad', 'padding', p, 0));
  const before = x.shape.map(() => 0);
  const after = x.shape.map(() => 0);
  for (let i = 0; i < pads.length / 2; i++) {
    const d = x.ndim - 1 - i;
    before[d] = pads[2 * i];
    after[d] = pads[2 * i + 1];
  }
  return Pad(x, before, after, value);
}

/** Array.isArray without losing the element type of a readonly array. */
function isArray<T>(v: readonly T[] | unknown): v is readonly T[] {
  return Array.isArray(v);
}
