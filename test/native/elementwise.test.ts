// Native elementwise kernels (unary, unaryBackward, binary, where) against the reference, over sizes
// around the SIMD widths (1, 7, 8, 9, 15, 16, 17, 31, 33, ...) and a size large enough to be split
// between threads, broadcasting and arbitrary strides, and IEEE special values (±0, ±Inf, NaN,
// subnormals). The oracle is the float64 reference result rounded to float32 (Math.fround).
//
// Tolerances (stated up front, not fitted):
// - exact: neg, abs, relu, clamp, sign; add, sub, mul, div (IEEE 754 rounds each correctly, and
//   rounding the float64 result of float32 operands to float32 gives that same result); maximum,
//   minimum, comparisons, where; the backward of neg, abs, relu, clamp and sign (a sign or a select).
// - leakyRelu (forward and backward): 2 ulp (alpha = 0.01 is rounded to float32, then one product).
// - exp, log, sqrt, tanh, sigmoid: TRANSCENDENTAL_ULPS = 4 ulp; elu: 4 + 1 ulp (expm1, then the
//   alpha product); pow: 4 (1 + |b ln a|) ulp (the error of b·ln(a) is amplified by exp). Each with
//   the FLT_MIN floor (subnormal results may flush to zero).
// - backward of exp (g·y), log (g/x), sqrt (g/(2y)): 2 ulp (at most two roundings); sigmoid,
//   tanh, elu: 4u times the magnitude of the terms of their formulas (g y (1 − y), g (1 − y²),
//   g (y + α)), which bounds any evaluation order.
import fc from 'fast-check';
import { describe, test } from 'vitest';
import type { BinaryOp, UnaryOp } from '../../src/backend/backend';
import * as gn from '../../src/index';
import { Tensor } from '../../src/tensor';
import { assertWithin } from '../util/assert_close';
import { nativeKernels, referenceBackend } from '../util/backends';
import { FLT_MIN, TRANSCENDENTAL_ULPS, U, to64, ulp32 } from '../util/bounds';
import { poisoned, uniform } from '../util/data';
import { broadcastShapes, broadcastStrides, contiguousStrides } from '../../src/shape';

const native = nativeKernels();

const SIZES = [1, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 1000];
/** Big enough that the kernels split it between 2 threads (their grain is at most 64K elements). */
const THREADED = 140_009;

function fround64(a: ArrayLike<number>): Float64Array {
  return Float64Array.from(a, (v) => Math.fround(v));
}

/** ulps · ulp(want) + FLT_MIN per element. */
function ulps(want: ArrayLike<number>, n: number | ((i: number) => number)): Float64Array {
  return Float64Array.from(want, (v, i) => (typeof n === 'number' ? n : n(i)) * ulp32(v) + FLT_MIN);
}

/** Specials every unary op sees: signed zeros, ±1, tiny and huge values, subnormals, ±Inf, NaN. */
const SPECIALS = [0, -0, 1, -1, 1e-6, -1e-6, 1e-30, -1e-30, 1e-40, -1e-40, 3.5, -3.5, 1e30, -1e30, Infinity, -Infinity, NaN];

interface UnaryCase {
  op: UnaryOp;
  alpha?: number;
  beta?: number;
  /** Random inputs in [low, high]. */
  low: number;
  high: number;
  /** Extra inputs that probe the op's own edges. */
  edges?: number[];
  /** Forward bound per element (want = float32-rounded reference), or exact. */
  fwd: (want: Float64Array, x: Float32Array) => Float64Array | number;
  /** Backward bound from x, y (float32 forward output), dy and the rounded reference dx. */
  bwd: (want: Float64Array, x: Float32Array, y: Float32Array, dy: Float32Array) => Float64Array | number;
}

const T = TRANSCENDENTAL_ULPS;
const exact = () => 0;
const magnitude = (terms: (i: number) => number, n: number) => Float64Array.from({ length: n }, (_, i) => 4 * U * terms(i) + FLT_MIN);

const unaryCases: UnaryCase[] = [
  { op: 'neg', low: -10, high: 10, fwd: exact, bwd: exact },
  { op: 'abs', low: -10, high: 10, fwd: exact, bwd: exact },
  { op: 'relu', low: -10, high: 10, fwd: exact, bwd: exact },
  { op: 'sign', low: -10, high: 10, fwd: exact, bwd: exact },
  { op: 'clamp', alpha: -0.5, beta: 0.75, low: -2, high: 2, edges: [-0.5, 0.75], fwd: exact, bwd: exact },
  { op: 'clamp', alpha: -Infinity, beta: 0.25, low: -2, high: 2, edges: [0.25], fwd: exact, bwd: exact },
  { op: 'leakyRelu', alpha: 0.01, low: -10, high: 10, fwd: (w) => ulps(w, 2), bwd: (w) => ulps(w, 2) },
  { op: 'exp', low: -87, high: 88, edges: [88.5, -88, -100, -104, 0.5, 1e-7], fwd: (w) => ulps(w, T), bwd: (w) => ulps(w, 2) },
  {
    op: 'log',
    low: 1e-3,
    high: 1e3,
    edges: [1, 1 + 2 ** -20, 1 - 2 ** -20, 1.001, 0.999, 2, 0.5, 1e-38, 3e38, -2],
    fwd: (w) => ulps(w, T),
    bwd: (w) => ulps(w, 2),
  },
  { op: 'sqrt', low: 0, high: 1e4, edges: [2, 0.5, 1e-38, 3e38, -4], fwd: (w) => ulps(w, T), bwd: (w) => ulps(w, 2) },
  {
    op: 'tanh',
    low: -10,
    high: 10,
    edges: [1e-4, -1e-4, 1e-8, 0.5, -0.5, 9, 20, -20],
    fwd: (w) => ulps(w, T),
    bwd: (_w, _x, y, dy) => magnitude((i) => Math.abs(dy[i]) * (1 + y[i] * y[i]), dy.length),
  },
  {
    op: 'sigmoid',
    low: -30,
    high: 30,
    edges: [1e-6, -1e-6, 17, -17, -80, -87, -100, 100],
    fwd: (w) => ulps(w, T),
    bwd: (_w, _x, y, dy) => magnitude((i) => Math.abs(dy[i]) * (Math.abs(y[i]) + y[i] * y[i]), dy.length),
  },
  {
    op: 'elu',
    alpha: 1,
    low: -10,
    high: 10,
    edges: [-1e-3, -1e-5, -1e-7, -0.5, -20, -100],
    fwd: (w) => ulps(w, T + 1),
    bwd: (_w, x, y, dy) => magnitude((i) => (x[i] > 0 ? 0 : Math.abs(dy[i]) * (Math.abs(y[i]) + 1)), dy.length),
  },
  {
    op: 'elu',
    alpha: 0.5,
    low: -5,
    high: 5,
    edges: [-1e-4],
    fwd: (w) => ulps(w, T + 1),
    bwd: (_w, x, y, dy) => magnitude((i) => (x[i] > 0 ? 0 : Math.abs(dy[i]) * (Math.abs(y[i]) + 0.5)), dy.length),
  },
];

function unaryInputs(c: UnaryCase, n: number, seed: number): Float32Array {
  const x = uniform(n, seed, c.low, c.high);
  const specials = [...(c.edges ?? []), ...SPECIALS];
  // Specials sit at every 3rd position of small arrays and are spread through large ones.
  for (let k = 0; k < specials.length && k * 3 < n; k++) x[k * 3] = specials[k];
  return x;
}

function label(c: UnaryCase, pass: string, n: number): string {
  const params = c.alpha !== undefined ? ` alpha ${c.alpha}${c.beta !== undefined ? ` beta ${c.beta}` : ''}` : '';
  return `${c.op}${params} ${pass} n ${n}`;
}

function checkUnary(c: UnaryCase, n: number, seed: number): void {
  const alpha = c.alpha ?? 0;
  const beta = c.beta ?? 0;
  const x = unaryInputs(c, n, seed);
  const y = poisoned(n);
  native.unary(c.op, x, y, alpha, beta);
  const yRef = new Float64Array(n);
  referenceBackend.unary(c.op, to64(x), yRef, alpha, beta);
  const want = fround64(yRef);
  assertWithin(y, want, c.fwd(want, x), { name: label(c, 'forward', n) });

  // In place (y may be x).
  const inPlace = x.slice();
  native.unary(c.op, inPlace, inPlace, alpha, beta);
  assertWithin(inPlace, y, 0, { name: label(c, 'forward in place vs out of place', n) });

  // Backward from x and the float32 output y of the reference. f'(NaN) is not defined by the
  // contract, so NaN inputs are replaced; ±0, ±Inf and the clamp bounds stay (the reference pins
  // those: abs'(0) = relu'(0) = 0, clamp passes the gradient at its bounds).
  const xb = x.map((v) => (Number.isNaN(v) ? 0.25 : v));
  const ybRef = new Float64Array(n);
  referenceBackend.unary(c.op, to64(xb), ybRef, alpha, beta);
  const yf = Float32Array.from(ybRef);
  const dy = uniform(n, seed + 1, -2, 2);
  const dx = poisoned(n);
  native.unaryBackward(c.op, xb, yf, dy, dx, alpha, beta);
  const dxRef = new Float64Array(n);
  referenceBackend.unaryBackward(c.op, to64(xb), to64(yf), to64(dy), dxRef, alpha, beta);
  const dxWant = fround64(dxRef);
  assertWithin(dx, dxWant, c.bwd(dxWant, xb, yf, dy), { name: label(c, 'backward', n) });
}

describe('unary kernels: every op over SIMD-width sizes and special values', () => {
  for (const [i, c] of unaryCases.entries()) {
    test(label(c, 'forward and backward', SIZES.length).replace(/ n \d+$/, ''), () => {
      for (const n of SIZES) checkUnary(c, n, 3000 + 100 * i + n);
      checkUnary(c, THREADED, 3000 + 100 * i);
    });
  }
});

describe('binary kernels', () => {
  const ops: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'];

  /** pow: 4 (1 + |b ln a|) ulp; every other op is exact against the float32-rounded reference. */
  function bound(op: BinaryOp, want: Float64Array, a: (i: number) => number, b: (i: number) => number): Float64Array | number {
    if (op !== 'pow') return 0;
    return ulps(want, (i) => {
      const t = Math.abs(b(i) * Math.log(Math.abs(a(i))));
      return T * (1 + (Number.isFinite(t) ? t : 0));
    });
  }

  function checkBinary(
    op: BinaryOp,
    a: Float32Array,
    aStrides: number[],
    b: Float32Array,
    bStrides: number[],
    shape: number[],
    name: string,
    describeIndex?: (i: number) => string,
  ): void {
    const n = shape.reduce((x, y) => x * y, 1);
    const y = poisoned(n);
    native.binary(op, a, aStrides, b, bStrides, y, shape);
    const yRef = new Float64Array(n);
    referenceBackend.binary(op, to64(a), aStrides, to64(b), bStrides, yRef, shape);
    const want = fround64(yRef);
    // The operand values at each output index, for the pow bound.
    const av = new Float64Array(op === 'pow' ? n : 0);
    const bv = new Float64Array(op === 'pow' ? n : 0);
    if (op === 'pow') {
      referenceBackend.binary('add', to64(a), aStrides, new Float64Array(1), shape.map(() => 0), av, shape);
      referenceBackend.binary('add', to64(b), bStrides, new Float64Array(1), shape.map(() => 0), bv, shape);
    }
    assertWithin(y, want, bound(op, want, (i) => av[i], (i) => bv[i]), { name: `${op} ${name}`, shape, describeIndex });
  }

  /** Operands for an op: pow gets positive bases and moderate exponents; the rest any values. */
  function operand(op: BinaryOp, n: number, seed: number, which: 'a' | 'b'): Float32Array {
    if (op === 'pow') return which === 'a' ? uniform(n, seed, 0.25, 4) : uniform(n, seed, -4, 4);
    // Comparisons see many equal values.
    if (['eq', 'ne', 'le', 'ge', 'lt', 'gt', 'maximum', 'minimum'].includes(op)) return uniform(n, seed, -2, 2).map((v) => Math.round(v * 2) / 2);
    return uniform(n, seed, -4, 4);
  }

  test('contiguous operands of every SIMD-width size, and a threaded size', () => {
    for (const op of ops) {
      for (const n of [...SIZES, THREADED]) {
        checkBinary(op, operand(op, n, n, 'a'), [1], operand(op, n, n + 1, 'b'), [1], [n], `contiguous n ${n}`);
      }
    }
  });

  test('special values: every pair of ±0, ±1, ±2, ±0.5, tiny, huge, ±Inf, NaN', () => {
    const v = [0, -0, 1, -1, 2, -2, 0.5, -0.5, 1e-40, 3e38, -3e38, Infinity, -Infinity, NaN, 3, -3, 0.1];
    const n = v.length;
    // a[i][j] = v[i], b[i][j] = v[j] through broadcasting strides.
    const a = Float32Array.from(v);
    const operands = (i: number) => `a = ${v[Math.floor(i / n)]}, b = ${v[i % n]}`;
    for (const op of ops) checkBinary(op, a, [1, 0], a, [0, 1], [n, n], 'special value table', operands);
  });

  const broadcastPairs: [number[], number[]][] = [
    [[], [17]],
    [[17], []],
    [[5, 17], [17]],
    [[5, 1], [1, 33]],
    [[4, 1, 9], [1, 7, 1]],
    [[2, 3, 4, 5], [3, 1, 5]],
    [[1], [33]],
    [[2, 1, 3, 1, 5, 1], [1, 4, 1, 2, 1, 7]],
    [[1, 1, 1], [1, 1, 1]],
    [[16, 8], [16, 1]],
    [[3, 0, 2], [3, 1, 2]],
  ];

  test('broadcasting patterns (scalar, row, column, interleaved, 6-D, size 1, empty)', () => {
    for (const op of ops) {
      for (const [i, [as, bs]] of broadcastPairs.entries()) {
        const shape = broadcastShapes(op, as, bs);
        const na = as.reduce((x, y) => x * y, 1);
        const nb = bs.reduce((x, y) => x * y, 1);
        checkBinary(op, operand(op, na, 10 + i, 'a'), broadcastStrides(as, shape), operand(op, nb, 20 + i, 'b'), broadcastStrides(bs, shape), shape, `[${as}] with [${bs}]`);
      }
    }
  });

  test('arbitrary strides: a transposed operand against a broadcast one (no dims can merge)', () => {
    for (const op of ops) {
      // a is a [9, 17] matrix read as its transpose [17, 9]; b is a column [17, 1].
      checkBinary(op, operand(op, 9 * 17, 1, 'a'), [1, 17], operand(op, 17, 2, 'b'), [1, 0], [17, 9], 'transposed a, column b');
      // 3-D with a permuted operand.
      checkBinary(op, operand(op, 4 * 5 * 6, 3, 'a'), [1, 24, 4], operand(op, 4 * 5 * 6, 4, 'b'), [30, 6, 1], [4, 5, 6], 'permuted a');
    }
  });

  test('random shapes and broadcasts (fast-check)', () => {
    const dim = fc.oneof(fc.constantFrom(1, 2, 7, 8, 9, 16, 17), fc.integer({ min: 1, max: 5 }));
    fc.assert(
      fc.property(
        fc.array(dim, { minLength: 0, maxLength: 5 }),
        fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
        fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
        fc.integer({ min: 0, max: 4 }),
        fc.constantFrom(...ops),
        fc.integer({ min: 0, max: 1e6 }),
        (shape, dropA, dropB, lead, op, seed) => {
          const as = shape.map((s, i) => (dropA[i] ? 1 : s)).slice(Math.min(lead, shape.length));
          const bs = shape.map((s, i) => (dropB[i] ? 1 : s));
          const out = broadcastShapes(op, as, bs);
          const na = as.reduce((x, y) => x * y, 1);
          const nb = bs.reduce((x, y) => x * y, 1);
          checkBinary(op, operand(op, na, seed, 'a'), broadcastStrides(as, out), operand(op, nb, seed + 1, 'b'), broadcastStrides(bs, out), out, `random [${as}] with [${bs}]`);
        },
      ),
      { seed: 0xb1, numRuns: 100 },
    );
  });
});

describe('where kernel', () => {
  function checkWhere(c: Float32Array, cs: number[], a: Float32Array, as: number[], b: Float32Array, bs: number[], shape: number[], name: string): void {
    const n = shape.reduce((x, y) => x * y, 1);
    const y = poisoned(n);
    native.where(c, cs, a, as, b, bs, y, shape);
    const yRef = new Float64Array(n);
    referenceBackend.where(to64(c), cs, to64(a), as, to64(b), bs, yRef, shape);
    assertWithin(y, yRef, 0, { name: `where ${name}`, shape });
  }
  const mask = (n: number, seed: number) => uniform(n, seed).map((v) => (v > 0 ? 1 : 0));

  test('contiguous sizes; a condition of NaN or -0 counts as true / false like != 0', () => {
    for (const n of [...SIZES, THREADED]) {
      const c = mask(n, n);
      c[0] = NaN; // NaN != 0: take a
      if (n > 1) c[1] = -0; // -0 == 0: take b
      checkWhere(c, [1], uniform(n, n + 1), [1], uniform(n, n + 2), [1], [n], `n ${n}`);
    }
  });

  test('broadcast condition, scalar operands, and a transposed operand', () => {
    checkWhere(mask(9, 1), [0, 1], uniform(17 * 9, 2), [9, 1], new Float32Array([-3]), [0, 0], [17, 9], 'row mask, scalar b');
    checkWhere(mask(17, 3), [1, 0], new Float32Array([5]), [0, 0], uniform(17 * 9, 4), [1, 17], [17, 9], 'column mask, scalar a, transposed b');
    checkWhere(mask(4 * 5, 5), [5, 1, 0], uniform(6, 6), [0, 0, 1], uniform(4 * 5 * 6, 7), [30, 6, 1], [4, 5, 6], '3-D');
  });
});

describe('elementwise ops through the public API (float32 native vs float64)', () => {
  test('arithmetic with broadcasting and scalars is exact against the float64 result rounded to float32', () => {
    const a = new Tensor(uniform(2 * 3 * 17, 1, -3, 3), [2, 3, 17]);
    const b = new Tensor(uniform(3 * 1, 2, 0.5, 3), [3, 1]);
    const cases: [string, (x: Tensor, y: Tensor) => Tensor][] = [
      ['add', (x, y) => x.add(y)],
      ['sub scalar', (x) => x.sub(1.5)],
      ['mul', (x, y) => y.mul(x)],
      ['div', (x, y) => x.div(y)],
      ['maximum', (x, y) => x.maximum(y)],
      ['relu', (x) => x.relu()],
      ['gt mask', (x, y) => x.gt(y)],
      ['where', (x, y) => gn.where(x.gt(0), x, y)],
      ['clamp', (x) => x.clamp(-1, 2)],
    ];
    for (const [name, op] of cases) {
      const got = gn.withBackend('native', () => op(a, b));
      const want = op(a.to('float64'), b.to('float64'));
      assertWithin(got.data, fround64(want.data), 0, { name: `op ${name}`, shape: got.shape });
    }
  });
});
