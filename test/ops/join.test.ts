// Joining, splitting, slicing and padding on both backends, against known values: cat / stack
// along every dim, split by size and by sizes, chunk (the last piece smaller), narrow, slice with
// steps and negative bounds, select, index (numbers, ranges, steps, null), pad (PyTorch's order:
// last dim first).
import { expect, test } from 'vitest';
import * as gn from '../../src/index';
import { describeEachBackend, onBackend } from '../util/backends';
import { expectTensor } from '../util/tensors';

describeEachBackend('join, split, slice, pad', (backend) => {
  const run = (body: () => void) => () => onBackend(backend, body);
  const a = () => gn.tensor([[1, 2], [3, 4]]);
  const b = () => gn.tensor([[5, 6]]);
  const x = () => gn.arange(12).reshape(3, 4);

  test('cat along dim 0, dim 1, negative dims, several tensors', run(() => {
    expectTensor(gn.cat([a(), b()]), [3, 2], [1, 2, 3, 4, 5, 6]);
    expectTensor(gn.cat([a(), b().t()], 1), [2, 3], [1, 2, 5, 3, 4, 6]);
    expectTensor(gn.cat([a(), a(), b().t()], -1), [2, 5], [1, 2, 1, 2, 5, 3, 4, 3, 4, 6]);
    expectTensor(a().cat([b()], 0), [3, 2], [1, 2, 3, 4, 5, 6]);
    expectTensor(gn.cat([gn.zeros([0, 2]), b()]), [1, 2], [5, 6]);
  }));

  test('stack along a new first, middle and last dim', run(() => {
    const p = gn.tensor([1, 2]);
    const q = gn.tensor([3, 4]);
    expectTensor(gn.stack([p, q]), [2, 2], [1, 2, 3, 4]);
    expectTensor(gn.stack([p, q], 1), [2, 2], [1, 3, 2, 4]);
    expectTensor(gn.stack([a(), a()], -1), [2, 2, 2], [1, 1, 2, 2, 3, 3, 4, 4]);
  }));

  test('split by a size (last piece smaller) and by sizes; chunk', run(() => {
    const parts = x().split(3, 1);
    expect(parts.map((t) => t.shape)).toEqual([[3, 3], [3, 1]]);
    expectTensor(parts[1], [3, 1], [3, 7, 11]);
    const sized = x().split([1, 2], 0);
    expectTensor(sized[0], [1, 4], [0, 1, 2, 3]);
    expectTensor(sized[1], [2, 4], [4, 5, 6, 7, 8, 9, 10, 11]);
    expect(gn.arange(5).chunk(3).map((t) => Array.from(t.data))).toEqual([[0, 1], [2, 3], [4]]);
    expect(gn.arange(6).chunk(4).map((t) => t.numel)).toEqual([2, 2, 2]); // as torch.chunk: ceil(6/4) = 2 per piece
  }));

  test('narrow, slice (steps, negative and out-of-range bounds), select', run(() => {
    expectTensor(x().narrow(1, 1, 2), [3, 2], [1, 2, 5, 6, 9, 10]);
    expectTensor(x().narrow(0, -1, 1), [1, 4], [8, 9, 10, 11]);
    expectTensor(x().slice(1, null, null, 2), [3, 2], [0, 2, 4, 6, 8, 10]);
    expectTensor(x().slice(1, 1, null, 2), [3, 2], [1, 3, 5, 7, 9, 11]);
    expectTensor(x().slice(0, -2), [2, 4], [4, 5, 6, 7, 8, 9, 10, 11]);
    expectTensor(x().slice(1, 1, 100), [3, 3], [1, 2, 3, 5, 6, 7, 9, 10, 11]);
    expectTensor(x().slice(1, 3, 1), [3, 0], []);
    expectTensor(x().select(0, 1), [4], [4, 5, 6, 7]);
    expectTensor(x().select(1, -1), [3], [3, 7, 11]);
  }));

  test('index: x[1, 1:3], x[:, ::2], x[-1], x[0:3:2, -1]', run(() => {
    expectTensor(x().index(1, [1, 3]), [2], [5, 6]);
    expectTensor(x().index(null, [null, null, 2]), [3, 2], [0, 2, 4, 6, 8, 10]);
    expectTensor(x().index(-1), [4], [8, 9, 10, 11]);
    expectTensor(x().index([0, 3, 2], -1), [2], [3, 11]);
  }));

  test('pad: last dim first (PyTorch order), a constant value', run(() => {
    expectTensor(gn.tensor([1, 2]).pad([1, 2]), [5], [0, 1, 2, 0, 0]);
    expectTensor(a().pad([0, 1, 1, 0], -1), [3, 3], [-1, -1, -1, 1, 2, -1, 3, 4, -1]);
  }));
});
