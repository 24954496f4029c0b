/**
 * N-dimensional iteration for the reference kernels: calls `body` once per index of `shape` (in
 * row-major order) with the element offset of that index in each operand.
 */
export function forEachIndex(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
  body: (offsets: number[]) => void,
  bases: readonly number[] = strides.map(() => 0),
): void {
  const ndim = shape.length;
  if (shape.some((s) => s === 0)) return;
  const idx = new Array<number>(ndim).fill(0);
  const offsets = bases.slice();
  for (;;) {
    body(offsets);
    // Odometer increment, last dimension fastest.
    let d = ndim - 1;
    for (; d >= 0; d--) {
      idx[d]++;
      for (let o = 0; o < offsets.length; o++) offsets[o] += strides[o][d];
      if (idx[d] < shape[d]) break;
      for (let o = 0; o < offsets.length; o++) offsets[o] -= strides[o][d] * shape[d];
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}
