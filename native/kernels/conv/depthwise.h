// Depthwise convolution: groups == c_in, one input channel per group and cg_out = c_out / c_in
// output channels per group (the channel multiplier, mostly 1), as in MobileNet. Each plane is
// convolved directly, without im2col, by per-ISA kernels (depthwise_impl.inc) driven from
// depthwise.cc: the input plane is copied once into a zero-padded buffer, after which every tap of
// every output is in range, and 16 outputs of a row accumulate all their taps in registers.
// With stride 2 the buffer's rows are split (even columns, then odd), so that a chunk's inputs
// are contiguous. Backward-data is the same kernel on the padded dY with the weights rotated when
// the stride is 1; otherwise dX is split into row and column phases (x mod stride), a register of
// a phase's columns summing all the taps that reach them (a scatter through the weights for
// strides beyond 8 or windows beyond 64 taps). Backward-filter sums, per tap, dY times the shifted
// padded input over the batch in registers. Planes (forward, backward-data) or channels
// (backward-filter, the batch summed in order) are split between threads, so results are bitwise
// the same for any thread count.
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

// Strided backward-data by phases (depthwise_impl.inc): dX row a = sh i + pa, column x = sw b + px.
// A tap (r, q) reaches one (row phase, column phase) only, from dY row i + d and column b + c
// (d, c depending on the tap and the phases). The taps of each pair of phases, (r, q) ascending,
// are tap[e] = r kw + q for e in first[pa sw + px] .. first[pa sw + px + 1] - 1, at off[e] floats
// from the position of (i, b) = (0, 0) in a padded dY plane: the dY planes are copied to row top,
// column lpad of `rows` rows of `pitch` floats (`plane` floats each), zero elsewhere, so that
// every tap of every (i, b) reads inside the plane, zero past dY's edges. Two dX rows' phases,
// ppitch floats each, go at `rowbuf` floats into the buffer.
constexpr index_t kDepthwiseMaxPhases = 8;  // sh and sw at most, or each tap is scattered into dX
constexpr index_t kDepthwiseMaxTaps = 64;   // kh * kw at most, likewise
struct DepthwisePhases {
  index_t tap[kDepthwiseMaxTaps], off[kDepthwiseMaxTaps];
  index_t first[kDepthwiseMaxPhases * kDepthwiseMaxPhases + 1];
  index_t cols[kDepthwiseMaxPhases];  // phase columns b of each column phase
  index_t top, lpad, rows, pitch, plane, ppitch, rowbuf, floats;
};
// The layout of a strided g (sh or sw above 1); false beyond the limits above.
bool depthwise_phases(const DepthwisePlane& g, DepthwisePhases* f);

struct DepthwiseKernels {
  // y [mult, oh, ow] = the taps w [mult, kh, kw] over x [h, w], + bias [mult] (may be null).
  void (*forward)(const DepthwisePlane& g, const float* x, const float* w, const float* bias, float* y, float* buf);
  // dx [h, w] = the gradient from dy [mult, oh, ow] through w [mult, kh, kw]; f: the phases of a
  // strided g (null: stride 1, or beyond depthwise_phases' limits).
  void (*backward_data)(const DepthwisePlane& g, const DepthwisePhases* f, const float* dy, const float* w,
                        float* dx, float* buf);
  // dw [mult, kh, kw] = the sum over n samples of dy [mult, oh, ow] against x [h, w] (planes xs and
  // dys floats apart); dbias [mult] = the sum of dy (may be null).
  void (*backward_filter)(const DepthwisePlane& g, index_t n, const float* x, index_t xs, const float* dy,
                          index_t dys, float* dw, float* dbias, float* buf);
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
