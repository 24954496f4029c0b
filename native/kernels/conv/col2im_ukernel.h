// Internal to the convolution kernels: col2im by ISA (im2col.cc), for the flat layout (stride 1,
// ow == w) and for column stride 2 on tiles of whole output rows. One call scatters one tile of
// output pixels of one group of one sample back into dX.
//
// Included by the per-ISA units: plain types only (KERNELS.md §6.5).
#ifndef GRADNODE_KERNELS_CONV_COL2IM_UKERNEL_H_
#define GRADNODE_KERNELS_CONV_COL2IM_UKERNEL_H_

#include "../common.h"

namespace gn {

// One tap (r, s) of the flat layout on a tile of output pixels p0 .. p0 + count - 1 (numbered
// row-major over oh x ow): output pixel p reads input pixel p + shift of the flattened plane.
struct FlatTap {
  index_t shift;
  index_t c0, c1;  // tile pixels whose input row is inside the input and whose flat source index
                   // p + shift lies in [0, h * w); every other tile pixel reads zero
  index_t jlo, jhi;  // output columns whose input column is inside the input
};

// Taps the kernels take (the caller's FlatTap array needs no more); beyond them the baseline runs.
constexpr index_t kCol2imMaxTaps = 64;

// The taps of one tile, in (r, s) order: taps[r * kw + s].
struct Col2imFlat {
  const FlatTap* taps;
  index_t ntaps, kw;
  index_t channels;  // planes of dx; column-matrix row (c, t) is c * ntaps + t
  index_t hw, ow;    // floats per dx plane; output (and input) row width
  index_t p0;        // the tile's first pixel (column 0 of the column matrix)
};

// Column stride 2 on a tile of whole output rows i0 .. i0 + rows - 1 (im2col.cc, col2im_rows):
// column-matrix row (c, r, s) holds the tile's rows * ow entries, row-major, for each of `samples`
// samples (sample b's from entry b * col_sample, its dX planes from b * dx_sample). Output pixel
// (i, j) of tap (r, s) reads input pixel (i * sh + r * dh - ph, 2 * j + s * dw - pw).
struct Col2imRows2 {
  index_t samples, col_sample, dx_sample;
  index_t channels, kh, kw;
  index_t h, w, ow;            // dX planes h x w, h * w floats apart; output row width
  index_t sh, dh, dw, ph, pw;  // row stride, dilations and pads (the column stride is 2)
  index_t i0;
  const index_t* ilo;  // per r: the tile's output rows [ilo, ihi) whose input row is inside
  const index_t* ihi;
  const index_t* jlo;  // per s: the output columns [jlo, jhi) whose input column is inside
  const index_t* jhi;
};

struct Col2imKernels {
  // dx[c][p + shift_t] += col[(c * ntaps + t) * ld + p - p0] for every tap t and tile pixel p in
  // [c0_t, c1_t) whose column p % ow lies in [jlo_t, jhi_t), each element's adds in tap order (the
  // baseline's order and bits). col is not modified. Returns false, having done nothing, when the
  // tile is beyond the kernel's tables (the baseline then runs). nullptr: the baseline only.
  bool (*flat)(const Col2imFlat& f, const float* col, index_t ld, float* dx);
  // dx[c][i * sh + r * dh - ph][2 * j + s * dw - pw] += col[(c * kh + r) * kw + s][(i - i0) * ow + j]
  // for every tap (r, s), row i in [ilo_r, ihi_r) and column j in [jlo_s, jhi_s), each element's adds
  // in (r, s) order (the baseline's order and bits, given dx sums that started at +0 as col2im's
  // callers' do: lanes without a tap add +0). Returns false, having done nothing, when the geometry
  // is beyond the kernel's tables. nullptr: the baseline only.
  bool (*rows2)(const Col2imRows2& f, const float* col, index_t ld, float* dx);
};

namespace avx2 { Col2imKernels col2im_kernels(); }
namespace avx512 { Col2imKernels col2im_kernels(); }

}  // namespace gn

#endif  // GRADNODE_KERNELS_CONV_COL2IM_UKERNEL_H_
