// Per-ISA pooling kernels, one plane per call; maxpool2d.cc and avgpool2d.cc run them over the
// planes. An ISA without them (nullptr) uses the baseline paths of those files.
//
// MaxPool2x2Kernels: 2x2 / stride-2 max pooling (is_2x2_stride2: every pooling layer of LeNet and
// VGG).
//
//   forward:  y and argmax of every window, by take_max's rule in row-major order (the first
//             maximum; the first NaN wins), the values of the baseline path bit for bit;
//   backward: every pixel of dx written: dy where it is its window's argmax, 0 elsewhere
//             (including the last row / column an odd size leaves outside every window); with a
//             gate (not null), dy counts only where gate > 0 (0 where it is not, or is NaN).
// Both handle rows of at least min_ow outputs; maxpool2d.cc calls backward only for rows of at
// least 8 (shorter ones scatter, which measured faster).
#ifndef GRADNODE_KERNELS_POOL_POOL_UKERNEL_H_
#define GRADNODE_KERNELS_POOL_POOL_UKERNEL_H_

#include <cstdint>

#include "pool2d.h"

namespace gn {

using MaxPool2x2ForwardFn = void (*)(const Pool2dShape& s, const float* x, float* y, std::int32_t* argmax);
using MaxPool2x2BackwardFn = void (*)(const Pool2dShape& s, const float* dy, const std::int32_t* argmax,
                                      const float* gate, float* dx);

// PoolWindowKernels: max and average forward for any window with a column stride of 1 or 2 (the
// ResNet stem's 3x3 / stride 2 / pad 1, 3x3 / stride 1): the values of the baseline's separable
// path bit for bit (argmax included). The average kernels' divisor follows count_include_pad as
// avgpool2d.cc's does; count: its column counts of the ow outputs (column_counts there).
// scratch: this thread's, 32-byte aligned (a kernel that needs none ignores it): for max_forward
// 4 * (len + 32) + 2 * kh * (ow + 7) floats, for avg_forward 4 * (len + 32), with
// len = (ow - 1) * stride_w + kw.
using PoolMaxForwardFn = void (*)(const Pool2dShape& s, const float* x, float* y, std::int32_t* argmax,
                                  float* scratch);
using PoolAvgForwardFn = void (*)(const Pool2dShape& s, const float* x, float* y, bool count_include_pad,
                                  const float* count, float* scratch);

// avg_backward: dx of average pooling (every pixel written), the baseline's bits; scratch:
// oh * (2 * w + kw + pad_w + 64) floats of this thread's, 32-byte aligned.
using PoolAvgBackwardFn = void (*)(const Pool2dShape& s, const float* dy, float* dx, bool count_include_pad,
                                   const float* count, float* scratch);

struct PoolWindowKernels {
  PoolMaxForwardFn max_forward[2];  // [column stride - 1]; nullptr where the baseline is faster
  PoolAvgForwardFn avg_forward[2];
  PoolAvgBackwardFn avg_backward[2];
};

struct MaxPool2x2Kernels {
  MaxPool2x2ForwardFn forward;
  MaxPool2x2BackwardFn backward;
  index_t min_ow;  // shortest row (outputs) the kernels handle
};

namespace avx2 {
MaxPool2x2Kernels maxpool2x2_kernels();
PoolWindowKernels pool_window_kernels();
}  // namespace avx2
namespace avx512 {
MaxPool2x2Kernels maxpool2x2_kernels();
PoolWindowKernels pool_window_kernels();
}  // namespace avx512

}  // namespace gn

#endif  // GRADNODE_KERNELS_POOL_POOL_UKERNEL_H_
