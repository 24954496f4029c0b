// Convolution micro-kernel (conv_ukernel.h) for AVX2 + FMA: the GEMM's 6x16 register tile
// (gemm/ukernel_avx2.cc) with each B row loaded from b + off[p]. Per k step: 1 offset load, 2
// unaligned loads of B, 6 broadcasts of A, 12 FMAs.
//
// ISA unit (compiled with -mavx2 -mfma): everything lives in gn::avx2, helpers in an anonymous
// namespace, and only intrinsics and project headers are included (KERNELS.md §6.5).
#include <immintrin.h>

#include "../gemm/tile_6x16_avx2.h"
#include "conv_lanes.h"
#include "conv_ukernel.h"

namespace gn {
namespace avx2 {
namespace {

constexpr int kMr = 6;
constexpr int kNr = 16;

inline void store_row(float* c, __m256 acc0, __m256 acc1, float beta) {
  if (beta == 0.f) {
    _mm256_storeu_ps(c, acc0);
    _mm256_storeu_ps(c + 8, acc1);
  } else {
    _mm256_storeu_ps(c, _mm256_add_ps(acc0, _mm256_loadu_ps(c)));
    _mm256_storeu_ps(c + 8, _mm256_add_ps(acc1, _mm256_loadu_ps(c + 8)));
  }
}

// conv_f32_ukernel_6x16__avx2_fma
void conv_f32_ukernel_6x16(index_t kc, const float* GN_RESTRICT a, const float* GN_RESTRICT b,
                           const index_t* GN_RESTRICT off, index_t half, float* GN_RESTRICT c, index_t ldc,
                           float beta) {
  __m256 c0x0 = _mm256_setzero_ps(), c0x8 = _mm256_setzero_ps();
  __m256 c1x0 = _mm256_setzero_ps(), c1x8 = _mm256_setzero_ps();
  __m256 c2x0 = _mm256_setzero_ps(), c2x8 = _mm256_setzero_ps();
  __m256 c3x0 = _mm256_setzero_ps(), c3x8 = _mm256_setzero_ps();
  __m256 c4x0 = _mm256_setzero_ps(), c4x8 = _mm256_setzero_ps();
  __m256 c5x0 = _mm256_setzero_ps(), c5x8 = _mm256_setzero_ps();

#pragma GCC unroll 4
  for (index_t p = 0; p < kc; ++p) {
    const float* bp = b + off[p];
    const __m256 b0 = _mm256_loadu_ps(bp);
    const __m256 b8 = _mm256_loadu_ps(bp + half);
    __m256 ai;
    ai = _mm256_broadcast_ss(a + 0);
    c0x0 = _mm256_fmadd_ps(ai, b0, c0x0);
    c0x8 = _mm256_fmadd_ps(ai, b8, c0x8);
    ai = _mm256_broadcast_ss(a + 1);
    c1x0 = _mm256_fmadd_ps(ai, b0, c1x0);
    c1x8 = _mm256_fmadd_ps(ai, b8, c1x8);
    ai = _mm256_broadcast_ss(a + 2);
    c2x0 = _mm256_fmadd_ps(ai, b0, c2x0);
    c2x8 = _mm256_fmadd_ps(ai, b8, c2x8);
    ai = _mm256_broadcast_ss(a + 3);
    c3x0 = _mm256_fmadd_ps(ai, b0, c3x0);
    c3x8 = _mm256_fmadd_ps(ai, b8, c3x8);
    ai = _mm256_broadcast_ss(a + 4);
    c4x0 = _mm256_fmadd_ps(ai, b0, c4x0);
    c4x8 = _mm256_fmadd_ps(ai, b8, c4x8);
    ai = _mm256_broadcast_ss(a + 5);
    c5x0 = _mm256_fmadd_ps(ai, b0, c5x0);
    c5x8 = _mm256_fmadd_ps(ai, b8, c5x8);
    a += kMr;
  }

  store_row(c + 0 * ldc, c0x0, c0x8, beta);
  store_row(c + 1 * ldc, c1x0, c1x8, beta);
  store_row(c + 2 * ldc, c2x0, c2x8, beta);
  store_row(c + 3 * ldc, c3x0, c3x8, beta);
  store_row(c + 4 * ldc, c4x0, c4x8, beta);
  store_row(c + 5 * ldc, c5x0, c5x8, beta);
}

// v, kept in a register: the empty asm makes the compiler materialise it there.
inline __m256 in_register(__m256 v) {
  __asm__("" : "+x"(v));
  return v;
}

// conv_filter_f32_ukernel_6x2__avx2_fma: two taps at a time, 6 rows x 2 taps of 8-lane partial
// sums, loaded from and stored back to part. Per 8 positions: 1 mask load, 2 loads and 2 ANDs of
// x, 6 loads of dY, 12 FMAs.
void conv_filter_f32_ukernel_6x2(index_t len, const float* GN_RESTRICT dy, index_t ldd,
                                 const float* GN_RESTRICT x, const index_t* GN_RESTRICT off,
                                 index_t taps, const std::uint32_t* GN_RESTRICT mask,
                                 float* GN_RESTRICT part, bool accumulate) {
  const float* mk = reinterpret_cast<const float*>(mask);
  for (index_t t = 0; t < taps; t += 2) {
    const bool two = t + 1 < taps;
    const float* x0 = x + off[t];
    const float* x1 = x + off[two ? t + 1 : t];
    float* p0 = part + t * kFilterRows * 8;
    float* p1 = two ? p0 + kFilterRows * 8 : nullptr;
    __m256 c[kFilterRows][2];
    for (int i = 0; i < kFilterRows; ++i) {
      c[i][0] = accumulate ? _mm256_loadu_ps(p0 + i * 8) : _mm256_setzero_ps();
      c[i][1] = accumulate && two ? _mm256_loadu_ps(p1 + i * 8) : _mm256_setzero_ps();
    }
    __m256 c00 = c[0][0], c01 = c[0][1], c10 = c[1][0], c11 = c[1][1], c20 = c[2][0], c21 = c[2][1];
    __m256 c30 = c[3][0], c31 = c[3][1], c40 = c[4][0], c41 = c[4][1], c50 = c[5][0], c51 = c[5][1];
    for (index_t q = 0; q < len; q += 8) {
      // in_register(): each load once (GCC would fold it into both of its users, doubling the
      // loads: 16 per 12 FMAs instead of 9, and the loop load-bound).
      const __m256 m = in_register(_mm256_loadu_ps(mk + q));
      const __m256 b0 = _mm256_and_ps(_mm256_loadu_ps(x0 + q), m);
      const __m256 b1 = _mm256_and_ps(_mm256_loadu_ps(x1 + q), m);
      __m256 a;
      a = in_register(_mm256_loadu_ps(dy + 0 * ldd + q));
      c00 = _mm256_fmadd_ps(a, b0, c00);
      c01 = _mm256_fmadd_ps(a, b1, c01);
      a = in_register(_mm256_loadu_ps(dy + 1 * ldd + q));
      c10 = _mm256_fmadd_ps(a, b0, c10);
      c11 = _mm256_fmadd_ps(a, b1, c11);
      a = in_register(_mm256_loadu_ps(dy + 2 * ldd + q));
      c20 = _mm256_fmadd_ps(a, b0, c20);
      c21 = _mm256_fmadd_ps(a, b1, c21);
      a = in_register(_mm256_loadu_ps(dy + 3 * ldd + q));
      c30 = _mm256_fmadd_ps(a, b0, c30);
      c31 = _mm256_fmadd_ps(a, b1, c31);
      a = in_register(_mm256_loadu_ps(dy + 4 * ldd + q));
      c40 = _mm256_fmadd_ps(a, b0, c40);
      c41 = _mm256_fmadd_ps(a, b1, c41);
      a = in_register(_mm256_loadu_ps(dy + 5 * ldd + q));
      c50 = _mm256_fmadd_ps(a, b0, c50);
      c51 = _mm256_fmadd_ps(a, b1, c51);
    }
    const __m256 r0[kFilterRows] = {c00, c10, c20, c30, c40, c50};
    const __m256 r1[kFilterRows] = {c01, c11, c21, c31, c41, c51};
    for (int i = 0; i < kFilterRows; ++i) {
      _mm256_storeu_ps(p0 + i * 8, r0[i]);
      if (two) _mm256_storeu_ps(p1 + i * 8, r1[i]);
    }
  }
}

// conv_chan_f32_ukernel_6x16__avx2_fma: the GEMM's 6x16 register tile with A broadcast from 6
// positions of the input through the tap offsets. Per k step: 1 offset load, 2 loads of B, 6
// broadcasts, 12 FMAs.
void conv_chan_f32_ukernel_6x16(index_t kc, const float* GN_RESTRICT x, const index_t* GN_RESTRICT aoff,
                                const index_t* GN_RESTRICT off, const float* GN_RESTRICT b,
                                float* GN_RESTRICT c) {
  const float* x0 = x + aoff[0];
  const float* x1 = x + aoff[1];
  const float* x2 = x + aoff[2];
  const float* x3 = x + aoff[3];
  const float* x4 = x + aoff[4];
  const float* x5 = x + aoff[5];
  __m256 c0x0 = _mm256_setzero_ps(), c0x8 = _mm256_setzero_ps();
  __m256 c1x0 = _mm256_setzero_ps(), c1x8 = _mm256_setzero_ps();
  __m256 c2x0 = _mm256_setzero_ps(), c2x8 = _mm256_setzero_ps();
  __m256 c3x0 = _mm256_setzero_ps(), c3x8 = _mm256_setzero_ps();
  __m256 c4x0 = _mm256_setzero_ps(), c4x8 = _mm256_setzero_ps();
  __m256 c5x0 = _mm256_setzero_ps(), c5x8 = _mm256_setzero_ps();
#pragma GCC unroll 4
  for (index_t p = 0; p < kc; ++p) {
    const index_t o = off[p];
    step_6x16(b, x0 + o, x1 + o, x2 + o, x3 + o, x4 + o, x5 + o, c0x0, c0x8, c1x0, c1x8, c2x0, c2x8,
              c3x0, c3x8, c4x0, c4x8, c5x0, c5x8);
    b += kChanCols;
  }
  store_row(c + 0 * kChanCols, c0x0, c0x8, 0.f);
  store_row(c + 1 * kChanCols, c1x0, c1x8, 0.f);
  store_row(c + 2 * kChanCols, c2x0, c2x8, 0.f);
  store_row(c + 3 * kChanCols, c3x0, c3x8, 0.f);
  store_row(c + 4 * kChanCols, c4x0, c4x8, 0.f);
  store_row(c + 5 * kChanCols, c5x0, c5x8, 0.f);
}

// The batch-lanes kernels (conv_lanes.h): one pixel of 8 samples per vector, 6 output channels
// by two positions per pass (12 accumulators); backward-filter 3 channels by 3 taps.
struct LanesVec {
  using T = __m256;
  static constexpr index_t kLanes = 8;
  static constexpr int kFilterKb = 3;  // backward-filter: output channels by taps per pass
  static constexpr int kFilterTb = 3;
  static constexpr int kMaxCb = 6;
  static T zero() { return _mm256_setzero_ps(); }
  static T load(const float* p) { return _mm256_loadu_ps(p); }
  static T set1(float x) { return _mm256_set1_ps(x); }
  static T add(T a, T b) { return _mm256_add_ps(a, b); }
  static T fma(T a, T b, T c) { return _mm256_fmadd_ps(a, b, c); }
  static void store(float* p, T v) { _mm256_storeu_ps(p, v); }
  static float hsum(T v) {
    const __m128 h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 q = _mm_add_ps(h, _mm_movehl_ps(h, h));
    return _mm_cvtss_f32(_mm_add_ss(q, _mm_shuffle_ps(q, q, 1)));
  }
  // r[i][j] -> r[j][i], 8 x 8.
  static void transpose(T* r) {
    T t[8];
    for (int a = 0; a < 4; ++a) {
      t[2 * a] = _mm256_unpacklo_ps(r[2 * a], r[2 * a + 1]);
      t[2 * a + 1] = _mm256_unpackhi_ps(r[2 * a], r[2 * a + 1]);
    }
    // u[4b + c], 128-bit lane k: column 4k + c of rows 4b .. 4b + 3.
    T u[8];
    for (int b = 0; b < 2; ++b) {
      u[4 * b + 0] = _mm256_shuffle_ps(t[4 * b], t[4 * b + 2], 0x44);
      u[4 * b + 1] = _mm256_shuffle_ps(t[4 * b], t[4 * b + 2], 0xEE);
      u[4 * b + 2] = _mm256_shuffle_ps(t[4 * b + 1], t[4 * b + 3], 0x44);
      u[4 * b + 3] = _mm256_shuffle_ps(t[4 * b + 1], t[4 * b + 3], 0xEE);
    }
    for (int c = 0; c < 4; ++c) {
      r[c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x20);
      r[4 + c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x31);
    }
  }
};

#include "conv_lanes_kernel.inc"

void conv_lanes_f32(const ConvLanesGeom& g, const ConvLanesBlock& b, const float* GN_RESTRICT wt) {
  conv_lanes_kernel<LanesVec>(g, b, wt);
}

void conv_lanes_filter_f32(const ConvLanesGeom& g, const ConvLanesFilterBlock& b) {
  conv_lanes_filter_kernel<LanesVec>(g, b);
}

}  // namespace

ConvUkernel conv_ukernel() {
  return {kMr, kNr, conv_f32_ukernel_6x16, conv_filter_f32_ukernel_6x2, 8, conv_chan_f32_ukernel_6x16, kMr,
          conv_lanes_f32, static_cast<int>(LanesVec::kLanes), conv_lanes_filter_f32};
}

}  // namespace avx2
}  // namespace gn
