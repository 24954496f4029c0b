/**
 * Creating tensors: from nested arrays or a typed array plus a shape, and zeros, ones, full, arange,
 * linspace, eye, rand, randn, randint (all randomness from the seeded generator in random.ts).
 */
import type { FloatArray } from '../backend/backend';
import { type Generator, defaultGenerator } from '../random';
import { checkShape, fmtShape, numel } from '../shape';
import { type DType, type NestedArray, Tensor } from '../tensor';
import { allocate, checkNumber, describe } from './util';

export interface CreateOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

export interface RandomOptions extends CreateOptions {
  generator?: Generator;
}

function checkDtype(op: string, dtype: unknown): DType {
  if (dtype === undefined) return 'float32';
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new TypeError(`${op}: dtype must be "float32" or "float64", got ${describe(dtype)}`);
  }
  return dtype;
}

function make(data: FloatArray, shape: readonly number[], opts: CreateOptions): Tensor {
  return new Tensor(data, shape, opts.requiresGrad === true);
}

/** Infers the shape of nested arrays, checking that they are rectangular. */
function nestedShape(v: NestedArray): number[] {
  const shape: number[] = [];
  let x: NestedArray = v;
  while (Array.isArray(x)) {
    shape.push(x.length);
    if (x.length === 0) break;
    x = x[0];
  }
  return shape;
}

function flattenInto(v: NestedArray, shape: number[], dim: number, out: FloatArray, offset: number): number {
  if (dim === shape.length) {
    if (typeof v !== 'number') throw new TypeError(`tensor: expected a number at depth ${dim}, got ${describe(v)}`);
    out[offset] = v;
    return offset + 1;
  }
  if (!Array.isArray(v) || v.length !== shape[dim]) {
    throw new RangeError(
      `tensor: nested arrays are not rectangular: expected ${shape[dim]} elements at depth ${dim}, got ` +
        `${Array.isArray(v) ? v.length : describe(v)} (shape inferred from the first elements: ${fmtShape(shape)})`,
    );
  }
  for (const e of v) offset = flattenInto(e, shape, dim + 1, out, offset);
  return offset;
}

export interface TensorOptions extends CreateOptions {
  /** The shape, when data is a flat typed array or list (default: 1-D). */
  shape?: readonly number[];
}

/** Integer typed arrays, which tensor() copies into the float dtype (labels, pixels, indices). */
export type IntegerArray = Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array;

/**
 * A tensor from nested arrays (`tensor([[1, 2], [3, 4]])`), a number (0-d), or a flat typed array
 * or list with a shape (`tensor(new Float32Array(6), { shape: [2, 3] })`). A Float32Array of the
 * right dtype is used without copying; a Float64Array becomes float64 unless a dtype says
 * otherwise; integer typed arrays (Uint8Array pixels, Int32Array labels) are copied into float32 or
 * the given dtype, as torch.tensor does with integer data and a float dtype (integers beyond 2^24
 * round in float32).
 */
export function tensor(data: NestedArray | FloatArray | IntegerArray | readonly number[], opts: TensorOptions = {}): Tensor {
  const dtype = checkDtype('tensor', opts.dtype ?? (data instanceof Float64Array ? 'float64' : 'float32'));
  if (ArrayBuffer.isView(data)) {
    if (data instanceof DataView || data instanceof BigInt64Array || data instanceof BigUint64Array) {
      throw new TypeError(
        `tensor: expected nested arrays of numbers, a Float32Array / Float64Array or an integer typed array, ` +
          `got ${describe(data)}${data instanceof DataView ? '' : ' (BigInt elements: convert with Float64Array.from(data, Number))'}`,
      );
    }
    const flat = data as FloatArray | IntegerArray;
    const shape = opts.shape ?? [flat.length];
    checkShape('tensor', shape);
    if (numel(shape) !== flat.length) {
      throw new RangeError(`tensor: ${flat.length} elements cannot have shape ${fmtShape(shape)}`);
    }
    if (dtype === 'float32' && flat instanceof Float32Array) return make(flat, shape, opts);
    if (dtype === 'float64' && flat instanceof Float64Array) return make(flat, shape, opts);
    return make(dtype === 'float64' ? Float64Array.from(flat) : Float32Array.from(flat), shape, opts);
  }
  if (typeof data === 'number') {
    const out = allocate(1, dtype);
    out[0] = data;
    return make(out, opts.shape ?? [], opts);
  }
  if (!Array.isArray(data)) throw new TypeError(`tensor: expected nested arrays of numbers or a typed array, got ${describe(data)}`);
  const inferred = nestedShape(data as NestedArray);
  const out = allocate(numel(inferred), dtype);
  flattenInto(data as NestedArray, inferred, 0, out, 0);
  if (opts.shape) {
    checkShape('tensor', opts.shape);
    if (numel(opts.shape) !== out.length) {
      throw new RangeError(`tensor: ${out.length} elements cannot have shape ${fmtShape(opts.shape)}`);
    }
    return make(out, opts.shape, opts);
  }
  return make(out, inferred, opts);
}

/** Accepts zeros([2, 3]), zeros([2, 3], opts), zeros(2, 3) and zeros(2, 3, opts). */
type ShapeArgs<O> = [readonly number[], O?] | [...number[]] | [...number[], O];

function parseShapeArgs<O extends object>(op: string, args: unknown[]): [number[], O] {
  let shape: number[];
  let opts: O = {} as O;
  if (Array.isArray(args[0])) {
    shape = (args[0] as number[]).slice();
    if (args[1] !== undefined) opts = args[1] as O;
  } else {
    shape = [];
    for (const a of args) {
      if (typeof a === 'number') shape.push(a);
      else if (a !== undefined && typeof a === 'object') opts = a as O;
      else throw new TypeError(`${op}: expected sizes or a shape array, got ${describe(a)}`);
    }
  }
  checkShape(op, shape);
  return [shape, opts];
}

export function full(shape: readonly number[], value: number, opts: CreateOptions = {}): Tensor {
  checkShape('full', shape);
  checkNumber('full', 'value', value);
  const data = allocate(numel(shape), checkDtype('full', opts.dtype));
  if (value !== 0) data.fill(value);
  return make(data, shape, opts);
}

export function zeros(...args: ShapeArgs<CreateOptions>): Tensor {
  const [shape, opts] = parseShapeArgs<CreateOptions>('zeros', args);
  return full(shape, 0, opts);
}

export function ones(...args: ShapeArgs<CreateOptions>): Tensor {
  const [shape, opts] = parseShapeArgs<CreateOptions>('ones', args);
  return full(shape, 1, opts);
}

export function zerosLike(t: Tensor, opts: CreateOptions = {}): Tensor {
  return full(t.shape, 0, { dtype: t.dtype, ...opts });
}

export function onesLike(t: Tensor, opts: CreateOptions = {}): Tensor {
  return full(t.shape, 1, { dtype: t.dtype, ...opts });
}

export function fullLike(t: Tensor, value: number, opts: CreateOptions = {}): Tensor {
  return full(t.shape, value, { dtype: t.dtype, ...opts });
}

/** Values from start (inclusive) to end (exclusive) by step; arange(n) counts 0..n-1. */
export function arange(start: number, end?: number, step = 1, opts: CreateOptions = {}): Tensor {
  if (end === undefined) [start, end] = [0, start];
  checkNumber('arange', 'start', start);
  checkNumber('arange', 'end', end);
  checkNumber('arange', 'step', step);
  if (step === 0 || !Number.isFinite(step)) throw new RangeError('arange: step must be a finite non-zero number');
  const n = Math.max(0, Math.ceil((end - start) / step));
  const data = allocate(n, checkDtype('arange', opts.dtype));
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return make(data, [n], opts);
}

/** `steps` values evenly spaced from start to end, both included. */
export function linspace(start: number, end: number, steps: number, opts: CreateOptions = {}): Tensor {
  checkNumber('linspace', 'start', start);
  checkNumber('linspace', 'end', end);
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`linspace: steps must be an integer >= 0, got ${steps}`);
  const data = allocate(steps, checkDtype('linspace', opts.dtype));
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  for (let i = 0; i < steps; i++) data[i] = i === steps - 1 && steps > 1 ? end : start + i * step;
  return make(data, [steps], opts);
}

/** The n x m identity (m defaults to n). */
export function eye(n: number, m: number = n, opts: CreateOptions = {}): Tensor {
  checkShape('eye', [n, m]);
  const data = allocate(n * m, checkDtype('eye', opts.dtype));
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return make(data, [n, m], opts);
}

/** Uniform samples in [0, 1). */
export function rand(...args: ShapeArgs<RandomOptions>): Tensor {
  const [shape, opts] = parseShapeArgs<RandomOptions>('rand', args);
  const g = opts.generator ?? defaultGenerator;
  const data = allocate(numel(shape), checkDtype('rand', opts.dtype));
  for (let i = 0; i < data.length; i++) data[i] = g.random();
  return make(data, shape, opts);
}

/** Standard normal samples. */
export function randn(...args: ShapeArgs<RandomOptions>): Tensor {
  const [shape, opts] = parseShapeArgs<RandomOptions>('randn', args);
  const g = opts.generator ?? defaultGenerator;
  const data = allocate(numel(shape), checkDtype('randn', opts.dtype));
  for (let i = 0; i < data.length; i++) data[i] = g.normal();
  return make(data, shape, opts);
}

/** Uniform integers in [low, high), as floats. */
export function randint(low: number, high: number, shape: readonly number[], opts: RandomOptions = {}): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new RangeError(`randint: expected integers low < high, got ${low} and ${high}`);
  }
  checkShape('randint', shape);
  const g = opts.generator ?? defaultGenerator;
  const data = allocate(numel(shape), checkDtype('randint', opts.dtype));
  for (let i = 0; i < data.length; i++) data[i] = g.randint(low, high);
  return make(data, shape, opts);
}

export function randLike(t: Tensor, opts: RandomOptions = {}): Tensor {
  return rand(t.shape, { dtype: t.dtype, ...opts });
}

export function randnLike(t: Tensor, opts: RandomOptions = {}): Tensor {
  return randn(t.shape, { dtype: t.dtype, ...opts });
}
