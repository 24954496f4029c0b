// gradcheck (float64, reference backend) of matmul (1-D, 2-D, batched, broadcast batch), linear
// (with and without bias, 3-D input), conv2d (stride, padding incl. 'same', dilation, groups /
// depthwise, bias, 3-D input), maxPool2d and avgPool2d (both countIncludePad settings, ceilMode).
// Kinks: maxPool2d inputs are a permutation of values spaced 0.05 apart, so every window has a
// unique maximum with a margin far beyond 10·eps.
import { describe, expect, test } from 'vitest';
import * as gn from '../../src/index';
import type { Tensor } from '../../src/tensor';
import { distinct, tensorOf, uniform } from '../util/data';

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
let seed = 1;
const rand = (...shape: number[]) => tensorOf(uniform(numel(shape), seed++), shape);

function check(fn: (...ts: Tensor[]) => Tensor, inputs: Tensor[]): void {
  expect(gn.gradcheck(fn, inputs)).toBe(true);
}

describe('gradcheck: matmul', () => {
  const mm = (a: Tensor, b: Tensor) => a.matmul(b);
  test('2-D @ 2-D', () => check(mm, [rand(3, 4), rand(4, 5)]));
  test('1-D @ 1-D (dot), 1-D @ 2-D, 2-D @ 1-D', () => {
    check(mm, [rand(4), rand(4)]);
    check(mm, [rand(4), rand(4, 3)]);
    check(mm, [rand(3, 4), rand(4)]);
  });
  test('batched @ batched, batched @ 2-D (shared), 2-D @ batched', () => {
    check(mm, [rand(2, 3, 4), rand(2, 4, 2)]);
    check(mm, [rand(2, 3, 4), rand(4, 2)]);
    check(mm, [rand(3, 4), rand(2, 4, 2)]);
  });
  test('broadcast batch dims [2,1,3,4] @ [3,4,2]; batched @ 1-D; 1-D @ batched', () => {
    check(mm, [rand(2, 1, 3, 4), rand(3, 4, 2)]);
    check(mm, [rand(2, 3, 4), rand(4)]);
    check(mm, [rand(4), rand(2, 4, 3)]);
  });
});

describe('gradcheck: linear', () => {
  test('with and without bias', () => {
    check((x, w, b) => gn.linear(x, w, b), [rand(4, 3), rand(5, 3), rand(5)]);
    check((x, w) => gn.linear(x, w), [rand(4, 3), rand(5, 3)]);
  });
  test('3-D input (batch of sequences) with bias; 1-D input', () => {
    check((x, w, b) => gn.linear(x, w, b), [rand(2, 3, 4), rand(2, 4), rand(2)]);
    check((x, w) => gn.linear(x, w), [rand(4), rand(3, 4)]);
  });
});

describe('gradcheck: conv2d (input, weight and bias)', () => {
  const conv = (opts: gn.Conv2dOptions) => (x: Tensor, w: Tensor, b?: Tensor) => gn.conv2d(x, w, b ?? null, opts);
  test('plain 3x3, with bias', () => check(conv({}), [rand(2, 2, 5, 5), rand(3, 2, 3, 3), rand(3)]));
  test('stride 2, padding 1', () => check(conv({ stride: 2, padding: 1 }), [rand(1, 2, 6, 5), rand(2, 2, 3, 3), rand(2)]));
  test("padding 'same' (odd and even kernels)", () => {
    check(conv({ padding: 'same' }), [rand(1, 2, 4, 5), rand(2, 2, 3, 3)]);
    check(conv({ padding: 'same' }), [rand(1, 1, 5, 4), rand(2, 1, 2, 4)]);
  });
  test('dilation 2 and asymmetric stride / padding pairs', () => {
    check(conv({ dilation: 2, padding: 1 }), [rand(1, 2, 6, 6), rand(2, 2, 3, 3)]);
    check(conv({ stride: [2, 1], padding: [0, 2], dilation: [1, 2] }), [rand(1, 1, 6, 5), rand(2, 1, 2, 3), rand(2)]);
  });
  test('groups 2 and depthwise (groups = channels, multiplier 2)', () => {
    check(conv({ groups: 2, padding: 1 }), [rand(1, 4, 4, 4), rand(4, 2, 3, 3), rand(4)]);
    check(conv({ groups: 3 }), [rand(2, 3, 4, 4), rand(6, 1, 2, 2), rand(6)]);
  });
  test('1x1 kernel and 3-D input [C, H, W]', () => {
    check(conv({}), [rand(2, 3, 3, 2), rand(4, 3, 1, 1)]);
    check(conv({ padding: 1 }), [rand(2, 4, 3), rand(2, 2, 2, 2), rand(2)]);
  });
});

describe('gradcheck: pooling', () => {
  const uniqueMax = (...shape: number[]) => tensorOf(distinct(numel(shape), seed++, 0.05), shape);
  test('maxPool2d: non-overlapping, overlapping with padding, ceilMode, 3-D input', () => {
    check((x) => x.maxPool2d(2), [uniqueMax(2, 2, 4, 4)]);
    check((x) => x.maxPool2d(3, { stride: 2, padding: 1 }), [uniqueMax(1, 2, 5, 6)]);
    check((x) => x.maxPool2d(2, { ceilMode: true }), [uniqueMax(1, 2, 5, 5)]);
    check((x) => x.maxPool2d([2, 3], { stride: [1, 2] }), [uniqueMax(2, 4, 5)]);
  });
  test('avgPool2d: countIncludePad true and false, ceilMode, asymmetric kernel', () => {
    check((x) => x.avgPool2d(2), [rand(2, 2, 4, 4)]);
    check((x) => x.avgPool2d(3, { stride: 2, padding: 1 }), [rand(1, 2, 5, 6)]);
    check((x) => x.avgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }), [rand(1, 2, 5, 6)]);
    check((x) => x.avgPool2d(2, { ceilMode: true, padding: 1, countIncludePad: false }), [rand(1, 1, 5, 5)]);
    check((x) => x.avgPool2d([3, 2], { stride: [2, 1], ceilMode: true }), [rand(1, 2, 6, 5)]);
  });
});
