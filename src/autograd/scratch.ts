/**
 * A pool for the engine's own scratch buffers (max-pool argmax indices, dropout masks): buffers
 * that only the ops' forward and backward ever see. A buffer goes back to the pool when the node
 * that saved it is released (after backward, or at once when no graph is recorded), so a user can
 * never reach a pooled buffer. The pool holds at most `limitBytes`; beyond that buffers are simply
 * left to the garbage collector.
 */

type Kind = 'int32' | 'float32' | 'float64';
type Buffer = Int32Array | Float32Array | Float64Array;

const limitBytes = 64 * 1024 * 1024;
const free = new Map<string, Buffer[]>();
let pooledBytes = 0;

function key(kind: Kind, n: number): string {
  return `${kind}:${n}`;
}

function take(kind: Kind, n: number): Buffer {
  const list = free.get(key(kind, n));
  const b = list?.pop();
  if (b) {
    pooledBytes -= b.byteLength;
    return b;
  }
  return kind === 'int32' ? new Int32Array(n) : kind === 'float32' ? new Float32Array(n) : new Float64Array(n);
}

export function takeInt32(n: number): Int32Array {
  return take('int32', n) as Int32Array;
}

export function takeFloat(n: number, dtype: 'float32' | 'float64'): Float32Array | Float64Array {
  return take(dtype, n) as Float32Array | Float64Array;
}

/** Returns a buffer to the pool; its contents are garbage from now on. */
export function give(b: Buffer): void {
  if (pooledBytes + b.byteLength > limitBytes) return;
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

/** Bytes held by the pool now (for memory tests). */
export function scratchPoolBytes(): number {
  return pooledBytes;
}
