import type { FloatArray } from '../backend';

// The counter-based random stream of dropout (native/kernels/random/dropout_hash.inc computes the same).

/** A 32-bit integer hash (a two-multiply xorshift mixer). */
export function mix32(v: number): number {
  let x = v >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

/** The random 24-bit value of element i (i below 2^32). */
export function dropoutBits(i: number, seed0: number, seed1: number): number {
  return (mix32((mix32((i ^ seed0) >>> 0) + seed1) >>> 0) >>> 8) >>> 0;
}

export function dropoutForward(
  x: FloatArray,
  y: FloatArray,
  mask: FloatArray,
  threshold: number,
  scale: number,
  seed0: number,
  seed1: number,
): void {
  for (let i = 0; i < x.length; i++) {
    mask[i] = dropoutBits(i, seed0, seed1) < threshold ? 0 : scale;
    y[i] = x[i] * mask[i]; // the stored (rounded) mask value, as the backward uses
  }
}
