// STUB
#include "pool2d.h"
namespace gn {
bool pool2d_shape_valid(const Pool2dShape&, const char**) { return true; }
void maxpool2d_forward(const Pool2dShape&, const float*, float*, std::int32_t*) {}
void maxpool2d_backward(const Pool2dShape&, const float*, const std::int32_t*, float*) {}
void avgpool2d_forward(const Pool2dShape&, const float*, float*, bool) {}
void avgpool2d_backward(const Pool2dShape&, const float*, float*, bool) {}
}
