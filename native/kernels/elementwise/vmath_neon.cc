// STUB
#include "vmath.h"
namespace gn {
namespace neon {
VmathKernels vmath_kernels() { return {}; }
}  // namespace neon
}  // namespace gn
