// Convolution micro-kernel (conv_ukernel.h) for AVX2 + FMA: the GEMM's 6x16 register tile
// (gemm/ukernel_avx2.cc) with each B row loaded from b + off[p]. Per k step: 1 offset load, 2
// unaligned loads of B, 6 broadcasts of A, 12 FMAs.
//
// ISA unit (compiled with -mavx2 -mfma): everything lives in gn::avx2, helpers in an anonymous
// namespace, and only intrinsics and project headers are included (KERNELS.md §6.5).
#include <immintrin.h>

#include "conv_ukernel.h"

namespace gn {
namespace avx2 {
namespace {

constexpr int kMr = 6;
constexpr int kNr = 16;

inline void store_row(float* c, __m256 acc0, __m256 acc1, float beta) {
  if (beta == 0.f) {
    _mm256_storeu_ps(c, acc0);
    _mm256_storeu_ps(c + 8, acc1);
  } else {
    _mm256_storeu_ps(c, _mm256_add_ps(acc0, _mm256_loadu_ps(c)));
    _mm256_storeu_ps(c + 8, _mm256_add_ps(acc1, _mm256_loadu_ps(c + 8)));
  }
}

// conv_f32_ukernel_6x16__avx2_fma
void conv_f32_ukernel_6x16(index_t kc, const float* GN_RESTRICT a, const float* GN_RESTRICT b,
                           const index_t* GN_RESTRICT off, float* GN_RESTRICT c, index_t ldc,
                           float beta) {
  __m256 c0x0 = _mm256_setzero_ps(), c0x8 = _mm256_setzero_ps();
  __m256 c1x0 = _mm256_setzero_ps(), c1x8 = _mm256_setzero_ps();
  __m256 c2x0 = _mm256_setzero_ps(), c2x8 = _mm256_setzero_ps();
  __m256 c3x0 = _mm256_setzero_ps(), c3x8 = _mm256_setzero_ps();
  __m256 c4x0 = _mm256_setzero_ps(), c4x8 = _mm256_setzero_ps();
  __m256 c5x0 = _mm256_setzero_ps(), c5x8 = _mm256_setzero_ps();

#pragma GCC unroll 4
  for (index_t p = 0; p < kc; ++p) {
    const float* bp = b + off[p];
    const __m256 b0 = _mm256_loadu_ps(bp);
    const __m256 b8 = _mm256_loadu_ps(bp + 8);
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
  }

  store_row(c + 0 * ldc, c0x0, c0x8, beta);
  store_row(c + 1 * ldc, c1x0, c1x8, beta);
  store_row(c + 2 * ldc, c2x0, c2x8, beta);
  store_row(c + 3 * ldc, c3x0, c3x8, beta);
  store_row(c + 4 * ldc, c4x0, c4x8, beta);
  store_row(c + 5 * ldc, c5x0, c5x8, beta);
}

}  // namespace

ConvUkernel conv_ukernel() { return {kMr, kNr, conv_f32_ukernel_6x16}; }

}  // namespace avx2
}  // namespace gn
