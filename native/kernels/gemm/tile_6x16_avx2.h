// The k step of the 6 x 16 register tile for AVX2 + FMA, shared by the GEMM micro-kernels
// (ukernel_avx2.cc: packed and unpacked A) and the convolution's channel kernel
// (conv/conv_ukernel_avx2.cc). Include it only from AVX2 units (compiled with -mavx2 -mfma): the
// function lives in gn::avx2 like everything those units define.
#ifndef GRADNODE_KERNELS_GEMM_TILE_6X16_AVX2_H_
#define GRADNODE_KERNELS_GEMM_TILE_6X16_AVX2_H_

#include <immintrin.h>

namespace gn {
namespace avx2 {

// Row i of C (two vectors) += A(i) * the 16 floats of B at b, A(i) read at ai. Twelve named
// accumulators rather than an array: with an array GCC kept the GEMM kernel's tile on the stack
// (107 spills).
inline void step_6x16(const float* b, const float* a0, const float* a1, const float* a2,
                      const float* a3, const float* a4, const float* a5, __m256& c0x0, __m256& c0x8,
                      __m256& c1x0, __m256& c1x8, __m256& c2x0, __m256& c2x8, __m256& c3x0,
                      __m256& c3x8, __m256& c4x0, __m256& c4x8, __m256& c5x0, __m256& c5x8) {
  const __m256 b0 = _mm256_loadu_ps(b);
  const __m256 b8 = _mm256_loadu_ps(b + 8);
  __m256 ai;
  ai = _mm256_broadcast_ss(a0);
  c0x0 = _mm256_fmadd_ps(ai, b0, c0x0);
  c0x8 = _mm256_fmadd_ps(ai, b8, c0x8);
  ai = _mm256_broadcast_ss(a1);
  c1x0 = _mm256_fmadd_ps(ai, b0, c1x0);
  c1x8 = _mm256_fmadd_ps(ai, b8, c1x8);
  ai = _mm256_broadcast_ss(a2);
  c2x0 = _mm256_fmadd_ps(ai, b0, c2x0);
  c2x8 = _mm256_fmadd_ps(ai, b8, c2x8);
  ai = _mm256_broadcast_ss(a3);
  c3x0 = _mm256_fmadd_ps(ai, b0, c3x0);
  c3x8 = _mm256_fmadd_ps(ai, b8, c3x8);
  ai = _mm256_broadcast_ss(a4);
  c4x0 = _mm256_fmadd_ps(ai, b0, c4x0);
  c4x8 = _mm256_fmadd_ps(ai, b8, c4x8);
  ai = _mm256_broadcast_ss(a5);
  c5x0 = _mm256_fmadd_ps(ai, b0, c5x0);
  c5x8 = _mm256_fmadd_ps(ai, b8, c5x8);
}

}  // namespace avx2
}  // namespace gn

#endif  // GRADNODE_KERNELS_GEMM_TILE_6X16_AVX2_H_
