// GEMM micro-kernel for AVX-512 (F): an 8x32 tile of C in 16 zmm accumulators, the AVX2 6x16
// kernel widened to 16-lane vectors (8x32 suits CNN shapes, where C_out is a multiple of 8;
// KERNELS.md §2.2). Per k step: 2 loads of B (32 floats), 8 broadcasts of A, 16 FMAs. Contract and
// packed layouts in ukernel.h.
//
// Dispatched only when cpuid reports F/BW/DQ/VL with OS support; kept a line-by-line mirror of
// ukernel_avx2.cc. Products of at most 16 columns use the AVX2 kernel (isa.h).
//
// Measured on a 2-vCPU Xeon (docs/benchmarks.md). Through the driver, 512^3-2048^3 run at 65-75 %
// of the FMA peak, level with OpenBLAS's SkylakeX kernel. A 12x32 tile was slower through the
// driver (161-173 against 185-190 GFLOP/s on one thread, 512^3 and smaller). The kernel's own
// ceiling (bench/native/ukernel_peak.cc and throwaway variants, 2026-12-06 afternoon, one thread,
// FMA peak 214 GFLOP/s, L1-resident operands, kc 256 and 512): every tile tried lands at 173-187
// GFLOP/s (81-87 %): 8x32 180, 12x32 184, 14x32 180, 8x48 187, 6x64 183. The 8x32 loop with its
// A broadcasts replaced by registers runs at 212 (99 %); keeping 2 / 4 / 6 / 8 of the 8 broadcasts,
// 196 / 194 / 189 / 181: each broadcast load costs ~1.5 %, whatever the tile. (A morning
// measurement read 87 % at kc 192 and 95 % at 384 against a lower peak.) Through the driver the
// kernel runs slower than on L1 data: 2048^3 on one thread reaches 139-143 GFLOP/s (65-67 %) with
// 92 % of the perf samples in the kernel, i.e. the kernel at ~152 GFLOP/s in place against 180.
// Measured (2026-12-06, gradnode_gemm_paths, one thread): the A block size does not matter (mc 48
// to 360: 142-144), nor a power-of-two ldc (2040^3 to 2064^3: 140-145), nor prefetching A 32-128
// floats ahead in the k loop; kc 512 gives 150 (the C tile's load, store and prefetch cost ~9 %
// of a kc-256 call), which npm run bench shows as 2-3 % at 2 threads, within its run-to-run noise.
// So the 85 %-of-peak goal for 2048^3 is out of reach on this VM with any tile measured.
// Also tried: kc 384 / 512 for every product (2048^3 3-6 % faster in gradnode_gemm_paths, not in
// npm run bench, and 256 x 784 x 64 9 % slower at 512): kept for deep products only, with a
// smaller A block (kKcDeep below); nc 256-1024 (slower), prefetching the next tile's C lines during
// the k loop (no change at 2 threads): dropped.
//
// ISA unit (compiled with -mavx512f ...): everything lives in gn::avx512, helpers in an anonymous
// namespace, and only intrinsics and project headers are included (KERNELS.md §6.5).
#include <immintrin.h>

#include "tile_avx512.h"
#include "ukernel.h"

namespace gn {
namespace avx512 {
namespace {

constexpr int kMr = 8;
constexpr int kNr = 32;

// Blocking: a 256 x 32 panel of B is 32 KB (L1 is 32-48 KB on Skylake-SP to Sapphire Rapids and
// Zen4), a 360 x 256 block of A is 360 KB (L2 1-2 MB), a 256 x 3072 panel of B is 3 MB (L3).
// Measured on a 2-vCPU Xeon with AVX-512 (48 KB L1, 2 MB L2), in-process A/B, best of 12:
// 2048^3 at 1 thread kc x mc 192 x 480 -> 165 GFLOP/s, 256 x 240 -> 185, 384 x 240 -> 191-193,
// 384 x 480 -> 163 (the A block no longer stays in L2 beside the B panels streaming through it);
// at 2 threads 1024^3 261 -> 343 GFLOP/s and 2048^3 313 -> 368 with 256 x 240, and 240 / 360 /
// 480 rows within 5 % of each other at 256. The kernel itself reaches 212 GFLOP/s (87 % of the
// peak) at kc = 192 and 230 at 384 on L1-resident operands, its C tile costing less per flop;
// 384 would overflow a 32 KB L1, so 256. MC also bounds the products split by columns between
// threads (gemm.cc, choose_split): at 240, 256 x 784 x 64 (LeNet-size dW) went to the row split
// and took 110 instead of 83 us, so 360.
constexpr int kKc = 256;
constexpr int kMc = 360;
constexpr int kNc = 3072;
// Deep products (k >= 1024): k-blocks of up to 512 and m-blocks of 192 rows (a 384 KB block of A,
// about the 360 x 256 one). C is then loaded and stored half as often: with kc 256 a product whose
// C does not fit in L2 (1024^2 floats and up) re-reads it from L3 for every k-block. The B micro-
// panel (64 KB) leaves L1, which these shapes absorb. gradnode_gemm_paths, 2 threads, alternating
// with kc 256 / mc 360, two runs each: 1024^3 8.48-8.63 -> 7.36-7.86 ms, 2048^3 68.7-69.0 -> 60.6-
// 62.8 ms, 1024x1024x4096 34.9-36.4 -> 32.7-33.6 ms, 4096x128x1152 5.03-5.25 -> 4.81-4.88 ms,
// 64x256x3136 A·Bᵀ 539-552 -> 509-524 us, 512x512x2048 unchanged; one thread 1024^3 17.0-17.4 ->
// 15.4-15.7 ms. Through Node (backend gemm, min of 30 / 6 calls, three alternating runs): 1024^3
// 8.03-8.25 -> 7.72-7.89 ms, 2048^3 61.1-64.1 -> 60.2-63.0 ms; npm run bench's ratio to OpenBLAS
// stayed within its noise (0.94-0.96 at 1024^3 and 2048^3). ResNet-20 and 64 -> 64 3x3
// backward-filter passes, whose reduction over samples x positions is deep, unchanged or 1-4 %
// faster. Measured around it: kc 512 with mc 120 / 160 / 240 / 360 / 480 and kc 1024 with mc
// 120: 192-240 best, 480 worst (the A block then shares L2 with too much of B). AVX2's 6x16 kernel
// measured no change from kc 512 (mc 72-144), so it has no deep blocking. Shorter k keeps kc 256:
// 256 x 784 x 64 ran 9 % slower at 512.
constexpr int kKcDeep = 512;
constexpr int kMcDeep = 192;

// C[0..31] = alpha * acc + beta * C; beta == 0 never reads C.
inline void store_row(float* c, __m512 acc0, __m512 acc1, __m512 valpha, float beta) {
  if (beta == 0.f) {
    _mm512_storeu_ps(c, _mm512_mul_ps(valpha, acc0));
    _mm512_storeu_ps(c + 16, _mm512_mul_ps(valpha, acc1));
  } else if (beta == 1.f) {
    _mm512_storeu_ps(c, _mm512_fmadd_ps(valpha, acc0, _mm512_loadu_ps(c)));
    _mm512_storeu_ps(c + 16, _mm512_fmadd_ps(valpha, acc1, _mm512_loadu_ps(c + 16)));
  } else {
    const __m512 vbeta = _mm512_set1_ps(beta);
    _mm512_storeu_ps(c, _mm512_fmadd_ps(valpha, acc0, _mm512_mul_ps(vbeta, _mm512_loadu_ps(c))));
    _mm512_storeu_ps(c + 16,
                     _mm512_fmadd_ps(valpha, acc1, _mm512_mul_ps(vbeta, _mm512_loadu_ps(c + 16))));
  }
}

// gemm_f32_ukernel_8x32__avx512f
void gemm_f32_ukernel_8x32(index_t kc, const float* GN_RESTRICT a, const float* GN_RESTRICT b,
                           float* GN_RESTRICT c, index_t ldc, float alpha, float beta) {
  for (int i = 0; i < kMr; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + kNr - 1), _MM_HINT_T0);
  }

  __m512 c0x0 = _mm512_setzero_ps(), c0x16 = _mm512_setzero_ps();
  __m512 c1x0 = _mm512_setzero_ps(), c1x16 = _mm512_setzero_ps();
  __m512 c2x0 = _mm512_setzero_ps(), c2x16 = _mm512_setzero_ps();
  __m512 c3x0 = _mm512_setzero_ps(), c3x16 = _mm512_setzero_ps();
  __m512 c4x0 = _mm512_setzero_ps(), c4x16 = _mm512_setzero_ps();
  __m512 c5x0 = _mm512_setzero_ps(), c5x16 = _mm512_setzero_ps();
  __m512 c6x0 = _mm512_setzero_ps(), c6x16 = _mm512_setzero_ps();
  __m512 c7x0 = _mm512_setzero_ps(), c7x16 = _mm512_setzero_ps();

#pragma GCC unroll 4
  for (index_t p = 0; p < kc; ++p) {
    const __m512 b0 = _mm512_loadu_ps(b);
    const __m512 b16 = _mm512_loadu_ps(b + 16);
    fma_row(a + 0, b0, b16, c0x0, c0x16);
    fma_row(a + 1, b0, b16, c1x0, c1x16);
    fma_row(a + 2, b0, b16, c2x0, c2x16);
    fma_row(a + 3, b0, b16, c3x0, c3x16);
    fma_row(a + 4, b0, b16, c4x0, c4x16);
    fma_row(a + 5, b0, b16, c5x0, c5x16);
    fma_row(a + 6, b0, b16, c6x0, c6x16);
    fma_row(a + 7, b0, b16, c7x0, c7x16);
    a += kMr;
    b += kNr;
  }

  const __m512 valpha = _mm512_set1_ps(alpha);
  store_row(c + 0 * ldc, c0x0, c0x16, valpha, beta);
  store_row(c + 1 * ldc, c1x0, c1x16, valpha, beta);
  store_row(c + 2 * ldc, c2x0, c2x16, valpha, beta);
  store_row(c + 3 * ldc, c3x0, c3x16, valpha, beta);
  store_row(c + 4 * ldc, c4x0, c4x16, valpha, beta);
  store_row(c + 5 * ldc, c5x0, c5x16, valpha, beta);
  store_row(c + 6 * ldc, c6x0, c6x16, valpha, beta);
  store_row(c + 7 * ldc, c7x0, c7x16, valpha, beta);
}

}  // namespace

GemmUkernel gemm_ukernel() { return {kMr, kNr, kKc, kMc, kNc, gemm_f32_ukernel_8x32, kKcDeep, kMcDeep}; }

}  // namespace avx512
}  // namespace gn
