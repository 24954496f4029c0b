/**
 * Shape arithmetic shared by the ops: sizes, strides, broadcasting, dimension normalisation and the
 * output sizes of convolution and pooling. Every check throws an Error that names the op and says
 * what was expected and what came.
 */

export type Shape = readonly number[];

export function fmtShape(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

export function numel(shape: Shape): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** Row-major strides of a contiguous tensor. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = acc;
    acc *= shape[d];
  }
  return strides;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/** Checks that a shape is a list of non-negative integers. */
export function checkShape(op: string, shape: Shape): void {
  if (!Array.isArray(shape)) throw new TypeError(`${op}: shape must be an array of integers, got ${String(shape)}`);
  for (const s of shape) {
    if (!Number.isInteger(s) || s < 0) {
      throw new RangeError(`${op}: shape must contain non-negative integers, got ${fmtShape(shape)}`);
    }
  }
}

/** NumPy broadcasting of any number of shapes. */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const ndim = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(ndim).fill(1);
  for (let d = 0; d < ndim; d++) {
    for (const s of shapes) {
      const size = s[s.length - ndim + d] ?? 1;
      if (size === out[d] || size === 1) continue;
      if (out[d] === 1) {
        out[d] = size;
        continue;
      }
      throw new Error(
        `${op}: shapes ${shapes.map(fmtShape).join(' and ')} cannot be broadcast together ` +
          `(dimension ${d - ndim}: ${out[d]} vs ${size})`,
      );
    }
  }
  return out;
}

/** Strides to read a contiguous tensor of `shape` as if it had the broadcast shape `out`. */
export function broadcastStrides(shape: Shape, out: Shape): number[] {
  const strides = contiguousStrides(shape);
  const offset = out.length - shape.length;
  return out.map((size, d) => {
    const i = d - offset;
    if (i < 0) return 0;
    return shape[i] === 1 && size !== 1 ? 0 : strides[i];
  });
}

/** Normalises a possibly negative dimension index; a 0-d tensor accepts -1 and 0. */
export function normalizeDim(op: string, dim: number, ndim: number): number {
  const n = Math.max(ndim, 1);
  if (!Number.isInteger(dim) || dim < -n || dim >= n) {
    throw new RangeError(
      `${op}: dim ${dim} is out of range for a tensor with ${ndim} dimension${ndim === 1 ? '' : 's'} ` +
        `(expected an integer in [${-n}, ${n - 1}])`,
    );
  }
  return dim < 0 ? dim + n : dim;
}

/** Normalises a list of dimensions (sorted, no repeats); undefined means all. */
export function normalizeDims(op: string, dims: number | readonly number[] | undefined, ndim: number): number[] {
  if (dims === undefined) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof dims === 'number' ? [dims] : dims;
  const out = list.map((d) => normalizeDim(op, d, ndim));
  const sorted = [...new Set(out)].sort((a, b) => a - b);
  if (sorted.length !== out.length) throw new RangeError(`${op}: dims [${list.join(',')}] repeat a dimension`);
  return ndim === 0 ? [] : sorted;
}

/** Output size of a convolution or pooling window along one axis (floor or ceil mode). */
export function windowOutputSize(
  input: number,
  kernel: number,
  stride: number,
  padBefore: number,
  padAfter: number,
  dilation = 1,
  ceilMode = false,
): number {
  const span = dilation * (kernel - 1) + 1;
  const room = input + padBefore + padAfter - span;
  if (room < 0) return 0;
  let out = (ceilMode ? Math.ceil(room / stride) : Math.floor(room / stride)) + 1;
  // PyTorch: in ceil mode the last window must start inside the input or the left padding.
  if (ceilMode && (out - 1) * stride >= input + padBefore) out--;
  return out;
}

/** Reads an int or a pair [h, w] option into a pair. */
export function pair(op: string, name: string, v: number | readonly number[], min: number): [number, number] {
  const p = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((x) => Number.isInteger(x) && x >= min)) {
    throw new RangeError(`${op}: ${name} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(v)}`);
  }
  return [p[0], p[1]];
}
