// PLACEHOLDER (correct, slow): replaced by the packed Goto/BLIS driver.
#include "gemm.h"
#include "../threads.h"

namespace gn {

void sgemm(bool trans_a, bool trans_b, index_t m, index_t n, index_t k, float alpha, const float* a,
           index_t lda, const float* b, index_t ldb, float beta, float* c, index_t ldc) {
  sgemm_batched(1, trans_a, trans_b, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0);
}

void sgemm_batched(index_t batch, bool trans_a, bool trans_b, index_t m, index_t n, index_t k,
                   float alpha, const float* a, index_t lda, index_t stride_a, const float* b,
                   index_t ldb, index_t stride_b, float beta, float* c, index_t ldc, index_t stride_c) {
  const int nt = threads_for(batch * m, 1);
#pragma omp parallel for num_threads(nt) schedule(static) collapse(2)
  for (index_t q = 0; q < batch; ++q)
    for (index_t i = 0; i < m; ++i) {
      const float* A = a + q * stride_a;
      const float* B = b + q * stride_b;
      float* C = c + q * stride_c + i * ldc;
      for (index_t j = 0; j < n; ++j) {
        float acc = 0.f;
        for (index_t p = 0; p < k; ++p)
          acc += (trans_a ? A[p * lda + i] : A[i * lda + p]) * (trans_b ? B[j * ldb + p] : B[p * ldb + j]);
        C[j] = alpha * acc + (beta == 0.f ? 0.f : beta * C[j]);
      }
    }
}

}  // namespace gn
