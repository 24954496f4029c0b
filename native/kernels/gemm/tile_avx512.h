// One row of the 32-column AVX-512 register tiles, shared by the GEMM micro-kernel
// (ukernel_avx512.cc, 8 rows) and the convolution's run kernel (conv/conv_ukernel_avx512.cc,
// 6 rows). Include it only from AVX-512 units (compiled with -mavx512f ...): the function lives
// in gn::avx512 like everything those units define.
#ifndef GRADNODE_KERNELS_GEMM_TILE_AVX512_H_
#define GRADNODE_KERNELS_GEMM_TILE_AVX512_H_

#include <immintrin.h>

namespace gn {
namespace avx512 {

// Row i of C (columns 0-15 in c0, 16-31 in c16) += A(i), read at a, times the B row (b0, b16).
inline void fma_row(const float* a, __m512 b0, __m512 b16, __m512& c0, __m512& c16) {
  const __m512 ai = _mm512_set1_ps(*a);
  c0 = _mm512_fmadd_ps(ai, b0, c0);
  c16 = _mm512_fmadd_ps(ai, b16, c16);
}

}  // namespace avx512
}  // namespace gn

#endif  // GRADNODE_KERNELS_GEMM_TILE_AVX512_H_
