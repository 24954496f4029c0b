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

struct GemmUkernel;  // gemm/ukernel.h

// What happens to each element of C once its product is complete, while its block of C is still
// in cache (KERNELS.md §2.7): c = c + bias[j] (bias: n floats, one per column, or null), then, with
// relu, c = max(c, 0) (NaN stays NaN). The default does nothing.
struct GemmEpilogue {
  const float* bias = nullptr;
  bool relu = false;
  bool active() const { return bias != nullptr || relu; }
};

void sgemm(bool trans_a, bool trans_b, index_t m, index_t n, index_t k, float alpha,
           const float* a, index_t lda, const float* b, index_t ldb, float beta, float* c,
           index_t ldc, const GemmEpilogue& ep = GemmEpilogue());

// `batch` independent products; matrix i uses a + i * stride_a, b + i * stride_b, c + i * stride_c.
// A stride of 0 shares that operand across the batch (broadcasting). The epilogue applies to every
// product (the same bias for each).
void sgemm_batched(index_t batch, bool trans_a, bool trans_b, index_t m, index_t n, index_t k,
                   float alpha, const float* a, index_t lda, index_t stride_a, const float* b,
                   index_t ldb, index_t stride_b, float beta, float* c, index_t ldc,
                   index_t stride_c, const GemmEpilogue& ep = GemmEpilogue());

// ---- Prepacked operands -------------------------------------------------------------------------
//
// For callers that reuse one operand across many products (the convolution packs its weights once
// per call and multiplies them with every sample) or write an operand straight into the packed
// layout (the implicit-GEMM convolution packs its im2col panels without building the column
// matrix first).
//
// sgemm cuts the reduction into k-blocks of equal length (at most the micro-kernel's kc, or its
// kc_deep for deep products, ukernel.h; the last one possibly shorter; the cut depends on k only)
// and multiplies one k-block at a time, with the micro-kernel that suits the product's column
// count n (gemm_narrow for n <= kNarrowCols, isa.h).
// sgemm_blocking(k, n) reports that kernel and that cut for the ISA in use; the other calls take
// what it returned. One k-block of length kb is packed as
// (gemm/ukernel.h):
//   A: ceil(m / mr) micro-panels, panel q at q * sgemm_panel_floats(mr, kb):
//        panel[p * mr + i] = op(A)(q * mr + i, p), and 0 for rows past m;
//   B: ceil(n / nr) micro-panels, panel q at q * sgemm_panel_floats(nr, kb):
//        panel[p * nr + j] = op(B)(p, q * nr + j), and 0 for columns past n.
// Packed buffers must be 64-byte aligned (gn::scratch buffers are). Calling sgemm_packed_block for
// the k-blocks of a product in order, with beta for the first and 1 for the others, computes every
// element of C by exactly the operations sgemm's packed path uses: the results are bitwise equal.
struct GemmBlocking {
  const GemmUkernel* uk;  // the micro-kernel (an entry of the ISA table, valid for the process)
  int mr;           // rows of an A micro-panel
  int nr;           // columns of a B micro-panel
  index_t kc;       // length of each k-block but the last (which may be shorter)
  index_t nblocks;  // number of k-blocks, ceil(k / kc)
};
// Products of at most this many columns take the ISA's narrow kernel (isa.h: gemm_narrow).
constexpr index_t kNarrowCols = 16;
GemmBlocking sgemm_blocking(index_t k, index_t n);
// The longest k-block sgemm_blocking(k, n) gives for any k <= k_max (for sizing buffers that serve
// products of several lengths: deep products take longer blocks, ukernel.h).
index_t sgemm_max_kc(index_t k_max, index_t n);
// Floats from one packed micro-panel to the next: whole 64-byte lines, an odd number of them, so
// that step p of consecutive panels falls into different L1 sets while packing (with r * kb * 4 a
// multiple of 4 KB they would all share one set).
inline index_t sgemm_panel_floats(int r, index_t kb) { return ((r * kb + 15) / 16 | 1) * 16; }
// Pack op(A) [m x kb] (one k-block) / op(B) [kb x n] into dst, in the layout above.
void sgemm_pack_a(const GemmBlocking& bl, bool trans_a, index_t m, index_t kb, const float* a, index_t lda,
                  float* dst);
void sgemm_pack_b(const GemmBlocking& bl, bool trans_b, index_t n, index_t kb, const float* b, index_t ldb,
                  float* dst);
// C = alpha * A * B + beta * C for one k-block of packed operands (m x kb and kb x n), on the
// calling thread (no parallel region, no allocation: safe inside a caller's parallel region).
// beta == 0 does not read C.
void sgemm_packed_block(const GemmBlocking& bl, index_t m, index_t n, index_t kb, float alpha,
                        const float* apack, const float* bpack, float beta, float* c, index_t ldc);

}  // namespace gn

#endif  // GRADNODE_KERNELS_GEMM_GEMM_H_
