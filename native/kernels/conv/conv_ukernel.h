// The convolution micro-kernel contract: the GEMM micro-kernel (gemm/ukernel.h) with B read in
// place through a table of row offsets instead of from a packed panel.
//
//   c[i * ldc + j] (+)= sum over p < kc of a[p * MR + i] * b[off[p] + col(j)],   i < MR, j < NR
//   col(j) = j for j < NR / 2, half + j - NR / 2 for the others
//
// a is a packed micro-panel of A (ukernel.h layout, MR x kc, k-major); each B row is two runs of
// NR / 2 consecutive floats, `half` floats apart (NR / 2: one run of NR), anywhere in memory (any
// alignment). beta == 0 overwrites the tile (never reads it), beta == 1 adds to it. Stride-1 convolution reads its input this way without packing
// (conv_direct.cc): output pixels in the padded plane's row-major order are consecutive, and tap
// (ci, r, s) is a fixed offset from the output pixel. Every element is computed by the same
// operations wherever it sits (results do not depend on how the work is cut).
//
// One kernel per ISA, each in its own unit and namespace (conv_ukernel_generic.cc,
// conv_ukernel_avx2.cc, conv_ukernel_avx512.cc). AVX-512 runs the AVX2 run and filter kernels (on a
// 2-core Xeon with AVX-512 they trained LeNet-5 faster than the packing engine on the 8x32 AVX-512
// GEMM kernel), a 6x32 run kernel and a chan kernel of its own; an ISA without any (run ==
// nullptr: NEON for now) uses the packing engine. conv_direct packs A into micro-panels of this
// kernel's MR, whatever the GEMM's; with half > NR / 2 one tile covers two output rows of up to
// NR / 2 outputs each (conv_direct.cc's paired row tiles).
//
// The backward-filter kernel of the same layout (conv_direct.cc) reduces over the positions
// instead: dot products of kFilterRows rows of dY against taps of the padded input, kept as L =
// filter_lanes partial sums per dot product (lane l sums the positions q with q % L == l),
//
//   part[(t * kFilterRows + i) * L + l] (+)= sum over q < len, q % L == l of
//                                             dy[i * ldd + q] * (x[off[t] + q] if mask[q] else 0)
//
// for i < kFilterRows and t < taps, len a multiple of L. mask[q] is 0 or all ones: masked
// positions contribute exactly 0 even where x holds an infinity or a NaN. accumulate == false
// overwrites part. The caller adds each dot product's L lanes once, at the end (filter_lanes_sum).
// L is 8 (AVX2, scalar) or 16 (AVX-512).
#ifndef GRADNODE_KERNELS_CONV_CONV_UKERNEL_H_
#define GRADNODE_KERNELS_CONV_CONV_UKERNEL_H_

#include "../common.h"
#include "conv_lanes.h"

namespace gn {

using ConvUkernelFn = void (*)(index_t kc, const float* GN_RESTRICT a, const float* GN_RESTRICT b,
                               const index_t* GN_RESTRICT off, index_t half, float* GN_RESTRICT c,
                               index_t ldc, float beta);

// The channels-wide kernel (conv_direct.cc's channel tiling) turns the layout around: R = chan_rows
// output positions (anywhere in the padded input: aoff) by 16 output channels, the weights packed,
//
//   c[i * 16 + j] = sum over p < kc of x[aoff[i] + off[p]] * b[p * 16 + j],   i < R, j < 16
//
// so that a layer with 16 output channels and rows narrower than the padded plane computes no
// dropped positions and no padding rows of W. R is 6 for AVX2 (the GEMM's 6x16 tile in ymm) and
// the scalar kernel, 10 for AVX-512 (one zmm per row: 16 channels in one register).
constexpr int kChanMaxRows = 12;
constexpr int kChanCols = 16;
using ConvChanUkernelFn = void (*)(index_t kc, const float* GN_RESTRICT x, const index_t* GN_RESTRICT aoff,
                                   const index_t* GN_RESTRICT off, const float* GN_RESTRICT b,
                                   float* GN_RESTRICT c);

constexpr int kFilterRows = 6;

using ConvFilterUkernelFn = void (*)(index_t len, const float* GN_RESTRICT dy, index_t ldd,
                                     const float* GN_RESTRICT x, const index_t* GN_RESTRICT off,
                                     index_t taps, const std::uint32_t* GN_RESTRICT mask,
                                     float* GN_RESTRICT part, bool accumulate);

constexpr int kFilterMaxLanes = 16;

// The sum of a dot product's `lanes` (8 or 16) partials, in a fixed order: with 16, lanes l and
// l + 8 first.
inline float filter_lanes_sum(const float* a, int lanes) {
  float b[8];
  for (int l = 0; l < 8; ++l) b[l] = lanes == 16 ? a[l] + a[l + 8] : a[l];
  return ((b[0] + b[4]) + (b[2] + b[6])) + ((b[1] + b[5]) + (b[3] + b[7]));
}

struct ConvUkernel {
  int mr;
  int nr;
  ConvUkernelFn run;  // nullptr: this ISA has none
  ConvFilterUkernelFn filter;  // nullptr: this ISA has none
  int filter_lanes;            // L of filter's partial sums
  ConvChanUkernelFn chan;      // nullptr: this ISA has none
  int chan_rows;               // R of chan's tile, at most kChanMaxRows
  ConvLanesFn lanes = nullptr;  // the batch-lanes kernel (conv_lanes.h); nullptr: none
  int lanes_width = 0;          // its L: samples per vector
  ConvLanesFilterFn lanes_filter = nullptr;  // its backward-filter (conv_lanes.h)
};

namespace generic { ConvUkernel conv_ukernel(); }
namespace avx2 { ConvUkernel conv_ukernel(); }
// The AVX2 kernels with its own chan kernel (10 x 16).
namespace avx512 { ConvUkernel conv_ukernel(); }

}  // namespace gn

#endif  // GRADNODE_KERNELS_CONV_CONV_UKERNEL_H_
