// Internal to the convolution kernels: stride-1 convolution with the batch in the vector lanes, for
// layers with few channels or small planes: the backward-data pass of small 'valid' convolutions
// (LeNet's conv2: 16 -> 6 channels, 5x5, dY 10x10 into dX 14x14), forward passes, and (below)
// backward-filter.
//
// The rotated convolution that computes such a pass (conv2d_bwd_data.cc) pads dY by kh - 1 on each
// side; kernels that put output positions in the vector lanes (conv_direct, conv_igemm) then
// multiply the padding: for 10x10 into 14x14, 196 positions by 25 taps where 100 x 25 products are
// useful, twice the work. Here a vector holds one pixel of L samples (L = 16 for AVX-512, 8 for
// AVX2), so a position's taps are exactly its valid ones: the same for every lane. Per block of L
// samples the input is transposed to [c][h][w + 2][L] (a zero column each side), the kernel writes
// [m][oh][ow rounded up to 2][L], and that is transposed back; W is repacked once per call to
// [c][kh][kw][m].
//
// Kernel contract (ConvLanesFn, one per ISA in conv_ukernel_*.cc, from conv_lanes_kernel.inc): with
// in and out the transposed blocks tin and tout below,
//   out[((co * oh + i) * owp + j) * L + l] = sum over ci < c, r < kh, s < kw with
//     0 <= i - ph + r * dh < h and 0 <= j - pw + s * dw < w of
//     wt[((ci * kh + r) * kw + s) * m + co] * in[((ci * h + i - ph + r * dh) * wp + 1 + j - pw + s * dw) * L + l]
// for co < m, i < oh, j < owp (j >= ow: a dropped position), l < L, wp = w + 2, owp = ow rounded up
// to 2. The sum runs over r, then s, then ci (innermost), in increasing order. Two positions j,
// j + 1 (j even) share one pass over the taps valid for either; a tap valid for only one of them
// reads a zero column there, so a non-finite weight also reaches positions its tap does not cover
// (as in conv_direct).
#ifndef GRADNODE_KERNELS_CONV_CONV_LANES_H_
#define GRADNODE_KERNELS_CONV_CONV_LANES_H_

#include "../common.h"
#include "conv_igemm.h"

namespace gn {

struct ConvLanesGeom {
  index_t c, h, w, wp;      // input channels, plane, row pitch in positions (w + 2; backward-filter: padded)
  index_t hp;               // backward-filter: rows of the padded input plane
  index_t m, oh, ow, owp;   // output channels, plane, row pitch (ow rounded up to 2)
  index_t kh, kw, ph, pw, dh, dw;
};

// One block of samples: the kernel transposes in[0 .. nl - 1] (samples in_stride floats apart) into
// tin, computes tout from tin and wt as above, and transposes tout back into out[0 .. nl - 1]
// (out_stride apart), adding bias[co] when bias is not null.
struct ConvLanesBlock {
  const float* in;
  index_t in_stride;
  index_t nl;  // samples in the block, 1 .. L
  const float* bias;
  float* tin;   // c * h * wp * L floats
  float* tout;  // m * oh * owp * L floats
  float* out;
  index_t out_stride;
};

using ConvLanesFn = void (*)(const ConvLanesGeom& g, const ConvLanesBlock& b, const float* GN_RESTRICT wt);

// Backward-filter of the same convolution, one block of samples: x[0 .. nl - 1] transposed into tin
// [c][hp][wp][L], zero-padded (input pixel (y, x) at (y + ph, x + pw); hp x wp are the positions
// the windows read, conv_pad.h's pad_geom), dy[0 .. nl - 1] into tdy [m][oh][ow][L]; then
//   dw[co * taps + t] = sum over l < L of (sum over i < oh, j < ow of
//                       tdy[((co * oh + i) * ow + j) * L + l] * tin[toff[t] + (i * wp + j) * L + l])
//   db[co] = the same sums of tdy alone (when db is not null)
// with toff[t] = ((ci * hp + r * dh) * wp + s * dw) * L for tap t = (ci * kh + r) * kw + s; toff
// holds taps + 8 entries (those past taps 0). Each lane sums its sample's positions in order; the
// lanes are added in a fixed order (hsum). acc: workspace of m * (taps + 8) * L floats.
struct ConvLanesFilterBlock {
  const float* x;
  index_t x_stride;
  const float* dy;
  index_t dy_stride;
  index_t nl;
  const index_t* toff;
  index_t taps;  // c * kh * kw
  float* tin;    // c * hp * wp * L floats
  float* tdy;    // m * oh * ow * L floats
  float* acc;    // m * (taps + 8) * L floats
  float* dw;     // [m][taps], overwritten
  float* db;     // [m] or null, overwritten
};

using ConvLanesFilterFn = void (*)(const ConvLanesGeom& g, const ConvLanesFilterBlock& b);

// Whether conv_lanes can run cv here: stride 1, one group, an ISA with the lanes kernel, at least
// one full block of samples, and a block's transposed input and output in at most 2.5 MB (a whole
// plane per block: large planes would take hundreds of MB per thread).
bool conv_lanes_available(const IgemmConv& cv);

// Whether it beats the kernels with positions in the lanes (see conv_lanes.cc for the measurements).
bool conv_lanes_pays(const IgemmConv& cv);

// Same contract as conv_igemm (conv_igemm.h). Threads take static ranges of sample blocks; each
// output element is computed by the same operations whatever the thread count.
void conv_lanes(const IgemmConv& cv, const float* in, const float* w, IgemmWeights form, const float* bias,
                float* out);

// Backward-filter: dw [m][c][kh][kw] and db [m] (when not null) of the forward convolution cv
// (input x, output gradient dy), overwritten. Each block of samples sums into its own partial;
// the partials are added in block order: the same bits for any thread count.
// (The same conditions, and non-negative pads, with its padded input, dY and accumulators.)
bool conv_lanes_filter_available(const IgemmConv& cv);
bool conv_lanes_filter_pays(const IgemmConv& cv);
void conv_lanes_filter(const IgemmConv& cv, const float* x, const float* dy, float* dw, float* db);

}  // namespace gn

#endif  // GRADNODE_KERNELS_CONV_CONV_LANES_H_
