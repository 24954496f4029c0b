// STUB
#include "vmath.h"
namespace gn {
namespace avx2 {
VmathKernels vmath_kernels() { return {}; }
}  // namespace avx2
}  // namespace gn
