// STUB: replaced by the real micro-kernel.
#include "ukernel.h"
namespace gn {
namespace generic {
namespace {
void run(index_t kc, const float* GN_RESTRICT a, const float* GN_RESTRICT b, float* GN_RESTRICT c,
         index_t ldc, float alpha, float beta) {
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) {
      float acc = 0.f;
      for (index_t p = 0; p < kc; ++p) acc += a[p * 4 + i] * b[p * 4 + j];
      c[i * ldc + j] = alpha * acc + (beta == 0.f ? 0.f : beta * c[i * ldc + j]);
    }
}
}  // namespace
GemmUkernel gemm_ukernel() { return {4, 4, 256, 64, 1024, run}; }
}  // namespace generic
}  // namespace gn
