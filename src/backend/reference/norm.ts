import type { FloatArray } from '../backend';

// Batch norm over the definitions in backend.ts, channel by channel, accumulating in double.

function forEachInChannel(n: number, c: number, inner: number, ch: number, body: (i: number) => void): void {
  for (let b = 0; b < n; b++) {
    const base = (b * c + ch) * inner;
    for (let k = 0; k < inner; k++) body(base + k);
  }
}

export function batchNormStats(x: FloatArray, mean: FloatArray, variance: FloatArray, n: number, c: number, inner: number): void {
  const m = n * inner;
  for (let ch = 0; ch < c; ch++) {
    let s = 0;
    forEachInChannel(n, c, inner, ch, (i) => {
      s += x[i];
    });
    const mu = s / m;
    let v = 0;
    forEachInChannel(n, c, inner, ch, (i) => {
      v += (x[i] - mu) * (x[i] - mu);
    });
    mean[ch] = mu;
    variance[ch] = v / m;
  }
}

export function channelAffine(x: FloatArray, scale: FloatArray, shift: FloatArray, y: FloatArray, n: number, c: number, inner: number): void {
  for (let ch = 0; ch < c; ch++) {
    forEachInChannel(n, c, inner, ch, (i) => {
      y[i] = x[i] * scale[ch] + shift[ch];
    });
  }
}

export function batchNormBackward(
  x: FloatArray,
  dy: FloatArray,
  mean: FloatArray,
  invstd: FloatArray,
  weight: FloatArray | null,
  dx: FloatArray | null,
  dweight: FloatArray | null,
  dbias: FloatArray | null,
  n: number,
  c: number,
  inner: number,
  training: boolean,
): void {
  const m = n * inner;
  for (let ch = 0; ch < c; ch++) {
    let sdy = 0;
    let sdx = 0;
    forEachInChannel(n, c, inner, ch, (i) => {
      sdy += dy[i];
      sdx += dy[i] * (x[i] - mean[ch]);
    });
    if (dbias) dbias[ch] = sdy;
    if (dweight) dweight[ch] = sdx * invstd[ch];
    if (dx) {
      const w = weight ? weight[ch] : 1;
      const k = w * invstd[ch];
      const a = invstd[ch] * invstd[ch] * sdx / m;
      forEachInChannel(n, c, inner, ch, (i) => {
        dx[i] = training ? k * (dy[i] - sdy / m - (x[i] - mean[ch]) * a) : k * dy[i];
      });
    }
  }
}
