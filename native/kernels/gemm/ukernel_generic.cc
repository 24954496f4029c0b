// GEMM micro-kernel in plain C++ for the platform baseline (SSE2 on x86-64, Advanced SIMD on
// AArch64): a 6x8 tile held in a local array that the compiler keeps in registers and vectorises
// (12 xmm accumulators with SSE2: two 4-float vectors per row, mul + add since SSE2 has no FMA).
// GCC 12 reaches ~16-19 GFLOP/s with it on Zen3 (GCC vector extensions would give ~24, at the cost
// of portability to MSVC).
// It is also the reference the ISA kernels mirror. Contract and packed layouts in ukernel.h.
//
// Compiled without ISA flags, but kept to the rules of the ISA units all the same: namespace
// gn::generic, helpers in an anonymous namespace, no STL.
#include "ukernel.h"

namespace gn {
namespace generic {
namespace {

constexpr int kMr = 6;
constexpr int kNr = 8;

// Same cache budget as the AVX2 blocking: a 256 x 8 panel of B is 8 KB, a 144 x 256 block of A
// 144 KB, a 256 x 4080 panel of B 4 MB.
constexpr int kKc = 256;
constexpr int kMc = 144;
constexpr int kNc = 4080;

// gemm_f32_ukernel_6x8__scalar
void gemm_f32_ukernel_6x8(index_t kc, const float* GN_RESTRICT a, const float* GN_RESTRICT b,
                          float* GN_RESTRICT c, index_t ldc, float alpha, float beta) {
  float acc[kMr][kNr] = {};
  for (index_t p = 0; p < kc; ++p) {
    // The copy of the B row helps GCC keep the tile in registers (without it, GCC 12 spills).
    float bp[kNr];
    for (int j = 0; j < kNr; ++j) bp[j] = b[j];
    for (int i = 0; i < kMr; ++i) {
      const float ai = a[i];
      for (int j = 0; j < kNr; ++j) acc[i][j] += ai * bp[j];
    }
    a += kMr;
    b += kNr;
  }
  for (int i = 0; i < kMr; ++i) {
    float* ci = c + i * ldc;
    if (beta == 0.f) {
      for (int j = 0; j < kNr; ++j) ci[j] = alpha * acc[i][j];
    } else {
      for (int j = 0; j < kNr; ++j) ci[j] = alpha * acc[i][j] + beta * ci[j];
    }
  }
}

}  // namespace

GemmUkernel gemm_ukernel() { return {kMr, kNr, kKc, kMc, kNc, gemm_f32_ukernel_6x8}; }

}  // namespace generic
}  // namespace gn
