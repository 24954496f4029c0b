// The native strided copy (the one data-movement kernel: permute, slices with steps, cat, pad,
// expand) against the reference, bit for bit: every destination element, including those outside
// the copied region, which must keep their value. Then the data-movement ops themselves, float32 on
// the native backend against float32 on the reference backend, also bit for bit.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import * as gn from '../../src/index';
import { Tensor } from '../../src/tensor';
import { contiguousStrides } from '../../src/shape';
import { assertBitwiseEqual } from '../util/assert_close';
import { nativeKernels, referenceBackend } from '../util/backends';
import { uniform } from '../util/data';

const native = nativeKernels();

/** Source data with signed zeros and infinities (NaN payloads are not compared: JS may canonicalise them). */
function source(n: number, seed: number): Float32Array {
  const x = uniform(n, seed, -100, 100);
  const specials = [-0, 0, Infinity, -Infinity, 1e-40];
  for (let k = 0; k < specials.length && k * 5 < n; k++) x[k * 5] = specials[k];
  return x;
}

interface CopyCase {
  name: string;
  src: Float32Array;
  srcOffset: number;
  srcStrides: number[];
  dstLength: number;
  dstOffset: number;
  dstStrides: number[];
  shape: number[];
}

function checkCopy(c: CopyCase): void {
  const init = uniform(c.dstLength, 999, 1000, 2000); // destination elements outside the region keep these
  const got = init.slice();
  native.copyStrided(c.src, c.srcOffset, c.srcStrides, got, c.dstOffset, c.dstStrides, c.shape);
  const want = init.slice();
  referenceBackend.copyStrided(c.src, c.srcOffset, c.srcStrides, want, c.dstOffset, c.dstStrides, c.shape);
  assertBitwiseEqual(got, want, {
    name: `copyStrided ${c.name}: shape [${c.shape}] src +${c.srcOffset} [${c.srcStrides}] dst +${c.dstOffset} [${c.dstStrides}]`,
  });
}

/** Copies the permutation `perm` of a contiguous tensor of `shape` into a contiguous output. */
function permuteCase(name: string, shape: number[], perm: number[], seed: number): CopyCase {
  const n = shape.reduce((a, b) => a * b, 1);
  const s = contiguousStrides(shape);
  const outShape = perm.map((d) => shape[d]);
  return { name, src: source(n, seed), srcOffset: 0, srcStrides: perm.map((d) => s[d]), dstLength: n, dstOffset: 0, dstStrides: contiguousStrides(outShape), shape: outShape };
}

function permutations(n: number): number[][] {
  if (n === 1) return [[0]];
  return permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
}

describe('copyStrided: named cases', () => {
  test('contiguous copies of SIMD-width sizes (and a threaded size)', () => {
    for (const n of [1, 7, 8, 9, 15, 16, 17, 31, 33, 1000, 300_007]) {
      checkCopy({ name: `contiguous n ${n}`, src: source(n, n), srcOffset: 0, srcStrides: [1], dstLength: n, dstOffset: 0, dstStrides: [1], shape: [n] });
    }
  });

  test('transposes of odd and SIMD-width matrices', () => {
    for (const [r, c] of [[1, 1], [1, 17], [17, 1], [7, 9], [8, 8], [16, 17], [33, 31], [64, 65], [300, 301]]) {
      checkCopy(permuteCase(`transpose ${r}x${c}`, [r, c], [1, 0], r * c));
    }
  });

  test('every permutation of a 4-D tensor, and 5-D / 6-D ones with size-1 dims', () => {
    for (const perm of permutations(4)) checkCopy(permuteCase(`permute [${perm}]`, [3, 4, 5, 6], perm, 7));
    checkCopy(permuteCase('permute 5-D', [2, 1, 3, 1, 5], [4, 2, 0, 3, 1], 8));
    checkCopy(permuteCase('permute 6-D (NCHW -> NHWC blocks)', [2, 3, 4, 5, 1, 2], [0, 2, 3, 1, 5, 4], 9));
  });

  test('slices with steps and offsets (reading), regions of a larger destination (writing)', () => {
    // x [10, 12]: rows 1, 4, 7; columns 2..10 by 2 -> [3, 5]
    checkCopy({ name: 'slice rows step 3 cols step 2', src: source(120, 1), srcOffset: 12 + 2, srcStrides: [36, 2], dstLength: 15, dstOffset: 0, dstStrides: [5, 1], shape: [3, 5] });
    // Write a [3, 5] block into dst [6, 9] at (2, 3): the cat / pad direction.
    checkCopy({ name: 'into a region', src: source(15, 2), srcOffset: 0, srcStrides: [5, 1], dstLength: 54, dstOffset: 2 * 9 + 3, dstStrides: [9, 1], shape: [3, 5] });
    // Write with a step into the destination (the backward of a strided slice).
    checkCopy({ name: 'into every other element', src: source(17, 3), srcOffset: 0, srcStrides: [1], dstLength: 40, dstOffset: 1, dstStrides: [2], shape: [17] });
    // Interior of a padded 4-D tensor: [2, 3, 5, 7] into [2, 3, 8, 11] at (1, 2).
    checkCopy({ name: 'pad interior', src: source(210, 4), srcOffset: 0, srcStrides: [105, 35, 7, 1], dstLength: 528, dstOffset: 11 + 2, dstStrides: [264, 88, 11, 1], shape: [2, 3, 5, 7] });
  });

  test('broadcast reads (stride 0): expand a row, a column, a scalar', () => {
    checkCopy({ name: 'expand row', src: source(17, 5), srcOffset: 0, srcStrides: [0, 1], dstLength: 9 * 17, dstOffset: 0, dstStrides: [17, 1], shape: [9, 17] });
    checkCopy({ name: 'expand column', src: source(9, 6), srcOffset: 0, srcStrides: [1, 0], dstLength: 9 * 33, dstOffset: 0, dstStrides: [33, 1], shape: [9, 33] });
    checkCopy({ name: 'expand scalar 3-D', src: source(1, 7), srcOffset: 0, srcStrides: [0, 0, 0], dstLength: 2 * 3 * 16, dstOffset: 0, dstStrides: [48, 16, 1], shape: [2, 3, 16] });
  });

  test('empty shapes copy nothing; a 0-d shape copies one element', () => {
    checkCopy({ name: 'zero-size dim', src: source(6, 8), srcOffset: 0, srcStrides: [3, 1], dstLength: 6, dstOffset: 0, dstStrides: [3, 1], shape: [0, 3] });
    checkCopy({ name: '0-d', src: source(6, 9), srcOffset: 4, srcStrides: [], dstLength: 3, dstOffset: 2, dstStrides: [], shape: [] });
  });
});

describe('copyStrided: random permutations, slices and embeddings (fast-check)', () => {
  test('permute a random slice of a random tensor into a random region', () => {
    const arb = fc
      .array(fc.oneof(fc.constantFrom(1, 7, 8, 9, 16, 17), fc.integer({ min: 1, max: 6 })), { minLength: 1, maxLength: 5 })
      .chain((shape) =>
        fc.record({
          shape: fc.constant(shape),
          perm: fc.shuffledSubarray(shape.map((_, i) => i), { minLength: shape.length, maxLength: shape.length }),
          steps: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: shape.length, maxLength: shape.length }),
          starts: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: shape.length, maxLength: shape.length }),
          dstPad: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: shape.length, maxLength: shape.length }),
          seed: fc.integer({ min: 0, max: 1e6 }),
        }),
      );
    fc.assert(
      fc.property(arb, ({ shape, perm, steps, starts, dstPad, seed }) => {
        // Source: a tensor of `shape`, sliced by (start, step) per dim.
        const srcStrides = contiguousStrides(shape);
        const start = starts.map((s, d) => Math.min(s, shape[d] - 1));
        const count = shape.map((s, d) => Math.ceil((s - start[d]) / steps[d]));
        const srcOffset = start.reduce((acc, s, d) => acc + s * srcStrides[d], 0);
        // The slice, permuted, goes into a destination with dstPad extra elements per dim, at offset 1 per padded dim.
        const outShape = perm.map((d) => count[d]);
        const dstShape = outShape.map((s, i) => s + dstPad[i]);
        const dstStrides = contiguousStrides(dstShape);
        const dstOffset = dstPad.reduce((acc, p, i) => acc + (p > 0 ? dstStrides[i] : 0), 0);
        checkCopy({
          name: 'random',
          src: source(shape.reduce((a, b) => a * b, 1), seed),
          srcOffset,
          srcStrides: perm.map((d) => srcStrides[d] * steps[d]),
          dstLength: dstShape.reduce((a, b) => a * b, 1),
          dstOffset,
          dstStrides,
          shape: outShape,
        });
      }),
      { seed: 0x1a7, numRuns: 100 },
    );
  });
});

describe('data-movement ops: float32 native against float32 reference, bit for bit', () => {
  const x = new Tensor(source(2 * 3 * 17 * 5, 30), [2, 3, 17, 5]);
  const y = new Tensor(source(2 * 4 * 17 * 5, 31), [2, 4, 17, 5]);
  const cases: [string, () => Tensor | Tensor[]][] = [
    ['permute', () => x.permute(3, 1, 0, 2)],
    ['transpose', () => x.transpose(1, 3)],
    ['t', () => x.select(0, 1).select(0, 2).t()],
    ['expand', () => x.select(3, 0).unsqueeze(1).expand(2, 4, 3, 17)],
    ['cat dim 1', () => gn.cat([x, y], 1)],
    ['cat dim -1', () => gn.cat([x, x, x], -1)],
    ['stack dim 2', () => gn.stack([x, x], 2)],
    ['split', () => x.split([5, 12], 2)],
    ['chunk', () => y.chunk(3, 1)],
    ['narrow', () => x.narrow(2, 3, 9)],
    ['slice step 3', () => x.slice(2, 1, null, 3)],
    ['select', () => x.select(1, -1)],
    ['index', () => x.index(1, [0, 3, 2], [2, -1, 4], null)],
    ['pad', () => x.pad([1, 2, 3, 0], -7)],
    ['clone', () => x.clone()],
  ];
  for (const [name, op] of cases) {
    test(name, () => {
      const gotList = [gn.withBackend('native', op)].flat();
      const wantList = [gn.withBackend('reference', op)].flat();
      gotList.forEach((g, i) => assertBitwiseEqual(g.data as Float32Array, wantList[i].data as Float32Array, { name: `${name} [${i}]`, shape: g.shape }));
    });
  }
});

describe('native nearest-neighbour upsampling against the reference, bit for bit', () => {
  // [planes, h, w, fh, fw]: factors 1 to 4 each way, the fw = 2 fast path and the general one, a
  // single column, and 64 planes of 16 x 16 (split between threads).
  const cases = [[1, 1, 1, 1, 1], [3, 2, 5, 2, 2], [2, 3, 4, 3, 2], [2, 4, 3, 1, 4], [5, 7, 1, 2, 3], [64, 16, 16, 2, 2]];
  for (const [planes, h, w, fh, fw] of cases) {
    test(`${planes} planes ${h}x${w}, factors ${fh}x${fw}: forward and backward`, () => {
      const x = source(planes * h * w, planes + h);
      const y = new Float32Array(planes * h * w * fh * fw).fill(NaN);
      const yRef = new Float32Array(y.length);
      native.upsampleNearest(x, y, planes, h, w, fh, fw);
      referenceBackend.upsampleNearest(x, yRef, planes, h, w, fh, fw);
      assertBitwiseEqual(y, yRef, { name: 'upsampleNearest' });
      const dy = uniform(y.length, 7, -3, 3);
      const dx = new Float32Array(x.length).fill(NaN);
      const dxRef = new Float32Array(x.length);
      native.upsampleNearestBackward(dy, dx, planes, h, w, fh, fw);
      referenceBackend.upsampleNearestBackward(dy, dxRef, planes, h, w, fh, fw);
      assertBitwiseEqual(dx, dxRef, { name: 'upsampleNearestBackward' });
    });
  }

  test('wrong lengths and overlapping arrays are refused', () => {
    const buf = new Float32Array(40);
    expect(() => native.upsampleNearest(new Float32Array(4), new Float32Array(15), 1, 2, 2, 2, 2)).toThrow(/upsampleNearest: y has 15 elements, expected 16/);
    expect(() => native.upsampleNearest(buf.subarray(0, 4), buf.subarray(2, 18), 1, 2, 2, 2, 2)).toThrow(/upsampleNearest: x and y overlap/);
    expect(() => native.upsampleNearestBackward(new Float32Array(16), new Float32Array(4), 1, 2, 2, 0, 2)).toThrow(/upsampleNearestBackward: fh must be an integer in \[1,/);
  });
});
