// Internal to the convolution kernels: the im2col / col2im tiles and the per-call plan shared by
// the forward, backward-data and backward-filter passes (conv2d.cc, conv2d_bwd_data.cc,
// conv2d_bwd_filter.cc). Not part of the kernel API.
//
// Per sample n and group g, with K = (c_in / groups) * kh * kw and P = oh * ow:
//   col(X_n,g)  [K x P]   row (ci, r, s), column (i, j): x[ci][i*stride_h - pad_h + r*dil_h]
//                                                          [j*stride_w - pad_w + s*dil_w] or 0
//   forward     Y_n,g  [c_out/g x P] = W_g [c_out/g x K] * col(X_n,g)
//   bwd-data    dX_n,g += col2im(W_g^T * dY_n,g)
//   bwd-filter  dW_g   += dY_n,g * col(X_n,g)^T
// Backward-data's per-sample path computes its column matrix one tile of output pixels at a time
// (ConvPlan::tile columns), so the buffer stays around 256 KB and L2-resident, and scatters each
// tile with col2im_tile_add; the column-matrix path (conv_columns.h) gathers and scatters whole
// batches with im2col_samples / col2im_samples_add.
#ifndef GRADNODE_KERNELS_CONV_IM2COL_H_
#define GRADNODE_KERNELS_CONV_IM2COL_H_

#include "../common.h"
#include "conv2d.h"
#include "conv_igemm.h"

namespace gn {

// Geometry of one group of one sample: c channels of an h x w plane producing oh x ow outputs.
struct Im2colGeom {
  index_t c, h, w;
  index_t kh, kw, oh, ow;
  index_t stride_h, stride_w, pad_h, pad_w, dil_h, dil_w;
};

// Output positions j (of 0 .. n_out) whose input position j * stride + off lies in [0, n_in):
// [*lo, *hi). Used for both rows and columns.
void conv_valid_range(index_t off, index_t stride, index_t n_in, index_t n_out, index_t* lo, index_t* hi);

// The adjoint of im2col on a tile of output pixels p0 .. p0 + count - 1 (numbered row-major over
// oh x ow): dx[c][h][w] += the entries of col [c*kh*kw][count] (row stride ld >= count) at the
// input positions they were gathered from. col is clobbered (entries of taps outside the input may
// be zeroed).
void col2im_tile_add(const Im2colGeom& g, float* col, index_t p0, index_t count, float* dx, index_t ld);

// Column matrices of several samples side by side (sample b in columns b * oh * ow ..), channels
// c0 .. c1-1 only (threads split the channels): x / dx planes of sample b at b * x_stride. Column
// t of a sample is the receptive field of its output pixel t; taps outside the input are 0. Each
// row of col is gathered (scattered) front to back across the samples.
void im2col_samples(const Im2colGeom& g, const float* x, index_t x_stride, index_t ns, index_t c0, index_t c1,
                    float* col, index_t ld);
void col2im_samples_add(const Im2colGeom& g, const float* col, index_t ld, index_t ns, index_t c0, index_t c1,
                        float* dx, index_t dx_stride);

struct ConvPlan {
  index_t cg_in, cg_out;  // channels per group
  index_t K;              // cg_in * kh * kw: GEMM reduction length of the forward pass
  index_t P;              // oh * ow output pixels per channel
  index_t hw;             // h * w input pixels per channel
  // 1x1, stride 1, no padding, ow == w, oh <= h: the input plane itself is the column matrix
  // (ldb = hw, the first P = oh * w pixels), so no im2col.
  bool direct;
  index_t tile;        // output pixels per im2col tile: all of P, whole output rows (column stride
                       // 2), or a multiple of the GEMM's panel width
  index_t col_floats;  // floats of one column buffer (K * tile), rounded up to 64 bytes; 0 if direct
  Im2colGeom geom;
};

ConvPlan conv_plan(const Conv2dShape& s);

// The layer as the direct engines see it (conv_igemm.h): forward geometry, per group (conv2d.cc).
// Forward and backward-filter use it as it is; backward-data builds its rotated counterpart.
IgemmConv forward_igemm(const Conv2dShape& s, const ConvPlan& p);

}  // namespace gn

#endif  // GRADNODE_KERNELS_CONV_IM2COL_H_
