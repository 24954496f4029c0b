// GEMM micro-kernel for AArch64 Advanced SIMD: an 8x12 tile of C in 24 q accumulators (BLIS
// cortexa57 sgemm shape). Per k step: 3 loads of B (12 floats), 2 loads of A (8 floats), 24
// by-lane FMAs (`fmla v.4s, v.4s, v.s[lane]`), 29 of the 32 q registers. Contract and packed
// layouts in ukernel.h.
//
// ISA unit: everything lives in gn::neon, helpers in an anonymous namespace, and only intrinsics
// and project headers are included (KERNELS.md §6.5).
#include <arm_neon.h>

#include "ukernel.h"

namespace gn {
namespace neon {
namespace {

constexpr int kMr = 8;
constexpr int kNr = 12;

// Blocking from BLIS cortexa57 (sgemm 8x12): a 640 x 12 panel of B is 30 KB, a 120 x 640 block of
// A is 300 KB, a 640 x 3072 panel of B is 7.5 MB. Untuned for Neoverse / Apple cores.
constexpr int kKc = 640;
constexpr int kMc = 120;
constexpr int kNc = 3072;

// C[0..11] = alpha * acc + beta * C; beta == 0 never reads C.
inline void store_row(float* c, float32x4_t acc0, float32x4_t acc4, float32x4_t acc8, float alpha,
                      float beta) {
  if (beta == 0.f) {
    vst1q_f32(c, vmulq_n_f32(acc0, alpha));
    vst1q_f32(c + 4, vmulq_n_f32(acc4, alpha));
    vst1q_f32(c + 8, vmulq_n_f32(acc8, alpha));
  } else if (beta == 1.f) {
    vst1q_f32(c, vfmaq_n_f32(vld1q_f32(c), acc0, alpha));
    vst1q_f32(c + 4, vfmaq_n_f32(vld1q_f32(c + 4), acc4, alpha));
    vst1q_f32(c + 8, vfmaq_n_f32(vld1q_f32(c + 8), acc8, alpha));
  } else {
    vst1q_f32(c, vfmaq_n_f32(vmulq_n_f32(vld1q_f32(c), beta), acc0, alpha));
    vst1q_f32(c + 4, vfmaq_n_f32(vmulq_n_f32(vld1q_f32(c + 4), beta), acc4, alpha));
    vst1q_f32(c + 8, vfmaq_n_f32(vmulq_n_f32(vld1q_f32(c + 8), beta), acc8, alpha));
  }
}

// Row i of the tile += A(i, p) * B(p, 0..11), A(i, p) being lane `lane` of `av`.
#define GN_NEON_ROW(i, av, lane)                      \
  c##i##x0 = vfmaq_laneq_f32(c##i##x0, b0, av, lane); \
  c##i##x4 = vfmaq_laneq_f32(c##i##x4, b4, av, lane); \
  c##i##x8 = vfmaq_laneq_f32(c##i##x8, b8, av, lane)

// gemm_f32_ukernel_8x12__neon_fma_lane
void gemm_f32_ukernel_8x12(index_t kc, const float* GN_RESTRICT a, const float* GN_RESTRICT b,
                           float* GN_RESTRICT c, index_t ldc, float alpha, float beta) {
  const float32x4_t zero = vdupq_n_f32(0.f);
  float32x4_t c0x0 = zero, c0x4 = zero, c0x8 = zero;
  float32x4_t c1x0 = zero, c1x4 = zero, c1x8 = zero;
  float32x4_t c2x0 = zero, c2x4 = zero, c2x8 = zero;
  float32x4_t c3x0 = zero, c3x4 = zero, c3x8 = zero;
  float32x4_t c4x0 = zero, c4x4 = zero, c4x8 = zero;
  float32x4_t c5x0 = zero, c5x4 = zero, c5x8 = zero;
  float32x4_t c6x0 = zero, c6x4 = zero, c6x8 = zero;
  float32x4_t c7x0 = zero, c7x4 = zero, c7x8 = zero;

#pragma GCC unroll 2
  for (index_t p = 0; p < kc; ++p) {
    const float32x4_t a0 = vld1q_f32(a);
    const float32x4_t a4 = vld1q_f32(a + 4);
    const float32x4_t b0 = vld1q_f32(b);
    const float32x4_t b4 = vld1q_f32(b + 4);
    const float32x4_t b8 = vld1q_f32(b + 8);
    GN_NEON_ROW(0, a0, 0);
    GN_NEON_ROW(1, a0, 1);
    GN_NEON_ROW(2, a0, 2);
    GN_NEON_ROW(3, a0, 3);
    GN_NEON_ROW(4, a4, 0);
    GN_NEON_ROW(5, a4, 1);
    GN_NEON_ROW(6, a4, 2);
    GN_NEON_ROW(7, a4, 3);
    a += kMr;
    b += kNr;
  }

  store_row(c + 0 * ldc, c0x0, c0x4, c0x8, alpha, beta);
  store_row(c + 1 * ldc, c1x0, c1x4, c1x8, alpha, beta);
  store_row(c + 2 * ldc, c2x0, c2x4, c2x8, alpha, beta);
  store_row(c + 3 * ldc, c3x0, c3x4, c3x8, alpha, beta);
  store_row(c + 4 * ldc, c4x0, c4x4, c4x8, alpha, beta);
  store_row(c + 5 * ldc, c5x0, c5x4, c5x8, alpha, beta);
  store_row(c + 6 * ldc, c6x0, c6x4, c6x8, alpha, beta);
  store_row(c + 7 * ldc, c7x0, c7x4, c7x8, alpha, beta);
}

#undef GN_NEON_ROW

}  // namespace

GemmUkernel gemm_ukernel() { return {kMr, kNr, kKc, kMc, kNc, gemm_f32_ukernel_8x12}; }

}  // namespace neon
}  // namespace gn
