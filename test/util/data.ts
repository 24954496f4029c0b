/**
 * Deterministic test data: every array comes from gn.Generator with a fixed seed, so a failure
 * reproduces exactly (and never touches the library's default generator).
 */
import { Generator } from '../../src/random';
import { Tensor } from '../../src/tensor';
import type { DType } from '../../src/tensor';

/** Uniform float32 values in [low, high). */
export function uniform(n: number, seed: number, low = -1, high = 1): Float32Array {
  const g = new Generator(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = low + (high - low) * g.random();
  return out;
}

/** Normal float32 values with the given standard deviation. */
export function normal(n: number, seed: number, std = 1): Float32Array {
  const g = new Generator(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = std * g.normal();
  return out;
}

/** A random permutation of distinct values (no ties anywhere): for max / min / pooling tests. */
export function distinct(n: number, seed: number, spacing = 1): Float32Array {
  const perm = new Generator(seed).permutation(n);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (perm[i] - n / 2) * spacing;
  return out;
}

/** Values in ±[low, high]: magnitudes kept away from zero (kinks, division, log of |x|). */
export function awayFromZero(n: number, seed: number, low = 0.2, high = 1.5): Float32Array {
  const g = new Generator(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (g.random() < 0.5 ? -1 : 1) * (low + (high - low) * g.random());
  return out;
}

export interface RandTensorOptions {
  low?: number;
  high?: number;
  dtype?: DType;
  requiresGrad?: boolean;
}

/** A tensor of uniform values. */
export function randTensor(shape: readonly number[], seed: number, opts: RandTensorOptions = {}): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const f = uniform(n, seed, opts.low ?? -1, opts.high ?? 1);
  const data = opts.dtype === 'float64' ? Float64Array.from(f) : f;
  return new Tensor(data, shape, opts.requiresGrad === true);
}

/** A tensor from given values, in float64 (for gradcheck) or float32. */
export function tensorOf(data: ArrayLike<number>, shape: readonly number[], dtype: DType = 'float64', requiresGrad = true): Tensor {
  return new Tensor(dtype === 'float64' ? Float64Array.from(data) : Float32Array.from(data), shape, requiresGrad);
}

/** Copies an array and fills it with NaN: outputs are pre-poisoned so an unwritten element shows. */
export function poisoned(n: number): Float32Array {
  return new Float32Array(n).fill(NaN);
}
