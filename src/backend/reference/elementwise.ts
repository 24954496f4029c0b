import type { BinaryOp, FloatArray, UnaryOp } from '../backend';
import { forEachIndex } from './strided';

// Elementwise math over the definitions in backend.ts. NaN propagates through every op.

const unaryFns: Record<UnaryOp, (x: number, alpha: number, beta: number) => number> = {
  neg: (x) => -x,
  exp: (x) => Math.exp(x),
  log: (x) => Math.log(x),
  sqrt: (x) => Math.sqrt(x),
  abs: (x) => Math.abs(x),
  relu: (x) => (x < 0 ? 0 : x),
  leakyRelu: (x, a) => (x > 0 ? x : a * x),
  elu: (x, a) => (x > 0 ? x : a * Math.expm1(x)),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: (x) => Math.tanh(x),
  clamp: (x, lo, hi) => (Number.isNaN(x) ? x : Math.min(Math.max(x, lo), hi)),
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : x),
};

/** dL/dx given dL/dy = g, the forward input x and output y. */
const unaryGrads: Record<UnaryOp, (g: number, x: number, y: number, alpha: number, beta: number) => number> = {
  neg: (g) => -g,
  exp: (g, _x, y) => g * y,
  log: (g, x) => g / x,
  sqrt: (g, _x, y) => g / (2 * y),
  abs: (g, x) => (x > 0 ? g : x < 0 ? -g : 0),
  relu: (g, x) => (x > 0 ? g : 0),
  leakyRelu: (g, x, _y, a) => (x > 0 ? g : a * g),
  elu: (g, x, y, a) => (x > 0 ? g : g * (y + a)),
  sigmoid: (g, _x, y) => g * y * (1 - y),
  tanh: (g, _x, y) => g * (1 - y * y),
  clamp: (g, x, _y, lo, hi) => (x >= lo && x <= hi ? g : 0),
  sign: () => 0,
};

const binaryFns: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  // IEEE 754 / C99 pow, which PyTorch computes: 1^y = 1 and (-1)^±Inf = 1 even for a NaN or
  // infinite y, where JavaScript's Math.pow gives NaN.
  pow: (a, b) => (a === 1 || (a === -1 && (b === Infinity || b === -Infinity)) ? 1 : Math.pow(a, b)),
  maximum: (a, b) => (a !== a ? a : b !== b ? b : a > b ? a : b),
  minimum: (a, b) => (a !== a ? a : b !== b ? b : a < b ? a : b),
  eq: (a, b) => (a === b ? 1 : 0),
  ne: (a, b) => (a !== b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  gt: (a, b) => (a > b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
};

export function unary(op: UnaryOp, x: FloatArray, y: FloatArray, alpha: number, beta: number): void {
  const f = unaryFns[op];
  for (let i = 0; i < x.length; i++) y[i] = f(x[i], alpha, beta);
}

export function unaryBackward(
  op: UnaryOp,
  x: FloatArray | null,
  y: FloatArray | null,
  dy: FloatArray,
  dx: FloatArray,
  alpha: number,
  beta: number,
): void {
  const f = unaryGrads[op];
  for (let i = 0; i < dy.length; i++) dx[i] = f(dy[i], x ? x[i] : NaN, y ? y[i] : NaN, alpha, beta);
}

function contiguousStrides(shape: number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

export function binary(
  op: BinaryOp,
  a: FloatArray,
  aStrides: number[],
  b: FloatArray,
  bStrides: number[],
  y: FloatArray,
  shape: number[],
): void {
  const f = binaryFns[op];
  forEachIndex(shape, [aStrides, bStrides, contiguousStrides(shape)], ([ai, bi, yi]) => {
    y[yi] = f(a[ai], b[bi]);
  });
}

export function where(
  cond: FloatArray,
  condStrides: number[],
  a: FloatArray,
  aStrides: number[],
  b: FloatArray,
  bStrides: number[],
  y: FloatArray,
  shape: number[],
): void {
  forEachIndex(shape, [condStrides, aStrides, bStrides, contiguousStrides(shape)], ([ci, ai, bi, yi]) => {
    y[yi] = cond[ci] !== 0 ? a[ai] : b[bi];
  });
}
