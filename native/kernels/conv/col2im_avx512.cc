// AVX-512 build of col2im's kernels (col2im_impl.inc): 16 lanes, masked loads and stores with
// __mmask16, compiled with -mavx512f -mavx512bw -mavx512dq -mavx512vl (native/sources.gypi).
//
// ISA unit: everything lives in gn::avx512, helpers in an anonymous namespace, and only intrinsics,
// C headers and project headers are included (KERNELS.md §6.5).
#include <immintrin.h>
#include <stdint.h>

#include "col2im_ukernel.h"

namespace gn {
namespace avx512 {
namespace {

constexpr index_t kL = 16;
typedef uint16_t Mask;
typedef __m512 V;
inline V vload(Mask m, const float* p) { return _mm512_maskz_loadu_ps(m, p); }
typedef Mask VM;
inline VM vmask(Mask m) { return m; }
inline V vmload(VM m, const float* p) { return vload(m, p); }
inline V vloadu(const float* p) { return _mm512_loadu_ps(p); }
inline void vstoreu(float* p, V v) { _mm512_storeu_ps(p, v); }
inline void vstore(Mask m, float* p, V v) { _mm512_mask_storeu_ps(p, m, v); }
inline V vadd(V a, V b) { return _mm512_add_ps(a, b); }
inline void deinterleave(V lo, V hi, V* even, V* odd) {
  const __m512i e = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  *even = _mm512_permutex2var_ps(lo, e, hi);
  *odd = _mm512_permutex2var_ps(lo, _mm512_add_epi32(e, _mm512_set1_epi32(1)), hi);
}
inline void interleave(V even, V odd, V* lo, V* hi) {
  const __m512i l = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  *lo = _mm512_permutex2var_ps(even, l, odd);
  *hi = _mm512_permutex2var_ps(even, _mm512_add_epi32(l, _mm512_set1_epi32(8)), odd);
}

}  // namespace

#include "col2im_impl.inc"

}  // namespace avx512
}  // namespace gn
