/**
 * Named GEMM cases (benchdnn / XNNPACK style), shared by the native-vs-reference tests and the
 * benchmarks. Names say which edge a case probes: the register tile (MR x NR of each ISA: AVX2 6x16,
 * AVX-512 8x32, generic 6x8, NEON 8x12), the k-block (KC 192 / 256 / 640), the m- and n-blocks
 * (MC 144, NC 4080), transposes, alpha / beta, batching with shared operands, and the layers of
 * small training runs (the `training` cases).
 *
 * C_i = alpha * op(A_i) op(B_i) + beta * C_i, as in Backend.gemm (src/backend/backend.ts).
 */
export interface GemmShape {
  name: string;
  m: number;
  n: number;
  k: number;
  transA?: boolean;
  transB?: boolean;
  /** Number of products (default 1). */
  batch?: number;
  /** Share A / B across the batch (stride 0). */
  shareA?: boolean;
  shareB?: boolean;
  /** Extra elements between consecutive C matrices (they must stay untouched). */
  gapC?: number;
  alpha?: number;
  beta?: number;
  /** A realistic training layer (benchmarks report these). */
  training?: boolean;
  /**
   * Benchmarks only: too large for the reference oracle of the tests (seconds to minutes of
   * TypeScript loops per case), so the tests skip it.
   */
  benchOnly?: boolean;
}

export const gemmShapes: readonly GemmShape[] = [
  // Degenerate sizes
  { name: 'm1n1k1', m: 1, n: 1, k: 1 },
  { name: 'k_eq_1', m: 7, n: 9, k: 1 },
  { name: 'k_eq_0_beta_scales_c', m: 5, n: 6, k: 0, beta: 0.5 },
  { name: 'gemv_m1', m: 1, n: 37, k: 64 },
  { name: 'gevm_n1', m: 37, n: 1, k: 64 },
  { name: 'outer_product_k1', m: 33, n: 17, k: 1 },
  // Register tile edges: m around MR (6, 8), n around NR (8, 12, 16, 32)
  { name: 'mr6_minus_1', m: 5, n: 16, k: 13 },
  { name: 'mr6', m: 6, n: 16, k: 13 },
  { name: 'mr6_plus_1', m: 7, n: 16, k: 13 },
  { name: 'mr8_plus_1', m: 9, n: 32, k: 13 },
  { name: 'mr_2x_plus_1', m: 13, n: 17, k: 11 },
  { name: 'nr8_minus_1', m: 6, n: 7, k: 10 },
  { name: 'nr8_plus_1', m: 6, n: 9, k: 10 },
  { name: 'nr12_plus_1', m: 8, n: 13, k: 10 },
  { name: 'nr16_minus_1', m: 6, n: 15, k: 10 },
  { name: 'nr16_plus_1', m: 6, n: 17, k: 10 },
  { name: 'nr32_minus_1', m: 8, n: 31, k: 10 },
  { name: 'nr32_plus_1', m: 8, n: 33, k: 10 },
  { name: 'subtile_mr_minus_1_nr_minus_1', m: 5, n: 15, k: 9 },
  { name: 'odd_all_97', m: 97, n: 97, k: 97 },
  // k-blocks: KC 192 (AVX-512), 256 (AVX2, generic), 640 (NEON)
  { name: 'kc192_plus_1', m: 9, n: 33, k: 193 },
  { name: 'kc256_minus_1', m: 7, n: 17, k: 255 },
  { name: 'kc256', m: 7, n: 17, k: 256 },
  { name: 'kc256_plus_1', m: 7, n: 17, k: 257 },
  { name: 'k_gt_2kc256', m: 5, n: 9, k: 513 },
  { name: 'kc640_plus_1', m: 3, n: 13, k: 641 },
  // m- and n-blocks: MC 144 (AVX2, generic), NC 4080
  { name: 'mc144_plus_1', m: 145, n: 20, k: 17 },
  { name: 'nc4080_plus_1', m: 2, n: 4081, k: 3 },
  { name: 'tall_skinny', m: 1000, n: 2, k: 3 },
  // Transposes (packing does them)
  { name: 'transA', m: 19, n: 23, k: 29, transA: true },
  { name: 'transB', m: 19, n: 23, k: 29, transB: true },
  { name: 'transAB', m: 19, n: 23, k: 29, transA: true, transB: true },
  { name: 'transAB_kc256_plus_1', m: 7, n: 17, k: 257, transA: true, transB: true },
  // alpha / beta
  { name: 'alpha_half_beta_0', m: 11, n: 13, k: 17, alpha: 0.5 },
  { name: 'beta_1_accumulate', m: 11, n: 13, k: 17, beta: 1 },
  { name: 'alpha_neg_beta_frac', m: 11, n: 13, k: 17, alpha: -1.5, beta: -0.25 },
  { name: 'beta_1_kc256_plus_1', m: 7, n: 17, k: 257, beta: 1 },
  // Batches
  { name: 'batch3', m: 7, n: 9, k: 11, batch: 3 },
  { name: 'batch4_shared_a', m: 7, n: 17, k: 11, batch: 4, shareA: true },
  { name: 'batch4_shared_b', m: 7, n: 17, k: 11, batch: 4, shareB: true },
  { name: 'batch2_gap_c', m: 5, n: 6, k: 7, batch: 2, gapC: 5, beta: 1 },
  { name: 'batch5_transB_beta', m: 6, n: 16, k: 9, batch: 5, transB: true, beta: 0.75 },
  // Training layers: FC 784 -> 256 at batch 64 (forward x Wᵀ, dX = dY W, dW = dYᵀ X), and the MLP's 256 -> 10
  { name: 'fc784x256_b64_fwd', m: 64, n: 256, k: 784, transB: true, training: true },
  { name: 'fc784x256_b64_dx', m: 64, n: 784, k: 256, training: true },
  { name: 'fc784x256_b64_dw', m: 256, n: 784, k: 64, transA: true, training: true },
  { name: 'fc256x10_b64_fwd', m: 64, n: 10, k: 256, transB: true, training: true },
  // The products the performance goals name (docs/benchmarks.md), as (M, K, N) row-major A·B:
  // LeNet-5 conv1 and a 5x5 6 -> 16 layer as NHWC im2col products at batch 64, a 3x3 32 -> 64 layer
  // at 16 x 16 x 64, and two FC layers at batch 64. The large ones are benchOnly.
  { name: 'cnn_m50176_k25_n6', m: 50176, n: 6, k: 25, training: true },
  { name: 'cnn_m12544_k150_n16', m: 12544, n: 16, k: 150, training: true, benchOnly: true },
  { name: 'cnn_m16384_k288_n64', m: 16384, n: 64, k: 288, training: true, benchOnly: true },
  { name: 'fc_m64_k784_n512', m: 64, n: 512, k: 784, training: true },
  { name: 'fc_m64_k512_n256', m: 64, n: 256, k: 512, training: true },
  // Square products (the large-GEMM goals); benchOnly.
  { name: 'square512', m: 512, n: 512, k: 512, benchOnly: true },
  { name: 'square1024', m: 1024, n: 1024, k: 1024, benchOnly: true },
  { name: 'square2048', m: 2048, n: 2048, k: 2048, benchOnly: true },
];

/** The Backend.gemm arguments of a case (strides from the shapes, 0 for shared operands). */
export function gemmArgs(s: GemmShape) {
  const batch = s.batch ?? 1;
  return {
    transA: s.transA === true,
    transB: s.transB === true,
    batch,
    m: s.m,
    n: s.n,
    k: s.k,
    alpha: s.alpha ?? 1,
    beta: s.beta ?? 0,
    strideA: s.shareA ? 0 : s.m * s.k,
    strideB: s.shareB ? 0 : s.k * s.n,
    strideC: s.m * s.n + (s.gapC ?? 0),
  };
}

/** Lengths of the A, B and C arrays a case needs. */
export function gemmSizes(s: GemmShape): { a: number; b: number; c: number } {
  const g = gemmArgs(s);
  const span = (stride: number, size: number) => (g.batch - 1) * stride + size;
  return { a: span(g.strideA, s.m * s.k), b: span(g.strideB, s.k * s.n), c: span(g.strideC, s.m * s.n) };
}

/** Multiply-adds of a case (for benchmarks: 2 · flops). */
export function gemmMacs(s: GemmShape): number {
  return (s.batch ?? 1) * s.m * s.n * s.k;
}
