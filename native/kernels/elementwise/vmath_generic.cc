// Baseline build of the vectorised elementwise math (vmath_impl.inc): SSE2 on x86-64, NEON (the
// aarch64 baseline) elsewhere. No -m flags.
//
// Include only C headers and the project's per-ISA-safe headers here (KERNELS.md §6.5).
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "vmath.h"

namespace gn {
namespace generic {
#include "vmath_impl.inc"
}  // namespace generic
}  // namespace gn
