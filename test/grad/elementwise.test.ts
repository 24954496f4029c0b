// gradcheck (float64, reference backend; central differences with eps 1e-6, atol 1e-5, rtol 1e-3)
// of the elementwise ops: every binary op under several broadcasting patterns and with a number
// operand, where, and every differentiable unary op / activation.
// Kinks (KERNELS.md §8.3): inputs of relu, leakyRelu, elu, abs stay >= 0.2 away from 0; clamp
// inputs >= 0.05 away from its bounds; maximum / minimum operands differ by >= 0.1; log, sqrt and
// the base of pow (for d/db, which needs log a) are >= 0.2; divisors >= 0.3 in magnitude. All far
// beyond 10·eps.
import { describe, expect, test } from 'vitest';
import * as gn from '../../src/index';
import type { Tensor } from '../../src/tensor';
import { awayFromZero, tensorOf, uniform } from '../util/data';

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const rand = (shape: number[], seed: number, low = -1, high = 1) => tensorOf(uniform(numel(shape), seed, low, high), shape);
const away = (shape: number[], seed: number, low = 0.2, high = 1.5) => tensorOf(awayFromZero(numel(shape), seed, low, high), shape);

function check(fn: (...ts: Tensor[]) => Tensor, inputs: Tensor[]): void {
  expect(gn.gradcheck(fn, inputs)).toBe(true);
}

/** Broadcasting patterns: same shape, row, column, interleaved size-1 dims, a 0-d tensor, and a leading batch. */
const PATTERNS: [string, number[], number[]][] = [
  ['same shape', [3, 4], [3, 4]],
  ['row [3,4] with [4]', [3, 4], [4]],
  ['column [3,1] with [3,4]', [3, 1], [3, 4]],
  ['[2,1,3] with [4,1]', [2, 1, 3], [4, 1]],
  ['0-d with [2,3]', [], [2, 3]],
  ['[2,3,4] with [1,1,4]', [2, 3, 4], [1, 1, 4]],
];

describe('gradcheck: binary ops with broadcasting', () => {
  for (const [name, as, bs] of PATTERNS) {
    test(`add, sub, mul: ${name}`, () => {
      check((a, b) => a.add(b), [rand(as, 1), rand(bs, 2)]);
      check((a, b) => a.sub(b), [rand(as, 3), rand(bs, 4)]);
      check((a, b) => a.mul(b), [rand(as, 5), rand(bs, 6)]);
    });
    test(`div (divisor away from 0): ${name}`, () => {
      check((a, b) => a.div(b), [rand(as, 7), away(bs, 8, 0.3, 2)]);
    });
    test(`pow, both operands (base in [0.2, 2]): ${name}`, () => {
      check((a, b) => a.pow(b), [rand(as, 9, 0.2, 2), rand(bs, 10, -2, 2)]);
    });
    test(`maximum, minimum (operands >= 0.1 apart): ${name}`, () => {
      // a on a 0.2 grid + 0.05, b on the same grid - 0.05: every pair differs by at least 0.1.
      const aVals = uniform(numel(as), 12).map((v) => Math.round(v * 5) / 5 + 0.05);
      const bVals = uniform(numel(bs), 13).map((v) => Math.round(v * 5) / 5 - 0.05);
      const at = tensorOf(aVals, as);
      const bt = tensorOf(bVals, bs);
      check((x, y) => x.maximum(y), [at, bt]);
      check((x, y) => x.minimum(y), [at, bt]);
    });
  }

  test('a number operand on either side (the number is a constant)', () => {
    const x = away([2, 3], 20, 0.3, 2);
    check((t) => t.add(2.5), [x]);
    check((t) => gn.sub(1.5, t), [x]);
    check((t) => t.mul(-3), [x]);
    check((t) => gn.div(2, t), [x]);
    check((t) => t.abs().pow(1.7), [x]);
    check((t) => gn.pow(1.3, t), [x]);
    check((t) => t.maximum(0.05), [x]);
    check((t) => gn.minimum(0.05, t), [x]);
  });

  test('maximum / minimum at ties split the gradient evenly; NaN sends it to neither side', () => {
    // Not differentiable there, so no finite differences: PyTorch's rule, checked directly.
    for (const op of ['maximum', 'minimum'] as const) {
      const a = tensorOf([1, 2, 3, NaN, 5], [5]);
      const b = tensorOf([1, 0, 4, 1, NaN], [5]);
      const g = tensorOf([2, 4, 8, 16, 32], [5], 'float64', false);
      gn[op](a, b).backward(g);
      const aWins = op === 'maximum' ? [1, 4, 0, 0, 0] : [1, 0, 8, 0, 0];
      const bWins = op === 'maximum' ? [1, 0, 8, 0, 0] : [1, 4, 0, 0, 0];
      expect(Array.from(a.grad?.data ?? []), `${op} a`).toEqual(aWins);
      expect(Array.from(b.grad?.data ?? []), `${op} b`).toEqual(bWins);
      // A broadcast operand sums its share: ties with a scalar operand.
      const x = tensorOf([0, -1, 0, 2], [4]);
      const s = tensorOf([0], []);
      gn[op](x, s).backward(tensorOf([1, 1, 1, 1], [4], 'float64', false));
      expect(Array.from(x.grad?.data ?? []), `${op} x against 0`).toEqual(op === 'maximum' ? [0.5, 0, 0.5, 1] : [0.5, 1, 0.5, 0]);
      expect(Array.from(s.grad?.data ?? []), `${op} the 0`).toEqual([2]);
    }
  });

  test('pow with a negative base and integer exponents (smooth there)', () => {
    const a = tensorOf([-1.5, -0.7, 0.4, 1.2, -2.1, 0.9], [2, 3]);
    const b = tensorOf([2, 3, 2, -1, 3, 2], [2, 3], 'float64', false);
    check((x) => x.pow(b), [a]);
  });
});

describe('gradcheck: where', () => {
  test('both branches, broadcast condition and operands', () => {
    const cond = tensorOf([1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 1], [3, 4], 'float64', false);
    check((a, b) => gn.where(cond, a, b), [rand([3, 4], 30), rand([3, 4], 31)]);
    check((a, b) => gn.where(cond, a, b), [rand([4], 32), rand([3, 1], 33)]);
    check((a) => gn.where(cond.select(0, 0), a, 0.5), [rand([2, 4], 34)]);
    check((a) => a.where(cond, rand([1], 35, -1, 1).detach()), [rand([3, 4], 36)]);
  });
});

describe('gradcheck: unary ops and activations', () => {
  const shape = [3, 5];
  test('neg, exp, tanh, sigmoid (smooth everywhere)', () => {
    check((x) => x.neg(), [rand(shape, 40, -3, 3)]);
    check((x) => x.exp(), [rand(shape, 41, -3, 3)]);
    check((x) => x.tanh(), [rand(shape, 42, -3, 3)]);
    check((x) => x.sigmoid(), [rand(shape, 43, -5, 5)]);
  });
  test('log and sqrt on inputs >= 0.2', () => {
    check((x) => x.log(), [rand(shape, 44, 0.2, 5)]);
    check((x) => x.sqrt(), [rand(shape, 45, 0.2, 5)]);
  });
  test('abs, relu, leakyRelu, elu with |x| >= 0.2 (both sides of the kink)', () => {
    check((x) => x.abs(), [away(shape, 46)]);
    check((x) => x.relu(), [away(shape, 47)]);
    check((x) => x.leakyRelu(), [away(shape, 48)]);
    check((x) => x.leakyRelu(0.3), [away(shape, 49)]);
    check((x) => x.elu(), [away(shape, 50, 0.2, 3)]);
    check((x) => x.elu(0.7), [away(shape, 51, 0.2, 3)]);
  });
  test('clamp inside, below and above its bounds (>= 0.05 away from them)', () => {
    const x = tensorOf([-2, -1.05, -0.95, -0.2, 0.3, 0.45, 0.55, 1.5, 3, -0.5, 0.1, 0.9, -3, 0.0, 0.42], shape);
    check((t) => t.clamp(-1, 0.5), [x]);
    check((t) => t.clamp(null, 0.5), [x]);
    check((t) => t.clamp(-1), [x]);
  });
  test('compositions (the chain rule across unary ops)', () => {
    check((x) => x.tanh().mul(x.sigmoid()).exp().log(), [rand(shape, 52, -2, 2)]);
  });
});
