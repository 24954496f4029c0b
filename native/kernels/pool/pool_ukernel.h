// Per-ISA kernels for 2x2 / stride-2 max pooling (is_2x2_stride2: every pooling layer of LeNet and
// VGG), one plane per call; maxpool2d.cc runs them over the planes. An ISA without them (nullptr)
// uses maxpool2d.cc's baseline SSE2 paths.
//
//   forward:  y and argmax of every window, by take_max's rule in row-major order (the first
//             maximum; the first NaN wins), the values of the baseline path bit for bit;
//   backward: every pixel of dx written: dy where it is its window's argmax, 0 elsewhere
//             (including the last row / column an odd size leaves outside every window).
// Both handle rows of at least min_ow outputs; maxpool2d.cc calls backward only for rows of at
// least 8 (shorter ones scatter, which measured faster).
#ifndef GRADNODE_KERNELS_POOL_POOL_UKERNEL_H_
#define GRADNODE_KERNELS_POOL_POOL_UKERNEL_H_

#include <cstdint>

#include "pool2d.h"

namespace gn {

using MaxPool2x2ForwardFn = void (*)(const Pool2dShape& s, const float* x, float* y, std::int32_t* argmax);
using MaxPool2x2BackwardFn = void (*)(const Pool2dShape& s, const float* dy, const std::int32_t* argmax,
                                      float* dx);

struct MaxPool2x2Kernels {
  MaxPool2x2ForwardFn forward;
  MaxPool2x2BackwardFn backward;
  index_t min_ow;  // shortest row (outputs) the kernels handle
};

namespace avx2 { MaxPool2x2Kernels maxpool2x2_kernels(); }
namespace avx512 { MaxPool2x2Kernels maxpool2x2_kernels(); }

}  // namespace gn

#endif  // GRADNODE_KERNELS_POOL_POOL_UKERNEL_H_
