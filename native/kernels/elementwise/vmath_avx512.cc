// AVX-512 build of the vectorised elementwise math (vmath_impl.inc), compiled with the AVX-512
// F/BW/DQ/VL flags of native/sources.gypi. Not executable on the development machine (Zen3): its
// tests run only where the CPU has AVX-512.
//
// Include only C headers and the project's per-ISA-safe headers here (KERNELS.md §6.5).
#include <immintrin.h>  // exp_v16 (vmath_impl.inc), the reductions of norm/batchnorm_rows.inc
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "vmath.h"

namespace gn {
namespace avx512 {
#include "vmath_impl.inc"
}  // namespace avx512
}  // namespace gn
