import type { FloatArray, ReduceOp } from '../backend';

// Reductions and softmax over the middle axis of [outer, n, inner], accumulating in double.

export function reduce(op: ReduceOp, x: FloatArray, y: FloatArray, outer: number, n: number, inner: number): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let acc = op === 'sum' ? 0 : x[base];
      for (let r = op === 'sum' ? 0 : 1; r < n; r++) {
        const v = x[base + r * inner];
        if (op === 'sum') acc += v;
        else if (v !== v || acc !== acc) acc = acc !== acc ? acc : v;
        else if (op === 'max' ? v > acc : v < acc) acc = v;
      }
      y[o * inner + i] = acc;
    }
  }
}

export function argReduce(op: 'max' | 'min', x: FloatArray, y: FloatArray, outer: number, n: number, inner: number): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let best = x[base];
      let at = 0;
      for (let r = 1; r < n && best === best; r++) {
        const v = x[base + r * inner];
        if (v !== v || (op === 'max' ? v > best : v < best)) {
          best = v;
          at = r;
        }
      }
      y[o * inner + i] = at;
    }
  }
}

export function softmax(x: FloatArray, y: FloatArray, outer: number, n: number, inner: number, log: boolean): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let max = -Infinity;
      for (let r = 0; r < n; r++) {
        const v = x[base + r * inner];
        if (v > max || v !== v) max = v;
        if (max !== max) break;
      }
      let sum = 0;
      for (let r = 0; r < n; r++) sum += Math.exp(x[base + r * inner] - max);
      const logSum = Math.log(sum);
      for (let r = 0; r < n; r++) {
        const k = base + r * inner;
        y[k] = log ? x[k] - max - logSum : Math.exp(x[k] - max) / sum;
      }
    }
  }
}

export function softmaxBackward(
  y: FloatArray,
  dy: FloatArray,
  dx: FloatArray,
  outer: number,
  n: number,
  inner: number,
  log: boolean,
): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let dot = 0;
      for (let r = 0; r < n; r++) {
        const k = base + r * inner;
        dot += log ? dy[k] : dy[k] * y[k];
      }
      for (let r = 0; r < n; r++) {
        const k = base + r * inner;
        dx[k] = log ? dy[k] - Math.exp(y[k]) * dot : y[k] * (dy[k] - dot);
      }
    }
  }
}

export function crossEntropyBackward(
  logp: FloatArray,
  labels: Int32Array,
  g: FloatArray,
  dx: FloatArray,
  outer: number,
  n: number,
  inner: number,
  smoothing: number,
): void {
  labels.forEach((label, at) => {
    if (!(label >= 0 && label < n)) throw new RangeError(`crossEntropyBackward: class label ${label} at position ${at} is out of range for ${n} classes`);
  });
  const c = smoothing / n;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const label = labels[o * inner + i];
      const gi = g[o * inner + i];
      for (let r = 0; r < n; r++) {
        const k = (o * n + r) * inner + i;
        const t = Math.exp(logp[k]) - c;
        dx[k] = gi * (r === label ? t - (1 - smoothing) : t);
      }
    }
  }
}
