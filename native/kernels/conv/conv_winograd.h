// Internal to the convolution kernels: Winograd F(2x2, 3x3) for 3x3, stride-1, undilated layers
// with enough channels (KERNELS.md §3.1, §3.3 second stage (c)). The forward pass uses it directly,
// the stride-1 backward-data pass through the rotated weights (conv_igemm.h, IgemmWeights).
//
// Each 2x2 block of outputs ("tile") of each output channel is A^T M A, where for each of the 16
// positions xi of the 4x4 transformed tile, M_xi [m x tiles] = U_xi [m x c] * V_xi [c x tiles]:
// U = G g G^T the transformed 3x3 filters, V = B^T d B the transformed 4x4 input windows (tiles
// overlap by 2). That is 16 GEMMs with reduction c instead of 9 * 4 multiply-adds per output
// pixel and input channel: 2.25x fewer. Its accuracy equals direct fp32 convolution's (the
// reduction per GEMM is only c long; KERNELS.md §3.1 measures rms/max errors below direct's).
//
// Data flow per block of tiles (threads take static ranges of blocks; results are bitwise the same
// for any thread count): the input transform writes V straight into the micro-kernel's packed-B
// layout (vectorised over 4 tiles), U is transformed and packed once per call, the GEMMs run on
// gn::sgemm_packed_block into a buffer M, and the output transform writes the 2x2 outputs (plus the
// bias) into the output.
#ifndef GRADNODE_KERNELS_CONV_CONV_WINOGRAD_H_
#define GRADNODE_KERNELS_CONV_CONV_WINOGRAD_H_

#include "conv_igemm.h"

namespace gn {

// Whether conv_winograd takes this convolution: 3x3, stride 1, dilation 1, one group, at least 16
// input and 8 output channels and 32 tiles of 2x2 outputs (below that the transforms and short
// reductions cost more than the multiplications save; measured in conv_winograd.cc).
bool conv_winograd_applicable(const IgemmConv& cv);

// Same contract as conv_igemm (conv_igemm.h) for convolutions it is applicable to.
void conv_winograd(const IgemmConv& cv, const float* in, const float* w, IgemmWeights form,
                   const float* bias, float* out);

// Backward-filter by the same transforms (conv_winograd.cc): for one chunk of the batch (samples
// n0 .. n1-1, at most max_samples), dw [m][c][3][3] = the gradient summed over the chunk's tiles,
// overwritten. Results depend on the sizes and n0, n1 only. ws: ws_floats of workspace.
// Applicable: 3x3, stride 1, dilation 1, one group, >= 16 channels each side and >= 512 tiles.
bool conv_winograd_filter_applicable(const IgemmConv& cv);
// For tests: the tile count from which backward-filter takes Winograd (so that small shapes reach
// it); a negative value restores the default. Returns the previous value.
index_t set_winograd_filter_min_tiles(index_t tiles);
struct WinogradFilterPlan {
  IgemmConv cv;
  index_t max_samples;
  index_t ws_floats;
};
WinogradFilterPlan winograd_filter_plan(const IgemmConv& cv, index_t max_samples);
void winograd_filter_chunk(const WinogradFilterPlan& p, const float* x, const float* dy, index_t n0,
                           index_t n1, float* dw, float* ws);

}  // namespace gn

#endif  // GRADNODE_KERNELS_CONV_CONV_WINOGRAD_H_
