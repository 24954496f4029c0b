/** Helpers the ops share: operand coercion, dtype promotion and allocation. */
import type { FloatArray } from '../backend/backend';
import { RECYCLE_MIN_BYTES, reuseFloat } from '../autograd/scratch';
import { numel } from '../shape';
import { type DType, Tensor } from '../tensor';

/** A tensor, or a number used as a 0-d tensor. */
export type TensorLike = Tensor | number;

/** A zero-filled array. */
export function allocate(n: number, dtype: DType): FloatArray {
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

/**
 * An array whose contents are unspecified, for outputs a kernel overwrites completely. Large ones
 * skip the zero fill (Buffer.allocUnsafe gives each allocation of 4 KiB or more an ArrayBuffer of its
 * own, not zeroed): on a training step's activations the fill cost more than the kernels that
 * overwrite them.
 */
export function allocateUninitialized(n: number, dtype: DType): FloatArray {
  const Ctor = dtype === 'float64' ? Float64Array : Float32Array;
  const bytes = n * Ctor.BYTES_PER_ELEMENT;
  let a: FloatArray;
  if (bytes < 4096) {
    a = new Ctor(n);
  } else {
    const pooled = bytes >= RECYCLE_MIN_BYTES ? reuseFloat(n, dtype) : null;
    if (pooled) {
      a = pooled;
    } else {
      const b = Buffer.allocUnsafe(bytes);
      a = new Ctor(b.buffer, b.byteOffset, n);
    }
  }
  // GRADNODE_DEBUG_UNINITIALIZED=1 fills these with NaN, so that a kernel that leaves part of its
  // output unwritten (or code that relies on zeros) shows up in tests instead of passing by luck.
  if (debugUninitialized) a.fill(Number.NaN);
  return a;
}

const debugUninitialized = process.env.GRADNODE_DEBUG_UNINITIALIZED === '1';


/** A new tensor with unspecified contents (as torch.empty): for outputs a kernel overwrites completely. */
export function empty(shape: readonly number[], dtype: DType): Tensor {
  return new Tensor(allocateUninitialized(numel(shape), dtype), shape);
}

/** A new tensor of zeros (for accumulation, and outputs that are only partly written). */
export function zerosOf(shape: readonly number[], dtype: DType): Tensor {
  return new Tensor(allocate(numel(shape), dtype), shape);
}

export function resultDtype(...ts: Tensor[]): DType {
  return ts.some((t) => t.dtype === 'float64') ? 'float64' : 'float32';
}

/** The data of t in the given dtype (the same array when it already is). */
export function dataAs(t: Tensor, dtype: DType): FloatArray {
  if (t.dtype === dtype) return t.data;
  return dtype === 'float64' ? Float64Array.from(t.data) : Float32Array.from(t.data);
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? (v.constructor?.name ?? 'an object') : `${typeof v} ${String(v)}`;
}

/** Coerces an operand: numbers become 0-d tensors of the other operand's dtype. */
export function asTensor(op: string, v: TensorLike, dtype: DType = 'float32'): Tensor {
  if (v instanceof Tensor) return v;
  if (typeof v === 'number') {
    const data = allocate(1, dtype);
    data[0] = v;
    return new Tensor(data, []);
  }
  throw new TypeError(`${op}: expected a Tensor or a number, got ${describe(v)}`);
}

/** Coerces two operands, numbers taking the dtype of the tensor operand. */
export function operands(op: string, a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  const dtype = a instanceof Tensor ? a.dtype : b instanceof Tensor ? b.dtype : 'float32';
  return [asTensor(op, a, dtype), asTensor(op, b, dtype)];
}

export function checkTensor(op: string, name: string, v: unknown): asserts v is Tensor {
  if (!(v instanceof Tensor)) throw new TypeError(`${op}: ${name} must be a Tensor, got ${describe(v)}`);
}

export function checkInt(op: string, name: string, v: unknown, min = -Infinity): asserts v is number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new RangeError(`${op}: ${name} must be an integer${min > -Infinity ? ` >= ${min}` : ''}, got ${describe(v)}`);
  }
}

export function checkNumber(op: string, name: string, v: unknown): asserts v is number {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`${op}: ${name} must be a number, got ${describe(v)}`);
}
