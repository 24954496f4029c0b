// Internal to the convolution kernels: layers with few output columns in all (Q = batch * oh * ow
// up to 128, more for deep layers: see conv_columns_applicable), the last layers of a VGG or
// ResNet at small batches, run as explicit column matrices and gn::sgemm for the forward and
// backward-data passes; so is the backward-data of deep layers with small planes, a chunk of
// samples at a time. Per group, with col(X) [K x Q] holding every sample of the chunk (sample n
// in columns n * P ..):
//   forward          Y [cg_out x Q]  = W [cg_out x K] * col(X)                (+ bias)
//   backward-data    dX             += col2im(W^T [K x cg_out] * dY [cg_out x Q])
// With so few columns these are products sgemm runs on its unpacked-A path or with short
// reductions, W read in place and the rows split between threads. The other engines pack all of W
// (or transform it, Winograd) for those few columns and split their work by blocks of columns, so
// with one block they ran on one thread. Measured (2-vCPU Xeon, AVX-512, 2 threads, one sample,
// 3x3 pad 1; forward / backward-data; npm run bench -- --only conv):
//   512 -> 512 at 4x4 +bias:  21.6 / 20.7 ms before (Winograd, its per-call filter transform then
//                             scalar), 2.6 / 3.6 ms on the implicit GEMM, 0.70 / 0.76 ms here
//                             (PyTorch 1.15 / 1.20)
//   256 -> 512 stride 2 at 4x4: 1.35 / 1.0 -> 0.15 / 0.36 ms (PyTorch 0.45 / 0.65)
// (backward-data with sgemm's rule for A^T spanning 4 MB, gemm.cc kSupMaxSpanA).
// With more columns the other engines win (64 -> 64 3x3 stride 2 at 32x32, Q = 256, forward:
// implicit GEMM 0.16 ms, this path 0.28 ms). Backward-filter stays on the implicit-GEMM engine:
// dY * col(X)^T, a reduction only Q long that writes all of dW, was 1.2-1.6x slower.
// The copies between the samples and the column layout (im2col_samples / col2im_samples_add,
// im2col.h) run row by row of the column matrix, threads splitting the input channels: 64 x 256 at
// 4x4 -> 512 at 2x2, 4x4 stride 2 (a DCGAN discriminator layer), forward / backward-data 9.0 / 9.3
// ms -> 5.5 / 4.9 ms (PyTorch 6.6 / 6.4), when they copied sample by sample on one thread.
// sgemm is bitwise the same for any thread count, and so are the copies (one writer per element,
// col2im's adds in the same order).
#ifndef GRADNODE_KERNELS_CONV_CONV_COLUMNS_H_
#define GRADNODE_KERNELS_CONV_CONV_COLUMNS_H_

#include "im2col.h"

namespace gn {

// Whether a pass takes this path: at most 128 output columns in all (layers with K = cg_in * kh *
// kw >= 1024: 400 for backward-data; K >= 1728: 256 for the forward), cg_out * ow >= 1024 (the
// GEMM's work per copied output row), and a column matrix of at most 16 MB; not 1x1 / stride 1 /
// unpadded layers (p.direct: plain GEMMs on X). The deep backward-data rule, measured (2 threads,
// col2im path or implicit GEMM -> here): 3x3 stride 2 16 x 256 at 8x8 (256 columns) 5.4 -> 3.1 ms, 8 x 256 at
// 14x14 (392) 6.0 -> 4.4 ms (PyTorch 4.2), 4 x 192 at 14x14 2.1 -> 1.3 ms, 4 x 128 at 16x16
// (K 1152) 0.92 -> 0.78 ms; 5x5 stride 1 8 x 384 at 7x7 18.2 -> 12.8 ms; but 8 x 128 at 16x16
// (512 columns) 1.49 -> 1.72 ms and 4 x 64 at 16x16 (K 576) 0.16 -> 0.21 ms. The forward pass gains less: 4 x 256 and 4 x 192 at 14x14 stride 2 (196
// columns) 3.15 -> 2.5 and 1.79 -> 1.53 ms, 16 x 256 at 8x8 (256) 3.18 -> 3.04 ms; but 4 x 128 at
// 16x16 (K 1152) 0.76 -> 0.87 ms, and at 392 columns 2 x 256 at 28x28 and 8 x 192 at 14x14 +9-12 %.
// Backward-data of layers with K >= 2048 and at most 512 output pixels per sample also takes it
// beyond those column counts, in chunks of samples of at most 512 columns (and 16 MB) each.
// Measured (2 threads, other engine -> here, ms): 4x4 stride 2 pad 1 (DCGAN discriminator) 64 x
// 128 at 8x8 -> 256 7.7 -> 4.9 (PyTorch 6.2), 64 x 256 at 8x8 -> 512 29.3 -> 17.0, 64 x 128 ->
// 128 3.9 -> 3.2 (left to the other engine: cg_out * ow = 512); 3x3 stride 2 32 x 512 at 8x8
// 19.5 -> 10.5, 16 x 256 at 14x14 -> 512 11.6 -> 8.1; 5x5 stride 1 8 x 256 at 14x14 25.1 -> 21.2;
// even: 32 x 256 at 16x16 stride 2 (11.1 -> 11.3); slower, so left out: K = 1024 / 1152 (64 x 64
// at 16x16 -> 128 4x4 stride 2 5.1 -> 5.6, 32 x 128 at 16x16 -> 256 3x3 stride 2 5.0 -> 5.8) and
// 784 pixels per sample (8 x 128 at 28x28 5x5 21.0 -> 22.5). Chunking the forward pass measured
// slower on all of these.
// 1x1 / stride 1 / unpadded layers (p.direct: a GEMM per sample on X in place, P columns each) with
// at least 512 input channels per group and at most 49 pixels per plane take it for the forward
// and backward-data passes too, in chunks of at most 512 columns (backward-filter, up to 16
// pixels, through conv_columns_filter_1x1). Measured (2 threads, per-sample GEMMs -> here,
// forward / backward-data / backward-filter, ms): 64 x 512 at 2x2 -> 512 1.78 / 3.04 / 4.4 ->
// 0.76 / 0.85 / 1.21 (PyTorch 1.14 / 1.26 / 2.49); 64 x 1024 at 2x2 -> 256 1.77 / 3.6 / 5.2 ->
// 0.91 / 1.0 / 1.3; 8 x 512 at 7x7 -> 2048 5.0 / 5.0 -> 3.5 / 4.0; 16 x 2048 at 7x7 -> 512 9.4 /
// 10.1 -> 7.8 / 7.6. Slower, so left out: 128 or fewer channels (64 x 128 at 8x8 0.65 -> 1.0),
// 196 pixels (8 x 1024 at 14x14 -> 256 3.5 -> 4.3); 256 channels at 4x4 measured even.
bool conv_columns_applicable(const Conv2dShape& s, const ConvPlan& p, bool backward_data);
// Whether this path goes before Winograd (3x3 stride 1 layers both could take): backward-data
// below 64 tiles (n * ceil(oh / 2) * ceil(ow / 2)), or below 128 with K >= 4096; the forward
// below 48 tiles with K >= 2048. Measured (2 threads, Winograd -> here, ms), backward-data: 32
// tiles 8 x 512 at 4x4 4.0 -> 2.6, 8 x 256 at 4x4 1.1 -> 0.65, 2 x 128 at 8x8 0.27 -> 0.19; 48-49
// tiles 12 x 512 at 4x4 5.5 -> 3.8, 1 x 512 at 14x14 5.2 -> 4.1, 3 x 256 at 8x8 1.22 -> 1.00;
// 64 tiles 16 x 512 at 4x4 5.5 -> 4.9, 4 x 512 at 7x7 4.95 -> 4.25, but 4 x 256 at 7x7 1.21 ->
// 1.15, 16 x 256 at 4x4 even, 4 x 128 at 8x8 0.32 -> 0.37 (so K >= 4096); from 98 tiles Winograd
// (2 x 256 at 14x14 1.83 against 2.0, 32 x 512 at 4x4 8.8 against 9.6). Forward: 32 tiles 8 x 512
// at 4x4 3.3 -> 2.9, 2 x 512 at 7x7 3.05 -> 2.6, 8 x 256 at 4x4 0.94-1.05 -> 0.90, but 2 x 128
// at 8x8 0.23-0.25 -> 0.26; from 48 tiles Winograd (12 x 512 at 4x4 even, 1 x 256 at 14x14 0.97
// against 1.46).
bool conv_columns_before_winograd(const Conv2dShape& s, const ConvPlan& p, bool backward_data);

// Backward-filter of the 1x1 layers that take this path (p.direct, see columns_chunk): dW_g =
// dY_g * X_g^T over the samples n0 .. n1-1 of one backward-filter chunk (conv2d_bwd_filter.cc),
// as products over column matrices of up to conv_columns_filter_chunk samples each, the first
// writing dw, the rest adding to it (a partition fixed by the shape). col: this thread's buffer of
// conv_columns_filter_floats floats. The per-sample products it replaces reduce over only P
// pixels each and re-read all of dW per sample. conv_columns_filter_chunk is 0 for other layers.
index_t conv_columns_filter_chunk(const Conv2dShape& s, const ConvPlan& p);
index_t conv_columns_filter_floats(const Conv2dShape& s, const ConvPlan& p);
void conv_columns_filter_1x1(const Conv2dShape& s, const ConvPlan& p, const float* x, const float* dy, index_t n0,
                             index_t n1, float* dw, float* col);

void conv_columns_forward(const Conv2dShape& s, const ConvPlan& p, const float* x, const float* w,
                          const float* bias, float* y);
void conv_columns_backward_data(const Conv2dShape& s, const ConvPlan& p, const float* dy, const float* w,
                                float* dx);

// The window is the whole input plane (kh == h, kw == w, no padding, one output pixel: the heads
// of DCGAN discriminators, fully connected layers written as convolutions, 1x1 layers on 1x1
// planes). Then X, read as [n x c_in*h*w], is already every sample's column matrix and each pass
// is one sgemm per group over the whole batch, with Y and dY read as [n x c_out]:
//   forward          Y_g  = X_g * W_g^T (+ bias: sgemm's epilogue)
//   backward-data    dX_g = dY_g * W_g
//   backward-filter  dW_g = dY_g^T * X_g, dbias = the column sums of dY (in sample order)
// Not for depthwise layers (their own kernels). Measured (2-vCPU Xeon, 2 threads, from node,
// forward / backward-data / backward-filter; before, the other engines):
//   64 x 256 at 4x4 -> 1:    1194 / 89 / 345 us -> 24 / 21 / 37 us (PyTorch 524 / 1080 / 603)
//   64 x 400 at 1x1 -> 120:  2490 / 348 / 500 us (one GEMM per sample) -> 37 / 29 / 31 us
//   8 x 1024 at 2x2 -> 512:  2.5 / 4.7 / 0.67 ms -> 0.43 / 0.50 / 0.52 ms (PyTorch 1.5 / 1.4 / 6.7)
// (with sgemm's small path for one column and for outer products, gemm.cc).
bool conv_whole_plane(const Conv2dShape& s);
void conv_whole_plane_forward(const Conv2dShape& s, const float* x, const float* w, const float* bias, float* y);
void conv_whole_plane_backward_data(const Conv2dShape& s, const float* dy, const float* w, float* dx);
void conv_whole_plane_backward_filter(const Conv2dShape& s, const float* x, const float* dy, float* dw,
                                      float* dbias);

}  // namespace gn

#endif  // GRADNODE_KERNELS_CONV_CONV_COLUMNS_H_
