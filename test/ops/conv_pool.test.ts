// conv2d and pooling on both backends, against hand-computed values: 'valid' and 'same' output
// shapes (even kernels pad 0 before and 1 after, as PyTorch), stride, padding, dilation, groups,
// bias, 3-D inputs; pooling output sizes in floor and ceil mode (the last window must start inside
// the input or its left padding), max pooling values, average pooling with and without padding in
// the divisor.
import { expect, test } from 'vitest';
import * as gn from '../../src/index';
import { describeEachBackend, onBackend } from '../util/backends';
import { expectTensor } from '../util/tensors';

describeEachBackend('conv2d and pooling', (backend) => {
  const run = (body: () => void) => () => onBackend(backend, body);
  // x = [[1, 2, 3], [4, 5, 6], [7, 8, 9]] as [1, 1, 3, 3]
  const x = () => gn.arange(1, 10).reshape(1, 1, 3, 3);
  const ones = (k: number) => gn.ones([1, 1, k, k]);

  test("'valid' and 'same' output sizes and values (odd and even kernels)", run(() => {
    expectTensor(gn.conv2d(x(), ones(2)), [1, 1, 2, 2], [12, 16, 24, 28]);
    expectTensor(gn.conv2d(x(), ones(2), null, { padding: 'valid' }), [1, 1, 2, 2], [12, 16, 24, 28]);
    // Even kernel 'same': pad 0 before and 1 after.
    expectTensor(gn.conv2d(x(), ones(2), null, { padding: 'same' }), [1, 1, 3, 3], [12, 16, 9, 24, 28, 15, 15, 17, 9]);
    expectTensor(gn.conv2d(x(), ones(3), null, { padding: 'same' }), [1, 1, 3, 3], [12, 21, 16, 27, 45, 33, 24, 39, 28]);
    const big = gn.zeros([2, 3, 7, 6]);
    expect(gn.conv2d(big, gn.zeros([5, 3, 4, 3]), null, { padding: 'same', dilation: 2 }).shape).toEqual([2, 5, 7, 6]);
    expect(gn.conv2d(big, gn.zeros([5, 3, 4, 3])).shape).toEqual([2, 5, 4, 4]);
  }));

  test('stride, padding, dilation, bias', run(() => {
    expectTensor(gn.conv2d(x(), ones(3), null, { stride: 2, padding: 1 }), [1, 1, 2, 2], [12, 16, 24, 28]);
    expectTensor(gn.conv2d(x(), ones(2), null, { dilation: 2 }), [1, 1, 1, 1], [20]);
    expectTensor(gn.conv2d(x(), ones(2), gn.tensor([0.5])), [1, 1, 2, 2], [12.5, 16.5, 24.5, 28.5]);
    expectTensor(gn.conv2d(x(), ones(1), null, { stride: [2, 1], padding: [0, 1] }), [1, 1, 2, 5], [0, 1, 2, 3, 0, 0, 7, 8, 9, 0]);
    expect(gn.conv2d(gn.zeros([1, 1, 10, 11]), ones(3), null, { stride: 3 }).shape).toEqual([1, 1, 3, 3]);
  }));

  test('groups: each output channel sees only its group; depthwise; 3-D input', run(() => {
    const two = gn.cat([x(), x().mul(10)], 1); // [1, 2, 3, 3]
    const w = gn.tensor([2, 3]).reshape(2, 1, 1, 1);
    const y = gn.conv2d(two, w, null, { groups: 2 });
    expect(y.shape).toEqual([1, 2, 3, 3]);
    expect(Array.from(y.data.subarray(0, 3))).toEqual([2, 4, 6]);
    expect(Array.from(y.data.subarray(9, 12))).toEqual([30, 60, 90]);
    // groups 1 sums both channels
    expectTensor(gn.conv2d(two, gn.ones([1, 2, 1, 1])).select(1, 0).select(1, 0), [1, 3], [11, 22, 33]);
    expectTensor(gn.conv2d(gn.arange(1, 10).reshape(1, 3, 3), ones(2)), [1, 2, 2], [12, 16, 24, 28]);
  }));

  test('maxPool2d: values, stride, padding (ignored for the max), ceil mode', run(() => {
    const m = gn.arange(16).reshape(1, 1, 4, 4);
    expectTensor(m.maxPool2d(2), [1, 1, 2, 2], [5, 7, 13, 15]);
    expectTensor(m.maxPool2d(3, { stride: 1 }), [1, 1, 2, 2], [10, 11, 14, 15]);
    expectTensor(m.mul(-1).add(15).maxPool2d(2, { padding: 1 }), [1, 1, 3, 3], [15, 14, 12, 11, 10, 8, 3, 2, 0]);
    const five = gn.arange(25).reshape(1, 1, 5, 5);
    expectTensor(five.maxPool2d(2), [1, 1, 2, 2], [6, 8, 16, 18]);
    expectTensor(five.maxPool2d(2, { ceilMode: true }), [1, 1, 3, 3], [6, 8, 9, 16, 18, 19, 21, 23, 24]);
    expectTensor(gn.arange(9).reshape(1, 3, 3).maxPool2d(2, { stride: 1 }), [1, 2, 2], [4, 5, 7, 8]);
  }));

  test('pooling output sizes: floor, ceil, and the ceil-mode rule dropping a window in the padding', run(() => {
    const size = (h: number, k: number, s: number, p: number, ceil: boolean) =>
      gn.zeros([1, 1, h, h]).maxPool2d(k, { stride: s, padding: p, ceilMode: ceil }).shape[2];
    expect(size(7, 2, 2, 0, false)).toBe(3);
    expect(size(7, 2, 2, 0, true)).toBe(4);
    expect(size(8, 3, 2, 1, false)).toBe(4);
    expect(size(8, 3, 2, 1, true)).toBe(5); // torch: (8 + 2 - 3) / 2 = 3.5 -> 4 + 1; the last window starts at 7 < 8 + 1
    expect(size(5, 2, 2, 1, true)).toBe(3); // 4 windows by ceil, but the 4th would start at 6 >= 5 + 1
    expect(size(6, 3, 3, 0, true)).toBe(2);
  }));

  test('avgPool2d: countIncludePad true divides by the padded window, false by the real pixels', run(() => {
    const o = gn.ones([1, 1, 3, 3]);
    expectTensor(o.avgPool2d(3, { stride: 1, padding: 1 }), [1, 1, 3, 3], [4, 6, 4, 6, 9, 6, 4, 6, 4].map((v) => v / 9), { rtol: 1e-6 });
    expectTensor(o.avgPool2d(3, { stride: 1, padding: 1, countIncludePad: false }), [1, 1, 3, 3], new Array(9).fill(1), { rtol: 1e-6 });
    expectTensor(x().avgPool2d(2, { stride: 1 }), [1, 1, 2, 2], [3, 4, 6, 7]);
    // ceil mode: the window past the input is clipped, and the divisor is the clipped window.
    expectTensor(x().avgPool2d(2, { ceilMode: true }), [1, 1, 2, 2], [3, 4.5, 7.5, 9]);
  }));
});
