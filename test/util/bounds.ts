/**
 * Principled error bounds for float32 kernels against the float64 reference (KERNELS.md §8.2).
 *
 * A float32 sum of K products computed in any order, with or without FMA, satisfies
 *   |ĉ − c| <= γ_K · Σ|a_k b_k|,   γ_n = n·u / (1 − n·u),  u = 2⁻²⁴   (Higham, §3.1).
 * The oracle c is the reference backend run on float64 copies of the same float32 inputs, and
 * Σ|a_k b_k| is the same reference kernel run on |A| and |B| (every kernel here is linear in each
 * operand, so running it on absolute values yields exactly the sum of absolute terms). The "+2" in
 * γ_{K+2} covers alpha / beta and accumulating into an existing C, as §8.2.1 recommends. Any
 * indexing, packing or edge bug makes an O(1) relative error and fails immediately; a correct kernel
 * can never fail, whatever its summation order, blocking, vector width or thread count.
 *
 * Transcendental functions (exp, log, tanh, sigmoid, elu, pow) are held to a few ulp (§8.2.4):
 * TRANSCENDENTAL_ULPS ulp of the correctly rounded result, with an absolute floor of the smallest
 * normal float32 so a kernel may flush subnormal results to zero.
 */
import type { Conv2dParams, FloatArray, GemmArgs, Pool2dParams } from '../../src/backend/backend';
import { referenceBackend } from '../../src/backend';

/** Unit roundoff of float32. */
export const U = 2 ** -24;
/** Smallest positive normal float32: the absolute floor for results that may flush to zero. */
export const FLT_MIN = 2 ** -126;
/** Absolute floor of the K-scaled bounds (§8.2.1's "+ 1e-30"): only matters for exact zeros. */
export const TINY = 1e-30;
/** The ulp budget of exp, log, sqrt, tanh, sigmoid, elu and pow kernels ("a few ulp"). */
export const TRANSCENDENTAL_ULPS = 4;
/** That budget as a relative error: 1 ulp is at most 2u relative to the value. */
export const EPS_T = TRANSCENDENTAL_ULPS * 2 * U;

/** γ_n = n·u / (1 − n·u). */
export function gamma(n: number): number {
  return (n * U) / (1 - n * U);
}

/** The spacing of float32 numbers at |x| (one ulp); 2⁻¹⁴⁹ in the subnormal range. */
export function ulp32(x: number): number {
  const a = Math.abs(x);
  if (!Number.isFinite(a)) return Infinity;
  if (a < FLT_MIN) return 2 ** -149;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  return 2 ** (e - 23);
}

/** Per-element bound of `ulps` ulp of the float64 reference value, with the FLT_MIN floor. */
export function ulpBound(ref: ArrayLike<number>, ulps: number): Float64Array {
  const out = new Float64Array(ref.length);
  for (let i = 0; i < ref.length; i++) out[i] = ulps * ulp32(ref[i]) + FLT_MIN;
  return out;
}

export function to64(a: ArrayLike<number>): Float64Array {
  return Float64Array.from(a);
}

export function abs64(a: ArrayLike<number>): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = Math.abs(a[i]);
  return out;
}

/** bound[i] = g * magnitude[i] + TINY. */
function scaled(magnitude: Float64Array, g: number): Float64Array {
  for (let i = 0; i < magnitude.length; i++) magnitude[i] = g * magnitude[i] + TINY;
  return magnitude;
}

/**
 * GEMM: γ_{k+3} · (|alpha| |op(A)| |op(B)| + |beta| |C0| + |bias|) elementwise, for C of length
 * cLength (the epilogue's bias is one more rounding; its ReLU moves no value further from the
 * reference). Elements of C outside the batch's matrices get the bound TINY (they must be left
 * untouched).
 */
export function gemmBound(a: FloatArray, b: FloatArray, c0: FloatArray | null, g: GemmArgs, cLength: number): Float64Array {
  const mag = c0 && g.beta !== 0 ? abs64(c0) : new Float64Array(cLength);
  const bias = g.bias ? abs64(g.bias) : null;
  referenceBackend.gemm(abs64(a), abs64(b), mag, { ...g, alpha: Math.abs(g.alpha), beta: Math.abs(g.beta), bias, relu: false });
  const inMatrix = new Uint8Array(cLength);
  for (let q = 0; q < g.batch; q++) inMatrix.fill(1, q * g.strideC, q * g.strideC + g.m * g.n);
  for (let i = 0; i < cLength; i++) if (!inMatrix[i]) mag[i] = 0;
  return scaled(mag, gamma(g.k + (bias ? 3 : 2)));
}

/** conv2d forward: K = cIn / groups · kh · kw products, plus the bias. */
export function convForwardBound(x: FloatArray, w: FloatArray, bias: FloatArray | null, p: Conv2dParams): Float64Array {
  const mag = new Float64Array(p.n * p.cOut * p.oh * p.ow);
  referenceBackend.conv2dForward(abs64(x), abs64(w), bias ? abs64(bias) : null, mag, p);
  return scaled(mag, gamma((p.cIn / p.groups) * p.kh * p.kw + 1 + 2));
}

/**
 * conv2d backward-data: each dx sums at most cOut / groups · kh · kw products (GEMM + col2im splits
 * it into two sums, whose error is bounded by the same γ since K1 + K2 <= K1 · K2 + 1).
 */
export function convBackwardDataBound(dy: FloatArray, w: FloatArray, p: Conv2dParams): Float64Array {
  const mag = new Float64Array(p.n * p.cIn * p.h * p.w);
  referenceBackend.conv2dBackwardData(abs64(dy), abs64(w), mag, p);
  return scaled(mag, gamma((p.cOut / p.groups) * p.kh * p.kw + 2));
}

/** conv2d backward-filter: each dw and dbias sums n · oh · ow terms (per-sample partials included). */
export function convBackwardFilterBound(x: FloatArray, dy: FloatArray, p: Conv2dParams): { dw: Float64Array; dbias: Float64Array } {
  const dw = new Float64Array(p.cOut * (p.cIn / p.groups) * p.kh * p.kw);
  const dbias = new Float64Array(p.cOut);
  referenceBackend.conv2dBackwardFilter(abs64(x), abs64(dy), dw, dbias, p);
  const g = gamma(p.n * p.oh * p.ow + 2);
  return { dw: scaled(dw, g), dbias: scaled(dbias, g) };
}

/** Sum over n: γ_n · Σ|x|. */
export function sumBound(x: FloatArray, outer: number, n: number, inner: number): Float64Array {
  const mag = new Float64Array(outer * inner);
  referenceBackend.reduce('sum', abs64(x), mag, outer, n, inner);
  return scaled(mag, gamma(n + 1));
}

/** Windows that can cover one input pixel: ceil(k / s) per axis. */
function overlap(p: Pool2dParams): number {
  return Math.ceil(p.kh / p.strideH) * Math.ceil(p.kw / p.strideW);
}

/** Average pooling forward: a sum of at most kh · kw terms, then a division (or a reciprocal multiply). */
export function avgPoolForwardBound(x: FloatArray, p: Pool2dParams, countIncludePad: boolean): Float64Array {
  const mag = new Float64Array(p.n * p.c * p.oh * p.ow);
  referenceBackend.avgPool2dForward(abs64(x), mag, p, countIncludePad);
  return scaled(mag, gamma(p.kh * p.kw + 2));
}

/** Average pooling backward: each dx sums dy / divisor over the windows covering it. */
export function avgPoolBackwardBound(dy: FloatArray, p: Pool2dParams, countIncludePad: boolean): Float64Array {
  const mag = new Float64Array(p.n * p.c * p.h * p.w);
  referenceBackend.avgPool2dBackward(abs64(dy), mag, p, countIncludePad);
  return scaled(mag, gamma(overlap(p) + 2));
}

/**
 * Max pooling backward: a scatter-add of dy. Exact (bound 0) when windows cannot overlap
 * (stride >= kernel); otherwise each dx sums at most ceil(kh/sh)·ceil(kw/sw) values of dy.
 */
export function maxPoolBackwardBound(dy: FloatArray, argmax: Int32Array, p: Pool2dParams): Float64Array | number {
  if (p.strideH >= p.kh && p.strideW >= p.kw) return 0;
  const mag = new Float64Array(p.n * p.c * p.h * p.w);
  referenceBackend.maxPool2dBackward(abs64(dy), argmax, mag, p);
  return scaled(mag, gamma(overlap(p)));
}

/** Calls visit(row offsets) for each of the outer·inner rows of a [outer, n, inner] tensor. */
function forEachRow(outer: number, n: number, inner: number, visit: (idx: number[]) => void): void {
  const idx = new Array<number>(n);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      for (let r = 0; r < n; r++) idx[r] = o * n * inner + r * inner + i;
      visit(idx);
    }
  }
}

/**
 * Softmax / log-softmax forward, error propagated through the usual algorithm (max m, t = x − m,
 * e = exp(t), S = Σe, y = e / S or y = t − log S):
 *   t_i has absolute error <= u|x_i − m|, so e_i has relative error <= u|x_i − m| + EPS_T;
 *   S (positive terms) has relative error relS <= γ_{n} + EPS_T + u Σ_j y_j |x_j − m|;
 *   softmax:     |ŷ_i − y_i| <= y_i (u|x_i − m| + EPS_T + relS + 2u)        (division or reciprocal-multiply)
 *   log-softmax: |ŷ_i − y_i| <= 2u (|x_i − m| + |m| + |log S| + |y_i|) + relS + EPS_T |log S|
 * The FLT_MIN floor lets tiny probabilities flush to zero. Entries of -Infinity (masks) must come
 * out exactly 0 (or -Infinity); a row holding NaN must come out NaN (assertWithin matches NaN).
 */
export function softmaxBound(x: ArrayLike<number>, ref: ArrayLike<number>, outer: number, n: number, inner: number, log: boolean): Float64Array {
  const out = new Float64Array(x.length);
  forEachRow(outer, n, inner, (idx) => {
    let m = -Infinity;
    for (const k of idx) m = Math.max(m, x[k]);
    let S = 0;
    let spread = 0;
    for (const k of idx) S += Math.exp(x[k] - m);
    for (const k of idx) {
      const e = Math.exp(x[k] - m);
      if (e > 0) spread += (e / S) * Math.abs(x[k] - m);
    }
    const relS = gamma(n) + EPS_T + U * spread;
    const logS = Math.log(S);
    for (const k of idx) {
      const d = Math.abs(x[k] - m);
      // A masked entry (x = -Infinity) must give exactly 0 (softmax) or -Infinity (log-softmax).
      if (!Number.isFinite(x[k])) out[k] = 0;
      else out[k] = log
        ? 2 * U * (d + Math.abs(m) + Math.abs(logS) + Math.abs(ref[k])) + relS + EPS_T * Math.abs(logS) + TINY
        : Math.abs(ref[k]) * (U * d + EPS_T + relS + 2 * U) + FLT_MIN;
    }
  });
  return out;
}

/**
 * Softmax backward from the forward output y:
 *   softmax:     dx_i = y_i (dy_i − s), s = Σ dy_j y_j:  |error| <= γ_{n+3} |y_i| (|dy_i| + Σ|dy_j y_j|)
 *   log-softmax: dx_i = dy_i − e^{y_i} S, S = Σ dy_j:    |error| <= γ_{n+3} (|dy_i| + e^{y_i} Σ|dy_j|) + EPS_T e^{y_i} |S|
 */
export function softmaxBackwardBound(
  y: ArrayLike<number>,
  dy: ArrayLike<number>,
  outer: number,
  n: number,
  inner: number,
  log: boolean,
): Float64Array {
  const out = new Float64Array(y.length);
  const g = gamma(n + 3);
  forEachRow(outer, n, inner, (idx) => {
    let absDot = 0;
    let absSum = 0;
    let sum = 0;
    for (const k of idx) {
      absDot += Math.abs(dy[k] * y[k]);
      absSum += Math.abs(dy[k]);
      sum += dy[k];
    }
    for (const k of idx) {
      out[k] = log
        ? g * (Math.abs(dy[k]) + Math.exp(y[k]) * absSum) + EPS_T * Math.exp(y[k]) * Math.abs(sum) + TINY
        : g * Math.abs(y[k]) * (Math.abs(dy[k]) + absDot) + TINY;
    }
  });
  return out;
}

/** ‖got − want‖_F / ‖want‖_F: the precision-regression guard of §8.2.2. */
export function relativeFrobenius(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    num += (got[i] - want[i]) ** 2;
    den += want[i] ** 2;
  }
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}
