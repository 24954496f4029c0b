// Native reductions (sum, max, min, argmax, argmin) and softmax / log-softmax (forward and backward)
// over [outer, n, inner] views, against the reference: n around the SIMD widths and long enough to be
// blocked and threaded, inner > 1 (strided rows), ties, NaN and infinities, masked (-Infinity)
// softmax entries, and the ops built on them.
// Tolerances: max, min, argmax, argmin exact (ties: the first index; NaN: propagates, its first
// index); sum γ_{n+1} Σ|x|; softmax and its backward the propagated bounds of test/util/bounds.ts.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { ReduceOp } from '../../src/backend/backend';
import * as gn from '../../src/index';
import { Tensor } from '../../src/tensor';
import { assertWithin } from '../util/assert_close';
import { nativeKernels, referenceBackend } from '../util/backends';
import { abs64, EPS_T, FLT_MIN, gamma, softmaxBackwardBound, softmaxBound, sumBound, TINY, to64, U } from '../util/bounds';
import { normal, poisoned, uniform } from '../util/data';

const native = nativeKernels();

const NS = [1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 64, 65, 1000];
const INNERS = [1, 2, 7, 17];

function checkReduce(op: ReduceOp, x: Float32Array, outer: number, n: number, inner: number, name: string): void {
  const y = poisoned(outer * inner);
  native.reduce(op, x, y, outer, n, inner);
  const yRef = new Float64Array(outer * inner);
  referenceBackend.reduce(op, to64(x), yRef, outer, n, inner);
  const bound = op === 'sum' ? sumBound(x, outer, n, inner) : 0;
  assertWithin(y, yRef, bound, { name: `reduce ${op} ${name}: outer ${outer} n ${n} inner ${inner}`, shape: [outer, inner] });
}

function checkArg(op: 'max' | 'min', x: Float32Array, outer: number, n: number, inner: number, name: string): void {
  const y = poisoned(outer * inner);
  native.argReduce(op, x, y, outer, n, inner);
  const yRef = new Float64Array(outer * inner);
  referenceBackend.argReduce(op, to64(x), yRef, outer, n, inner);
  assertWithin(y, yRef, 0, { name: `arg${op} ${name}: outer ${outer} n ${n} inner ${inner}`, shape: [outer, inner] });
}

function checkSoftmax(x: Float32Array, outer: number, n: number, inner: number, log: boolean, name: string, seed: number): void {
  const label = (pass: string) => `${log ? 'logSoftmax' : 'softmax'} ${pass} ${name}: outer ${outer} n ${n} inner ${inner}`;
  const y = poisoned(x.length);
  native.softmax(x, y, outer, n, inner, log);
  const yRef = new Float64Array(x.length);
  referenceBackend.softmax(to64(x), yRef, outer, n, inner, log);
  assertWithin(y, yRef, softmaxBound(x, yRef, outer, n, inner, log), { name: label('forward'), shape: [outer, n, inner] });

  // Backward from the float32 forward output of the reference.
  const yf = Float32Array.from(yRef);
  const dy = uniform(x.length, seed, -1, 1);
  const dx = poisoned(x.length);
  native.softmaxBackward(yf, dy, dx, outer, n, inner, log);
  const dxRef = new Float64Array(x.length);
  referenceBackend.softmaxBackward(to64(yf), to64(dy), dxRef, outer, n, inner, log);
  assertWithin(dx, dxRef, softmaxBackwardBound(yf, dy, outer, n, inner, log), { name: label('backward'), shape: [outer, n, inner] });
}

describe('reduce: sum, max, min, argmax, argmin', () => {
  test('n around SIMD widths, inner 1 (contiguous rows) and > 1 (strided rows)', () => {
    let seed = 1;
    for (const n of NS) {
      for (const inner of INNERS) {
        for (const outer of [1, 3]) {
          const x = uniform(outer * n * inner, seed++, -2, 2);
          for (const op of ['sum', 'max', 'min'] as const) checkReduce(op, x, outer, n, inner, 'uniform');
          checkArg('max', x, outer, n, inner, 'uniform');
          checkArg('min', x, outer, n, inner, 'uniform');
        }
      }
    }
  });

  test('long rows (blocked and threaded sums), many rows (threaded across rows)', () => {
    const long = uniform(300_007, 7, -1, 3); // a mean away from zero: the sum's error scales with Σ|x|
    for (const op of ['sum', 'max', 'min'] as const) checkReduce(op, long, 1, long.length, 1, 'long row');
    checkArg('max', long, 1, long.length, 1, 'long row');
    const many = uniform(2000 * 150, 8);
    for (const op of ['sum', 'max', 'min'] as const) {
      checkReduce(op, many, 2000, 150, 1, 'many rows');
      checkReduce(op, many, 1, 150, 2000, 'wide inner');
    }
  });

  test('sum over n = 0 gives zeros', () => {
    checkReduce('sum', new Float32Array(0), 2, 0, 3, 'empty rows');
  });

  test('ties: argmax / argmin return the first extreme', () => {
    for (const [n, inner] of [[9, 1], [33, 1], [17, 7], [1000, 2]]) {
      const x = uniform(3 * n * inner, n + inner).map((v) => Math.round(v * 2)); // values in {-2..2}
      checkArg('max', x, 3, n, inner, 'ties');
      checkArg('min', x, 3, n, inner, 'ties');
    }
  });

  test('NaN propagates through max / min and argmax / argmin pick the first NaN; infinities', () => {
    for (const [n, inner] of [[1, 1], [8, 1], [17, 1], [33, 3], [1000, 1]]) {
      const x = uniform(4 * n * inner, 50 + n, -2, 2);
      // Row 0: NaN first; row 1: NaN last; row 2: two NaNs; row 3: +Inf and -Inf (sum NaN).
      const at = (o: number, r: number) => (o * n + r) * inner;
      x[at(0, 0)] = NaN;
      x[at(1, n - 1)] = NaN;
      x[at(2, Math.floor(n / 2))] = NaN;
      x[at(2, n - 1)] = NaN;
      x[at(3, 0)] = Infinity;
      x[at(3, n - 1)] = -Infinity;
      for (const op of ['sum', 'max', 'min'] as const) checkReduce(op, x, 4, n, inner, 'nan/inf');
      checkArg('max', x, 4, n, inner, 'nan/inf');
      checkArg('min', x, 4, n, inner, 'nan/inf');
    }
  });

  test('random [outer, n, inner] (fast-check)', () => {
    const dim = fc.oneof(fc.constantFrom(1, 7, 8, 9, 15, 16, 17, 31, 33), fc.integer({ min: 1, max: 40 }));
    fc.assert(
      fc.property(dim, dim, fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 1e6 }), (outer, n, inner, seed) => {
        const x = normal(outer * n * inner, seed);
        for (const op of ['sum', 'max', 'min'] as const) checkReduce(op, x, outer, n, inner, 'random');
        checkArg('max', x, outer, n, inner, 'random');
        checkArg('min', x, outer, n, inner, 'random');
      }),
      { seed: 0x5e, numRuns: 60 },
    );
  });
});

describe('softmax and log-softmax', () => {
  test('rows of SIMD-width lengths, inner 1 and > 1', () => {
    let seed = 100;
    for (const n of NS) {
      for (const inner of INNERS) {
        const x = normal(2 * n * inner, seed++, 3);
        for (const log of [false, true]) checkSoftmax(x, 2, n, inner, log, 'normal(0, 3)', seed);
      }
    }
  });

  test('large logits (exp would overflow without the max shift), tiny probabilities, masked entries', () => {
    for (const log of [false, true]) {
      const x = normal(3 * 33, 7, 1);
      for (let i = 0; i < 33; i++) x[i] += 90; // row 0 around 90
      for (let i = 33; i < 66; i++) x[i] *= 40; // row 1: probabilities down to e^-200 (flush to 0 allowed)
      for (let i = 66; i < 99; i += 3) x[i] = -Infinity; // row 2: masked entries give exactly 0
      checkSoftmax(x, 3, 33, 1, log, 'extremes', 8);
    }
  });

  test('a row holding NaN comes out NaN; other rows are unaffected', () => {
    for (const log of [false, true]) {
      const x = normal(4 * 17, 9);
      x[17 + 5] = NaN;
      const y = poisoned(x.length);
      native.softmax(x, y, 4, 17, 1, log);
      const yRef = new Float64Array(x.length);
      referenceBackend.softmax(to64(x), yRef, 4, 17, 1, log);
      assertWithin(y, yRef, softmaxBound(x, yRef, 4, 17, 1, log), { name: `${log ? 'logSoftmax' : 'softmax'} nan row`, shape: [4, 17] });
    }
  });

  test('long rows and many rows (threaded)', () => {
    const x = normal(4 * 20_000, 11, 2);
    for (const log of [false, true]) {
      checkSoftmax(x, 4, 20_000, 1, log, 'long rows', 12);
      checkSoftmax(x, 8000, 10, 1, log, 'many rows', 13);
      checkSoftmax(x, 2, 100, 400, log, 'inner 400', 14);
    }
  });

  test('random [outer, n, inner] (fast-check)', () => {
    const dim = fc.oneof(fc.constantFrom(1, 7, 8, 9, 15, 16, 17, 31, 33), fc.integer({ min: 1, max: 40 }));
    fc.assert(
      fc.property(dim, dim, fc.integer({ min: 1, max: 9 }), fc.boolean(), fc.integer({ min: 0, max: 1e6 }), (outer, n, inner, log, seed) => {
        checkSoftmax(normal(outer * n * inner, seed, 4), outer, n, inner, log, 'random', seed + 1);
      }),
      { seed: 0x50f7, numRuns: 60 },
    );
  });
});

/**
 * crossEntropyBackward against the reference, from the float32 log-softmax of the reference:
 * dx = g ((e − c) − hit) with e = exp(logp) within EPS_T, then two subtractions and a product
 * rounded once each: |error| <= |g| ((EPS_T + 3u) e + 3u (c + hit) + FLT_MIN).
 */
function checkCrossEntropy(outer: number, n: number, inner: number, smoothing: number, seed: number): void {
  const name = `crossEntropyBackward outer ${outer} n ${n} inner ${inner} smoothing ${smoothing}`;
  const x = normal(outer * n * inner, seed, 3);
  const lp64 = new Float64Array(x.length);
  referenceBackend.softmax(to64(x), lp64, outer, n, inner, true);
  const logp = Float32Array.from(lp64);
  const labels = Int32Array.from({ length: outer * inner }, (_, i) => (i * 7 + seed) % n);
  const g = uniform(outer * inner, seed + 1, -2, 2);
  const dx = poisoned(x.length);
  native.crossEntropyBackward(logp, labels, g, dx, outer, n, inner, smoothing);
  const want = new Float64Array(x.length);
  referenceBackend.crossEntropyBackward(to64(logp), labels, to64(g), want, outer, n, inner, smoothing);
  const c = smoothing / n;
  const bound = new Float64Array(x.length);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < inner; i++) {
        const k = (o * n + j) * inner + i;
        const hit = labels[o * inner + i] === j ? 1 - smoothing : 0;
        bound[k] = Math.abs(g[o * inner + i]) * ((EPS_T + 3 * U) * Math.exp(logp[k]) + 3 * U * (c + hit) + FLT_MIN) + TINY;
      }
    }
  }
  assertWithin(dx, want, bound, { name, shape: [outer, n, inner] });
}

describe('cross-entropy backward (fused softmax - target)', () => {
  test('rows of SIMD-width lengths, inner 1 and > 1, with and without label smoothing', () => {
    let seed = 300;
    for (const n of NS) {
      for (const inner of INNERS) {
        for (const smoothing of [0, 0.1]) checkCrossEntropy(3, n, inner, smoothing, seed++);
      }
    }
    checkCrossEntropy(4096, 100, 1, 0, seed++); // threaded across rows
  });

  test('a label out of range is refused before anything is written', () => {
    const logp = new Float32Array(2 * 3).fill(Math.log(1 / 3));
    const g = new Float32Array([1, 1]);
    for (const be of [native, referenceBackend]) {
      for (const bad of [3, -1]) {
        const dx = poisoned(6);
        expect(() => be.crossEntropyBackward(logp, Int32Array.from([0, bad]), g, dx, 2, 3, 1, 0)).toThrow(
          `crossEntropyBackward: class label ${bad} at position 1 is out of range for 3 classes`,
        );
        expect(Array.from(dx).every(Number.isNaN), be.name).toBe(true);
      }
    }
  });
});

describe('reduction ops on the native backend against float64', () => {
  const x = new Tensor(uniform(3 * 4 * 17 * 5, 21, -2, 2), [3, 4, 17, 5]);
  test('sum and mean over several dims with keepdim; max, min and argmax over a middle dim', () => {
    const sumLike: [string, (t: Tensor) => Tensor, number][] = [
      ['sum all', (t) => t.sum(), 3 * 4 * 17 * 5],
      ['sum [1,3] keepdim', (t) => t.sum([1, 3], true), 4 * 5],
      ['sum [0,2]', (t) => t.sum([0, 2]), 3 * 17],
      ['mean [-1,-2]', (t) => t.mean([-1, -2]), 17 * 5],
    ];
    for (const [name, op, count] of sumLike) {
      const got = gn.withBackend('native', () => op(x));
      const want = op(x.to('float64'));
      const mag = op(new Tensor(abs64(x.data), x.shape));
      expect(got.shape, name).toEqual(want.shape);
      // Several kernel calls (one per run of consecutive dims) and a division: γ_{count+3}.
      assertWithin(got.data, want.data, mag.data.map((v) => gamma(count + 3) * v + TINY), { name, shape: got.shape });
    }
    const exactOps: [string, (t: Tensor) => Tensor][] = [
      ['max dim 2', (t) => t.max(2)],
      ['min [0,1] keepdim', (t) => t.min([0, 1], true)],
      ['argmax dim 2', (t) => t.argmax(2)],
      ['argmin all', (t) => t.argmin()],
    ];
    for (const [name, op] of exactOps) {
      const got = gn.withBackend('native', () => op(x));
      const want = op(x.to('float64'));
      expect(got.shape, name).toEqual(want.shape);
      assertWithin(got.data, want.data, 0, { name, shape: got.shape });
    }
  });

  test('softmax and logSoftmax along a middle dim', () => {
    for (const log of [false, true]) {
      const op = (t: Tensor) => (log ? gn.logSoftmax(t, 2) : gn.softmax(t, 2));
      const got = gn.withBackend('native', () => op(x));
      const want = op(x.to('float64'));
      assertWithin(got.data, want.data, softmaxBound(x.data, want.data, 12, 17, 5, log), { name: `op ${log ? 'logSoftmax' : 'softmax'} dim 2`, shape: x.shape });
    }
  });
});
