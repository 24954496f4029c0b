// Reductions on both backends, against hand-computed values: sum / mean / max / min over one dim,
// several dims (given in any order, negative), all dims, with and without keepdim; var / std with
// both corrections; logSumExp (also for huge and all -Infinity rows); argmax / argmin returning the
// FIRST extreme on ties, along a dim and over the flattened tensor.
import { expect, test } from 'vitest';
import * as gn from '../../src/index';
import { describeEachBackend, onBackend } from '../util/backends';
import { expectTensor } from '../util/tensors';

describeEachBackend('reductions', (backend) => {
  const run = (body: () => void) => () => onBackend(backend, body);
  // x[i][j][k] = 100 i + 10 j + k, shape [2, 3, 4]
  const x = () => gn.tensor(Array.from({ length: 2 }, (_, i) => Array.from({ length: 3 }, (_, j) => Array.from({ length: 4 }, (_, k) => 100 * i + 10 * j + k))));

  test('sum over one dim, several dims, all dims; keepdim keeps size-1 dims', run(() => {
    expectTensor(x().sum(), [], [100 * 12 + (10 + 20) * 8 + 6 * 6]); // 1476
    expectTensor(x().sum(0), [3, 4], [100, 102, 104, 106, 120, 122, 124, 126, 140, 142, 144, 146]);
    expectTensor(x().sum(-1), [2, 3], [6, 46, 86, 406, 446, 486]);
    expectTensor(x().sum(1, true), [2, 1, 4], [30, 33, 36, 39, 330, 333, 336, 339]);
    expectTensor(x().sum([2, 0]), [3], [412, 492, 572]);
    expectTensor(x().sum([0, -1], true), [1, 3, 1], [412, 492, 572]);
    expectTensor(x().sum([0, 1, 2], true), [1, 1, 1], [1476]);
  }));

  test('mean, max and min over dims', run(() => {
    expectTensor(x().mean(), [], [1476 / 24], { rtol: 1e-7 });
    expectTensor(x().mean([0, 2]), [3], [412 / 8, 492 / 8, 572 / 8]);
    expectTensor(x().max(1), [2, 4], [20, 21, 22, 23, 120, 121, 122, 123]);
    expectTensor(x().min([1, 2], true), [2, 1, 1], [0, 100]);
    expectTensor(x().max(), [], [123]);
    expectTensor(gn.tensor([[1, NaN], [3, 2]]).max(1), [2], [NaN, 3]);
  }));

  test('variance and std: unbiased (correction 1) and population (correction 0)', run(() => {
    const t = gn.tensor([[1, 2, 3, 4], [2, 2, 2, 2]]);
    expectTensor(t.var(1), [2], [5 / 3, 0], { rtol: 1e-6 });
    expectTensor(t.var(1, { correction: 0 }), [2], [1.25, 0], { rtol: 1e-6 });
    expectTensor(t.std(1, { keepdim: true }), [2, 1], [Math.sqrt(5 / 3), 0], { rtol: 1e-6 });
    expectTensor(t.var(), [], [(46 - 8 * 2.25 ** 2) / 7], { rtol: 1e-6 }); // Σx² = 46, mean 2.25
  }));

  test('logSumExp: known values, huge values without overflow, all -Infinity rows', run(() => {
    expectTensor(gn.tensor([[0, Math.log(3)], [1000, 1000]]).logSumExp(1), [2], [Math.log(4), 1000 + Math.log(2)], { rtol: 1e-6 });
    expectTensor(gn.tensor([[-Infinity, -Infinity], [0, -Infinity]]).logSumExp(-1, true), [2, 1], [-Infinity, 0]);
  }));

  test('argmax / argmin: the first extreme on ties; flattened when no dim is given', run(() => {
    const t = gn.tensor([[3, 7, 7, 1], [5, 5, 0, 0], [2, 9, 1, 9]]);
    expectTensor(t.argmax(1), [3], [1, 0, 1]);
    expectTensor(t.argmin(1), [3], [3, 2, 2]);
    expectTensor(t.argmax(0), [4], [1, 2, 0, 2]);
    expectTensor(t.argmin(0, true), [1, 4], [2, 1, 1, 1]);
    expectTensor(t.argmax(), [], [9]); // the first 9 in row-major order
    expectTensor(t.argmin(), [], [6]); // the first 0
    expectTensor(gn.tensor([1, NaN, 5, NaN]).argmax(), [], [1]);
    expect(t.argmax(1).requiresGrad).toBe(false);
  }));

  test('reducing an empty dim: sum gives 0; max throws', run(() => {
    expectTensor(gn.zeros([2, 0]).sum(1), [2], [0, 0]);
    expect(() => gn.zeros([2, 0]).max(1)).toThrow(/cannot reduce over an empty dimension/);
  }));
});
