import type { FloatArray } from '../backend';
import { forEachIndex } from './strided';

export function copyStrided(
  src: FloatArray,
  srcOffset: number,
  srcStrides: number[],
  dst: FloatArray,
  dstOffset: number,
  dstStrides: number[],
  shape: number[],
): void {
  forEachIndex(
    shape,
    [srcStrides, dstStrides],
    ([si, di]) => {
      dst[di] = src[si];
    },
    [srcOffset, dstOffset],
  );
}
