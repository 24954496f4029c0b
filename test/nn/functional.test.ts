// The functional forms where they differ from the layers (the layers' values are pinned by the
// PyTorch fixtures in layers.test.ts).
import { describe, expect, test } from 'vitest';
import * as gn from '../../src/index';

describe('functional embedding', () => {
  const weight = () => gn.tensor([[1, 2], [3, 4], [5, 6]], { requiresGrad: true });
  const indices = gn.tensor([2, 0, 2, 1]);

  test('paddingIdx counts from the end when negative, as PyTorch (-1 is the last row)', () => {
    // Regression: -1 was also the internal "no padding" value, so paddingIdx -1 was ignored.
    const w = weight();
    gn.nn.functional.embedding(indices, w, -1).sum().backward();
    expect(Array.from(w.grad?.data ?? [])).toEqual([1, 1, 1, 1, 0, 0]);
  });

  test('the same row given as a non-negative index gives the same gradient', () => {
    const w = weight();
    gn.nn.functional.embedding(indices, w, 2).sum().backward();
    expect(Array.from(w.grad?.data ?? [])).toEqual([1, 1, 1, 1, 0, 0]);
  });

  test('without paddingIdx every looked-up row gets its gradient', () => {
    const w = weight();
    gn.nn.functional.embedding(indices, w).sum().backward();
    expect(Array.from(w.grad?.data ?? [])).toEqual([1, 1, 1, 1, 2, 2]);
  });

  test('an out-of-range paddingIdx is refused', () => {
    expect(() => gn.nn.functional.embedding(indices, weight(), 3)).toThrow(/paddingIdx 3 is out of range for a table of 3 rows/);
    expect(() => gn.nn.functional.embedding(indices, weight(), -4)).toThrow(/paddingIdx -4 is out of range/);
  });
});
