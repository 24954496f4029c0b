/**
 * Comparisons that locate the bug: every failure names the case, the first bad element (flat and
 * multi-index into the shape), both values, the allowed error, how many elements are off, and the
 * native ISA and thread count (XNNPACK's "at i, j: reference = ..., optimized = ..." with the
 * M x N x K that produced it).
 *
 * NaN must meet NaN and an infinity the same infinity in every comparison here: a kernel that turns
 * a NaN into a number (or back) is wrong whatever the tolerance.
 */
import { backendInfo } from '../../src/backend';
import { fmtShape } from '../../src/shape';

export interface CloseOptions {
  /** Allowed error: |got - want| <= atol + rtol * |want|. */
  rtol?: number;
  atol?: number;
  /** The case, e.g. 'gemm k_eq_kc_plus_1 transB'. */
  name?: string;
  /** Shape of the compared arrays, to print a multi-index. */
  shape?: readonly number[];
  /** Describes flat index i when a shape cannot (e.g. 'batch 1, C[3][5]' for strided GEMM output). */
  describeIndex?: (i: number) => string;
}

type Numbers = ArrayLike<number>;

/** The native ISA and thread count, for failure messages (tests run under every ISA). */
export function nativeContext(): string {
  const info = backendInfo();
  return info.nativeAvailable ? `isa=${info.isa} threads=${info.threads}` : `native unavailable: ${info.nativeError}`;
}

function multiIndex(i: number, shape: readonly number[] | undefined): string {
  if (!shape || shape.length === 0) return '';
  const idx = new Array<number>(shape.length);
  let rest = i;
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = rest % shape[d];
    rest = Math.floor(rest / shape[d]);
  }
  return ` = [${idx.join(',')}] of shape ${fmtShape(shape)}`;
}

/** Whether got[i] is acceptable for want[i] within `tol` (NaN and infinities must match exactly). */
function within(g: number, w: number, tol: number): boolean {
  if (Number.isNaN(w) || Number.isNaN(g)) return Number.isNaN(w) && Number.isNaN(g);
  if (!Number.isFinite(w) || !Number.isFinite(g)) return g === w;
  return Math.abs(g - w) <= tol;
}

/**
 * Checks got against want element by element with a per-element bound (a number, or one bound per
 * element, e.g. the K-scaled bounds of bounds.ts). Throws on the first failure with a full report.
 */
export function assertWithin(got: Numbers, want: Numbers, bound: number | Numbers, opts: CloseOptions = {}): void {
  const name = opts.name ?? 'values';
  if (got.length !== want.length) {
    throw new Error(`${name}: got ${got.length} elements, want ${want.length} [${nativeContext()}]`);
  }
  let first = -1;
  let bad = 0;
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const tol = typeof bound === 'number' ? bound : bound[i];
    if (!within(got[i], want[i], tol)) {
      if (first < 0) first = i;
      bad++;
      const ratio = Math.abs(got[i] - want[i]) / tol;
      if (ratio > worst || Number.isNaN(ratio)) worst = ratio;
    }
  }
  if (first < 0) return;
  const tol = typeof bound === 'number' ? bound : bound[first];
  throw new Error(
    `${name}: first mismatch at index ${first}${opts.describeIndex ? ` (${opts.describeIndex(first)})` : multiIndex(first, opts.shape)}: got ${got[first]}, want ${want[first]} ` +
      `(|diff| ${Math.abs(got[first] - want[first])}, allowed ${tol}); ${bad} of ${want.length} elements outside ` +
      `the bound, worst |diff|/allowed ${worst.toPrecision(3)} [${nativeContext()}]`,
  );
}

/** |got - want| <= atol + rtol * |want| element by element. */
export function assertClose(got: Numbers, want: Numbers, opts: CloseOptions = {}): void {
  const rtol = opts.rtol ?? 0;
  const atol = opts.atol ?? 0;
  const bound = new Float64Array(want.length);
  for (let i = 0; i < want.length; i++) bound[i] = atol + rtol * Math.abs(want[i]);
  assertWithin(got, want, bound, opts);
}

/** Exact numeric equality (NaN equals NaN; +0 equals -0). */
export function assertEqualValues(got: Numbers, want: Numbers, opts: CloseOptions = {}): void {
  assertWithin(got, want, 0, opts);
}

/**
 * Bitwise identity of two float32 results (NaN payloads and the sign of zero included): the
 * determinism contract, run to run and across thread counts.
 */
export function assertBitwiseEqual(got: Float32Array, want: Float32Array, opts: CloseOptions = {}): void {
  const name = opts.name ?? 'values';
  if (got.length !== want.length) throw new Error(`${name}: got ${got.length} elements, want ${want.length}`);
  const gb = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const wb = new Uint32Array(want.buffer, want.byteOffset, want.length);
  let first = -1;
  let bad = 0;
  for (let i = 0; i < gb.length; i++) {
    if (gb[i] !== wb[i]) {
      if (first < 0) first = i;
      bad++;
    }
  }
  if (first < 0) return;
  throw new Error(
    `${name}: not bitwise identical at index ${first}${multiIndex(first, opts.shape)}: ${got[first]} ` +
      `(0x${gb[first].toString(16)}) vs ${want[first]} (0x${wb[first].toString(16)}); ${bad} of ${gb.length} ` +
      `elements differ [${nativeContext()}]`,
  );
}

/** Shapes must agree before values are compared (tinygrad's helper_test_op checks shape first). */
export function assertShape(got: readonly number[], want: readonly number[], name = 'shape'): void {
  if (got.length !== want.length || got.some((s, i) => s !== want[i])) {
    throw new Error(`${name}: got shape ${fmtShape(got)}, want ${fmtShape(want)}`);
  }
}
