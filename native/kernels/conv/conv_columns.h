// Internal to the convolution kernels: layers with few output columns in all (batch * oh * ow, at
// most 128: the deep, small-plane layers at the end of a VGG or ResNet, at small batches), run as
// explicit column matrices and gn::sgemm for the three passes. Per group, with Q = batch * oh * ow
// and col(X) [K x Q] holding every sample (sample n in columns n * P .. (n + 1) * P - 1):
//   forward          Y [cg_out x Q]  = W [cg_out x K] * col(X)                (+ bias)
//   backward-data    dX             += col2im(W^T [K x cg_out] * dY [cg_out x Q])
//   backward-filter  dW [cg_out x K] = dY [cg_out x Q] * col(X)^T             (dbias: rows of dY)
// With so few columns these are products sgemm runs on its unpacked-A path or with short
// reductions, W read in place and the rows split between threads. The other engines pack all of W
// (or transform it, Winograd) for those few columns and split their work by blocks of columns, so
// with one block they ran on one thread. Measured (2-vCPU Xeon, AVX-512, 2 threads, one sample,
// 3x3 pad 1; forward / backward-data / backward-filter; npm run bench -- --only conv):
//   512 -> 512 at 4x4 +bias:  21.6 / 20.7 / 3.75 ms before (Winograd, its per-call filter transform
//                             then scalar), 2.6 / 3.6 / 3.6 ms on the implicit GEMM and the Winograd
//                             backward-filter, 0.70 / 0.76 / 0.57 ms here (PyTorch 1.15 / 1.20 / 1.05)
//   256 -> 512 stride 2 at 4x4: 1.35 / 1.0 / 0.23 -> 0.15 / 0.36 / 0.21 ms (PyTorch 0.45 / 0.65 / 0.52)
// (backward-data with sgemm's rule for A^T with long rows, gemm.cc kSupMaxStrideA).
// With more columns the other engines win (64 -> 64 3x3 stride 2 at 32x32, Q = 256, forward:
// implicit GEMM 0.16 ms, this path 0.28 ms). sgemm is bitwise the same for any thread count, and
// the reductions here do not depend on it either.
#ifndef GRADNODE_KERNELS_CONV_CONV_COLUMNS_H_
#define GRADNODE_KERNELS_CONV_CONV_COLUMNS_H_

#include "im2col.h"

namespace gn {

// Whether the forward and backward-data passes take this path: at most 128 output columns in all
// and a column matrix of at most 16 MB. Not for 1x1 / stride 1 / unpadded layers (p.direct: plain
// GEMMs on X).
bool conv_columns_applicable(const Conv2dShape& s, const ConvPlan& p);
// Backward-filter: the same, or up to 512 columns with at least 128 input channels per group,
// where the Winograd backward-filter's per-call output transform (16 m x c matrices) outweighs
// what it saves. Measured (2 threads, 3x3 pad 1, Winograd -> here): 4 x 128 -> 128 at 8x8 0.60
// -> 0.50 ms, 4 x 256 at 8x8 2.3 -> 1.45 ms, 2 x 256 at 14x14 (392 columns) 3.4 -> 2.2 ms, 16 x
// 512 at 4x4 9.0 -> 5.5 ms (PyTorch 1.05 / 1.74 / 2.25 / 11.4 ms); 8 x 128 at 8x8 (512) even;
// with 64 channels Winograd stays ahead (8 x 64 at 8x8 0.29 vs 0.37 ms).
bool conv_columns_filter_applicable(const Conv2dShape& s, const ConvPlan& p);

void conv_columns_forward(const Conv2dShape& s, const ConvPlan& p, const float* x, const float* w,
                          const float* bias, float* y);
void conv_columns_backward_data(const Conv2dShape& s, const ConvPlan& p, const float* dy, const float* w,
                                float* dx);
// dbias may be null.
void conv_columns_backward_filter(const Conv2dShape& s, const ConvPlan& p, const float* x, const float* dy,
                                  float* dw, float* dbias);

}  // namespace gn

#endif  // GRADNODE_KERNELS_CONV_CONV_COLUMNS_H_
