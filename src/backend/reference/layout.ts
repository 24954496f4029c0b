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

export function upsampleNearest(x: FloatArray, y: FloatArray, planes: number, h: number, w: number, fh: number, fw: number): void {
  const oh = h * fh;
  const ow = w * fw;
  for (let q = 0; q < planes; q++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++) y[(q * oh + i) * ow + j] = x[(q * h + Math.floor(i / fh)) * w + Math.floor(j / fw)];
}

export function upsampleNearestBackward(dy: FloatArray, dx: FloatArray, planes: number, h: number, w: number, fh: number, fw: number): void {
  const ow = w * fw;
  for (let q = 0; q < planes; q++)
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++) {
        // The order of backend.ts: rows a in order, and within each the columns b in order.
        let s = 0;
        for (let a = 0; a < fh; a++) {
          const row = ((q * h + i) * fh + a) * ow + j * fw;
          let r = dy[row];
          for (let b = 1; b < fw; b++) r = round(dx, r + dy[row + b]);
          s = a === 0 ? r : round(dx, s + r);
        }
        dx[(q * h + i) * w + j] = s;
      }
}

/** v rounded to the element type of `like` (float32 arrays compute in float32, as the kernel). */
function round(like: FloatArray, v: number): number {
  return like instanceof Float32Array ? Math.fround(v) : v;
}
