// AVX2 + FMA build of the depthwise convolution kernels (depthwise_impl.inc), compiled with
// -mavx2 -mfma (native/sources.gypi).
//
// Include only C headers and the project's per-ISA-safe headers here (KERNELS.md §6.5).
#include <string.h>

#include "depthwise.h"

namespace gn {
namespace avx2 {
#include "depthwise_impl.inc"
}  // namespace avx2
}  // namespace gn
