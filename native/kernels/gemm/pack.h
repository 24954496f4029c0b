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

// The sup path's 8-wide panel (ukernel.h, GemmSupKernels::run8): `cols` <= 8 columns, element
// (step p, column j) at src[j * stride_r + p * stride_k], two steps interleaved per column:
//   dst[(p / 2) * 16 + 2 * j + p % 2] = src(p, j)
// and 0 for columns past `cols` and, when kc is odd, in the odd slots of the last pair.
// Writes 16 * ceil(kc / 2) floats.
void pack_pairs8(index_t cols, index_t kc, const float* src, index_t stride_r, index_t stride_k,
                 float* dst);

// The sup path's panel of 1..6 columns for GemmSupKernels::run_quads: NV = ceil(cols / 2) vectors
// of 8 per four steps, columns 2u and 2u + 1 in vector u, four steps per column:
//   dst[(p / 4) * 8 * NV + (j / 2) * 8 + (j % 2) * 4 + p % 4] = src(p, j)
// and 0 past `cols` (when odd) and past kc. Writes pack_quads_floats(cols, kc) floats.
inline index_t pack_quads_floats(index_t cols, index_t kc) { return 8 * ((cols + 1) / 2) * ((kc + 3) / 4); }
void pack_quads(index_t cols, index_t kc, const float* src, index_t stride_r, index_t stride_k, float* dst);

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
