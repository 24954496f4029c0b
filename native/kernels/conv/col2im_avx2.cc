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
// deinterleave and interleave: ../lanes_avx2.h.

}  // namespace

#include "col2im_impl.inc"

}  // namespace avx2
}  // namespace gn
