// STUB
#include "vmath.h"
namespace gn {
namespace avx512 {
VmathKernels vmath_kernels() { return {}; }
}  // namespace avx512
}  // namespace gn
