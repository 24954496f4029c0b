// AVX2 + FMA build of the vectorised elementwise math (vmath_impl.inc), compiled with -mavx2 -mfma
// (native/sources.gypi): 8-float vectors, FMA in the polynomials.
//
// Include only C headers and the project's per-ISA-safe headers here (KERNELS.md §6.5).
#include <immintrin.h>  // the AVX2 reductions of norm/batchnorm_rows.inc
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "vmath.h"

namespace gn {
namespace avx2 {
#include "vmath_impl.inc"
}  // namespace avx2
}  // namespace gn
