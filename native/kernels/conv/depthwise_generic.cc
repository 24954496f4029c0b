// Baseline build of the depthwise convolution kernels (depthwise_impl.inc): SSE2 on x86-64, NEON
// (the aarch64 baseline) elsewhere. No -m flags.
//
// Include only C headers and the project's per-ISA-safe headers here (KERNELS.md §6.5).
#include <string.h>

#include "depthwise.h"

namespace gn {
namespace generic {
#include "depthwise_impl.inc"
}  // namespace generic
}  // namespace gn
