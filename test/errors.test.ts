// Bad input: every public op checks shapes, ranks, dims, indices and options before any kernel runs
// and throws an Error naming the op, what was expected and what came; calling the addon directly with
// wrong types, lengths or detached buffers throws a TypeError or RangeError. Nothing aborts the
// process (an abort would fail this whole file).
import { describe, expect, test } from 'vitest';
import * as gn from '../src/index';
import { nativeAddon } from '../src/backend';

describe('ops: shapes', () => {
  test('matmul names both shapes and the mismatch', () => {
    expect(() => gn.matmul(gn.zeros([2, 3]), gn.zeros([4, 5]))).toThrow('matmul: shapes [2,3] and [4,5] cannot be multiplied (3 != 4)');
    expect(() => gn.matmul(gn.zeros([2, 2, 3]), gn.zeros([3, 3, 4]))).toThrow(/matmul: shapes \[2\] and \[3\] cannot be broadcast/);
    expect(() => gn.matmul(gn.tensor(1), gn.zeros([2]))).toThrow(/matmul: both arguments need at least 1 dimension/);
  });

  test('broadcasting failures name the op, the shapes and the dimension', () => {
    expect(() => gn.add(gn.zeros([2, 3]), gn.zeros([4, 3]))).toThrow('add: shapes [2,3] and [4,3] cannot be broadcast together (dimension -2: 2 vs 4)');
    expect(() => gn.where(gn.zeros([2]), gn.zeros([3]), 1)).toThrow(/where: shapes \[2\] and \[3\] and \[\] cannot be broadcast/);
  });

  test('reshape, view and expand explain the element counts', () => {
    expect(() => gn.zeros([2, 3]).reshape(4, 2)).toThrow('reshape: shape [4,2] is invalid for a tensor of shape [2,3] (6 elements)');
    expect(() => gn.zeros([2, 3]).reshape(-1, -1)).toThrow(/only one dimension can be -1/);
    expect(() => gn.zeros([2, 3]).reshape(4, -1)).toThrow(/shape \[4,-1\] is invalid for a tensor of 6 elements/);
    expect(() => gn.zeros([2, 3]).expand(2, 4)).toThrow(/expand: cannot expand shape \[2,3\]/);
  });

  test('cat and stack require matching shapes', () => {
    expect(() => gn.cat([gn.zeros([2, 3]), gn.zeros([2, 4])], 0)).toThrow(/cat: tensors\[1\] has shape \[2,4\], which does not match \[2,3\] outside dim 0/);
    expect(() => gn.stack([gn.zeros([2]), gn.zeros([3])])).toThrow(/stack: tensors\[1\] has shape \[3\], expected \[2\]/);
    expect(() => gn.cat([])).toThrow(/cat: expected a non-empty array of tensors/);
  });

  test('linear and conv2d check ranks and channels', () => {
    expect(() => gn.linear(gn.zeros([4, 3]), gn.zeros([2, 5]))).toThrow(/linear: input of shape \[4,3\] does not match weight of shape \[2,5\]/);
    expect(() => gn.linear(gn.zeros([4, 3]), gn.zeros([2, 3]), gn.zeros([3]))).toThrow(/linear: bias must have shape \[2\], got \[3\]/);
    expect(() => gn.conv2d(gn.zeros([2, 3]), gn.zeros([4, 3, 3, 3]))).toThrow(/conv2d: input must be 4-D \[N, C, H, W\] or 3-D \[C, H, W\], got shape \[2,3\]/);
    expect(() => gn.conv2d(gn.zeros([1, 3, 8, 8]), gn.zeros([4, 2, 3, 3]))).toThrow(/conv2d: the input has 3 channels, but weight of shape \[4,2,3,3\] with groups 1 expects 2/);
    expect(() => gn.conv2d(gn.zeros([1, 4, 8, 8]), gn.zeros([6, 2, 3, 3]), null, { groups: 4 })).toThrow(/groups \(4\) must divide both/);
    expect(() => gn.conv2d(gn.zeros([1, 1, 2, 2]), gn.zeros([1, 1, 5, 5]))).toThrow(/conv2d: the padded input \(2x2\) is smaller than the dilated kernel \(5x5\)/);
  });

  test('backward checks the gradient it is given', () => {
    const x = gn.zeros([3], { requiresGrad: true });
    expect(() => x.mul(2).backward(gn.zeros([4]))).toThrow(/backward: gradient has shape \[4\]/);
  });
});

describe('ops: dims and indices', () => {
  test('dims out of range give the valid range', () => {
    expect(() => gn.zeros([2, 3]).sum(2)).toThrow('sum: dim 2 is out of range for a tensor with 2 dimensions (expected an integer in [-2, 1])');
    expect(() => gn.zeros([2, 3]).softmax(-3)).toThrow(/softmax: dim -3 is out of range/);
    expect(() => gn.zeros([2, 3]).sum([0, -2])).toThrow(/sum: dims \[0,-2\] repeat a dimension/);
    expect(() => gn.zeros([2, 3]).permute(0, 0)).toThrow(/permute: dims \[0,0\] repeat a dimension/);
    expect(() => gn.zeros([2, 3]).permute(0)).toThrow(/permute: expected 2 dims/);
  });

  test('indices out of range name the dim and its size', () => {
    expect(() => gn.zeros([2, 3]).select(1, 3)).toThrow('select: index 3 is out of range for dim 1 of size 3');
    expect(() => gn.zeros([2, 3]).narrow(1, 2, 2)).toThrow('narrow: start 2 and length 2 exceed dim 1 of size 3');
    expect(() => gn.zeros([2, 3]).index(5)).toThrow(/index: index 5 is out of range for dim 0 of size 2/);
    expect(() => gn.zeros([2, 3]).index(0, 0, 0)).toThrow(/index: 3 indices for a tensor with 2 dims/);
    expect(() => gn.zeros([5]).split([2, 2])).toThrow(/split: sizes \[2,2\] add up to 4, but dim 0 has size 5/);
  });

  test('class labels of the classification losses must be integers in [0, C) of the right shape', () => {
    const scores = gn.zeros([2, 5], { requiresGrad: true });
    expect(() => gn.nn.crossEntropy(scores, gn.tensor([1, 5]))).toThrow('crossEntropy: class label 5 at position 1 is out of range for 5 classes');
    expect(() => gn.nn.crossEntropy(scores, gn.tensor([0.5, 1]))).toThrow('crossEntropy: class label 0.5 at position 0 is out of range for 5 classes');
    expect(() => gn.nn.crossEntropy(scores, gn.tensor([1, 2, 3]))).toThrow('crossEntropy: class labels must have shape [2] for input [2,5], got [3]');
    expect(() => gn.nn.nllLoss(scores, gn.tensor([-1, 0]))).toThrow('nllLoss: class label -1 at position 0 is out of range for 5 classes');
    expect(scores.grad).toBeNull();
  });

  test('reducing an empty dimension is refused', () => {
    expect(() => gn.zeros([0, 3]).max(0)).toThrow(/max: cannot reduce over an empty dimension/);
    expect(() => gn.zeros([0]).argmax()).toThrow(/argmax: the input is empty/);
  });

  test('item needs exactly one element', () => {
    expect(() => gn.zeros([2]).item()).toThrow('item: only a tensor with one element can be converted to a number, got shape [2]');
  });
});

describe('ops: option values and argument types', () => {
  test('numeric options are range-checked', () => {
    const x = gn.zeros([1, 1, 6, 6]);
    const w = gn.zeros([1, 1, 3, 3]);
    expect(() => gn.conv2d(x, w, null, { stride: 0 })).toThrow(/conv2d: stride must be an integer >= 1/);
    expect(() => gn.conv2d(x, w, null, { padding: -1 })).toThrow(/conv2d: padding must be an integer >= 0/);
    expect(() => gn.conv2d(x, w, null, { padding: 'same', stride: 2 })).toThrow(/padding 'same' is not supported for strided convolutions/);
    expect(() => gn.maxPool2d(x, 2, { padding: 2 })).toThrow('maxPool2d: padding (2x2) must be at most half the kernel size (2x2)');
    expect(() => gn.avgPool2d(x, 0)).toThrow(/avgPool2d: kernelSize must be an integer >= 1/);
    expect(() => gn.dropout(gn.zeros([2]), 1.5)).toThrow(/dropout: p must be a probability in \[0, 1\], got 1.5/);
    expect(() => gn.clamp(gn.zeros([2]), 2, 1)).toThrow(/clamp: min \(2\) must not exceed max \(1\)/);
    expect(() => gn.arange(0, 5, 0)).toThrow(/arange: step must be a finite non-zero number/);
    expect(() => gn.zeros([2, -1])).toThrow(/zeros: shape must contain non-negative integers, got \[2,-1\]/);
    expect(() => gn.setNumThreads(0)).toThrow(/setNumThreads: expected an integer >= 1, got 0/);
    expect(() => gn.manualSeed(Number.NaN)).toThrow(/manualSeed: expected a finite number/);
  });

  test('wrong argument types are TypeErrors naming the op', () => {
    expect(() => gn.add(gn.zeros([2]), 'x' as unknown as number)).toThrow(TypeError);
    expect(() => gn.add(gn.zeros([2]), 'x' as unknown as number)).toThrow(/add: expected a Tensor or a number, got string x/);
    expect(() => gn.relu([1, 2] as unknown as gn.Tensor)).toThrow(/relu: input must be a Tensor, got an array/);
    expect(() => gn.tensor([[1, 2], [3]])).toThrow(/tensor: nested arrays are not rectangular: expected 2 elements at depth 1, got 1/);
    expect(() => gn.tensor([1, 'a'] as unknown as number[])).toThrow(/tensor: expected a number at depth 1, got string a/);
    expect(() => gn.tensor(new Float32Array(6), { shape: [4, 2] })).toThrow(/tensor: 6 elements cannot have shape \[4,2\]/);
    expect(() => gn.tensor(new BigInt64Array(2) as unknown as Int32Array)).toThrow(TypeError);
    expect(() => gn.tensor(new BigInt64Array(2) as unknown as Int32Array)).toThrow(
      /tensor: expected nested arrays of numbers, a Float32Array \/ Float64Array or an integer typed array, got .*BigInt64Array.*convert with Float64Array.from\(data, Number\)/,
    );
    expect(() => gn.tensor(new DataView(new ArrayBuffer(8)) as unknown as Int32Array)).toThrow(/tensor: expected nested arrays .* got .*DataView/);
    expect(() => gn.zeros([2], { dtype: 'int8' as 'float32' })).toThrow(/zeros|full: dtype must be "float32" or "float64"/);
  });
});

describe('addon called directly', () => {
  const addon = nativeAddon();
  if (addon === null) {
    test('the native addon is loaded (required for these tests)', () => {
      throw new Error('the native addon did not load; build it with npm run build:native');
    });
    return;
  }
  const f = (n: number) => new Float32Array(n);
  const ip = (...v: number[]) => Int32Array.from(v);
  const detached = () => {
    const buf = new ArrayBuffer(64);
    const a = new Float32Array(buf);
    structuredClone(buf, { transfer: [buf] });
    return a;
  };

  test('wrong types are TypeErrors naming the function and the argument', () => {
    expect(() => addon.unary(0, [1, 2] as unknown as Float32Array, f(2), 0, 0)).toThrow(TypeError);
    expect(() => addon.unary(0, [1, 2] as unknown as Float32Array, f(2), 0, 0)).toThrow('unary: x must be a Float32Array');
    expect(() => addon.unary(0, new Float64Array(2) as unknown as Float32Array, f(2), 0, 0)).toThrow('unary: x must be a Float32Array');
    expect(() => addon.gemm(0 as unknown as boolean, false, 1, 1, 1, 1, 1, f(1), 0, f(1), 0, 0, f(1), 0, null, false)).toThrow('gemm: transA must be a boolean');
    expect(() => addon.reduce(0, f(2), f(1), '1' as unknown as number, 2, 1)).toThrow('reduce: outer must be a number');
    expect(() => addon.maxPool2dForward(f(4), f(1), f(1) as unknown as Int32Array, ip(1, 1, 2, 2, 1, 1, 2, 2, 2, 2, 0, 0))).toThrow('maxPool2dForward: argmax must be an Int32Array');
    expect(() => (addon.gemm as unknown as () => void)()).toThrow(/gemm: expects 16 arguments, got 0/);
  });

  test('detached buffers are TypeErrors', () => {
    expect(() => addon.unary(0, detached(), f(16), 0, 0)).toThrow(TypeError);
    expect(() => addon.unary(0, detached(), f(16), 0, 0)).toThrow('unary: x is backed by a detached ArrayBuffer');
    expect(() => addon.copyStrided(f(4), 0, ip(1), detached(), 0, ip(1), ip(4))).toThrow('copyStrided: dst is backed by a detached ArrayBuffer');
  });

  test('wrong lengths and out-of-range values are RangeErrors', () => {
    expect(() => addon.unary(0, f(3), f(2), 0, 0)).toThrow(RangeError);
    expect(() => addon.unary(0, f(3), f(2), 0, 0)).toThrow('unary: y has 2 elements, expected 3');
    expect(() => addon.unary(99, f(3), f(3), 0, 0)).toThrow(/unary: op must be an integer in \[0, 11\], got 99/);
    expect(() => addon.gemm(false, false, 1, 4, 4, 4, 1, f(15), 0, f(16), 0, 0, f(16), 0, null, false)).toThrow('gemm: a has 15 elements, needs at least 16');
    expect(() => addon.gemm(false, false, 2, 2, 2, 2, 1, f(8), 4, f(8), 4, 0, f(8), 2, null, false)).toThrow(/strideC must be at least m \* n/);
    expect(() => addon.gemm(false, false, 1, 4, 4, 4, 1, f(16), 0, f(16), 0, 0, f(16), 0, f(3), false)).toThrow('gemm: bias has 3 elements, needs at least 4');
    expect(() => addon.gemm(false, false, 1, 4, 4, 4, 1, f(16), 0, f(16), 0, 0, f(16), 0, null, 1 as unknown as boolean)).toThrow('gemm: relu must be a boolean');
    expect(() => addon.gemm(false, false, -1, 2, 2, 2, 1, f(8), 4, f(8), 4, 0, f(8), 4, null, false)).toThrow(/gemm: batch must be an integer in \[0, /);
    expect(() => addon.gemm(false, false, 1, 2.5, 2, 2, 1, f(8), 4, f(8), 4, 0, f(8), 4, null, false)).toThrow(/gemm: m must be an integer/);
    expect(() => addon.binary(0, f(4), ip(4, 1), f(4), ip(0, 1), f(4), ip(2, 2))).toThrow('binary: strides aStrides reach past the end of the operand');
    expect(() => addon.binary(0, f(4), ip(2, 1), f(4), ip(2, 1), f(4), ip(2, -2))).toThrow(/binary: shape has a negative size/);
    expect(() => addon.copyStrided(f(4), 2, ip(1), f(4), 0, ip(1), ip(3))).toThrow('copyStrided: the copy reads past the end of src');
    expect(() => addon.copyStrided(f(4), 0, ip(1), f(4), 2, ip(1), ip(3))).toThrow('copyStrided: the copy writes past the end of dst');
    const shared = f(8);
    expect(() => addon.copyStrided(shared, 0, ip(1), shared, 2, ip(1), ip(4))).toThrow('copyStrided: src and dst overlap');
    expect(() => addon.reduce(1, f(0), f(3), 3, 0, 1)).toThrow(/reduce: cannot take max over an empty dimension/);
    expect(() => addon.softmax(f(6), f(5), 2, 3, 1, false)).toThrow('softmax: y has 5 elements, expected 6');
    expect(() => addon.setNumThreads(0)).toThrow(/setNumThreads: n must be an integer in \[1, 1024\]/);
  });

  test('kernel parameter blocks are validated before any kernel runs', () => {
    // [n, cIn, h, w, cOut, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw, groups]
    const conv = ip(1, 3, 5, 5, 4, 3, 3, 3, 3, 1, 1, 0, 0, 1, 1, 2); // groups 2 does not divide 3 channels
    expect(() => addon.conv2dForward(f(75), f(4 * 3 * 9), null, f(36), conv)).toThrow(RangeError);
    expect(() => addon.conv2dForward(f(75), f(108), null, f(36), ip(1, 3, 5, 5))).toThrow('conv2dForward: params has 4 elements, expected 16');
    const good = ip(1, 3, 5, 5, 4, 3, 3, 3, 3, 1, 1, 0, 0, 1, 1, 1);
    expect(() => addon.conv2dForward(f(74), f(108), null, f(36), good)).toThrow('conv2dForward: x has 74 elements, expected 75');
    expect(() => addon.conv2dBackwardFilter(f(75), f(36), f(108), f(3), good)).toThrow('conv2dBackwardFilter: dbias has 3 elements, expected 4');
    const zeroStride = ip(1, 3, 5, 5, 4, 3, 3, 3, 3, 0, 1, 0, 0, 1, 1, 1);
    expect(() => addon.conv2dForward(f(75), f(108), null, f(36), zeroStride)).toThrow(RangeError);
    // [n, c, h, w, oh, ow, kh, kw, sh, sw, ph, pw]
    const pool = ip(1, 1, 4, 4, 2, 2, 2, 2, 2, 2, 0, 0);
    const argmax = Int32Array.from([0, 1, 2, 99]); // 99 is outside the 4x4 plane
    expect(() => addon.maxPool2dBackward(f(4), argmax, f(16), pool, null)).toThrow('maxPool2dBackward: argmax holds an index outside the input plane');
    const badPad = ip(1, 1, 4, 4, 2, 2, 2, 2, 2, 2, 2, 0);
    expect(() => addon.avgPool2dForward(f(16), f(4), badPad, true)).toThrow(RangeError);
  });

  test('a failed call leaves the output untouched and the addon usable', () => {
    const y = Float32Array.from([7, 7, 7]);
    expect(() => addon.unary(0, f(2), y, 0, 0)).toThrow(RangeError);
    expect(Array.from(y)).toEqual([7, 7, 7]);
    const x = Float32Array.from([1, -2, 3]);
    addon.unary(addon.unaryOps.neg, x, y, 0, 0);
    expect(Array.from(y)).toEqual([-1, 2, -3]);
  });
});
