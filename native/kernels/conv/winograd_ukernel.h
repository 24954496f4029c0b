// Per-ISA Winograd F(2x2, 3x3) tile transforms (conv_winograd.cc): up to `lanes` tiles of one tile
// row per call, one tile per vector lane, where the baseline's transforms do 4 (SSE2 / Advanced
// SIMD). Each computes exactly the baseline's additions in the baseline's order, so the same bits.
// Tiles and columns past `cnt` / `len` are neither read nor written. An ISA without them
// (input == nullptr) uses the baseline's.
//
//   input:  V = B^T d B of tiles q < cnt whose 4x4 windows start at src + 2 q (window rows wp
//           apart), stored at v[xi * xi_stride + q] for the 16 xi;
//   output: the 2x2 outputs A^T m A + bias of tiles q < cnt from m[xi * xi_stride + q]; columns
//           0 .. ncols - 1 (ncols <= 2 cnt) of the tiles' first output row to y0, of their second
//           to y1 (nullptr: no second row);
//   grad:   Z = A dY A^T of tiles q < cnt (backward-filter) from dY columns 0 .. len - 1 of rows
//           y0 and y1 (y1 nullptr, or columns past len: zeros; len <= 2 cnt), stored at
//           z[xi * xi_stride + q].
#ifndef GRADNODE_KERNELS_CONV_WINOGRAD_UKERNEL_H_
#define GRADNODE_KERNELS_CONV_WINOGRAD_UKERNEL_H_

#include "../common.h"

namespace gn {

using WinogradInputFn = void (*)(const float* src, index_t wp, index_t cnt, float* v, index_t xi_stride);
using WinogradOutputFn = void (*)(const float* m, index_t xi_stride, float bias, index_t cnt, index_t ncols,
                                  float* y0, float* y1);
using WinogradGradFn = void (*)(const float* y0, const float* y1, index_t len, index_t cnt, float* z,
                                index_t xi_stride);

struct WinogradKernels {
  index_t lanes;  // tiles per call, at most
  WinogradInputFn input;
  WinogradOutputFn output;
  WinogradGradFn grad;
};

namespace avx2 { WinogradKernels winograd_kernels(); }
namespace avx512 { WinogradKernels winograd_kernels(); }

}  // namespace gn

#endif  // GRADNODE_KERNELS_CONV_WINOGRAD_UKERNEL_H_
