// Native max / average pooling (forward and backward) against the reference kernels: the named
// cases of test/shapes/pool2d.ts, random shapes (fast-check, fixed seed), ties (first maximum in
// row-major window order), NaN (the maximum; the first NaN wins) and -Infinity.
// Max pooling forward is exact (values and argmax indices). Its backward is exact when windows do
// not overlap, else within γ_T Σ|dy| (T = windows covering a pixel). Average pooling: γ_{kh·kw+2}
// forward and γ_{T+2} backward, times the kernel run on absolute values (test/util/bounds.ts).
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Pool2dParams } from '../../src/backend/backend';
import * as gn from '../../src/index';
import { Tensor } from '../../src/tensor';
import { windowOutputSize } from '../../src/shape';
import { assertEqualValues, assertWithin } from '../util/assert_close';
import { nativeKernels, referenceBackend } from '../util/backends';
import { avgPoolBackwardBound, avgPoolForwardBound, gamma, maxPoolBackwardBound, to64 } from '../util/bounds';
import { poisoned, uniform } from '../util/data';
import { pool2dParams, pool2dShapes } from '../shapes/pool2d';

const native = nativeKernels();

function fmt(p: Pool2dParams): string {
  return `n ${p.n} c ${p.c} ${p.h}x${p.w} -> ${p.oh}x${p.ow} k ${p.kh}x${p.kw} stride ${p.strideH}x${p.strideW} pad ${p.padH}x${p.padW}`;
}

function checkMaxPool(name: string, p: Pool2dParams, x: Float32Array, seed: number): void {
  const label = (pass: string) => `maxPool2d ${pass} ${name}: ${fmt(p)}`;
  const outShape = [p.n, p.c, p.oh, p.ow];
  const outLen = p.n * p.c * p.oh * p.ow;
  const y = poisoned(outLen);
  const argmax = new Int32Array(outLen).fill(-7);
  native.maxPool2dForward(x, y, argmax, p);
  const yRef = new Float64Array(outLen);
  const argRef = new Int32Array(outLen);
  referenceBackend.maxPool2dForward(to64(x), yRef, argRef, p);
  assertEqualValues(y, yRef, { name: label('forward'), shape: outShape });
  assertEqualValues(argmax, argRef, { name: label('forward argmax'), shape: outShape });

  const dy = uniform(outLen, seed + 1);
  const dx = poisoned(x.length);
  native.maxPool2dBackward(dy, argRef, dx, p);
  const dxRef = new Float64Array(x.length);
  referenceBackend.maxPool2dBackward(to64(dy), argRef, dxRef, p);
  assertWithin(dx, dxRef, maxPoolBackwardBound(dy, argRef, p), { name: label('backward'), shape: [p.n, p.c, p.h, p.w] });

  // Gated by a ReLU's output (reluMaxPool2d): dy counts only where gate > 0; zeros of either sign
  // and NaN close the gate. Every backward path (ISA 2x2 kernels, SSE2 2x2, scatter) sees it.
  const gate = Float32Array.from(y);
  const specials = [0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  for (let k = 0; k < outLen; k += 7) gate[k] = specials[(k / 7) % specials.length];
  const dxGated = poisoned(x.length);
  native.maxPool2dBackward(dy, argRef, dxGated, p, gate);
  const dxGatedRef = new Float64Array(x.length);
  referenceBackend.maxPool2dBackward(to64(dy), argRef, dxGatedRef, p, gate);
  assertWithin(dxGated, dxGatedRef, maxPoolBackwardBound(dy, argRef, p), { name: label('backward, gated'), shape: [p.n, p.c, p.h, p.w] });
  // The gate closes real windows: the result differs from the ungated one where a gradient was cut.
  if (gate.some((v, k) => !(v > 0) && dy[k] !== 0)) expect(dxGated.some((v, k) => v !== dx[k])).toBe(true);
}

function checkAvgPool(name: string, p: Pool2dParams, x: Float32Array, seed: number): void {
  for (const cip of [true, false]) {
    const label = (pass: string) => `avgPool2d ${pass} ${name}: ${fmt(p)} countIncludePad ${cip}`;
    const outLen = p.n * p.c * p.oh * p.ow;
    const y = poisoned(outLen);
    native.avgPool2dForward(x, y, p, cip);
    const yRef = new Float64Array(outLen);
    referenceBackend.avgPool2dForward(to64(x), yRef, p, cip);
    assertWithin(y, yRef, avgPoolForwardBound(x, p, cip), { name: label('forward'), shape: [p.n, p.c, p.oh, p.ow] });

    const dy = uniform(outLen, seed + 2);
    const dx = poisoned(x.length);
    native.avgPool2dBackward(dy, dx, p, cip);
    const dxRef = new Float64Array(x.length);
    referenceBackend.avgPool2dBackward(to64(dy), dxRef, p, cip);
    assertWithin(dx, dxRef, avgPoolBackwardBound(dy, p, cip), { name: label('backward'), shape: [p.n, p.c, p.h, p.w] });
  }
}

describe('pooling: named shapes', () => {
  for (const [i, s] of pool2dShapes.entries()) {
    test(s.name, () => {
      const p = pool2dParams(s);
      const x = uniform(p.n * p.c * p.h * p.w, 2000 + 10 * i);
      checkMaxPool(s.name, p, x, 2000 + 10 * i);
      checkAvgPool(s.name, p, x, 2000 + 10 * i);
    });
  }
});

describe('max pooling: ties, NaN and -Infinity', () => {
  const p = pool2dParams({ name: 'k3s2_pad1', n: 2, c: 3, h: 9, w: 10, kh: 3, kw: 3, strideH: 2, strideW: 2, padH: 1, padW: 1 });
  const len = p.n * p.c * p.h * p.w;

  test('ties: the first maximum in row-major window order', () => {
    // Values in {0, 1, 2}: nearly every window has tied maxima.
    const x = uniform(len, 31).map((v) => Math.floor((v + 1) * 1.5));
    checkMaxPool('ties', p, x, 31);
  });

  test('NaN is the maximum and the first NaN of a window wins', () => {
    const x = uniform(len, 32);
    for (let i = 0; i < len; i += 7) x[i] = NaN;
    checkMaxPool('nan', p, x, 32);
  });

  test('windows of -Infinity (and Infinity) keep their value and the first index', () => {
    const x = uniform(len, 33);
    x.fill(-Infinity, 0, 2 * p.w); // the top rows of the first plane
    x[3 * p.w + 4] = Infinity;
    checkMaxPool('inf', p, x, 33);
  });
});

describe('pooling: random shapes (fast-check)', () => {
  test('any kernel, stride, padding <= k/2 and ceil mode', () => {
    const arb = fc
      .record({
        n: fc.integer({ min: 1, max: 2 }),
        c: fc.integer({ min: 1, max: 4 }),
        h: fc.integer({ min: 1, max: 12 }),
        w: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.constantFrom(7, 8, 9, 15, 16, 17, 31, 33)),
        kh: fc.integer({ min: 1, max: 4 }),
        kw: fc.integer({ min: 1, max: 4 }),
        strideH: fc.integer({ min: 1, max: 3 }),
        strideW: fc.integer({ min: 1, max: 3 }),
        padH: fc.integer({ min: 0, max: 2 }),
        padW: fc.integer({ min: 0, max: 2 }),
        ceil: fc.boolean(),
        seed: fc.integer({ min: 0, max: 1e6 }),
      })
      .filter((r) => r.padH <= r.kh / 2 && r.padW <= r.kw / 2)
      .map((r) => {
        const p: Pool2dParams = {
          n: r.n,
          c: r.c,
          h: r.h,
          w: r.w,
          oh: windowOutputSize(r.h, r.kh, r.strideH, r.padH, r.padH, 1, r.ceil),
          ow: windowOutputSize(r.w, r.kw, r.strideW, r.padW, r.padW, 1, r.ceil),
          kh: r.kh,
          kw: r.kw,
          strideH: r.strideH,
          strideW: r.strideW,
          padH: r.padH,
          padW: r.padW,
        };
        return { p, seed: r.seed };
      })
      .filter(({ p }) => p.oh >= 1 && p.ow >= 1);
    fc.assert(
      fc.property(arb, ({ p, seed }) => {
        const x = uniform(p.n * p.c * p.h * p.w, seed);
        checkMaxPool('random', p, x, seed);
        checkAvgPool('random', p, x, seed);
      }),
      { seed: 0x9001, numRuns: 80 },
    );
  });
});

describe('pooling ops on the native backend against float64', () => {
  test('maxPool2d and avgPool2d (ceilMode, padding, 3-D input) match the float64 ops', () => {
    const x = new Tensor(uniform(2 * 3 * 9 * 11, 40), [2, 3, 9, 11]);
    const cases: [string, (t: Tensor) => Tensor][] = [
      ['maxPool2d k3 s2 p1 ceil', (t) => gn.maxPool2d(t, 3, { stride: 2, padding: 1, ceilMode: true })],
      ['maxPool2d 3-D input', (t) => gn.maxPool2d(t.select(0, 1), [2, 3])],
      ['avgPool2d k3 s2 p1 ceil', (t) => gn.avgPool2d(t, 3, { stride: 2, padding: 1, ceilMode: true })],
      ['avgPool2d exclude pad', (t) => gn.avgPool2d(t, [3, 2], { stride: [1, 2], padding: [1, 1], countIncludePad: false })],
    ];
    for (const [name, op] of cases) {
      const got = gn.withBackend('native', () => op(x));
      const want = op(x.to('float64'));
      expect(got.shape, name).toEqual(want.shape);
      // Max pooling is exact; average pooling sums at most 9 values of |x| < 1, so its error is below γ_{9+2}.
      assertWithin(got.data, want.data, name.startsWith('max') ? 0 : gamma(11), { name, shape: got.shape });
    }
  });
});
