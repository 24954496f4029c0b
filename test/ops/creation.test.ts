// Creation functions: tensors from nested arrays, typed arrays and shapes; zeros / ones / full /
// arange / linspace / eye; seeded rand / randn / randint (the same seed gives the same values, and
// an explicit generator leaves the default one alone). Run on both backends (creation must not
// depend on the backend).
import { expect, test } from 'vitest';
import * as gn from '../../src/index';
import { describeEachBackend, onBackend } from '../util/backends';
import { expectTensor, values } from '../util/tensors';

describeEachBackend('creation', (backend) => {
  const run = (body: () => void) => () => onBackend(backend, body);

  test('tensor from nested arrays, a number, and a typed array with a shape', run(() => {
    expectTensor(gn.tensor([[1, 2, 3], [4, 5, 6]]), [2, 3], [1, 2, 3, 4, 5, 6]);
    expectTensor(gn.tensor([[[1], [2]]]), [1, 2, 1], [1, 2]);
    expectTensor(gn.tensor(7), [], [7]);
    expectTensor(gn.tensor([]), [0], []);
    const data = new Float32Array([1, 2, 3, 4, 5, 6]);
    const t = gn.tensor(data, { shape: [3, 2] });
    expectTensor(t, [3, 2], [1, 2, 3, 4, 5, 6]);
    expect(t.data).toBe(data); // a Float32Array of the right dtype is used without copying
    const d = gn.tensor(data, { shape: [2, 3], dtype: 'float64' });
    expect(d.dtype).toBe('float64');
    expect(d.data).not.toBe(data);
    expect(gn.tensor([0.1]).data[0]).toBe(Math.fround(0.1)); // float32 by default
    expect(gn.tensor([0.1], { dtype: 'float64' }).data[0]).toBe(0.1);
    expect(gn.tensor([1, 2], { requiresGrad: true }).requiresGrad).toBe(true);
  }));

  test('integer typed arrays are copied into the float dtype', run(() => {
    const labels = new Int32Array([3, -1, 0, 2147483]);
    const t = gn.tensor(labels);
    expectTensor(t, [4], [3, -1, 0, 2147483]);
    expect(t.dtype).toBe('float32');
    expect(t.data).toBeInstanceOf(Float32Array);
    labels[0] = 9; // a copy: the tensor keeps its values
    expect(t.data[0]).toBe(3);
    const pixels = gn.tensor(new Uint8Array([0, 128, 255, 7, 8, 9]), { shape: [2, 3], dtype: 'float64' });
    expectTensor(pixels, [2, 3], [0, 128, 255, 7, 8, 9]);
    expect(pixels.data).toBeInstanceOf(Float64Array);
    expectTensor(gn.tensor(new Uint8ClampedArray([1, 2])), [2], [1, 2]);
    expectTensor(gn.tensor(new Int8Array([-128, 127])), [2], [-128, 127]);
    expectTensor(gn.tensor(new Uint16Array([65535])), [1], [65535]);
    expectTensor(gn.tensor(new Int16Array([-3])), [1], [-3]);
    expectTensor(gn.tensor(new Uint32Array([4294967295])), [1], [Math.fround(4294967295)]);
    expect(gn.tensor(new Int32Array([16777217])).data[0]).toBe(16777216); // float32 rounding, as in PyTorch
    expect(gn.tensor(new Int32Array([16777217]), { dtype: 'float64' }).data[0]).toBe(16777217);
    // A float64 array stays float64 unless a dtype says otherwise.
    expect(gn.tensor(new Float64Array([1, 2])).dtype).toBe('float64');
    expect(gn.tensor(new Float64Array([1, 2]), { dtype: 'float32' }).data).toBeInstanceOf(Float32Array);
    expect(gn.tensor(new Int32Array([1, 2, 3]), { requiresGrad: true }).requiresGrad).toBe(true);
  }));

  test('ragged nested arrays and wrong shapes are rejected', run(() => {
    expect(() => gn.tensor([[1, 2], [3]])).toThrow(/not rectangular/);
    expect(() => gn.tensor(new Float32Array(5), { shape: [2, 3] })).toThrow(/5 elements cannot have shape \[2,3\]/);
    expect(() => gn.tensor(new Uint8Array(5), { shape: [2, 3] })).toThrow(/tensor: 5 elements cannot have shape \[2,3\]/);
  }));

  test('zeros, ones, full and the *Like variants', run(() => {
    expectTensor(gn.zeros([2, 2]), [2, 2], [0, 0, 0, 0]);
    expectTensor(gn.zeros(3), [3], [0, 0, 0]);
    expectTensor(gn.ones(2, 3), [2, 3], [1, 1, 1, 1, 1, 1]);
    expectTensor(gn.full([2], -2.5), [2], [-2.5, -2.5]);
    const like = gn.onesLike(gn.zeros([2, 1], { dtype: 'float64' }));
    expect(like.dtype).toBe('float64');
    expectTensor(like, [2, 1], [1, 1]);
    expectTensor(gn.fullLike(gn.zeros([3]), 4), [3], [4, 4, 4]);
    expectTensor(gn.zeros([0, 3]), [0, 3], []);
  }));

  test('arange (end exclusive, negative and fractional steps) and linspace (both ends)', run(() => {
    expectTensor(gn.arange(5), [5], [0, 1, 2, 3, 4]);
    expectTensor(gn.arange(2, 8, 2), [3], [2, 4, 6]);
    expectTensor(gn.arange(5, 0, -2), [3], [5, 3, 1]);
    expectTensor(gn.arange(0, 1, 0.25), [4], [0, 0.25, 0.5, 0.75]);
    expectTensor(gn.arange(3, 3), [0], []);
    expectTensor(gn.linspace(0, 1, 5), [5], [0, 0.25, 0.5, 0.75, 1]);
    expectTensor(gn.linspace(-1, 1, 1), [1], [-1]);
    expectTensor(gn.linspace(2, 3, 0), [0], []);
    expect(gn.linspace(0, 0.3, 4, { dtype: 'float64' }).data[3]).toBe(0.3); // the end is exact
  }));

  test('eye: square and rectangular', run(() => {
    expectTensor(gn.eye(3), [3, 3], [1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expectTensor(gn.eye(2, 3), [2, 3], [1, 0, 0, 0, 1, 0]);
    expectTensor(gn.eye(3, 1), [3, 1], [1, 0, 0]);
  }));

  test('rand, randn, randint: manualSeed makes them repeat; ranges hold', run(() => {
    gn.manualSeed(1234);
    const a = [values(gn.rand([50])), values(gn.randn(3, 4)), values(gn.randint(-3, 4, [100]))];
    gn.manualSeed(1234);
    const b = [values(gn.rand([50])), values(gn.randn(3, 4)), values(gn.randint(-3, 4, [100]))];
    expect(b).toEqual(a);
    expect(a[0].every((v) => v >= 0 && v < 1)).toBe(true);
    expect(a[2].every((v) => Number.isInteger(v) && v >= -3 && v < 4)).toBe(true);
    expect(new Set(a[2]).size).toBe(7); // every value of [-3, 4) appears in 100 draws
    gn.manualSeed(1235);
    expect(values(gn.rand([50]))).not.toEqual(a[0]);
  }));

  test('an explicit generator is reproducible and does not advance the default one', run(() => {
    gn.manualSeed(7);
    const expected = values(gn.rand([4]));
    gn.manualSeed(7);
    const g1 = values(gn.randn([5], { generator: new gn.Generator(99) }));
    const g2 = values(gn.randn([5], { generator: new gn.Generator(99) }));
    expect(g2).toEqual(g1);
    expect(values(gn.rand([4]))).toEqual(expected);
  }));

  test('randn has mean ~0 and standard deviation ~1 (10^4 samples: 5-sigma bounds)', run(() => {
    const x = gn.randn([10000], { generator: new gn.Generator(5), dtype: 'float64' });
    expect(Math.abs(x.mean().item())).toBeLessThan(0.05);
    expect(Math.abs(x.std().item() - 1)).toBeLessThan(0.05);
  }));
});
