// Internal to the convolution kernels: implicit-GEMM convolution (KERNELS.md §3.3, second stage
// (a)), the engine behind the forward pass and the stride-1 backward-data pass.
//
// Per group g the convolution is the product Y_g [m x Q] = W_g [m x K] * col(X_g) [K x Q] over all
// Q = batch * oh * ow output pixels of the batch (columns run over samples, then output rows, then
// output columns), K = c * kh * kw. Instead of building col(X) and letting the GEMM pack it, the
// engine writes col(X) straight into the micro-kernel's packed-B layout (gemm.h, prepacked
// operands), one block of columns and one k-block at a time, from a zero-padded copy of each
// sample, so that every panel row is a plain copy of input pixels. W is packed once per call and
// shared by every thread; a bias is one more column of W against a row of ones.
//
// Threads take static, contiguous ranges of column blocks (or, when blocks span samples, equal
// shares of NR-wide panels cut into blocks); the k-blocks depend on the sizes only, and every
// output element goes through the same micro-kernel operations wherever its block falls, so
// results are bitwise the same for any thread count.
#ifndef GRADNODE_KERNELS_CONV_CONV_IGEMM_H_
#define GRADNODE_KERNELS_CONV_CONV_IGEMM_H_

#include "../common.h"

namespace gn {

struct IgemmConv {
  index_t batch, groups;
  index_t c;            // input channels per group
  index_t h, w;         // input plane
  index_t in_n_stride;  // floats from one sample of the input to the next (>= groups * c * h * w)
  index_t m;            // output channels per group
  index_t oh, ow;       // output plane
  index_t out_n_stride; // floats from one sample of the output to the next (>= groups * m * oh * ow)
  index_t kh, kw;
  index_t sh, sw;       // strides
  index_t ph, pw;       // top / left pads; may be negative (the window then starts inside)
  index_t dh, dw;       // dilations
};

// How the engine reads its weights w.
enum class IgemmWeights {
  // w [groups * m][c][kh][kw]: a forward convolution's own weights.
  kForward,
  // w [groups * c][m][kh][kw], used rotated by 180 degrees with input and output channels swapped:
  // the weights of the forward convolution whose backward-data pass this is (KERNELS.md §3.2).
  kRotated,
};

// out[n][g*m + co][i][j] = bias[g*m + co] + sum over ci < c, r < kh, s < kw of
//   W(g, co, ci, r, s) * in[n][g*c + ci][i*sh - ph + r*dh][j*sw - pw + s*dw]
// with input positions outside the plane reading zero, and
//   W(g, co, ci, r, s) = w[(((g*m + co) * c + ci) * kh + r) * kw + s]                  (kForward)
//   W(g, co, ci, r, s) = w[(((g*c + ci) * m + co) * kh + kh-1-r) * kw + kw-1-s]       (kRotated).
// bias may be null. Every element of out (within its sample stride's first groups*m*oh*ow floats)
// is overwritten.
void conv_igemm(const IgemmConv& cv, const float* in, const float* w, IgemmWeights form,
                const float* bias, float* out);

// ---- Backward-filter ----------------------------------------------------------------------------
//
// For the forward convolution cv (input X, output Y with m channels per group), one chunk of the
// batch: dW_g [m x K] = sum over samples n0 .. n1-1 and their output pixels of dY_n,g * col(X_n,g)^T
// (K = c * kh * kw), the reduction running over the chunk's pixels in order, one k-block of pixels
// at a time. Per k-block, dY^T is packed as A and each NR-wide panel of taps is packed as B straight
// from padded samples (a transpose of NR tap rows), then multiplied into dW. Only tap panels
// [panel0, panel1) are computed, so that threads can split one chunk; dw[(g*m + co) * K + k] is
// overwritten. The result depends on the sizes and on n0, n1 only.
struct IgemmFilterPlan {
  IgemmConv cv;
  index_t K;           // c * kh * kw
  index_t panels;      // NR-wide tap panels of K
  index_t ws_floats;   // workspace of one igemm_filter_chunk call (64-byte aligned)
  index_t max_samples;
  // Internal.
  index_t cap, a_floats, b_floats, run_floats, toff_floats;
};
IgemmFilterPlan igemm_filter_plan(const IgemmConv& cv, index_t max_samples_per_chunk);
void igemm_filter_chunk(const IgemmFilterPlan& fp, const float* x, const float* dy, index_t n0,
                        index_t n1, index_t panel0, index_t panel1, float* dw, float* ws);

}  // namespace gn

#endif  // GRADNODE_KERNELS_CONV_CONV_IGEMM_H_
