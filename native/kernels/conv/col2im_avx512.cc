// AVX-512 build of the flat col2im (col2im_impl.inc): 16 lanes, masked loads and stores with
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
inline void vstore(Mask m, float* p, V v) { _mm512_mask_storeu_ps(p, m, v); }
inline V vadd(V a, V b) { return _mm512_add_ps(a, b); }

}  // namespace

#include "col2im_impl.inc"

}  // namespace avx512
}  // namespace gn
