// Native GEMM against the reference GEMM (float64 oracle), kernel by kernel and through matmul /
// linear: the named cases of test/shapes/gemm.ts, the register tile of the active ISA ± 1, random
// shapes (fast-check, fixed seed), NaN / Inf propagation, and "beta = 0 never reads C".
// Bound: |ĉ − c| <= γ_{k+2} (|alpha| |A||B| + |beta| |C|) elementwise (test/util/bounds.ts), and the
// precision guard ‖Ĉ − C‖_F / ‖C‖_F <= 2u√k on zero-mean data (KERNELS.md §8.2.2).
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { GemmArgs } from '../../src/backend/backend';
import * as gn from '../../src/index';
import { Tensor } from '../../src/tensor';
import { assertWithin, nativeContext } from '../util/assert_close';
import { gemmTile, nativeKernels, referenceBackend } from '../util/backends';
import { abs64, gamma, gemmBound, relativeFrobenius, to64, TINY, U } from '../util/bounds';
import { uniform } from '../util/data';
import { type GemmShape, gemmArgs, gemmShapes, gemmSizes } from '../shapes/gemm';

const native = nativeKernels();
/** Elements after C that no product may touch. */
const TRAILER = 3;
const SENTINEL = 7.25;

interface GemmCase {
  name: string;
  args: GemmArgs;
  a: Float32Array;
  b: Float32Array;
  c0: Float32Array;
}

function makeCase(s: GemmShape, seed: number): GemmCase {
  const args = gemmArgs(s);
  const sizes = gemmSizes(s);
  const c0 = new Float32Array(sizes.c + TRAILER).fill(SENTINEL);
  if (args.beta !== 0) c0.set(uniform(sizes.c, seed + 2));
  // beta = 0: C starts as NaN, which a kernel that reads C would propagate.
  else for (let q = 0; q < args.batch; q++) c0.fill(NaN, q * args.strideC, q * args.strideC + s.m * s.n);
  return { name: s.name, args, a: uniform(sizes.a, seed), b: uniform(sizes.b, seed + 1), c0 };
}

/** Runs both backends on one case and checks the K-scaled bound; returns both results. */
function checkGemm(c: GemmCase): { got: Float32Array; want: Float64Array } {
  const got = c.c0.slice();
  native.gemm(c.a, c.b, got, c.args);
  const want = to64(c.c0);
  referenceBackend.gemm(to64(c.a), to64(c.b), want, c.args);
  const bound = gemmBound(c.a, c.b, c.c0, c.args, c.c0.length);
  const { transA, transB, batch, m, n, k, alpha, beta } = c.args;
  const label = `gemm ${c.name}: batch ${batch} m ${m} n ${n} k ${k} transA ${transA} transB ${transB} alpha ${alpha} beta ${beta}`;
  const describeIndex = (i: number) => {
    const q = Math.floor(i / c.args.strideC);
    const r = i - q * c.args.strideC;
    if (q >= batch) return 'past the last C';
    return r < m * n ? `batch ${q}, C[${Math.floor(r / n)}][${r % n}]` : `batch ${q}, gap after C`;
  };
  assertWithin(got, want, bound, { name: label, describeIndex });
  return { got, want };
}

describe('gemm: named shapes', () => {
  for (const [i, s] of gemmShapes.entries()) {
    if (s.benchOnly) continue; // too large for the reference oracle (the benchmarks time it)
    test(s.name, () => {
      const c = makeCase(s, 100 + 3 * i);
      const { got, want } = checkGemm(c);
      if (c.args.alpha === 1 && c.args.beta === 0 && s.k > 0 && !s.gapC) {
        // Precision guard on zero-mean data: typical error ~0.3u√k; 2u√k flags a lost-precision kernel.
        const span = got.length - TRAILER;
        const rel = relativeFrobenius(got.subarray(0, span), want.subarray(0, span));
        expect(rel, `gemm ${s.name}: relative Frobenius error [${nativeContext()}]`).toBeLessThanOrEqual(2 * U * Math.sqrt(s.k));
      }
    });
  }
});

describe('gemm: register tile of the active ISA', () => {
  test('m in {MR-1, MR, MR+1, 2MR+1} x n in {NR-1, NR, NR+1, 2NR+1}, all transposes', () => {
    const [mr, nr] = gemmTile();
    let seed = 1;
    for (const m of [mr - 1, mr, mr + 1, 2 * mr + 1]) {
      for (const n of [nr - 1, nr, nr + 1, 2 * nr + 1]) {
        for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
          const name = `tile_mr${mr}_nr${nr}_m${m}_n${n}`;
          checkGemm(makeCase({ name, m, n, k: 19, transA, transB, beta: seed % 3 === 0 ? 0.5 : 0 }, seed++));
        }
      }
    }
  });
});

describe('gemm: random shapes (fast-check)', () => {
  const edge = fc.constantFrom(1, 2, 7, 8, 9, 15, 16, 17, 31, 33);
  const size = fc.oneof(edge, fc.integer({ min: 1, max: 40 }));
  test('any m, n, k, transposes, alpha, beta, batch and sharing', () => {
    fc.assert(
      fc.property(
        fc.record({
          m: size,
          n: size,
          k: fc.oneof(size, fc.constantFrom(0, 191, 192, 193, 255, 256, 257)),
          transA: fc.boolean(),
          transB: fc.boolean(),
          batch: fc.integer({ min: 1, max: 3 }),
          shareA: fc.boolean(),
          shareB: fc.boolean(),
          alpha: fc.constantFrom(1, -1, 0.5, 3),
          beta: fc.constantFrom(0, 0, 1, -0.5),
          seed: fc.integer({ min: 0, max: 1e6 }),
        }),
        (r) => {
          checkGemm(makeCase({ ...r, name: 'random' }, r.seed));
        },
      ),
      { seed: 0x6e6d, numRuns: 60 },
    );
  });
});

describe('gemm: special values', () => {
  test('a NaN in A poisons its row of C; an Inf in B gives ±Inf (or NaN against a zero) down its column', () => {
    const m = 9;
    const n = 17;
    const k = 13;
    const a = uniform(m * k, 5, 0.5, 1.5); // no zeros, all positive
    const b = uniform(k * n, 6, -1, 1);
    a[3 * k + 4] = NaN; // row 3
    b[7 * n + 11] = Infinity; // column 11 (A has no zeros: C[i][11] = +Inf except row 3)
    a[5 * k + 7] = 0; // ... and 0 * Inf = NaN at C[5][11]
    const args: GemmArgs = { transA: false, transB: false, batch: 1, m, n, k, alpha: 1, beta: 0, strideA: 0, strideB: 0, strideC: 0 };
    const got = new Float32Array(m * n);
    native.gemm(a, b, got, args);
    const want = new Float64Array(m * n);
    referenceBackend.gemm(to64(a), to64(b), want, args);
    expect(Number.isNaN(want[3 * n]) && want[2 * n + 11] === Infinity && Number.isNaN(want[5 * n + 11])).toBe(true);
    assertWithin(got, want, gemmBound(a, b, null, args, m * n), { name: 'gemm nan_inf_propagation', shape: [m, n] });
  });

  test('beta = 0 never reads C: NaN and Inf in C do not leak into the result', () => {
    for (const s of [{ m: 7, n: 17, k: 5 }, { m: 1, n: 1, k: 1 }, { m: 13, n: 33, k: 257 }]) {
      const args: GemmArgs = { transA: false, transB: true, batch: 1, ...s, alpha: 1, beta: 0, strideA: 0, strideB: 0, strideC: 0 };
      const a = uniform(s.m * s.k, 9);
      const b = uniform(s.n * s.k, 10);
      const c = new Float32Array(s.m * s.n).map((_, i) => (i % 2 ? NaN : -Infinity));
      native.gemm(a, b, c, args);
      expect(c.every(Number.isFinite), `gemm beta0 m ${s.m} n ${s.n} k ${s.k}: C is finite [${nativeContext()}]`).toBe(true);
    }
  });
});

describe('gemm: the epilogue (bias per column, ReLU)', () => {
  // Each path of the driver (small, sup, packed, and its N split), a batch sharing one bias, and
  // beta = 1 (the epilogue after beta C).
  const shapes = [
    { transA: false, transB: true, batch: 1, m: 64, n: 120, k: 400, beta: 0 }, // LeNet's fc1
    { transA: true, transB: false, batch: 1, m: 37, n: 45, k: 300, beta: 1 },
    { transA: false, transB: true, batch: 1, m: 13, n: 3001, k: 300, beta: 0 },
    { transA: false, transB: false, batch: 3, m: 5, n: 33, k: 17, beta: 1 },
    { transA: false, transB: false, batch: 1, m: 2, n: 501, k: 40, beta: 0 },
    { transA: false, transB: true, batch: 1, m: 401, n: 2, k: 30, beta: 0 },
    { transA: true, transB: true, batch: 1, m: 301, n: 40, k: 150, beta: 1 },
  ];
  for (const [i, s] of shapes.entries()) {
    for (const [withBias, relu] of [[true, false], [false, true], [true, true]]) {
      test(`${s.transA ? 'T' : 'N'}${s.transB ? 'T' : 'N'} batch ${s.batch} ${s.m}x${s.n}x${s.k} beta ${s.beta}${withBias ? ' +bias' : ''}${relu ? ' relu' : ''}`, () => {
        const { m, n, k, batch } = s;
        const args: GemmArgs = {
          ...s,
          alpha: 1,
          strideA: m * k,
          strideB: k * n,
          strideC: m * n,
          bias: withBias ? uniform(n, 60 + i, -2, 2) : null,
          relu,
        };
        const c0 = new Float32Array(batch * m * n + TRAILER).fill(SENTINEL);
        if (s.beta !== 0) c0.set(uniform(batch * m * n, 70 + i));
        else c0.fill(NaN, 0, batch * m * n); // beta = 0: C is not read, before the epilogue or by it
        const { got, want } = checkGemm({ name: 'epilogue', args, a: uniform(batch * m * k, 80 + i), b: uniform(batch * k * n, 90 + i), c0 });
        if (relu) {
          // The ReLU did clamp something, and nothing negative is left.
          expect(want.subarray(0, batch * m * n).some((v) => v === 0)).toBe(true);
          expect(got.subarray(0, batch * m * n).every((v) => v >= 0)).toBe(true);
        }
      });
    }
  }
});

describe('gemm through matmul and linear (float32 native vs float64 reference)', () => {
  /** Compares a float32 result with the same op on float64 copies; bound γ_{k+3} of the op on |inputs|. */
  function checkOp(name: string, k: number, op: (...ts: Tensor[]) => Tensor, inputs: Tensor[]): void {
    const got = gn.withBackend('native', () => op(...inputs));
    const want = op(...inputs.map((t) => t.to('float64')));
    const mag = op(...inputs.map((t) => new Tensor(abs64(t.data), t.shape)));
    expect(got.shape).toEqual(want.shape);
    const bound = mag.data.map((v) => gamma(k + 3) * v + TINY);
    assertWithin(got.data, want.data, bound, { name, shape: got.shape });
  }
  const t = (shape: number[], seed: number) => new Tensor(uniform(shape.reduce((x, y) => x * y, 1), seed), shape);

  test('matmul: broadcast batch [3,1,5,7] @ [4,7,6]', () => checkOp('matmul broadcast batch', 7, gn.matmul, [t([3, 1, 5, 7], 1), t([4, 7, 6], 2)]));
  test('matmul: shared matrix [2,3,9,17] @ [17,33]', () => checkOp('matmul shared b', 17, gn.matmul, [t([2, 3, 9, 17], 3), t([17, 33], 4)]));
  test('matmul: 1-D @ 2-D, 2-D @ 1-D, 1-D @ 1-D', () => {
    checkOp('matmul vec-mat', 257, gn.matmul, [t([257], 5), t([257, 9], 6)]);
    checkOp('matmul mat-vec', 257, gn.matmul, [t([17, 257], 7), t([257], 8)]);
    checkOp('matmul dot', 1000, gn.matmul, [t([1000], 9), t([1000], 10)]);
  });
  test('linear: 3-D input with bias, and without', () => {
    checkOp('linear bias', 31, (x, w, b) => gn.linear(x, w, b), [t([2, 7, 31], 11), t([17, 31], 12), t([17], 13)]);
    checkOp('linear no bias', 31, (x, w) => gn.linear(x, w), [t([5, 31], 14), t([9, 31], 15)]);
  });
});
