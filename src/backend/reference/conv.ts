import type { Conv2dParams, FloatArray } from '../backend';

// Direct convolution loops over the definition in backend.ts, accumulating in double precision.

/** Calls visit(xIndex, wIndex) for every input/weight pair that contributes to output yIndex. */
function forEachTap(
  p: Conv2dParams,
  nn: number,
  co: number,
  i: number,
  j: number,
  visit: (xi: number, wi: number) => void,
): void {
  const cinG = p.cIn / p.groups;
  const coutG = p.cOut / p.groups;
  const g = Math.floor(co / coutG);
  for (let ci = 0; ci < cinG; ci++) {
    const c = g * cinG + ci;
    for (let r = 0; r < p.kh; r++) {
      const ih = i * p.strideH - p.padH + r * p.dilH;
      if (ih < 0 || ih >= p.h) continue;
      for (let s = 0; s < p.kw; s++) {
        const iw = j * p.strideW - p.padW + s * p.dilW;
        if (iw < 0 || iw >= p.w) continue;
        visit(((nn * p.cIn + c) * p.h + ih) * p.w + iw, ((co * cinG + ci) * p.kh + r) * p.kw + s);
      }
    }
  }
}

function forEachOutput(p: Conv2dParams, visit: (nn: number, co: number, i: number, j: number, yi: number) => void): void {
  let yi = 0;
  for (let nn = 0; nn < p.n; nn++)
    for (let co = 0; co < p.cOut; co++)
      for (let i = 0; i < p.oh; i++) for (let j = 0; j < p.ow; j++) visit(nn, co, i, j, yi++);
}

export function conv2dForward(x: FloatArray, w: FloatArray, bias: FloatArray | null, y: FloatArray, p: Conv2dParams): void {
  forEachOutput(p, (nn, co, i, j, yi) => {
    let acc = bias ? bias[co] : 0;
    forEachTap(p, nn, co, i, j, (xi, wi) => {
      acc += x[xi] * w[wi];
    });
    y[yi] = acc;
  });
}

export function conv2dBackwardData(dy: FloatArray, w: FloatArray, dx: FloatArray, p: Conv2dParams): void {
  const acc = new Float64Array(dx.length);
  forEachOutput(p, (nn, co, i, j, yi) => {
    const g = dy[yi];
    forEachTap(p, nn, co, i, j, (xi, wi) => {
      acc[xi] += g * w[wi];
    });
  });
  dx.set(acc);
}

export function conv2dBackwardFilter(
  x: FloatArray,
  dy: FloatArray,
  dw: FloatArray,
  dbias: FloatArray | null,
  p: Conv2dParams,
): void {
  const accW = new Float64Array(dw.length);
  const accB = new Float64Array(p.cOut);
  forEachOutput(p, (nn, co, i, j, yi) => {
    const g = dy[yi];
    accB[co] += g;
    forEachTap(p, nn, co, i, j, (xi, wi) => {
      accW[wi] += g * x[xi];
    });
  });
  dw.set(accW);
  if (dbias) dbias.set(accB);
}
