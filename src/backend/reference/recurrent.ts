import type { FloatArray } from '../backend';

// The LSTM cell over the definitions in backend.ts, element by element.

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

export function lstmCell(gates: FloatArray, cPrev: FloatArray, c: FloatArray, tc: FloatArray, h: FloatArray, rows: number, hidden: number): void {
  for (let r = 0; r < rows; r++) {
    const g0 = r * 4 * hidden;
    for (let j = 0; j < hidden; j++) {
      const k = r * hidden + j;
      // Each activation is stored (and so rounded to the array's type) before it is used, as the
      // native kernel does.
      gates[g0 + j] = sigmoid(gates[g0 + j]);
      gates[g0 + hidden + j] = sigmoid(gates[g0 + hidden + j]);
      gates[g0 + 2 * hidden + j] = Math.tanh(gates[g0 + 2 * hidden + j]);
      gates[g0 + 3 * hidden + j] = sigmoid(gates[g0 + 3 * hidden + j]);
      c[k] = gates[g0 + hidden + j] * cPrev[k] + gates[g0 + j] * gates[g0 + 2 * hidden + j];
      tc[k] = Math.tanh(c[k]);
      h[k] = gates[g0 + 3 * hidden + j] * tc[k];
    }
  }
}

export function lstmCellBackward(
  gates: FloatArray,
  cPrev: FloatArray,
  tc: FloatArray,
  dh: FloatArray,
  dc: FloatArray | null,
  dgates: FloatArray,
  dcPrev: FloatArray,
  rows: number,
  hidden: number,
): void {
  for (let r = 0; r < rows; r++) {
    const g0 = r * 4 * hidden;
    for (let j = 0; j < hidden; j++) {
      const k = r * hidden + j;
      const i = gates[g0 + j];
      const f = gates[g0 + hidden + j];
      const g = gates[g0 + 2 * hidden + j];
      const o = gates[g0 + 3 * hidden + j];
      const t = tc[k];
      const d = dh[k];
      const dcj = (dc ? dc[k] : 0) + d * o * (1 - t * t);
      dgates[g0 + j] = dcj * g * (i * (1 - i));
      dgates[g0 + hidden + j] = dcj * cPrev[k] * (f * (1 - f));
      dgates[g0 + 2 * hidden + j] = dcj * i * (1 - g * g);
      dgates[g0 + 3 * hidden + j] = d * t * (o * (1 - o));
      dcPrev[k] = dcj * f;
    }
  }
}
