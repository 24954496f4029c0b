// gradcheck (float64, reference backend) of the reductions and softmax: sum, mean, max, min,
// variance, std, logSumExp over one dim, several dims, all dims, with and without keepdim; softmax
// and logSoftmax along first, middle and last dims.
// Kinks: max and min get distinct values spaced 0.05 apart (a unique extreme in every reduced group,
// far beyond 10·eps from a tie); std gets groups whose spread is far from 0 (sqrt is smooth there).
import { describe, expect, test } from 'vitest';
import * as gn from '../../src/index';
import type { Tensor } from '../../src/tensor';
import { distinct, tensorOf, uniform } from '../util/data';

const shape = [2, 3, 4];
const rand = (seed: number, low = -1, high = 1) => tensorOf(uniform(24, seed, low, high), shape);
const unique = (seed: number) => tensorOf(distinct(24, seed, 0.05), shape);

function check(fn: (x: Tensor) => Tensor, x: Tensor): void {
  expect(gn.gradcheck(fn, [x])).toBe(true);
}

const DIMS: [string, number | number[] | undefined, boolean][] = [
  ['all dims', undefined, false],
  ['dim 1', 1, false],
  ['dim -1 keepdim', -1, true],
  ['dims [0, 2]', [0, 2], false],
  ['dims [0, 1] keepdim', [0, 1], true],
];

describe('gradcheck: reductions', () => {
  for (const [name, dim, keepdim] of DIMS) {
    test(`sum, mean: ${name}`, () => {
      check((x) => x.sum(dim, keepdim), rand(1));
      check((x) => x.mean(dim, keepdim), rand(2));
    });
    test(`max, min with a unique extreme: ${name}`, () => {
      check((x) => x.max(dim, keepdim), unique(3));
      check((x) => x.min(dim, keepdim), unique(4));
    });
    test(`variance and std (correction 1 and 0): ${name}`, () => {
      check((x) => x.var(dim, { keepdim }), rand(5));
      check((x) => x.var(dim, { correction: 0, keepdim }), rand(6));
      check((x) => x.std(dim, { keepdim }), rand(7, -2, 2));
      check((x) => x.std(dim, { correction: 0, keepdim }), rand(8, -2, 2));
    });
    test(`logSumExp: ${name}`, () => {
      check((x) => x.logSumExp(dim, keepdim), rand(9, -3, 3));
    });
  }

  test('max / min split the gradient evenly between tied extremes (exact values, not finite differences)', () => {
    const x = gn.tensor([[1, 3, 3], [2, 2, 2]], { dtype: 'float64', requiresGrad: true });
    x.max(1).sum().backward();
    expect(Array.from(x.grad?.data ?? [])).toEqual([0, 0.5, 0.5, 1 / 3, 1 / 3, 1 / 3]);
  });

  test('logSumExp of large inputs (the max shift keeps it finite and differentiable)', () => {
    check((x) => x.logSumExp(1), tensorOf(uniform(24, 10, 500, 502), shape));
  });
});

describe('gradcheck: softmax and logSoftmax', () => {
  for (const dim of [0, 1, -1]) {
    test(`softmax and logSoftmax along dim ${dim}`, () => {
      check((x) => gn.softmax(x, dim), rand(20 + dim, -3, 3));
      check((x) => gn.logSoftmax(x, dim), rand(30 + dim, -3, 3));
    });
  }
  test('through a loss-like composition (logSoftmax, select, mean)', () => {
    check((x) => x.logSoftmax(-1).select(-1, 2).mean().neg(), rand(40, -2, 2));
  });
});
