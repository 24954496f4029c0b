// Packing of GEMM operands into the micro-panels of ukernel.h. Internal to the gemm family.
//
// Both operands are packed by the same routine: a panel is `r` "rows" (MR rows of op(A), or NR
// columns of op(B)) by kc, stored k-major, and the source element (row i, step p) is at
// src[i * stride_r + p * stride_k]. The four transpose cases map onto it as
//
//   op(A) = A     (row-major m x k):  stride_r = lda, stride_k = 1    (a transpose while packing)
//   op(A) = A^T   (A is k x m):       stride_r = 1,   stride_k = lda  (a copy of r floats per step)
//   op(B) = B     (row-major k x n):  stride_r = 1,   stride_k = ldb  (a copy)
//   op(B) = B^T   (B is n x k):       stride_r = ldb, stride_k = 1    (a transpose)
//
// so transposes exist only here (KERNELS.md §2.1), and the micro-kernels see one layout.
#ifndef GRADNODE_KERNELS_GEMM_PACK_H_
#define GRADNODE_KERNELS_GEMM_PACK_H_

#include "../common.h"

namespace gn {
namespace gemm_detail {

// Packs `rows` rows (from row 0 of src) into ceil(rows / r) consecutive micro-panels,
// `panel_stride` floats apart:
//   dst[q * panel_stride + p * r + i] = src[(q * r + i) * stride_r + p * stride_k]
// for p < kc, and 0 for the rows of the last panel past `rows` (zero padding at the edge).
// Either stride_r or stride_k must be 1.
void pack_panels(int r, index_t rows, index_t kc, const float* src, index_t stride_r,
                 index_t stride_k, float* dst, index_t panel_stride);

// The sup path's tail panels (ukernel.h: run8, run_quads): `steps` consecutive k steps of a column
// side by side, 8 / steps columns per vector of 8 floats, `vectors` vectors per group of steps:
//   dst[(p / steps) * 8 * vectors + (j / (8 / steps)) * 8 + (j % (8 / steps)) * steps + p % steps]
//     = src(p, j) = src[j * stride_r + p * stride_k]
// and 0 for the columns past `cols` and the steps past kc. run8 takes steps 2, vectors 2 (8
// columns, two steps each: dst[(p / 2) * 16 + 2 * j + p % 2]); run_quads steps 4, vectors
// ceil(cols / 2). Writes interleaved_floats(steps, vectors, kc) floats.
inline index_t interleaved_floats(int steps, index_t vectors, index_t kc) {
  return 8 * vectors * ((kc + steps - 1) / steps);
}
void pack_interleaved(int steps, index_t vectors, index_t cols, index_t kc, const float* src, index_t stride_r,
                      index_t stride_k, float* dst);

}  // namespace gemm_detail

// One full panel of the transpose case (stride_k == 1), r a multiple of 8, per ISA (IsaKernels::
// pack_transpose; nullptr where an ISA has none and pack_panels' SSE2 4 x 4 blocks serve):
//   dst[p * r + i] = src[i * stride_r + p]   for i < r, p < kc.
using PackTransposeFn = void (*)(int r, index_t kc, const float* src, index_t stride_r, float* dst);
// Eight rows at any addresses, the same transpose in blocks of 8 columns (IsaKernels::
// pack_rows8; nullptr where an ISA has none): dst[q * ldd + i] = rows[i][q] for i < 8 and q < len,
// len a multiple of 8 (the convolution's backward-filter packing).
using PackRows8Fn = void (*)(const float* const* rows, index_t len, float* dst, index_t ldd);
namespace avx2 {
void pack_transpose(int r, index_t kc, const float* src, index_t stride_r, float* dst);
void pack_rows8(const float* const* rows, index_t len, float* dst, index_t ldd);
}
}  // namespace gn

#endif  // GRADNODE_KERNELS_GEMM_PACK_H_
