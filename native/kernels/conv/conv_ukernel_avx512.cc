// Convolution micro-kernels for AVX-512 (F): the AVX2 ones (conv_ukernel_avx2.cc) widened. The run
// kernel covers 6 x 32 positions, the filter kernel keeps 16 lanes, and the channel kernel holds
// one row of 16 output channels in one zmm register: 10 rows (output positions, or taps in
// backward-filter) in 10 accumulators; per k step 1 offset load, 1 load of B, 10 FMAs with the
// broadcast folded in. 10 rows, not 12: with 12 row pointers GCC ran out of general registers and
// reloaded three from the stack every k step. LeNet conv2 (6 -> 16 5x5 14x14 b64), 1 thread:
// forward 323 us with the AVX2 6x16 kernel, 277 with 12 rows, 219 with 10. Contract in
// conv_ukernel.h.
//
// ISA unit (compiled with -mavx512f ...): everything lives in gn::avx512, helpers in an anonymous
// namespace, and only intrinsics and project headers are included (KERNELS.md §6.5).
#include <immintrin.h>

#include "../gemm/tile_avx512.h"
#include "conv_lanes.h"
#include "conv_ukernel.h"

namespace gn {
namespace avx512 {
namespace {

constexpr int kMr = 6;
constexpr int kNr = 32;
constexpr int kRows = 10;
static_assert(kRows <= kChanMaxRows, "the callers' offset arrays hold kChanMaxRows rows");

inline void store_row(float* c, __m512 acc0, __m512 acc1, float beta) {
  if (beta == 0.f) {
    _mm512_storeu_ps(c, acc0);
    _mm512_storeu_ps(c + 16, acc1);
  } else {
    _mm512_storeu_ps(c, _mm512_add_ps(acc0, _mm512_loadu_ps(c)));
    _mm512_storeu_ps(c + 16, _mm512_add_ps(acc1, _mm512_loadu_ps(c + 16)));
  }
}

// conv_f32_ukernel_6x32__avx512f: the AVX2 6x16 kernel with B rows of 32 positions (2 zmm).
void conv_f32_ukernel_6x32(index_t kc, const float* GN_RESTRICT a, const float* GN_RESTRICT b,
                           const index_t* GN_RESTRICT off, index_t half, float* GN_RESTRICT c, index_t ldc,
                           float beta) {
  __m512 c0x0 = _mm512_setzero_ps(), c0x16 = _mm512_setzero_ps();
  __m512 c1x0 = _mm512_setzero_ps(), c1x16 = _mm512_setzero_ps();
  __m512 c2x0 = _mm512_setzero_ps(), c2x16 = _mm512_setzero_ps();
  __m512 c3x0 = _mm512_setzero_ps(), c3x16 = _mm512_setzero_ps();
  __m512 c4x0 = _mm512_setzero_ps(), c4x16 = _mm512_setzero_ps();
  __m512 c5x0 = _mm512_setzero_ps(), c5x16 = _mm512_setzero_ps();
#pragma GCC unroll 4
  for (index_t p = 0; p < kc; ++p) {
    const float* bp = b + off[p];
    const __m512 b0 = _mm512_loadu_ps(bp);
    const __m512 b16 = _mm512_loadu_ps(bp + half);
    fma_row(a + 0, b0, b16, c0x0, c0x16);
    fma_row(a + 1, b0, b16, c1x0, c1x16);
    fma_row(a + 2, b0, b16, c2x0, c2x16);
    fma_row(a + 3, b0, b16, c3x0, c3x16);
    fma_row(a + 4, b0, b16, c4x0, c4x16);
    fma_row(a + 5, b0, b16, c5x0, c5x16);
    a += kMr;
  }
  store_row(c + 0 * ldc, c0x0, c0x16, beta);
  store_row(c + 1 * ldc, c1x0, c1x16, beta);
  store_row(c + 2 * ldc, c2x0, c2x16, beta);
  store_row(c + 3 * ldc, c3x0, c3x16, beta);
  store_row(c + 4 * ldc, c4x0, c4x16, beta);
  store_row(c + 5 * ldc, c5x0, c5x16, beta);
}

// v, kept in a register: the empty asm makes the compiler materialise it there (as in
// conv_ukernel_avx2.cc: otherwise GCC folds each load into both of its users).
inline __m512 in_register(__m512 v) {
  __asm__("" : "+v"(v));
  return v;
}

inline __m512 masked(__m512 v, __m512i m) { return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(v), m)); }

// conv_filter_f32_ukernel_6x2__avx512f: the AVX2 filter kernel with 16 lanes: two taps at a time,
// 6 rows x 2 taps of 16-lane partial sums. Per 16 positions: 1 mask load, 2 loads and 2 ANDs of
// x, 6 loads of dY, 12 FMAs.
void conv_filter_f32_ukernel_6x2(index_t len, const float* GN_RESTRICT dy, index_t ldd,
                                 const float* GN_RESTRICT x, const index_t* GN_RESTRICT off,
                                 index_t taps, const std::uint32_t* GN_RESTRICT mask,
                                 float* GN_RESTRICT part, bool accumulate) {
  constexpr int kL = 16;
  for (index_t t = 0; t < taps; t += 2) {
    const bool two = t + 1 < taps;
    const float* x0 = x + off[t];
    const float* x1 = x + off[two ? t + 1 : t];
    float* p0 = part + t * kFilterRows * kL;
    float* p1 = two ? p0 + kFilterRows * kL : nullptr;
    __m512 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
    if (accumulate) {
      c00 = _mm512_loadu_ps(p0 + 0 * kL), c10 = _mm512_loadu_ps(p0 + 1 * kL), c20 = _mm512_loadu_ps(p0 + 2 * kL);
      c30 = _mm512_loadu_ps(p0 + 3 * kL), c40 = _mm512_loadu_ps(p0 + 4 * kL), c50 = _mm512_loadu_ps(p0 + 5 * kL);
    } else {
      c00 = c10 = c20 = c30 = c40 = c50 = _mm512_setzero_ps();
    }
    if (accumulate && two) {
      c01 = _mm512_loadu_ps(p1 + 0 * kL), c11 = _mm512_loadu_ps(p1 + 1 * kL), c21 = _mm512_loadu_ps(p1 + 2 * kL);
      c31 = _mm512_loadu_ps(p1 + 3 * kL), c41 = _mm512_loadu_ps(p1 + 4 * kL), c51 = _mm512_loadu_ps(p1 + 5 * kL);
    } else {
      c01 = c11 = c21 = c31 = c41 = c51 = _mm512_setzero_ps();
    }
    for (index_t q = 0; q < len; q += kL) {
      const __m512i m = _mm512_loadu_si512(mask + q);
      const __m512 b0 = masked(_mm512_loadu_ps(x0 + q), m);
      const __m512 b1 = masked(_mm512_loadu_ps(x1 + q), m);
      __m512 a;
      a = in_register(_mm512_loadu_ps(dy + 0 * ldd + q));
      c00 = _mm512_fmadd_ps(a, b0, c00);
      c01 = _mm512_fmadd_ps(a, b1, c01);
      a = in_register(_mm512_loadu_ps(dy + 1 * ldd + q));
      c10 = _mm512_fmadd_ps(a, b0, c10);
      c11 = _mm512_fmadd_ps(a, b1, c11);
      a = in_register(_mm512_loadu_ps(dy + 2 * ldd + q));
      c20 = _mm512_fmadd_ps(a, b0, c20);
      c21 = _mm512_fmadd_ps(a, b1, c21);
      a = in_register(_mm512_loadu_ps(dy + 3 * ldd + q));
      c30 = _mm512_fmadd_ps(a, b0, c30);
      c31 = _mm512_fmadd_ps(a, b1, c31);
      a = in_register(_mm512_loadu_ps(dy + 4 * ldd + q));
      c40 = _mm512_fmadd_ps(a, b0, c40);
      c41 = _mm512_fmadd_ps(a, b1, c41);
      a = in_register(_mm512_loadu_ps(dy + 5 * ldd + q));
      c50 = _mm512_fmadd_ps(a, b0, c50);
      c51 = _mm512_fmadd_ps(a, b1, c51);
    }
    _mm512_storeu_ps(p0 + 0 * kL, c00), _mm512_storeu_ps(p0 + 1 * kL, c10), _mm512_storeu_ps(p0 + 2 * kL, c20);
    _mm512_storeu_ps(p0 + 3 * kL, c30), _mm512_storeu_ps(p0 + 4 * kL, c40), _mm512_storeu_ps(p0 + 5 * kL, c50);
    if (two) {
      _mm512_storeu_ps(p1 + 0 * kL, c01), _mm512_storeu_ps(p1 + 1 * kL, c11), _mm512_storeu_ps(p1 + 2 * kL, c21);
      _mm512_storeu_ps(p1 + 3 * kL, c31), _mm512_storeu_ps(p1 + 4 * kL, c41), _mm512_storeu_ps(p1 + 5 * kL, c51);
    }
  }
}

// p, kept as a pointer of its own: without this GCC folds x + aoff[i] into an index added to x
// with an lea for every row and every k step.
inline const float* opaque(const float* p) {
  __asm__("" : "+r"(p));
  return p;
}

// conv_chan_f32_ukernel_10x16__avx512f
void conv_chan_f32_ukernel_10x16(index_t kc, const float* GN_RESTRICT x, const index_t* GN_RESTRICT aoff,
                                 const index_t* GN_RESTRICT off, const float* GN_RESTRICT b,
                                 float* GN_RESTRICT c) {
  const float* x0 = opaque(x + aoff[0]);
  const float* x1 = opaque(x + aoff[1]);
  const float* x2 = opaque(x + aoff[2]);
  const float* x3 = opaque(x + aoff[3]);
  const float* x4 = opaque(x + aoff[4]);
  const float* x5 = opaque(x + aoff[5]);
  const float* x6 = opaque(x + aoff[6]);
  const float* x7 = opaque(x + aoff[7]);
  const float* x8 = opaque(x + aoff[8]);
  const float* x9 = opaque(x + aoff[9]);
  __m512 c0 = _mm512_setzero_ps();
  __m512 c1 = _mm512_setzero_ps();
  __m512 c2 = _mm512_setzero_ps();
  __m512 c3 = _mm512_setzero_ps();
  __m512 c4 = _mm512_setzero_ps();
  __m512 c5 = _mm512_setzero_ps();
  __m512 c6 = _mm512_setzero_ps();
  __m512 c7 = _mm512_setzero_ps();
  __m512 c8 = _mm512_setzero_ps();
  __m512 c9 = _mm512_setzero_ps();
#pragma GCC unroll 2
  for (index_t p = 0; p < kc; ++p) {
    const index_t o = off[p];
    const __m512 bv = _mm512_loadu_ps(b);
    c0 = _mm512_fmadd_ps(_mm512_set1_ps(x0[o]), bv, c0);
    c1 = _mm512_fmadd_ps(_mm512_set1_ps(x1[o]), bv, c1);
    c2 = _mm512_fmadd_ps(_mm512_set1_ps(x2[o]), bv, c2);
    c3 = _mm512_fmadd_ps(_mm512_set1_ps(x3[o]), bv, c3);
    c4 = _mm512_fmadd_ps(_mm512_set1_ps(x4[o]), bv, c4);
    c5 = _mm512_fmadd_ps(_mm512_set1_ps(x5[o]), bv, c5);
    c6 = _mm512_fmadd_ps(_mm512_set1_ps(x6[o]), bv, c6);
    c7 = _mm512_fmadd_ps(_mm512_set1_ps(x7[o]), bv, c7);
    c8 = _mm512_fmadd_ps(_mm512_set1_ps(x8[o]), bv, c8);
    c9 = _mm512_fmadd_ps(_mm512_set1_ps(x9[o]), bv, c9);
    b += kChanCols;
  }
  _mm512_storeu_ps(c + 0 * kChanCols, c0);
  _mm512_storeu_ps(c + 1 * kChanCols, c1);
  _mm512_storeu_ps(c + 2 * kChanCols, c2);
  _mm512_storeu_ps(c + 3 * kChanCols, c3);
  _mm512_storeu_ps(c + 4 * kChanCols, c4);
  _mm512_storeu_ps(c + 5 * kChanCols, c5);
  _mm512_storeu_ps(c + 6 * kChanCols, c6);
  _mm512_storeu_ps(c + 7 * kChanCols, c7);
  _mm512_storeu_ps(c + 8 * kChanCols, c8);
  _mm512_storeu_ps(c + 9 * kChanCols, c9);
}

// The batch-lanes kernels (conv_lanes.h): one pixel of 16 samples per vector, 8 output channels
// by two positions per pass (16 accumulators); backward-filter 6 channels by 4 taps (24).
struct LanesVec {
  using T = __m512;
  static constexpr index_t kLanes = 16;
  static constexpr int kFilterKb = 6;  // backward-filter: output channels by taps per pass
  static constexpr int kFilterTb = 4;
  static constexpr int kMaxCb = 8;
  static T zero() { return _mm512_setzero_ps(); }
  static T load(const float* p) { return _mm512_loadu_ps(p); }
  static T set1(float x) { return _mm512_set1_ps(x); }
  static T add(T a, T b) { return _mm512_add_ps(a, b); }
  static T fma(T a, T b, T c) { return _mm512_fmadd_ps(a, b, c); }
  static void store(float* p, T v) { _mm512_storeu_ps(p, v); }
  // (the halves with maskz: GCC 12's plain extract and cast pass an undefined vector, as below)
  static float hsum(T v) {
    const __m256 lower = _mm256_castpd_ps(_mm512_maskz_extractf64x4_pd(0xff, _mm512_castps_pd(v), 0));
    const __m256 upper = _mm256_castpd_ps(_mm512_maskz_extractf64x4_pd(0xff, _mm512_castps_pd(v), 1));
    const __m256 e = _mm256_add_ps(lower, upper);
    const __m128 h = _mm_add_ps(_mm256_castps256_ps128(e), _mm256_extractf128_ps(e, 1));
    const __m128 q = _mm_add_ps(h, _mm_movehl_ps(h, h));
    return _mm_cvtss_f32(_mm_add_ss(q, _mm_shuffle_ps(q, q, 1)));
  }
  // r[i][j] -> r[j][i], 16 x 16. (maskz with every lane set: GCC 12's plain unpack and shuffle_f32x4
  // pass an undefined vector, and -Wmaybe-uninitialized says so.)
  static constexpr __mmask16 kAll = 0xffff;
  static void transpose(T* r) {
    T t[16];
    for (int a = 0; a < 8; ++a) {
      t[2 * a] = _mm512_maskz_unpacklo_ps(kAll, r[2 * a], r[2 * a + 1]);
      t[2 * a + 1] = _mm512_maskz_unpackhi_ps(kAll, r[2 * a], r[2 * a + 1]);
    }
    // r[4b + c], 128-bit lane k: column 4k + c of rows 4b .. 4b + 3.
    for (int b = 0; b < 4; ++b) {
      r[4 * b + 0] = _mm512_shuffle_ps(t[4 * b], t[4 * b + 2], 0x44);
      r[4 * b + 1] = _mm512_shuffle_ps(t[4 * b], t[4 * b + 2], 0xEE);
      r[4 * b + 2] = _mm512_shuffle_ps(t[4 * b + 1], t[4 * b + 3], 0x44);
      r[4 * b + 3] = _mm512_shuffle_ps(t[4 * b + 1], t[4 * b + 3], 0xEE);
    }
    for (int c = 0; c < 4; ++c) {
      t[c] = _mm512_maskz_shuffle_f32x4(kAll, r[c], r[4 + c], 0x88);       // lanes 0, 2
      t[4 + c] = _mm512_maskz_shuffle_f32x4(kAll, r[c], r[4 + c], 0xDD);   // lanes 1, 3
      t[8 + c] = _mm512_maskz_shuffle_f32x4(kAll, r[8 + c], r[12 + c], 0x88);
      t[12 + c] = _mm512_maskz_shuffle_f32x4(kAll, r[8 + c], r[12 + c], 0xDD);
    }
    for (int c = 0; c < 4; ++c) {
      r[c] = _mm512_maskz_shuffle_f32x4(kAll, t[c], t[8 + c], 0x88);
      r[8 + c] = _mm512_maskz_shuffle_f32x4(kAll, t[c], t[8 + c], 0xDD);
      r[4 + c] = _mm512_maskz_shuffle_f32x4(kAll, t[4 + c], t[12 + c], 0x88);
      r[12 + c] = _mm512_maskz_shuffle_f32x4(kAll, t[4 + c], t[12 + c], 0xDD);
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
  ConvUkernel k = avx2::conv_ukernel();
  k.mr = kMr;
  k.nr = kNr;
  k.run = conv_f32_ukernel_6x32;
  k.filter = conv_filter_f32_ukernel_6x2;
  k.filter_lanes = 16;
  k.chan = conv_chan_f32_ukernel_10x16;
  k.chan_rows = kRows;
  k.lanes = conv_lanes_f32;
  k.lanes_width = static_cast<int>(LanesVec::kLanes);
  k.lanes_filter = conv_lanes_filter_f32;
  return k;
}

}  // namespace avx512
}  // namespace gn
