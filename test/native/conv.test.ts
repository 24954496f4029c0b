// Native conv2d (forward, backward-data, backward-filter with and without the bias gradient)
// against the reference kernels on float64 copies of the same inputs: the named cases of
// test/shapes/conv2d.ts, random shapes (fast-check, fixed seed), and the conv2d op itself.
// Bounds (test/util/bounds.ts, KERNELS.md §8.2): γ_{K+2} times the kernel run on absolute values,
// K = cIn/groups·kh·kw (+1 bias) forward, cOut/groups·kh·kw backward-data, n·oh·ow backward-filter;
// plus the precision guard ‖Ŷ − Y‖_F / ‖Y‖_F <= 2u√K on the forward pass.
// Outputs start as NaN, so an element a kernel forgets to write fails.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Conv2dParams } from '../../src/backend/backend';
import * as gn from '../../src/index';
import { Tensor } from '../../src/tensor';
import { assertWithin, nativeContext } from '../util/assert_close';
import { nativeKernels, referenceBackend } from '../util/backends';
import {
  abs64,
  convBackwardDataBound,
  convBackwardFilterBound,
  convForwardBound,
  gamma,
  relativeFrobenius,
  to64,
  TINY,
  U,
} from '../util/bounds';
import { poisoned, uniform } from '../util/data';
import { type Conv2dShape, conv2dParams, conv2dShapes } from '../shapes/conv2d';

const native = nativeKernels();

/**
 * The reference oracle is a plain TypeScript loop (~15 ns per multiply-add, six passes per case), so
 * training layers run at a reduced batch that keeps each pass near this many multiply-adds; every
 * per-sample code path is the same, and the batch loop and batch partials are covered by the
 * batch_odd_9 and batch17_dw_partials cases.
 */
const MACS_PER_PASS = 1_500_000;

function fmt(p: Conv2dParams): string {
  return (
    `n ${p.n} cIn ${p.cIn} ${p.h}x${p.w} cOut ${p.cOut} k ${p.kh}x${p.kw} out ${p.oh}x${p.ow} stride ${p.strideH}x${p.strideW} ` +
    `pad ${p.padH}x${p.padW} dil ${p.dilH}x${p.dilW} groups ${p.groups}`
  );
}

function checkConv(name: string, p: Conv2dParams, hasBias: boolean, seed: number): void {
  const cinG = p.cIn / p.groups;
  const x = uniform(p.n * p.cIn * p.h * p.w, seed);
  const w = uniform(p.cOut * cinG * p.kh * p.kw, seed + 1);
  const bias = hasBias ? uniform(p.cOut, seed + 2) : null;
  const dy = uniform(p.n * p.cOut * p.oh * p.ow, seed + 3);
  const label = (pass: string) => `conv2d ${pass} ${name}: ${fmt(p)}${hasBias ? ' bias' : ''}`;
  const yShape = [p.n, p.cOut, p.oh, p.ow];

  // Forward
  const y = poisoned(p.n * p.cOut * p.oh * p.ow);
  native.conv2dForward(x, w, bias, y, p);
  const yRef = new Float64Array(y.length);
  referenceBackend.conv2dForward(to64(x), to64(w), bias ? to64(bias) : null, yRef, p);
  assertWithin(y, yRef, convForwardBound(x, w, bias, p), { name: label('forward'), shape: yShape });
  if (!hasBias) {
    const K = cinG * p.kh * p.kw;
    expect(relativeFrobenius(y, yRef), `${label('forward')}: relative Frobenius error [${nativeContext()}]`).toBeLessThanOrEqual(2 * U * Math.sqrt(K));
  }

  // Backward-data
  const dx = poisoned(x.length);
  native.conv2dBackwardData(dy, w, dx, p);
  const dxRef = new Float64Array(x.length);
  referenceBackend.conv2dBackwardData(to64(dy), to64(w), dxRef, p);
  assertWithin(dx, dxRef, convBackwardDataBound(dy, w, p), { name: label('backward-data'), shape: [p.n, p.cIn, p.h, p.w] });

  // Backward-filter, with the bias gradient when the case has a bias
  const dw = poisoned(w.length);
  const dbias = hasBias ? poisoned(p.cOut) : null;
  native.conv2dBackwardFilter(x, dy, dw, dbias, p);
  const dwRef = new Float64Array(w.length);
  const dbRef = new Float64Array(p.cOut);
  referenceBackend.conv2dBackwardFilter(to64(x), to64(dy), dwRef, dbRef, p);
  const bf = convBackwardFilterBound(x, dy, p);
  assertWithin(dw, dwRef, bf.dw, { name: label('backward-filter dw'), shape: [p.cOut, cinG, p.kh, p.kw] });
  if (dbias) assertWithin(dbias, dbRef, bf.dbias, { name: label('backward-filter dbias'), shape: [p.cOut] });
}

describe('conv2d: named shapes', () => {
  for (const [i, s] of conv2dShapes.entries()) {
    if (s.benchOnly) continue; // too large for the reference oracle (the benchmarks time it)
    const full = conv2dParams(s);
    const perSample = (full.cOut * full.oh * full.ow * full.cIn * full.kh * full.kw) / full.groups;
    const n = Math.min(full.n, Math.max(2, Math.floor(MACS_PER_PASS / perSample)));
    const title = n === full.n ? s.name : `${s.name} (batch ${n} of ${full.n})`;
    test(title, () => checkConv(s.name, { ...full, n }, s.bias === true, 1000 + 10 * i));
  }

});

interface Channels {
  n: number;
  cIn: number;
  cOut: number;
  groups: number;
  h: number;
  w: number;
}

/**
 * checkConv over random windows (sizes 1..maxK, strides 1..3, pads 0..3 with the bottom and right
 * ones differing by up to 1, dilations 1..3, with or without bias) on the planes and channel
 * layouts `channels` draws.
 */
function checkRandomShapes(name: string, channels: fc.Arbitrary<Channels>, maxK: number, seed: number, numRuns: number): void {
  const arb = fc
    .record({
      c: channels,
      kh: fc.integer({ min: 1, max: maxK }),
      kw: fc.integer({ min: 1, max: maxK }),
      strideH: fc.integer({ min: 1, max: 3 }),
      strideW: fc.integer({ min: 1, max: 3 }),
      padH: fc.integer({ min: 0, max: 3 }),
      padW: fc.integer({ min: 0, max: 3 }),
      extraBottom: fc.integer({ min: -1, max: 1 }),
      extraRight: fc.integer({ min: -1, max: 1 }),
      dilH: fc.integer({ min: 1, max: 3 }),
      dilW: fc.integer({ min: 1, max: 3 }),
      bias: fc.boolean(),
      seed: fc.integer({ min: 0, max: 1e6 }),
    })
    .map((r) => {
      const { extraBottom, extraRight, c, bias, seed: dataSeed, ...window } = r;
      const s: Conv2dShape = {
        name,
        ...c,
        ...window,
        padBottom: Math.max(0, r.padH + extraBottom),
        padRight: Math.max(0, r.padW + extraRight),
      };
      return { p: conv2dParams(s), bias, seed: dataSeed };
    })
    .filter(({ p }) => p.oh >= 1 && p.ow >= 1);
  fc.assert(
    fc.property(arb, ({ p, bias, seed: dataSeed }) => checkConv(name, p, bias, dataSeed)),
    { seed, numRuns },
  );
}

describe('conv2d: random shapes (fast-check)', () => {
  test('any stride, padding, dilation, groups and sizes', () => {
    const channels = fc
      .record({
        n: fc.integer({ min: 1, max: 3 }),
        groups: fc.constantFrom(1, 1, 2, 3),
        cinG: fc.integer({ min: 1, max: 5 }),
        coutG: fc.integer({ min: 1, max: 5 }),
        h: fc.integer({ min: 1, max: 12 }),
        w: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.constantFrom(7, 8, 9, 15, 16, 17)),
      })
      .map(({ cinG, coutG, ...r }) => ({ ...r, cIn: cinG * r.groups, cOut: coutG * r.groups }));
    checkRandomShapes('random', channels, 4, 0xc0de, 60);
  });

  test('128 to 160 output channels per group: the column-matrix path under random geometry', () => {
    // The native column-matrix path (conv_columns.h) takes layers with at most 128 output columns
    // in all (batch * oh * ow) and cg_out * ow >= 1024; the shapes above have at most 5 channels
    // per group, so they stay on the other paths. Here about half the shapes reach it (ow >= 7).
    const channels = fc
      .record({
        n: fc.integer({ min: 1, max: 2 }),
        groups: fc.constantFrom(1, 1, 2),
        cinG: fc.integer({ min: 1, max: 3 }),
        coutG: fc.integer({ min: 128, max: 160 }),
        h: fc.integer({ min: 1, max: 10 }),
        w: fc.integer({ min: 7, max: 12 }),
      })
      .map(({ cinG, coutG, ...r }) => ({ ...r, cIn: cinG * r.groups, cOut: coutG * r.groups }));
    checkRandomShapes('random_columns', channels, 3, 0xc015, 30);
  });
});

describe('conv2d: depthwise (native/kernels/conv/depthwise.h)', () => {
  test('random depthwise shapes: multipliers, strides, dilations, pads, rows of several 16-output chunks', () => {
    const channels = fc
      .record({
        n: fc.integer({ min: 1, max: 2 }),
        c: fc.integer({ min: 2, max: 5 }),
        mult: fc.integer({ min: 1, max: 3 }),
        h: fc.integer({ min: 1, max: 20 }),
        w: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(15, 16, 17, 31, 32, 33)),
      })
      .map(({ c, mult, ...r }) => ({ ...r, cIn: c, cOut: c * mult, groups: c }));
    checkRandomShapes('depthwise random', channels, 5, 0xd3a7, 80);
  });

  test('backward-filter: an infinity only some taps read spoils only those taps', () => {
    // 'valid' 3x3 over 20 columns: 18 outputs per row, a 16-output chunk and a 2-output tail. The
    // last input column is read by the right-hand taps only (at the last output); the kernel's
    // tail chunk also loads it for the other taps and must drop those products, not add 0 * inf.
    const p = conv2dParams({ name: 'dw inf', n: 1, cIn: 2, h: 4, w: 20, cOut: 2, kh: 3, kw: 3, groups: 2 });
    const x = uniform(p.n * p.cIn * p.h * p.w, 5);
    x[2 * 20 + 19] = Infinity; // channel 0, row 2, last column
    const dy = uniform(p.n * p.cOut * p.oh * p.ow, 6);
    const dw = poisoned(2 * 9);
    native.conv2dBackwardFilter(x, dy, dw, null, p);
    const ref = new Float64Array(dw.length);
    referenceBackend.conv2dBackwardFilter(to64(x), to64(dy), ref, null, p);
    // x[2][19] is read by the outputs (1, 17) through tap (1, 2) and (0, 17) through tap (2, 2).
    for (let t = 0; t < 9; t++) {
      const [r, q] = [Math.floor(t / 3), t % 3];
      expect(Number.isFinite(ref[t]), `reference tap ${t}`).toBe(!(q === 2 && r >= 1));
      expect(Number.isFinite(dw[t]), `channel 0 tap ${t}: ${dw[t]} (reference ${ref[t]})`).toBe(Number.isFinite(ref[t]));
    }
    const finite = [...ref.keys()].filter((i) => Number.isFinite(ref[i]));
    const bound = convBackwardFilterBound(x.map((v) => (Number.isFinite(v) ? v : 0)), dy, p).dw;
    assertWithin(finite.map((i) => dw[i]), finite.map((i) => ref[i]), finite.map((i) => bound[i]), { name: 'finite taps' });
  });
});

describe('conv2d op on the native backend against float64 (forward)', () => {
  function checkOp(name: string, K: number, x: Tensor, w: Tensor, b: Tensor | null, opts: gn.Conv2dOptions): void {
    const got = gn.withBackend('native', () => gn.conv2d(x, w, b, opts));
    const want = gn.conv2d(x.to('float64'), w.to('float64'), b ? b.to('float64') : null, opts);
    const mag = gn.conv2d(new Tensor(abs64(x.data), x.shape), new Tensor(abs64(w.data), w.shape), b ? new Tensor(abs64(b.data), b.shape) : null, opts);
    expect(got.shape).toEqual(want.shape);
    assertWithin(got.data, want.data, mag.data.map((v) => gamma(K + 3) * v + TINY), { name: `conv2d op ${name}`, shape: got.shape });
  }
  const t = (shape: number[], seed: number) => new Tensor(uniform(shape.reduce((a, b) => a * b, 1), seed), shape);

  test("padding 'same' with an even kernel (pads 1 before, 2 after)", () => {
    checkOp('same_even', 2 * 16, t([2, 2, 7, 6], 1), t([3, 2, 4, 4], 2), t([3], 3), { padding: 'same' });
  });
  test("padding 'same' with dilation, and 'valid'", () => {
    checkOp('same_dilated', 3 * 9, t([1, 3, 8, 9], 4), t([2, 3, 3, 3], 5), null, { padding: 'same', dilation: 2 });
    checkOp('valid', 3 * 9, t([1, 3, 8, 9], 6), t([2, 3, 3, 3], 7), null, { padding: 'valid' });
  });
  test('3-D input, depthwise groups, stride pair', () => {
    checkOp('chw_depthwise', 9, t([4, 9, 8], 8), t([4, 1, 3, 3], 9), t([4], 10), { groups: 4, stride: [2, 1], padding: [1, 0] });
  });
});
