// aarch64 build of the vectorised elementwise math (vmath_impl.inc): Advanced SIMD with FMA, part of
// the ARMv8-A baseline.
//
// Include only C headers and the project's per-ISA-safe headers here (KERNELS.md §6.5).
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "vmath.h"

namespace gn {
namespace neon {
#include "vmath_impl.inc"
}  // namespace neon
}  // namespace gn
