// Depthwise convolution: groups == c_in, one input channel per group and cg_out = c_out / c_in
// output channels per group (the channel multiplier, mostly 1), as in MobileNet. Each plane is
// convolved directly, without im2col, by per-ISA kernels (depthwise_impl.inc) driven from
// depthwise.cc: the input plane is copied once into a zero-padded buffer, after which every tap of
// every output is in range, and 16 outputs of a row accumulate all their taps in registers.
// Backward-data is the same kernel on the padded dY with the weights rotated when the stride is 1;
// otherwise dX rows are split into column phases (x mod stride), each tap and dY row one
// contiguous multiply-add over the phase it reaches (a scatter through the weights for strides
// beyond 8). Backward-filter sums, per tap, dY times the shifted padded input over the batch.
// Planes (forward, backward-data) or channels (backward-filter, the batch summed in order) are
// split between threads, so results are bitwise the same for any thread count.
#ifndef GRADNODE_KERNELS_CONV_DEPTHWISE_H_
#define GRADNODE_KERNELS_CONV_DEPTHWISE_H_

#include "../common.h"

namespace gn {

struct Conv2dShape;  // conv2d.h (not included: this header is also compiled per ISA)

// im2col.h's (defined in the baseline im2col.cc; the strided backward-data calls it): outputs j of
// 0 .. n_out whose input position j * stride + off lies in [0, n_in), as [*lo, *hi).
void conv_valid_range(index_t off, index_t stride, index_t n_in, index_t n_out, index_t* lo, index_t* hi);

// One plane's geometry (conv2d.h's fields), mult = c_out / c_in.
struct DepthwisePlane {
  index_t h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw, mult;
};

// Floats of the per-thread buffer the kernels below need.
index_t depthwise_buffer_floats(const DepthwisePlane& g);

struct DepthwiseKernels {
  // y [mult, oh, ow] = the taps w [mult, kh, kw] over x [h, w], + bias [mult] (may be null).
  void (*forward)(const DepthwisePlane& g, const float* x, const float* w, const float* bias, float* y, float* buf);
  // dx [h, w] = the gradient from dy [mult, oh, ow] through w [mult, kh, kw].
  void (*backward_data)(const DepthwisePlane& g, const float* dy, const float* w, float* dx, float* buf);
  // dw [mult, kh, kw] += dy [mult, oh, ow] against x [h, w]; dbias [mult] += sum dy (may be null).
  void (*backward_filter)(const DepthwisePlane& g, const float* x, const float* dy, float* dw, float* dbias, float* buf);
};

namespace generic { DepthwiseKernels depthwise_kernels(); }
namespace avx2 { DepthwiseKernels depthwise_kernels(); }
namespace avx512 { DepthwiseKernels depthwise_kernels(); }

bool conv_is_depthwise(const Conv2dShape& s);
void depthwise_forward(const Conv2dShape& s, const float* x, const float* w, const float* bias, float* y);
void depthwise_backward_data(const Conv2dShape& s, const float* dy, const float* w, float* dx);
void depthwise_backward_filter(const Conv2dShape& s, const float* x, const float* dy, float* dw, float* dbias);

}  // namespace gn

#endif  // GRADNODE_KERNELS_CONV_DEPTHWISE_H_
