// Single-precision GEMM on row-major matrices (Goto/BLIS structure: gemm.cc + pack.cc + one
// micro-kernel per ISA, see ukernel.h).
//
//   C = alpha * op(A) * op(B) + beta * C
//   op(A) is m x k: A itself (m x k, row stride lda >= k) or, when trans_a, A is k x m (lda >= m).
//   op(B) is k x n: B itself (k x n, ldb >= n) or, when trans_b, B is n x k (ldb >= k).
//   C is m x n with row stride ldc >= n. When beta == 0, C is not read (it may hold NaN).
//
// Threads: OpenMP over the m and n blocks when the product is large enough; called from inside a
// parallel region (the batch-parallel convolution does that) it runs on the calling thread only.
// Every element of C is computed by the same sequence of operations for any thread count, so results
// are bitwise reproducible across runs and thread counts.
#ifndef GRADNODE_KERNELS_GEMM_GEMM_H_
#define GRADNODE_KERNELS_GEMM_GEMM_H_

#include "../common.h"

namespace gn {

void sgemm(bool trans_a, bool trans_b, index_t m, index_t n, index_t k, float alpha,
           const float* a, index_t lda, const float* b, index_t ldb, float beta, float* c,
           index_t ldc);

// `batch` independent products; matrix i uses a + i * stride_a, b + i * stride_b, c + i * stride_c.
// A stride of 0 shares that operand across the batch (broadcasting).
void sgemm_batched(index_t batch, bool trans_a, bool trans_b, index_t m, index_t n, index_t k,
                   float alpha, const float* a, index_t lda, index_t stride_a, const float* b,
                   index_t ldb, index_t stride_b, float beta, float* c, index_t ldc,
                   index_t stride_c);

}  // namespace gn

#endif  // GRADNODE_KERNELS_GEMM_GEMM_H_
