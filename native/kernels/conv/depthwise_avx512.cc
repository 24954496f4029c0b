// AVX-512 build of the depthwise convolution kernels (depthwise_impl.inc), compiled with
// -mavx512f -mavx512bw -mavx512dq -mavx512vl (native/sources.gypi): one zmm per chunk of 16 outputs.
//
// Include only C headers and the project's per-ISA-safe headers here (KERNELS.md §6.5).
#include <string.h>

#include "depthwise.h"

namespace gn {
namespace avx512 {
#include "depthwise_impl.inc"
}  // namespace avx512
}  // namespace gn
