// 2-D convolution (cross-correlation, as in PyTorch), NCHW, over the whole batch in one call.
//
//   x  [n, c_in, h, w]            input
//   w  [c_out, c_in / groups, kh, kw]
//   y  [n, c_out, oh, ow]         output
// Output pixel (i, j) of group g reads input rows i * stride_h - pad_h + r * dil_h and columns
// j * stride_w - pad_w + s * dil_w (r < kh, s < kw); positions outside the input read zero.
// pad_h / pad_w are the top / left pads; oh / ow are given, so asymmetric padding ('same' with even
// kernels) is expressed by the output size. Every kernel overwrites its output.
//
// Algorithms, chosen by shape only (conv2d.cc, conv2d_bwd_data.cc, conv2d_bwd_filter.cc):
//   Winograd F(2x2,3x3) for 3x3 / stride 1 / undilated / one group with enough channels
//     (conv_winograd.h; forward, backward-data through the rotated weights, backward-filter);
//   the pack-free convolution micro-kernel for stride 1 with few output channels (conv_direct.h);
//   implicit GEMM, im2col panels packed straight from padded samples (conv_igemm.h; forward,
//     stride-1 backward-data through the rotated weights, backward-filter);
//   col2im + GEMM for the other backward-data cases; 1x1 as a plain GEMM; depthwise: direct
//     per-plane kernels (depthwise.h).
// Weights are packed once per call. Work is split between threads by static partitions that
// depend on the sizes only; backward-filter sums per-chunk partials over a fixed partition of the
// batch in chunk order. Results are bitwise the same run to run and for any thread count.
#ifndef GRADNODE_KERNELS_CONV_CONV2D_H_
#define GRADNODE_KERNELS_CONV_CONV2D_H_

#include "../common.h"

namespace gn {

struct Conv2dShape {
  index_t n, c_in, h, w;
  index_t c_out, kh, kw;
  index_t oh, ow;
  index_t stride_h, stride_w;
  index_t pad_h, pad_w;
  index_t dil_h, dil_w;
  index_t groups;
};

// Checks sizes and parameters (all positive except pads >= 0, groups dividing both channel
// counts, element counts that fit in memory). On failure returns false and points *why at a
// static message.
bool conv2d_shape_valid(const Conv2dShape& s, const char** why);

inline index_t conv2d_x_size(const Conv2dShape& s) { return s.n * s.c_in * s.h * s.w; }
inline index_t conv2d_w_size(const Conv2dShape& s) { return s.c_out * (s.c_in / s.groups) * s.kh * s.kw; }
inline index_t conv2d_y_size(const Conv2dShape& s) { return s.n * s.c_out * s.oh * s.ow; }

// y = conv(x, w) + bias (bias [c_out] may be null).
void conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* bias, float* y);
// dx = gradient of the loss with respect to x, given dy.
void conv2d_backward_data(const Conv2dShape& s, const float* dy, const float* w, float* dx);
// dw = gradient with respect to w; dbias [c_out] (may be null) = sum of dy over n, oh, ow.
void conv2d_backward_filter(const Conv2dShape& s, const float* x, const float* dy, float* dw,
                            float* dbias);

}  // namespace gn

#endif  // GRADNODE_KERNELS_CONV_CONV2D_H_
