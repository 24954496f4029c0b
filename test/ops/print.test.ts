// String(t) reads like PyTorch's repr (torch/_tensor_str.py): integer-valued floats as "1.", fixed
// notation with 4 decimals, scientific notation when magnitudes span more than 1000x (integers too)
// or leave [1e-4, 1e8], columns padded to the widest nonzero finite value, rows wrapped at 80
// characters with a fixed count per line, summaries (" ..." / "...") above 1000 elements, and the
// suffixes: dtype=float64, requiresGrad=true or gradFn=<op>. Printing reads values only, so each
// case runs on both backends (the values come from ops on that backend).
import { expect, test } from 'vitest';
import * as gn from '../../src/index';
import { describeEachBackend, onBackend } from '../util/backends';

describeEachBackend('printing', (backend) => {
  const run = (body: () => void) => () => onBackend(backend, body);
  const str = (t: gn.Tensor) => String(t);

  test('integer values', run(() => {
    expect(str(gn.tensor([1, 2, 3]))).toBe('tensor([1., 2., 3.])');
    expect(str(gn.tensor([[1, -2], [30, 4]]))).toBe('tensor([[ 1., -2.],\n        [30.,  4.]])');
    expect(str(gn.tensor(3))).toBe('tensor(3.)');
    expect(str(gn.zeros([3]))).toBe('tensor([0., 0., 0.])');
    expect(str(gn.tensor([1, 1000]))).toBe('tensor([   1., 1000.])');
  }));

  test('fixed notation', run(() => {
    expect(str(gn.tensor([0.1, -2.5]))).toBe('tensor([ 0.1000, -2.5000])');
    expect(str(gn.tensor([[0.5, 12.25], [0, -1]]))).toBe('tensor([[ 0.5000, 12.2500],\n        [ 0.0000, -1.0000]])');
    expect(str(gn.tensor(0.5))).toBe('tensor(0.5000)');
  }));

  test('scientific notation: a wide range, tiny or huge values, integers spanning more than 1000x', run(() => {
    expect(str(gn.tensor([1e-5, 1]))).toBe('tensor([1.0000e-05, 1.0000e+00])');
    expect(str(gn.tensor([1.5e9, -2]))).toBe('tensor([ 1.5000e+09, -2.0000e+00])');
    expect(str(gn.tensor([1, 2000]))).toBe('tensor([1.0000e+00, 2.0000e+03])');
  }));

  test('NaN and infinities do not widen the columns', run(() => {
    expect(str(gn.tensor([1.5, NaN, -Infinity]))).toBe('tensor([1.5000,    nan,   -inf])');
    expect(str(gn.tensor([1, -Infinity]))).toBe('tensor([1., -inf])');
    expect(str(gn.tensor([NaN, Infinity]))).toBe('tensor([nan, inf])');
  }));

  test('long rows wrap with a fixed number of elements per line', run(() => {
    expect(str(gn.arange(30))).toBe(
      'tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n' +
        '        14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25., 26., 27.,\n' +
        '        28., 29.])',
    );
  }));

  test('summaries above 1000 elements: " ..." inside a row, "..." between rows', run(() => {
    expect(str(gn.arange(1001))).toBe('tensor([   0.,    1.,    2.,  ...,  998.,  999., 1000.])');
    expect(str(gn.arange(2000))).toBe(
      'tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        1.9990e+03])',
    );
    expect(str(gn.tensor(Float32Array.from({ length: 1100 }, (_, i) => i % 10), { shape: [100, 11] }))).toBe(
      'tensor([[0., 1., 2.,  ..., 8., 9., 0.],\n' +
        '        [1., 2., 3.,  ..., 9., 0., 1.],\n' +
        '        [2., 3., 4.,  ..., 0., 1., 2.],\n' +
        '        ...,\n' +
        '        [7., 8., 9.,  ..., 5., 6., 7.],\n' +
        '        [8., 9., 0.,  ..., 6., 7., 8.],\n' +
        '        [9., 0., 1.,  ..., 7., 8., 9.]])',
    );
  }));

  test('3-D tensors separate blocks with a blank line', run(() => {
    expect(str(gn.arange(8).reshape(2, 2, 2))).toBe('tensor([[[0., 1.],\n         [2., 3.]],\n\n        [[4., 5.],\n         [6., 7.]]])');
  }));

  test('suffixes: dtype, requiresGrad, gradFn; empty tensors', run(() => {
    expect(str(gn.tensor([1.5], { dtype: 'float64' }))).toBe('tensor([1.5000], dtype=float64)');
    const x = gn.tensor([1, 2], { requiresGrad: true });
    expect(str(x)).toBe('tensor([1., 2.], requiresGrad=true)');
    expect(str(x.mul(2))).toBe('tensor([2., 4.], gradFn=<mul>)');
    expect(str(gn.tensor([1, 2], { dtype: 'float64', requiresGrad: true }).sum())).toBe('tensor(3., dtype=float64, gradFn=<sum>)');
    expect(str(gn.tensor([]))).toBe('tensor([])');
    expect(str(gn.zeros([0, 3]))).toBe('tensor([], size=[0, 3])');
  }));
});
