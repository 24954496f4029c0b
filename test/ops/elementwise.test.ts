// Elementwise semantics on both backends: NumPy broadcasting of every binary op (result shapes and
// values), numbers as operands, comparisons as 0/1 masks (NaN compares false, and unequal), where,
// NaN propagation through maximum / minimum / relu / clamp, pow's special cases (IEEE 754 / C99,
// as PyTorch), and the unary ops on known values.
import { expect, test } from 'vitest';
import * as gn from '../../src/index';
import { describeEachBackend, onBackend } from '../util/backends';
import { expectTensor, values } from '../util/tensors';

describeEachBackend('elementwise ops', (backend) => {
  const run = (body: () => void) => () => onBackend(backend, body);

  test('broadcasting: row, column, interleaved size-1 dims, 0-d, leading dims', run(() => {
    const m = gn.tensor([[1, 2, 3], [4, 5, 6]]);
    expectTensor(m.add(gn.tensor([10, 20, 30])), [2, 3], [11, 22, 33, 14, 25, 36]);
    expectTensor(m.mul(gn.tensor([[2], [-1]])), [2, 3], [2, 4, 6, -4, -5, -6]);
    expectTensor(gn.tensor([[1], [2]]).sub(gn.tensor([10, 20, 30])), [2, 3], [-9, -19, -29, -8, -18, -28]);
    expectTensor(gn.tensor([[[1, 2]]]).add(gn.tensor([[10], [20], [30]])), [1, 3, 2], [11, 12, 21, 22, 31, 32]);
    expectTensor(m.div(gn.tensor(2)), [2, 3], [0.5, 1, 1.5, 2, 2.5, 3]);
    expectTensor(gn.ones([2, 1, 3]).add(gn.zeros([4, 1])), [2, 4, 3], new Array(24).fill(1));
    expectTensor(gn.zeros([0, 3]).add(gn.ones([3])), [0, 3], []);
  }));

  test('numbers on either side take the tensor dtype', run(() => {
    const x = gn.tensor([1, 2, 4]);
    expectTensor(x.add(1), [3], [2, 3, 5]);
    expectTensor(gn.sub(10, x), [3], [9, 8, 6]);
    expectTensor(gn.div(8, x), [3], [8, 4, 2]);
    expectTensor(x.pow(2), [3], [1, 4, 16]);
    expectTensor(gn.pow(2, x), [3], [2, 4, 16]);
    expect(gn.tensor([1], { dtype: 'float64' }).add(0.1).data[0]).toBe(1.1);
  }));

  test('comparisons are 0/1 masks, with broadcasting; NaN compares false (and unequal)', run(() => {
    const a = gn.tensor([1, 2, 3, NaN]);
    const b = gn.tensor([2, 2, 2, NaN]);
    expectTensor(a.eq(b), [4], [0, 1, 0, 0]);
    expectTensor(a.ne(b), [4], [1, 0, 1, 1]);
    expectTensor(a.lt(b), [4], [1, 0, 0, 0]);
    expectTensor(a.le(b), [4], [1, 1, 0, 0]);
    expectTensor(a.gt(b), [4], [0, 0, 1, 0]);
    expectTensor(a.ge(b), [4], [0, 1, 1, 0]);
    expectTensor(gn.tensor([[1], [3]]).gt(gn.tensor([0, 2, 4])), [2, 3], [1, 0, 0, 1, 1, 0]);
    expectTensor(a.ge(2), [4], [0, 1, 1, 0]);
    expect(a.eq(b).requiresGrad).toBe(false);
  }));

  test('where: any nonzero (NaN too) selects the first operand; broadcasting of all three', run(() => {
    const cond = gn.tensor([[1, 0, -2], [0, NaN, 0]]);
    expectTensor(gn.where(cond, gn.tensor([1, 2, 3]), gn.tensor([[-1], [-2]])), [2, 3], [1, -1, 3, -2, 2, -2]);
    expectTensor(gn.where(gn.tensor([1, 0]), 5, -5), [2], [5, -5]);
    expectTensor(gn.tensor([7, 8]).where(gn.tensor([0, 1]), 0), [2], [0, 8]);
  }));

  test('maximum, minimum, relu and clamp propagate NaN', run(() => {
    const a = gn.tensor([1, NaN, 3, -1]);
    const b = gn.tensor([2, 0, NaN, -2]);
    expectTensor(a.maximum(b), [4], [2, NaN, NaN, -1]);
    expectTensor(a.minimum(b), [4], [1, NaN, NaN, -2]);
    expectTensor(a.relu(), [4], [1, NaN, 3, 0]);
    expectTensor(a.clamp(0, 2), [4], [1, NaN, 2, 0]);
  }));

  test('pow special cases follow IEEE 754 / C99 (as torch.pow)', run(() => {
    const a = gn.tensor([1, 1, 1, -1, NaN, 0, 0, -8, 4, -2]);
    const b = gn.tensor([NaN, Infinity, -Infinity, Infinity, 0, -1, 0, 1 / 3, 0.5, 3]);
    // (-8)^(1/3) is NaN for a non-integer exponent, as in C and PyTorch.
    expectTensor(a.pow(b), [10], [1, 1, 1, 1, 1, Infinity, 1, NaN, 2, -8]);
  }));

  test('unary ops on known values', run(() => {
    const x = gn.tensor([-2, -0.5, 0, 0.5, 2]);
    expectTensor(x.neg(), [5], [2, 0.5, -0, -0.5, -2]);
    expectTensor(x.abs(), [5], [2, 0.5, 0, 0.5, 2]);
    expectTensor(x.sign(), [5], [-1, -1, 0, 1, 1]);
    expectTensor(x.relu(), [5], [0, 0, 0, 0.5, 2]);
    expectTensor(x.leakyRelu(0.25), [5], [-0.5, -0.125, 0, 0.5, 2]);
    expectTensor(x.clamp(-1, 1), [5], [-1, -0.5, 0, 0.5, 1]);
    expectTensor(x.clamp(null, 0), [5], [-2, -0.5, 0, 0, 0]);
    const f = (fn: (v: number) => number) => [-2, -0.5, 0, 0.5, 2].map(fn);
    const tol = { rtol: 4 * 2 ** -23, atol: 1e-7 };
    expectTensor(x.exp(), [5], f(Math.exp), tol);
    expectTensor(x.tanh(), [5], f(Math.tanh), tol);
    expectTensor(x.sigmoid(), [5], f((v) => 1 / (1 + Math.exp(-v))), tol);
    expectTensor(x.elu(), [5], f((v) => (v > 0 ? v : Math.expm1(v))), tol);
    expectTensor(gn.tensor([1, 4, 0.25]).sqrt(), [3], [1, 2, 0.5]);
    expectTensor(gn.tensor([1, Math.E, 0, -1]).log(), [4], [0, 1, -Infinity, NaN], { rtol: 4 * 2 ** -23 });
  }));

  test('ops do not modify their inputs and return new storage', run(() => {
    const a = gn.tensor([1, 2, 3]);
    const b = a.add(1);
    expect(values(a)).toEqual([1, 2, 3]);
    expect(b.data).not.toBe(a.data);
  }));
});
