/**
 * A pool for buffers that only the library ever sees: the ops' own scratch (max-pool argmax
 * indices, dropout masks, cross-entropy's log-probabilities), which goes back when the node that
 * saved it is released (after backward, or at once when no graph is recorded), and the gradients
 * the engine passes between the library's ops, which go back once the op that received one has run
 * its backward (engine.ts). So a user can never reach a pooled buffer. Large uninitialized
 * allocations (ops/util.ts) take from it first: a gradient freed a moment ago is still in cache,
 * where a new allocation is memory the garbage collector returned long after its last use. The pool
 * holds at most `limitBytes`; beyond that buffers are simply left to the garbage collector.
 */

type Kind = 'int32' | 'float32' | 'float64';
type Buffer = Int32Array | Float32Array | Float64Array;

const limitBytes = 64 * 1024 * 1024;
const free = new Map<string, Buffer[]>();
/** The arrays in `free`: giving one twice would hand it out twice. */
const inPool = new WeakSet<ArrayBufferLike>();
let pooledBytes = 0;

function key(kind: Kind, n: number): string {
  return `${kind}:${n}`;
}

/** A pooled buffer of that kind and length, or null. */
function pop(kind: Kind, n: number): Buffer | null {
  const b = free.get(key(kind, n))?.pop();
  if (!b) return null;
  pooledBytes -= b.byteLength;
  inPool.delete(b.buffer);
  return b;
}

function take(kind: Kind, n: number): Buffer {
  return pop(kind, n) ?? (kind === 'int32' ? new Int32Array(n) : kind === 'float32' ? new Float32Array(n) : new Float64Array(n));
}

/** A pooled float buffer of n elements if one is free, else null (contents are garbage). */
export function reuseFloat(n: number, dtype: 'float32' | 'float64'): Float32Array | Float64Array | null {
  return pop(dtype, n) as Float32Array | Float64Array | null;
}

export function takeInt32(n: number): Int32Array {
  return take('int32', n) as Int32Array;
}

export function takeFloat(n: number, dtype: 'float32' | 'float64'): Float32Array | Float64Array {
  return take(dtype, n) as Float32Array | Float64Array;
}

/** Returns a buffer to the pool; its contents are garbage from now on. */
export function give(b: Buffer): void {
  if (inPool.has(b.buffer) || pooledBytes + b.byteLength > limitBytes) return;
  inPool.add(b.buffer);
  const kind: Kind = b instanceof Int32Array ? 'int32' : b instanceof Float32Array ? 'float32' : 'float64';
  const k = key(kind, b.length);
  let list = free.get(k);
  if (!list) {
    list = [];
    free.set(k, list);
  }
  list.push(b);
  pooledBytes += b.byteLength;
}

/** Arrays at least this large are recycled (engine.ts) and reused; smaller ones cost little to make. */
export const RECYCLE_MIN_BYTES = 64 * 1024;

/** Whether a typed array spans its whole buffer (no other view can share part of it unseen). */
export function isWholeBuffer(a: Float32Array | Float64Array): boolean {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength;
}

/**
 * Gives a float array nothing else refers to back to the pool, if it is a whole buffer of at
 * least RECYCLE_MIN_BYTES.
 */
export function recycleArray(a: Float32Array | Float64Array): void {
  if (isWholeBuffer(a) && a.byteLength >= RECYCLE_MIN_BYTES) give(a);
}

/** Bytes held by the pool now (for memory tests). */
export function scratchPoolBytes(): number {
  return pooledBytes;
}
