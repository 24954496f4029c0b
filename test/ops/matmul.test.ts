// matmul follows torch.matmul's rules on both backends (result shapes and values): 1-D · 1-D is a
// dot product (0-d), 1-D operands get a dimension prepended / appended and removed again, batch
// dims broadcast, a 2-D operand is shared across the batch. linear is x wᵀ + b for any leading dims.
import { expect, test } from 'vitest';
import * as gn from '../../src/index';
import { describeEachBackend, onBackend } from '../util/backends';
import { expectTensor } from '../util/tensors';

describeEachBackend('matmul and linear', (backend) => {
  const run = (body: () => void) => () => onBackend(backend, body);
  const A = () => gn.tensor([[1, 2, 3], [4, 5, 6]]); // [2, 3]
  const B = () => gn.tensor([[1, 0], [0, 1], [1, 1]]); // [3, 2]

  test('2-D @ 2-D', run(() => expectTensor(A().matmul(B()), [2, 2], [4, 5, 10, 11])));

  test('1-D @ 1-D is a 0-d dot product; 1-D @ 2-D and 2-D @ 1-D drop the added dim', run(() => {
    expectTensor(gn.tensor([1, 2, 3]).matmul(gn.tensor([4, 5, 6])), [], [32]);
    expectTensor(gn.tensor([1, 1]).matmul(A()), [3], [5, 7, 9]);
    expectTensor(A().matmul(gn.tensor([1, 0, -1])), [2], [-2, -2]);
  }));

  test('batched @ batched, batched @ 2-D, 2-D @ batched, and broadcast batch dims', run(() => {
    const batch = gn.stack([A(), A().mul(2)]); // [2, 2, 3]
    expectTensor(batch.matmul(B()), [2, 2, 2], [4, 5, 10, 11, 8, 10, 20, 22]);
    expectTensor(batch.matmul(gn.stack([B(), B()])), [2, 2, 2], [4, 5, 10, 11, 8, 10, 20, 22]);
    expectTensor(gn.tensor([[1, 1]]).matmul(batch), [2, 1, 3], [5, 7, 9, 10, 14, 18]);
    expect(gn.zeros([3, 1, 2, 5]).matmul(gn.zeros([4, 5, 7])).shape).toEqual([3, 4, 2, 7]);
    expect(gn.zeros([4, 5]).matmul(gn.zeros([2, 3, 5, 6])).shape).toEqual([2, 3, 4, 6]);
    expect(gn.zeros([5]).matmul(gn.zeros([2, 5, 6])).shape).toEqual([2, 6]);
    expect(gn.zeros([2, 3, 5]).matmul(gn.zeros([5])).shape).toEqual([2, 3]);
  }));

  test('empty dims give empty (or zero) results', run(() => {
    expect(gn.zeros([0, 3]).matmul(gn.zeros([3, 4])).shape).toEqual([0, 4]);
    expectTensor(gn.zeros([2, 0]).matmul(gn.zeros([0, 3])), [2, 3], [0, 0, 0, 0, 0, 0]);
  }));

  test('linear: x wᵀ + b for 1-D, 2-D and 3-D inputs', run(() => {
    const w = gn.tensor([[1, 0, 1], [0, 2, 0]]); // [out 2, in 3]
    const b = gn.tensor([10, 20]);
    expectTensor(gn.linear(A(), w, b), [2, 2], [14, 24, 20, 30]);
    expectTensor(gn.linear(A(), w), [2, 2], [4, 4, 10, 10]);
    expectTensor(gn.linear(gn.tensor([1, 1, 1]), w, b), [2], [12, 22]);
    expectTensor(gn.linear(gn.stack([A(), A()]), w, b), [2, 2, 2], [14, 24, 20, 30, 14, 24, 20, 30]);
  }));
});
