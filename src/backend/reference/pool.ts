import type { FloatArray, Pool2dParams } from '../backend';

// Pooling over the definitions in backend.ts.

function forEachWindow(
  p: Pool2dParams,
  visit: (plane: number, i: number, j: number, yi: number) => void,
): void {
  let yi = 0;
  for (let plane = 0; plane < p.n * p.c; plane++)
    for (let i = 0; i < p.oh; i++) for (let j = 0; j < p.ow; j++) visit(plane, i, j, yi++);
}

export function maxPool2dForward(x: FloatArray, y: FloatArray, argmax: Int32Array, p: Pool2dParams): void {
  forEachWindow(p, (plane, i, j, yi) => {
    const base = plane * p.h * p.w;
    let best = -Infinity;
    let bestAt = -1;
    for (let r = 0; r < p.kh; r++) {
      const ih = i * p.strideH - p.padH + r;
      if (ih < 0 || ih >= p.h) continue;
      for (let s = 0; s < p.kw; s++) {
        const iw = j * p.strideW - p.padW + s;
        if (iw < 0 || iw >= p.w) continue;
        const v = x[base + ih * p.w + iw];
        // First maximum in window order; a NaN beats everything and the first NaN stays.
        if (bestAt < 0 || v > best || (Number.isNaN(v) && !Number.isNaN(best))) {
          best = v;
          bestAt = ih * p.w + iw;
        }
      }
    }
    y[yi] = best;
    argmax[yi] = bestAt;
  });
}

export function maxPool2dBackward(dy: FloatArray, argmax: Int32Array, dx: FloatArray, p: Pool2dParams, gate: FloatArray | null = null): void {
  const acc = new Float64Array(dx.length);
  forEachWindow(p, (plane, _i, _j, yi) => {
    if (gate === null || gate[yi] > 0) acc[plane * p.h * p.w + argmax[yi]] += dy[yi];
  });
  dx.set(acc);
}

/** The window of output (i, j) clipped to the input, and PyTorch's divisor for it. */
function avgWindow(p: Pool2dParams, i: number, j: number, countIncludePad: boolean) {
  let h0 = i * p.strideH - p.padH;
  let w0 = j * p.strideW - p.padW;
  let h1 = Math.min(h0 + p.kh, p.h + p.padH);
  let w1 = Math.min(w0 + p.kw, p.w + p.padW);
  const padded = (h1 - h0) * (w1 - w0);
  h0 = Math.max(h0, 0);
  w0 = Math.max(w0, 0);
  h1 = Math.min(h1, p.h);
  w1 = Math.min(w1, p.w);
  const divisor = countIncludePad ? padded : (h1 - h0) * (w1 - w0);
  return { h0, h1, w0, w1, divisor };
}

export function avgPool2dForward(x: FloatArray, y: FloatArray, p: Pool2dParams, countIncludePad: boolean): void {
  forEachWindow(p, (plane, i, j, yi) => {
    const { h0, h1, w0, w1, divisor } = avgWindow(p, i, j, countIncludePad);
    const base = plane * p.h * p.w;
    let acc = 0;
    for (let ih = h0; ih < h1; ih++) for (let iw = w0; iw < w1; iw++) acc += x[base + ih * p.w + iw];
    y[yi] = acc / divisor;
  });
}

export function avgPool2dBackward(dy: FloatArray, dx: FloatArray, p: Pool2dParams, countIncludePad: boolean): void {
  const acc = new Float64Array(dx.length);
  forEachWindow(p, (plane, i, j, yi) => {
    const { h0, h1, w0, w1, divisor } = avgWindow(p, i, j, countIncludePad);
    const base = plane * p.h * p.w;
    const g = dy[yi] / divisor;
    for (let ih = h0; ih < h1; ih++) for (let iw = w0; iw < w1; iw++) acc[base + ih * p.w + iw] += g;
  });
  dx.set(acc);
}
