// AVX2 build of col2im's kernels (col2im_impl.inc): 8 lanes, vmaskmovps loads, piecewise stores, the
// lane masks expanded from 8-bit masks, compiled with -mavx2 -mfma (native/sources.gypi).
//
// ISA unit: everything lives in gn::avx2, helpers in an anonymous namespace, and only intrinsics,
// C headers and project headers are included (KERNELS.md §6.5).
#include <immintrin.h>
#include <stdint.h>

#include "../lanes_avx2.h"
#include "col2im_ukernel.h"

namespace gn {
namespace avx2 {
namespace {

constexpr index_t kL = 8;
typedef uint8_t Mask;
typedef __m256 V;
inline __m256i lanes(Mask m) {
  const __m256i bits = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
  return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(m), bits), bits);
}
inline V vload(Mask m, const float* p) { return _mm256_maskload_ps(p, lanes(m)); }
typedef __m256i VM;
inline VM vmask(Mask m) { return lanes(m); }
inline V vmload(VM m, const float* p) { return _mm256_maskload_ps(p, m); }
inline V vloadu(const float* p) { return _mm256_loadu_ps(p); }
inline void vstoreu(float* p, V v) { _mm256_storeu_ps(p, v); }
// The stores' masks are whole or a prefix (col2im_impl.inc: kFull or dlast), so a lane count says
// which; see ../lanes_avx2.h for why not vmaskmovps.
inline void vstore(Mask m, float* p, V v) { store_first(p, v, __builtin_popcount(m)); }
inline V vadd(V a, V b) { return _mm256_add_ps(a, b); }
inline void deinterleave(V lo, V hi, V* even, V* odd) {
  // lo0 lo2 hi0 hi2 | lo4 lo6 hi4 hi6, then the 64-bit pairs in the order 0 2 1 3
  const __m256d e = _mm256_castps_pd(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0)));
  const __m256d o = _mm256_castps_pd(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1)));
  *even = _mm256_castpd_ps(_mm256_permute4x64_pd(e, _MM_SHUFFLE(3, 1, 2, 0)));
  *odd = _mm256_castpd_ps(_mm256_permute4x64_pd(o, _MM_SHUFFLE(3, 1, 2, 0)));
}
inline void interleave(V even, V odd, V* lo, V* hi) {
  const __m256 a = _mm256_unpacklo_ps(even, odd);  // e0 o0 e1 o1 | e4 o4 e5 o5
  const __m256 b = _mm256_unpackhi_ps(even, odd);  // e2 o2 e3 o3 | e6 o6 e7 o7
  *lo = _mm256_permute2f128_ps(a, b, 0x20);
  *hi = _mm256_permute2f128_ps(a, b, 0x31);
}

}  // namespace

#include "col2im_impl.inc"

}  // namespace avx2
}  // namespace gn
