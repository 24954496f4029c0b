// GEMM micro-kernel for AVX2 + FMA: a 6x16 tile of C in 12 ymm accumulators (BLIS haswell/zen3
// sgemm shape). Per k step: 2 loads of B (16 floats), 6 broadcasts of A, 12 FMAs. Contract and
// packed layouts in ukernel.h.
//
// ISA unit (compiled with -mavx2 -mfma): everything lives in gn::avx2, helpers in an anonymous
// namespace, and only intrinsics and project headers are included (KERNELS.md §6.5).
#include <immintrin.h>

#include "ukernel.h"

namespace gn {
namespace avx2 {
namespace {

constexpr int kMr = 6;
constexpr int kNr = 16;

// Blocking for Zen3/Haswell (KERNELS.md §2.3): a 256 x 16 panel of B is 16 KB (half of L1), a
// 144 x 256 block of A is 144 KB (L2 is 512 KB), a 256 x 4080 panel of B is 4 MB (L3).
constexpr int kKc = 256;
constexpr int kMc = 144;
constexpr int kNc = 4080;

// C[0..15] = alpha * acc + beta * C, written so that beta == 0 never reads C and beta == 1 costs
// one FMA per vector.
inline void store_row(float* c, __m256 acc0, __m256 acc1, __m256 valpha, float beta) {
  if (beta == 0.f) {
    _mm256_storeu_ps(c, _mm256_mul_ps(valpha, acc0));
    _mm256_storeu_ps(c + 8, _mm256_mul_ps(valpha, acc1));
  } else if (beta == 1.f) {
    _mm256_storeu_ps(c, _mm256_fmadd_ps(valpha, acc0, _mm256_loadu_ps(c)));
    _mm256_storeu_ps(c + 8, _mm256_fmadd_ps(valpha, acc1, _mm256_loadu_ps(c + 8)));
  } else {
    const __m256 vbeta = _mm256_set1_ps(beta);
    _mm256_storeu_ps(c, _mm256_fmadd_ps(valpha, acc0, _mm256_mul_ps(vbeta, _mm256_loadu_ps(c))));
    _mm256_storeu_ps(c + 8,
                     _mm256_fmadd_ps(valpha, acc1, _mm256_mul_ps(vbeta, _mm256_loadu_ps(c + 8))));
  }
}

// gemm_f32_ukernel_6x16__avx2_fma
void gemm_f32_ukernel_6x16(index_t kc, const float* GN_RESTRICT a, const float* GN_RESTRICT b,
                           float* GN_RESTRICT c, index_t ldc, float alpha, float beta) {
  // Bring the C tile towards L1 while the k loop runs (it is read or written only at the end).
  for (int i = 0; i < kMr; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + kNr - 1), _MM_HINT_T0);
  }

  __m256 c0x0 = _mm256_setzero_ps(), c0x8 = _mm256_setzero_ps();
  __m256 c1x0 = _mm256_setzero_ps(), c1x8 = _mm256_setzero_ps();
  __m256 c2x0 = _mm256_setzero_ps(), c2x8 = _mm256_setzero_ps();
  __m256 c3x0 = _mm256_setzero_ps(), c3x8 = _mm256_setzero_ps();
  __m256 c4x0 = _mm256_setzero_ps(), c4x8 = _mm256_setzero_ps();
  __m256 c5x0 = _mm256_setzero_ps(), c5x8 = _mm256_setzero_ps();

#pragma GCC unroll 4
  for (index_t p = 0; p < kc; ++p) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b8 = _mm256_loadu_ps(b + 8);
    __m256 ai;
    ai = _mm256_broadcast_ss(a + 0);
    c0x0 = _mm256_fmadd_ps(ai, b0, c0x0);
    c0x8 = _mm256_fmadd_ps(ai, b8, c0x8);
    ai = _mm256_broadcast_ss(a + 1);
    c1x0 = _mm256_fmadd_ps(ai, b0, c1x0);
    c1x8 = _mm256_fmadd_ps(ai, b8, c1x8);
    ai = _mm256_broadcast_ss(a + 2);
    c2x0 = _mm256_fmadd_ps(ai, b0, c2x0);
    c2x8 = _mm256_fmadd_ps(ai, b8, c2x8);
    ai = _mm256_broadcast_ss(a + 3);
    c3x0 = _mm256_fmadd_ps(ai, b0, c3x0);
    c3x8 = _mm256_fmadd_ps(ai, b8, c3x8);
    ai = _mm256_broadcast_ss(a + 4);
    c4x0 = _mm256_fmadd_ps(ai, b0, c4x0);
    c4x8 = _mm256_fmadd_ps(ai, b8, c4x8);
    ai = _mm256_broadcast_ss(a + 5);
    c5x0 = _mm256_fmadd_ps(ai, b0, c5x0);
    c5x8 = _mm256_fmadd_ps(ai, b8, c5x8);
    a += kMr;
    b += kNr;
  }

  const __m256 valpha = _mm256_set1_ps(alpha);
  store_row(c + 0 * ldc, c0x0, c0x8, valpha, beta);
  store_row(c + 1 * ldc, c1x0, c1x8, valpha, beta);
  store_row(c + 2 * ldc, c2x0, c2x8, valpha, beta);
  store_row(c + 3 * ldc, c3x0, c3x8, valpha, beta);
  store_row(c + 4 * ldc, c4x0, c4x8, valpha, beta);
  store_row(c + 5 * ldc, c5x0, c5x8, valpha, beta);
}

}  // namespace

GemmUkernel gemm_ukernel() { return {kMr, kNr, kKc, kMc, kNc, gemm_f32_ukernel_6x16}; }

}  // namespace avx2
}  // namespace gn
