// The native LSTM cell (lstmCell, lstmCellBackward) against the reference, over batch rows and
// hidden sizes around the SIMD widths and one large enough to be split between threads.
//
// Both backends get the same float32 inputs; the reference computes each value in float64 and
// rounds what it stores. Bounds (stated up front, not fitted), with u = 2^-24 and T =
// TRANSCENDENTAL_ULPS:
// - the activations σ(i), σ(f), tanh(g), σ(o): T ulp, as the unary ops;
// - c = f c_prev + i g: errors of T ulp (≤ 2T u relative) in f, i, g and two roundings:
//   Bc = (2T + 2) u (|f c_prev| + 2 |i g|);
// - tc = tanh(c): (1 - tc²) Bc + T ulp;  h = o tc: |o| Btc + (2T + 2) u |h|;
// - backward (the same float32 inputs, no transcendentals): every output is a product of at most
//   five factors after dc' = dc + dh o (1 - tc²); with each (1 - x) bounded by (1 + |x|) so that the
//   bound covers any evaluation order, Bdc = 8 u (|dc| + |dh o| (1 + tc²)), and each gradient gets
//   Bdc times its other factors plus 8 u times the magnitude of its terms.
// Each with the FLT_MIN floor.
import { describe, expect, test } from 'vitest';
import { assertWithin } from '../util/assert_close';
import { nativeKernels, referenceBackend } from '../util/backends';
import { FLT_MIN, TRANSCENDENTAL_ULPS, U, ulp32 } from '../util/bounds';
import { uniform } from '../util/data';

const native = nativeKernels();
const T = TRANSCENDENTAL_ULPS;

/** [rows, hidden]: around the vector widths, and 64 x 256 (split between threads). */
const SHAPES: [number, number][] = [[1, 1], [3, 7], [2, 16], [5, 17], [4, 33], [64, 256]];

interface Cell {
  gates: Float32Array;
  c: Float32Array;
  tc: Float32Array;
  h: Float32Array;
}

function forward(be: typeof native, pre: Float32Array, cPrev: Float32Array, rows: number, hidden: number): Cell {
  const n = rows * hidden;
  const out = { gates: pre.slice(), c: new Float32Array(n), tc: new Float32Array(n), h: new Float32Array(n) };
  be.lstmCell(out.gates, cPrev, out.c, out.tc, out.h, rows, hidden);
  return out;
}

/** Pre-activations over the range where the activations saturate, plus exact zeros and large values. */
function preActivations(rows: number, hidden: number, seed: number): Float32Array {
  const pre = uniform(rows * 4 * hidden, seed, -6, 6);
  const edges = [0, -0, 30, -30, 1e-7, -1e-7, 88, -100];
  for (let i = 0; i < Math.min(edges.length, pre.length); i++) pre[(i * 37) % pre.length] = edges[i];
  return pre;
}

function each(n: number, f: (k: number) => number): Float64Array {
  return Float64Array.from({ length: n }, (_, k) => f(k) + FLT_MIN);
}

describe('native LSTM cell against the reference', () => {
  for (const [rows, hidden] of SHAPES) {
    const n = rows * hidden;
    const pre = preActivations(rows, hidden, rows * 1000 + hidden);
    const cPrev = uniform(n, hidden + 7, -3, 3);
    const want = forward(referenceBackend, pre, cPrev, rows, hidden);
    // gate activations of sample r, unit j
    const gate = (q: number, k: number) => want.gates[Math.floor(k / hidden) * 4 * hidden + q * hidden + (k % hidden)];

    test(`forward [${rows}, ${hidden}]`, () => {
      const got = forward(native, pre, cPrev, rows, hidden);
      assertWithin(got.gates, want.gates, Float64Array.from(want.gates, (v) => T * ulp32(v) + FLT_MIN), { name: 'gates' });
      const bc = each(n, (k) => (2 * T + 2) * U * (Math.abs(gate(1, k) * cPrev[k]) + 2 * Math.abs(gate(0, k) * gate(2, k))));
      assertWithin(got.c, want.c, bc, { name: 'c' });
      const btc = each(n, (k) => (1 - want.tc[k] ** 2) * bc[k] + T * ulp32(want.tc[k]));
      assertWithin(got.tc, want.tc, btc, { name: 'tc' });
      assertWithin(got.h, want.h, each(n, (k) => Math.abs(gate(3, k)) * btc[k] + (2 * T + 2) * U * Math.abs(want.h[k])), { name: 'h' });
    });

    for (const withDc of [true, false]) {
      test(`backward [${rows}, ${hidden}]${withDc ? '' : ', dc null'}`, () => {
        const dh = uniform(n, 3 * n + 1);
        const dc = withDc ? uniform(n, 5 * n + 2) : null;
        const run = (be: typeof native) => {
          const dgates = new Float32Array(4 * n);
          const dcPrev = new Float32Array(n);
          be.lstmCellBackward(want.gates, cPrev, want.tc, dh, dc, dgates, dcPrev, rows, hidden);
          return { dgates, dcPrev };
        };
        const got = run(native);
        const ref = run(referenceBackend);
        const dcIn = (k: number) => (dc ? Math.abs(dc[k]) : 0);
        const mag = (k: number) => dcIn(k) + Math.abs(dh[k] * gate(3, k)) * (1 + want.tc[k] ** 2); // bounds |dc'|
        const bdc = (k: number) => 8 * U * mag(k);
        const bound = Float64Array.from({ length: 4 * n }, (_, e) => {
          const r = Math.floor(e / (4 * hidden));
          const q = Math.floor((e % (4 * hidden)) / hidden);
          const k = r * hidden + (e % hidden);
          const [i, f, g, o] = [0, 1, 2, 3].map((p) => Math.abs(gate(p, k)));
          const factors = [g * i * (1 + i), Math.abs(cPrev[k]) * f * (1 + f), i * (1 + g * g), 0][q];
          if (q === 3) return 8 * U * Math.abs(dh[k] * want.tc[k]) * o * (1 + o) + FLT_MIN;
          return (bdc(k) + 8 * U * mag(k)) * factors + FLT_MIN;
        });
        assertWithin(got.dgates, ref.dgates, bound, { name: 'dgates' });
        assertWithin(got.dcPrev, ref.dcPrev, each(n, (k) => (bdc(k) + 8 * U * mag(k)) * Math.abs(gate(1, k))), { name: 'dcPrev' });
      });
    }
  }

  test('outputs that overlap an input are refused (the kernel assumes they do not)', () => {
    const n = 4;
    const buf = new Float32Array(8 * n);
    const z = () => new Float32Array(n);
    expect(() => native.lstmCell(buf.subarray(0, 4 * n), z(), buf.subarray(3 * n, 4 * n), z(), z(), 1, n)).toThrow(/lstmCell: c and gates overlap/);
    const dc = z();
    expect(() => native.lstmCellBackward(new Float32Array(4 * n), z(), z(), z(), dc, new Float32Array(4 * n), dc, 1, n)).toThrow(
      /lstmCellBackward: dcPrev and dc overlap/,
    );
    // Adjacent views of one buffer do not overlap.
    native.lstmCell(buf.subarray(0, 4 * n), z(), buf.subarray(4 * n, 5 * n), buf.subarray(5 * n, 6 * n), buf.subarray(6 * n, 7 * n), 1, n);
  });

  test('the sizes are checked (no out-of-bounds access on a wrong length)', () => {
    const n = 4;
    const z = () => new Float32Array(n);
    expect(() => native.lstmCell(new Float32Array(4 * n - 1), z(), z(), z(), z(), 1, n)).toThrow(/lstmCell: gates has 15 elements, expected 16/);
    expect(() => native.lstmCellBackward(new Float32Array(4 * n), z(), z(), z(), null, new Float32Array(4 * n), new Float32Array(3), 1, n)).toThrow(
      /lstmCellBackward: dcPrev has 3 elements, expected 4/,
    );
  });
});
