import type { FloatArray, GemmArgs } from '../backend';

/** Batched GEMM as three plain loops, accumulating in double precision, then the epilogue. */
export function gemm(a: FloatArray, b: FloatArray, c: FloatArray, g: GemmArgs): void {
  const { m, n, k, alpha, beta } = g;
  const bias = g.bias ?? null;
  const relu = g.relu === true;
  const lda = g.transA ? m : k;
  const ldb = g.transB ? k : n;
  for (let q = 0; q < g.batch; q++) {
    const A = q * g.strideA;
    const B = q * g.strideB;
    const C = q * g.strideC;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let p = 0; p < k; p++) {
          const av = g.transA ? a[A + p * lda + i] : a[A + i * lda + p];
          const bv = g.transB ? b[B + j * ldb + p] : b[B + p * ldb + j];
          acc += av * bv;
        }
        const ci = C + i * n + j;
        let v = alpha * acc + (beta === 0 ? 0 : beta * c[ci]);
        if (bias !== null) v += bias[j];
        c[ci] = relu && v < 0 ? 0 : v;
      }
    }
  }
}
