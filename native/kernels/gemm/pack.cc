// Packing of GEMM operands into micro-panels (pack.h). Baseline unit: SSE2 on x86-64, Advanced
// SIMD on AArch64 (both are part of their platform's baseline), plain loops elsewhere.
//
// The copy case (r consecutive floats per k step) is left to the compiler, which turns the
// fixed-length inner loop into vector moves. The transpose case moves 4x4 blocks through registers,
// so that each source row is read 16 bytes at a time, unless the ISA in use has its own transposing
// pack for panels of a multiple of 8 rows (IsaKernels::pack_transpose: AVX2's 8x8 blocks).
#include "pack.h"

#include <cstring>

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#define GN_PACK_SSE2 1
#elif defined(__aarch64__) || defined(_M_ARM64)
#include <arm_neon.h>
#define GN_PACK_NEON 1
#endif

#include "../isa.h"

namespace gn {
namespace gemm_detail {
namespace {

// d[q * ldd + i] = s[i * lds + q] for a 4x4 block (rows of s become columns of d).
inline void transpose_4x4(const float* s, index_t lds, float* d, index_t ldd) {
#if GN_PACK_SSE2
  __m128 r0 = _mm_loadu_ps(s);
  __m128 r1 = _mm_loadu_ps(s + lds);
  __m128 r2 = _mm_loadu_ps(s + 2 * lds);
  __m128 r3 = _mm_loadu_ps(s + 3 * lds);
  _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
  _mm_storeu_ps(d, r0);
  _mm_storeu_ps(d + ldd, r1);
  _mm_storeu_ps(d + 2 * ldd, r2);
  _mm_storeu_ps(d + 3 * ldd, r3);
#elif GN_PACK_NEON
  const float32x4x2_t t01 = vtrnq_f32(vld1q_f32(s), vld1q_f32(s + lds));
  const float32x4x2_t t23 = vtrnq_f32(vld1q_f32(s + 2 * lds), vld1q_f32(s + 3 * lds));
  vst1q_f32(d, vcombine_f32(vget_low_f32(t01.val[0]), vget_low_f32(t23.val[0])));
  vst1q_f32(d + ldd, vcombine_f32(vget_low_f32(t01.val[1]), vget_low_f32(t23.val[1])));
  vst1q_f32(d + 2 * ldd, vcombine_f32(vget_high_f32(t01.val[0]), vget_high_f32(t23.val[0])));
  vst1q_f32(d + 3 * ldd, vcombine_f32(vget_high_f32(t01.val[1]), vget_high_f32(t23.val[1])));
#else
  for (int q = 0; q < 4; ++q)
    for (int i = 0; i < 4; ++i) d[q * ldd + i] = s[i * lds + q];
#endif
}

// The same for a 2x4 block (two source rows).
inline void transpose_2x4(const float* s, index_t lds, float* d, index_t ldd) {
#if GN_PACK_SSE2
  const __m128 r0 = _mm_loadu_ps(s);
  const __m128 r1 = _mm_loadu_ps(s + lds);
  const __m128 lo = _mm_unpacklo_ps(r0, r1);  // r0[0] r1[0] r0[1] r1[1]
  const __m128 hi = _mm_unpackhi_ps(r0, r1);  // r0[2] r1[2] r0[3] r1[3]
  _mm_storel_pi(reinterpret_cast<__m64*>(d), lo);
  _mm_storeh_pi(reinterpret_cast<__m64*>(d + ldd), lo);
  _mm_storel_pi(reinterpret_cast<__m64*>(d + 2 * ldd), hi);
  _mm_storeh_pi(reinterpret_cast<__m64*>(d + 3 * ldd), hi);
#else
  for (int q = 0; q < 4; ++q)
    for (int i = 0; i < 2; ++i) d[q * ldd + i] = s[i * lds + q];
#endif
}

// Any r, any strides, with zero padding past `valid` rows (edge panels and unusual tiles).
void pack_panel_any(int r, index_t valid, index_t kc, const float* src, index_t stride_r,
                    index_t stride_k, float* dst) {
  for (index_t p = 0; p < kc; ++p) {
    float* d = dst + p * r;
    index_t i = 0;
    for (; i < valid; ++i) d[i] = src[i * stride_r + p * stride_k];
    for (; i < r; ++i) d[i] = 0.f;
  }
}

// Transpose case (stride_k == 1), each source row contiguous along k: the first `valid` of a
// panel's r rows (all of them for a full panel), in 4x4 and 2x4 blocks through registers.
inline void transpose_rows(int r, index_t valid, index_t kc, const float* src, index_t stride_r, float* dst) {
  index_t p = 0;
  for (; p + 4 <= kc; p += 4) {
    index_t i = 0;
    for (; i + 4 <= valid; i += 4) transpose_4x4(src + i * stride_r + p, stride_r, dst + p * r + i, r);
    if (valid - i >= 2) {
      transpose_2x4(src + i * stride_r + p, stride_r, dst + p * r + i, r);
      i += 2;
    }
    for (; i < valid; ++i)
      for (int q = 0; q < 4; ++q) dst[(p + q) * r + i] = src[i * stride_r + p + q];
  }
  for (; p < kc; ++p)
    for (index_t i = 0; i < valid; ++i) dst[p * r + i] = src[i * stride_r + p];
}

// An edge panel: the first `valid` of its r rows from src, the rest zero. The whole panel is
// zeroed by one memset first (per-step zeroing of a few floats compiled to rep stosq, whose
// start-up cost per call dominated), then the valid rows move as the full panels' do: a memcpy
// per step, or transpose_rows' blocks, instead of pack_panel_any's one float at a time.
// 1 thread, gemm_paths: 64x10x256 A·Bᵀ (sup; B one 16-wide panel, 6 columns of padding) 7.66 ->
// 5.34 us; LeNet fc1 and fc2 (packed, 64x120x400 and 64x84x120 A·Bᵀ) 53 -> 50 and 12.5 -> 11.5 us.
void pack_panel_edge(int r, index_t valid, index_t kc, const float* src, index_t stride_r, index_t stride_k,
                     float* dst) {
  if (stride_r != 1 && stride_k != 1) {
    pack_panel_any(r, valid, kc, src, stride_r, stride_k, dst);
    return;
  }
  std::memset(dst, 0, sizeof(float) * static_cast<std::size_t>(r) * static_cast<std::size_t>(kc));
  if (stride_r == 1) {
    for (index_t p = 0; p < kc; ++p) std::memcpy(dst + p * r, src + p * stride_k, sizeof(float) * valid);
    return;
  }
  transpose_rows(r, valid, kc, src, stride_r, dst);
}

// Copy case (stride_r == 1): the R floats of step p are contiguous at src + p * stride_k. Panels
// q0 .. q1-1 are packed together, step by step, so that the source is read in runs of
// (q1 - q0) * R floats per row rather than one R-float strip per row and panel (with a large
// stride_k, e.g. B of a convolution with 65536 columns, strips cost one cache miss each).
template <int R>
void pack_panels_copy(const float* src, index_t q0, index_t q1, index_t kc, index_t stride_k,
                      float* dst, index_t panel_stride) {
  for (index_t p = 0; p < kc; ++p) {
    const float* s = src + p * stride_k + q0 * R;
    float* d = dst + q0 * panel_stride + p * R;
    // A fixed-size memcpy compiles to a few vector moves (the plain loop stayed scalar).
    for (index_t q = q0; q < q1; ++q, s += R, d += panel_stride) std::memcpy(d, s, R * sizeof(float));
  }
}

// Transpose case (stride_k == 1): each of the R source rows is contiguous along k.
template <int R>
void pack_panel_transpose(const float* src, index_t kc, index_t stride_r, float* dst) {
  transpose_rows(R, R, kc, src, stride_r, dst);
}

// Floats of one source row read in one run by the copy case (4 KB: 16x65536x144 runs ~30% faster
// than with 1 KB runs on Zen3, the hardware prefetcher tracks few concurrent streams).
constexpr index_t kCopyRun = 1024;

template <int R>
void pack_panels_fixed(index_t rows, index_t kc, const float* src, index_t stride_r,
                       index_t stride_k, float* dst, index_t panel_stride) {
  const index_t full = rows / R;  // panels without padding
  if (stride_r == 1) {
    constexpr index_t kGroup = kCopyRun / R > 0 ? kCopyRun / R : 1;
    for (index_t q0 = 0; q0 < full; q0 += kGroup)
      pack_panels_copy<R>(src, q0, q0 + kGroup < full ? q0 + kGroup : full, kc, stride_k, dst,
                          panel_stride);
  } else {
    const PackTransposeFn isa_transpose = R % 8 == 0 ? kernels().pack_transpose : nullptr;
    for (index_t q = 0; q < full; ++q) {
      if (stride_k == 1 && isa_transpose)
        isa_transpose(R, kc, src + q * R * stride_r, stride_r, dst + q * panel_stride);
      else if (stride_k == 1)
        pack_panel_transpose<R>(src + q * R * stride_r, kc, stride_r, dst + q * panel_stride);
      else
        pack_panel_any(R, R, kc, src + q * R * stride_r, stride_r, stride_k, dst + q * panel_stride);
    }
  }
  if (rows > full * R)
    pack_panel_edge(R, rows - full * R, kc, src + full * R * stride_r, stride_r, stride_k,
                    dst + full * panel_stride);
}

}  // namespace

void pack_panels(int r, index_t rows, index_t kc, const float* src, index_t stride_r,
                 index_t stride_k, float* dst, index_t panel_stride) {
  switch (r) {
    case 4: return pack_panels_fixed<4>(rows, kc, src, stride_r, stride_k, dst, panel_stride);
    case 6: return pack_panels_fixed<6>(rows, kc, src, stride_r, stride_k, dst, panel_stride);
    case 8: return pack_panels_fixed<8>(rows, kc, src, stride_r, stride_k, dst, panel_stride);
    case 12: return pack_panels_fixed<12>(rows, kc, src, stride_r, stride_k, dst, panel_stride);
    case 16: return pack_panels_fixed<16>(rows, kc, src, stride_r, stride_k, dst, panel_stride);
    case 32: return pack_panels_fixed<32>(rows, kc, src, stride_r, stride_k, dst, panel_stride);
    default:
      for (; rows > 0; rows -= r, src += r * stride_r, dst += panel_stride)
        pack_panel_any(r, rows < r ? rows : r, kc, src, stride_r, stride_k, dst);
  }
}

void pack_interleaved(int steps, index_t vectors, index_t cols, index_t kc, const float* src, index_t stride_r,
                      index_t stride_k, float* dst) {
  const index_t per_vector = 8 / steps;  // columns
  std::memset(dst, 0, sizeof(float) * static_cast<std::size_t>(interleaved_floats(steps, vectors, kc)));
  for (index_t p = 0; p < kc; ++p) {
    float* d = dst + (p / steps) * 8 * vectors + p % steps;
    for (index_t j = 0; j < cols; ++j)
      d[(j / per_vector) * 8 + (j % per_vector) * steps] = src[j * stride_r + p * stride_k];
  }
}

}  // namespace gemm_detail
}  // namespace gn
