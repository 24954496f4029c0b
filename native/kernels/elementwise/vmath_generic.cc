// STUB
#include "vmath.h"
namespace gn {
namespace generic {
VmathKernels vmath_kernels() { return {}; }
}  // namespace generic
}  // namespace gn
