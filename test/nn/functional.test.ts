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

describe('functional prelu', () => {
  test("at 0 the input's gradient is the weight's side, as PyTorch (x > 0 ? g : w g); NaN propagates", () => {
    const x = gn.tensor([[-2, 0, 3], [0, -1, NaN]]).requiresGrad_();
    const w = gn.tensor([0.25]).requiresGrad_();
    const y = gn.nn.functional.prelu(x, w);
    expect(Array.from(y.data)).toEqual([-0.5, 0, 3, 0, -0.25, NaN]);
    y.backward(gn.tensor([[1, 2, 4], [8, 16, 32]]));
    expect(Array.from(x.grad?.data ?? [])).toEqual([0.25, 0.5, 4, 2, 4, 8]);
    // dw = sum of g min(x, 0): -2 * 1 + -1 * 16, and the NaN input gives NaN.
    expect(Number.isNaN(w.grad?.data[0])).toBe(true);
    const z = gn.tensor([[-2, 0, 3]]).requiresGrad_();
    const wc = gn.tensor([0.5, 0.5, 0.5]).requiresGrad_();
    gn.nn.functional.prelu(z.reshape(1, 3, 1), wc).sum().backward();
    expect(Array.from(wc.grad?.data ?? [])).toEqual([-2, 0, 0]);
  });
});
