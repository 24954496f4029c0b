// 2-D max and average pooling, NCHW, over the whole batch in one call.
//
//   x [n, c, h, w] -> y [n, c, oh, ow]
// Window (i, j) covers input rows i * stride_h - pad_h .. + kh - 1 and columns
// j * stride_w - pad_w .. + kw - 1. oh / ow are given (so ceil_mode is the caller's choice).
//
// Max pooling ignores padding, takes the first maximum in row-major window order and propagates NaN
// (a NaN is the maximum). argmax holds, for every output, the index of the chosen input inside its
// (h x w) plane; backward scatters dy there (accumulating where windows overlap). Backward expects
// the argmax of the forward pass: an index outside its own window (but inside the plane) may be
// dropped (the 2x2 / stride-2 path writes dx window by window).
// Average pooling follows PyTorch: the window is clipped to the padded input; with
// count_include_pad the divisor is that clipped size, otherwise the number of real input pixels.
#ifndef GRADNODE_KERNELS_POOL_POOL2D_H_
#define GRADNODE_KERNELS_POOL_POOL2D_H_

#include "../common.h"

namespace gn {

struct Pool2dShape {
  index_t n, c, h, w;
  index_t oh, ow;
  index_t kh, kw;
  index_t stride_h, stride_w;
  index_t pad_h, pad_w;
};

// Checks sizes and parameters (positive sizes and strides, 0 <= pad <= k / 2 as PyTorch requires,
// every window overlapping the input). On failure returns false with a static message in *why.
bool pool2d_shape_valid(const Pool2dShape& s, const char** why);

void maxpool2d_forward(const Pool2dShape& s, const float* x, float* y, std::int32_t* argmax);
// dx[argmax] += dy per plane, dx overwritten first. gate (null, or one value per output): dy counts
// only where gate > 0, i.e. times the derivative of a ReLU whose output is gate (maxPool2d(relu(x))
// computed as relu(maxPool2d(x)), ops/pool.ts). argmax may come from untrusted memory: every index
// is checked (inside [0, h * w)) before dx is touched; returns false, dx untouched, when one is not.
bool maxpool2d_backward(const Pool2dShape& s, const float* dy, const std::int32_t* argmax, const float* gate,
                        float* dx);
void avgpool2d_forward(const Pool2dShape& s, const float* x, float* y, bool count_include_pad);
// dx is overwritten.
void avgpool2d_backward(const Pool2dShape& s, const float* dy, float* dx, bool count_include_pad);

}  // namespace gn

#endif  // GRADNODE_KERNELS_POOL_POOL2D_H_
