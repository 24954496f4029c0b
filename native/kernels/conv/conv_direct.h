// Internal to the convolution kernels: pack-free stride-1 convolution on the convolution
// micro-kernel (conv_ukernel.h), for layers with few channels or narrow planes, where packing B
// (conv_igemm.cc) costs as much as the multiplications it feeds (one micro-panel of A for six
// output channels: one packed row of B per 12 FMAs).
//
// Per sample: the input is zero-padded into a plane hp x wp (row R, column C = input row R - ph,
// column C - pw); output pixel (i, j) is at position q = i * wp + j of the padded plane's row-major
// order, where tap (ci, r, s) reads padded position q + (ci * hp + r * dh) * wp + s * dw. So the
// micro-kernel reads NR consecutive positions per tap, straight from the padded sample. Two
// tilings, whichever multiplies less: flat tiles of NR consecutive positions (the (kw-1)*dw
// positions per row past ow are computed and dropped; bias as one more column of W against a row
// of ones), or row tiles (ceil(ow / NR) tiles per output row, each running only the kernel rows
// whose input row is inside the input: with W's columns ordered (r, ci, s) that is one contiguous
// range; the bias is added on the way out). The rows of the last micro-panel of A past m are
// computed and dropped. A third tiling turns the tile around (the chan kernel of conv_ukernel.h):
// chan_rows output positions, in the output's own order, by 16 output channels, W packed 16 channels
// wide; no dropped positions, and no wasted rows when m is a multiple of 16. make_plan takes it
// when it multiplies at most 0.9x the better of the other two: 6 -> 16 5x5 14x14 b64 forward
// (LeNet's conv2: flat tiles compute 144 positions for 100 outputs, 18 rows for 16 channels)
// 315 -> 216 us at 2 threads. W is packed once per call, threads take static ranges of samples:
// bitwise the same for any thread count.
#ifndef GRADNODE_KERNELS_CONV_CONV_DIRECT_H_
#define GRADNODE_KERNELS_CONV_CONV_DIRECT_H_

#include "conv_igemm.h"
#include "conv_pad.h"
#include "conv_ukernel.h"

namespace gn {

// Whether conv_direct can run cv here: stride 1, one group, and an ISA with a convolution
// micro-kernel (conv_direct packs W into panels of that kernel's MR itself).
bool conv_direct_available(const IgemmConv& cv);

// Whether it beats the packing engine (and, for backward-data, the col2im path): at most 16 output
// channels, where the engine's packed B rows feed at most three micro-panels of A, and either the
// micro-panels are mostly full (m / (MR * ceil(m / MR)) >= 0.8) or the reduction is short
// (K = c*kh*kw <= 64). Measured on Zen3 (MR = 6), 1 thread, engine (or col2im) -> conv_direct:
//   1 -> 6 5x5 28x28 b64 fwd 0.49 -> 0.27 ms     6 -> 16 5x5 14x14 b64 fwd 0.68 -> 0.56 ms
//   16 -> 6 5x5 (its backward-data) 1.06 -> 0.95 ms   4 -> 4 3x3 32x32 b32 0.38 -> 0.29 ms
// but 8 -> 8 3x3 32x32 (2 panels of 6 for 8 rows) 1.02 -> 1.07 ms, 64 -> 8 3x3 16x16
// backward-data 1.00 -> 1.68 ms, 1 -> 32 3x3 28x28 even (0.82 / 0.84 ms), and one output channel
// loses to col2im (6 -> 1 backward-data 0.57 -> 1.2 ms: five of six micro-kernel rows wasted).
bool conv_direct_pays(const IgemmConv& cv);

// Same contract as conv_igemm (conv_igemm.h).
void conv_direct(const IgemmConv& cv, const float* in, const float* w, IgemmWeights form,
                 const float* bias, float* out);

// Backward-filter, pack-free (the filter kernel of conv_ukernel.h): per sample, the input padded
// as above and dY laid out on the same positions (rows of wp, zero past ow, 6-row blocks padded
// with zero rows); then dW[co][(ci, r, s)] is the dot product of dY row co with the padded input
// shifted by tap (ci, r, s), over all positions, the dropped ones masked out. No im2col, no
// packing: the input is read in place once per pair of taps per 6 output channels, from L1.
//
// Or, when it multiplies less, the chan kernel of conv_ukernel.h turned to this reduction: dW^T,
// chan_rows taps by 16 output channels per tile, the reduction over the output positions of a group of
// samples, x[aoff[tap] + off[(sample, position)]] against dY laid out [(sample, position)][16
// channels]. It computes no dropped positions (the filter kernel's wp - ow per row: 4 of 14 for
// LeNet's conv2) and no padding rows of dY (16 channels in tiles of 6: 18 rows); it wastes
// output channels up to a multiple of 16 and taps up to a multiple of chan_rows instead.
struct DirectFilterPlan {
  IgemmConv cv;
  ConvFilterUkernelFn filter;
  ConvChanUkernelFn chan;  // non-null: the channel tiling
  index_t chan_rows;       // its tile's rows (conv_ukernel.h)
  conv_detail::PadGeom pg;
  index_t K;      // taps: c * kh * kw
  index_t lanes;  // the filter kernel's partial sums per dot product (conv_ukernel.h)
  index_t Q, Qp;  // oh * wp positions, rounded up to lanes
  index_t mrows;  // m rounded up to kFilterRows
  index_t x_floats, dy_floats, mask_floats, off_floats;
  index_t part_floats;  // the filter kernel's lane partials: mrows * K * lanes
  // The channel tiling: samples per group, blocks of 16 output channels, the accumulator dW^T
  // (K rounded up to chan_rows rows by nb * 16 columns).
  index_t group, nb, acc_floats;
  index_t ws_floats;  // one thread's workspace
};

// Whether conv_direct_filter runs cv here: stride 1, one group, an ISA with the filter kernel.
bool conv_direct_filter_available(const IgemmConv& cv);
// Whether it beats the implicit-GEMM engine's backward-filter: short reductions over taps,
// K = c * kh * kw <= 160, with at most 64 output channels. Measured on Zen3, 2 threads, engine ->
// pack-free (us): 1 -> 6 5x5 28x28 b64 379 -> 189, 1 -> 32 3x3 28x28 b64 935 -> 487, 4 -> 4 3x3
// 32x32 b32 387 -> 173, 8 -> 8 793 -> 478, 3 -> 16 526 -> 344, 3 -> 64 1441 -> 1152, 8 -> 32 5x5
// 16x16 989 -> 871; even at the edge, 6 -> 16 5x5 14x14 b64 (K = 150) 367 -> 369.
bool conv_direct_filter_pays(const IgemmConv& cv);
DirectFilterPlan direct_filter_plan(const IgemmConv& cv);
// Columns t0 .. t1 - 1 (taps) of dw_c [m x K] = the sums over samples n0 .. n1 - 1 (overwritten;
// the other columns untouched). ws: ws_floats of workspace. A tap's sum does not depend on the
// range it is computed in, so any split of the taps between threads gives the same bits.
void direct_filter_chunk(const DirectFilterPlan& pl, const float* x, const float* dy, index_t n0,
                         index_t n1, index_t t0, index_t t1, float* dw_c, float* ws);

}  // namespace gn

#endif  // GRADNODE_KERNELS_CONV_CONV_DIRECT_H_
