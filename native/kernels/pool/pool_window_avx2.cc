// Max and average pooling forward for AVX2 with any window and a column stride of 2 (pool_ukernel.h;
// see pool_window_kernels() below for stride 1): pool_window_avx512.cc on 8 lanes, with the same
// values (the baseline's, bit for bit) and the same structure: per window row and tap, two loads
// and a shuffle, four output rows interleaved, groups whose windows lie inside the input without
// row checks. AVX2 has no mask registers: lane masks are vectors (vmaskmovps for loads that a row
// end or the padding cuts, blends where AVX-512 uses masked moves); stores go through
// store_first (../lanes_avx2.h), as a masked store costs 12-15 cycles on Zen3; row-end loads through
// load_first.
//
// ISA unit (compiled with -mavx2 -mfma): everything lives in gn::avx2, helpers in an anonymous
// namespace, and only intrinsics and project headers are included (KERNELS.md §6.5); the window
// geometry comes from pool_window_geometry.inc, included inside that namespace.
#include <immintrin.h>

#include "../lanes_avx2.h"
#include "pool_ukernel.h"

namespace gn {
namespace avx2 {
namespace {

constexpr index_t G = 4;

#include "pool_window_geometry.inc"

// All ones in the lanes l with lo <= l < hi (lanes 0..7 of `pos`, shifted by `base`).
inline __m256i lanes_between(index_t lo, index_t hi, index_t base = 0) {
  const __m256i pos = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_andnot_si256(_mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<std::int32_t>(lo - base)), pos),
                             _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<std::int32_t>(hi - base)), pos));
}

// Pixels row[c0 + SW * l] of lanes l in [lo, hi), `fill` elsewhere; stride 2 only (the kernels
// leave stride 1 to the baseline, see pool_window_kernels()). The 16 columns from c0 in two loads:
// columns 2 lo .. 2 hi - 2 (the odd ones between are inside the row too; the last column, which
// no lane reads, may lie past the input, so the second load is always masked), then the even ones.
template <index_t SW>
inline __m256 load_lanes(const float* row, index_t c0, index_t lo, index_t hi, __m256 fill) {
  static_assert(SW == 2, "AVX2 window kernels: column stride 2");
  if (lo >= hi) return fill;
  const bool all = lo == 0 && hi == 8;  // a plain first load and no blend (most steps)
  const __m256i in = lanes_between(lo, hi);
  const __m256 a = all ? _mm256_loadu_ps(row + c0) : _mm256_maskload_ps(row + c0, lanes_between(2 * lo, 2 * hi - 1));
  const __m256 b = _mm256_maskload_ps(row + c0 + 8, lanes_between(2 * lo, 2 * hi - 1, 8));
  // a0 a2 b0 b2 | a4 a6 b4 b6, then the 64-bit pairs reordered: a0 a2 a4 a6 b0 b2 b4 b6.
  const __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
  const __m256 v = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0)));
  return all ? v : _mm256_blendv_ps(fill, v, _mm256_castsi256_ps(in));
}

inline __m256i blend_i(__m256i a, __m256i b, __m256 mask) {  // mask ? b : a
  return _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(a), _mm256_castsi256_ps(b), mask));
}

// kExact: the NaN rule in full (a NaN best keeps its place); without it a later NaN replaces an
// earlier one and *nan is set, and the plane is redone (for_each_max_group, pool_window_geometry.inc).
template <index_t SW, bool kExact, bool kClip>
void max_group(const Pool2dShape& s, const float* x, const RowGroup& rg, index_t i0, float* y,
               std::int32_t* argmax, Clip<kClip>, Exact<kExact>, bool* nan) {
  const __m256 ninf = _mm256_set1_ps(-__builtin_inff());
  const __m256i lane = _mm256_setr_epi32(0, SW, 2 * SW, 3 * SW, 4 * SW, 5 * SW, 6 * SW, 7 * SW);
  const index_t rows = s.oh - i0 < G ? s.oh - i0 : G;
  for (index_t j = 0; j < s.ow; j += 8) {
    const index_t n = s.ow - j < 8 ? s.ow - j : 8;
    const index_t c_start = j * SW - s.pad_w;  // window column of lane 0
    // As in pool_window_avx512.cc: -inf and the index of the window's first pixel to start from.
    const __m256i first_col = _mm256_max_epi32(
        _mm256_add_epi32(lane, _mm256_set1_epi32(static_cast<std::int32_t>(c_start))), _mm256_setzero_si256());
    __m256 best[G];
    __m256i at[G];
#pragma GCC unroll 4
    for (index_t g = 0; g < G; ++g) {
      best[g] = ninf;
      at[g] = _mm256_add_epi32(first_col, _mm256_set1_epi32(static_cast<std::int32_t>(rg.r0[g] * s.w)));
    }
    for (index_t dr = 0; dr < s.kh; ++dr) {
      for (index_t t = 0; t < s.kw; ++t) {
        const index_t c0 = c_start + t;
        index_t lo, hi;
        lanes_inside<SW>(c0, n, s.w, &lo, &hi);
        if (lo >= hi) continue;
#pragma GCC unroll 4
        for (index_t g = 0; g < G; ++g) {
          index_t r = rg.top[g] + dr;
          bool in = true;
          if (kClip) {  // a row outside the window: read row r0, change nothing
            in = r >= rg.r0[g] && r < rg.r1[g];
            r = in ? r : rg.r0[g];
          }
          const __m256 v = load_lanes<SW>(x + r * s.w, c0, lo, hi, ninf);
          // Larger, or NaN over a best that is not (NLE_UQ: v > best or unordered; and best ordered).
          __m256 wins = _mm256_cmp_ps(v, best[g], _CMP_NLE_UQ);
          if (kExact) wins = _mm256_and_ps(wins, _mm256_cmp_ps(best[g], best[g], _CMP_ORD_Q));
          if (kClip) wins = _mm256_and_ps(wins, _mm256_castsi256_ps(_mm256_set1_epi32(in ? -1 : 0)));
          best[g] = _mm256_blendv_ps(best[g], v, wins);
          at[g] = blend_i(at[g], _mm256_add_epi32(lane, _mm256_set1_epi32(static_cast<std::int32_t>(r * s.w + c0))), wins);
        }
      }
    }
#pragma GCC unroll 4
    for (index_t g = 0; g < G; ++g) {  // (a loop to `rows` would leave best and at in memory)
      if (g >= rows) break;
      if (!kExact && _mm256_movemask_ps(_mm256_cmp_ps(best[g], best[g], _CMP_UNORD_Q)) != 0) *nan = true;
      store_first(y + (i0 + g) * s.ow + j, best[g], n);
      store_first(argmax + (i0 + g) * s.ow + j, at[g], n);
    }
  }
}

template <index_t SW>
void max_forward(const Pool2dShape& s, const float* x, float* y, std::int32_t* argmax) {
  for_each_max_group(s, [&](const RowGroup& rg, index_t i0, auto clip, auto exact, bool* nan) {
    max_group<SW>(s, x, rg, i0, y, argmax, clip, exact, nan);
  });
}

template <index_t SW, bool kClip>
void avg_group(const Pool2dShape& s, const float* x, const RowGroup& rg, index_t i0, float* y,
               const float* count, Clip<kClip>) {
  const __m256 zero = _mm256_setzero_ps();
  const index_t rows = s.oh - i0 < G ? s.oh - i0 : G;
  for (index_t j = 0; j < s.ow; j += 8) {
    const index_t n = s.ow - j < 8 ? s.ow - j : 8;
    __m256 sum[G] = {zero, zero, zero, zero};
    for (index_t t = 0; t < s.kw; ++t) {
      const index_t c0 = j * SW - s.pad_w + t;
      index_t lo, hi;
      lanes_inside<SW>(c0, n, s.w, &lo, &hi);
      // Per tap, the window's rows top to bottom; a row outside the window adds nothing (a blend,
      // not an added 0, which would turn a -0 sum into +0).
      __m256 col[G];
#pragma GCC unroll 4
      for (index_t g = 0; g < G; ++g) col[g] = load_lanes<SW>(x + rg.r0[g] * s.w, c0, lo, hi, zero);
      for (index_t dr = 1; dr < s.kh; ++dr) {
#pragma GCC unroll 4
        for (index_t g = 0; g < G; ++g) {
          const index_t r = rg.r0[g] + dr;
          if (kClip) {
            const bool in = r < rg.r1[g];
            const __m256 v = load_lanes<SW>(x + (in ? r : rg.r0[g]) * s.w, c0, lo, hi, zero);
            col[g] = _mm256_blendv_ps(col[g], _mm256_add_ps(col[g], v), _mm256_castsi256_ps(_mm256_set1_epi32(in ? -1 : 0)));
          } else {
            col[g] = _mm256_add_ps(col[g], load_lanes<SW>(x + r * s.w, c0, lo, hi, zero));
          }
        }
      }
#pragma GCC unroll 4
      for (index_t g = 0; g < G; ++g) sum[g] = t == 0 ? col[g] : _mm256_add_ps(sum[g], col[g]);
    }
    const __m256 count_cols = load_first(count + j, n);
#pragma GCC unroll 4
    for (index_t g = 0; g < G; ++g) {
      if (g >= rows) break;
      store_first(y + (i0 + g) * s.ow + j,
                  _mm256_div_ps(sum[g], _mm256_mul_ps(_mm256_set1_ps(rg.count[g]), count_cols)), n);
    }
  }
}

template <index_t SW>
void avg_forward(const Pool2dShape& s, const float* x, float* y, bool count_include_pad, const float* count) {
  for_each_row_group(s, count_include_pad, [&](const RowGroup& rg, index_t i0, auto clip) {
    avg_group<SW>(s, x, rg, i0, y, count, clip);
  });
}

// Average backward: pool_window_avx512.cc's avg_backward on 8 lanes (the same operations in the
// same order, so the baseline's bits); stride 2 spreads 5 consecutive g over the lanes with
// vpermps. Lane masks as vectors, from TapStep's bits.
inline __m256i lanes_of(std::uint32_t bits) {
  const __m256i bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
  return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(static_cast<std::int32_t>(bits)), bit), bit);
}

struct Step {
  __m256i lanes, load;
  index_t j0;
  bool odd;
};

template <index_t SW>
Step vector_step(const Pool2dShape& s, index_t b, index_t t) {
  const TapStep st = tap_step<SW, 8>(s, 8 * b, t);
  return {lanes_of(st.lanes), lanes_of(st.load), st.j0, st.odd};
}

template <index_t SW>
void avg_backward(const Pool2dShape& s, const float* dy, float* dx, bool count_include_pad, const float* count,
                  float* scratch) {
  const index_t blocks = (s.w + 7) / 8;
  float* gbuf = scratch;
  float* grad = gbuf + s.oh * s.ow;
  constexpr index_t kMaxSteps = 48;  // rows of 128 columns under 3x3; past that, worked out in place
  Step steps[kMaxSteps];
  const bool planned = blocks * s.kw <= kMaxSteps;
  if (planned)
    for (index_t b = 0; b < blocks; ++b)
      for (index_t t = 0; t < s.kw; ++t) steps[b * s.kw + t] = vector_step<SW>(s, b, t);
  const __m256 zero = _mm256_setzero_ps();
  for (index_t i = 0; i < s.oh; ++i) {
    index_t r0, r1, padded;
    window(i, s.stride_h, s.pad_h, s.kh, s.h, &r0, &r1, &padded);
    const __m256 rows = _mm256_set1_ps(static_cast<float>(count_include_pad ? padded : r1 - r0));
    for (index_t j = 0; j < s.ow; j += 8) {
      const index_t n = s.ow - j;
      store_first(gbuf + i * s.ow + j,
                  _mm256_div_ps(load_first(dy + i * s.ow + j, n), _mm256_mul_ps(rows, load_first(count + j, n))), n);
    }
  }
  const __m256i spread_even = _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3);
  const __m256i spread_odd = _mm256_setr_epi32(0, 1, 1, 2, 2, 3, 3, 4);
  for (index_t i = 0; i < s.oh; ++i) {
    const float* gi = gbuf + i * s.ow;
    for (index_t b = 0; b < blocks; ++b) {
      __m256 sum = zero;
      for (index_t t = 0; t < s.kw; ++t) {
        const Step st = planned ? steps[b * s.kw + t] : vector_step<SW>(s, b, t);
        __m256 gv = _mm256_maskload_ps(gi + st.j0, st.load);
        if (SW == 2) gv = _mm256_permutevar8x32_ps(gv, st.odd ? spread_odd : spread_even);
        sum = _mm256_blendv_ps(sum, _mm256_add_ps(sum, gv), _mm256_castsi256_ps(st.lanes));
      }
      store_first(grad + i * s.w + 8 * b, sum, s.w - 8 * b);
    }
  }
  index_t lo_i = 0, hi_i = 0;  // windows lo_i .. hi_i - 1 cover r
  for (index_t r = 0; r < s.h; ++r) {
    while (lo_i < s.oh && lo_i * s.stride_h - s.pad_h + s.kh <= r) ++lo_i;
    while (hi_i < s.oh && hi_i * s.stride_h - s.pad_h <= r) ++hi_i;
    float* dxr = dx + r * s.w;
    for (index_t c = 0; c < s.w; c += 8) {
      const index_t n = s.w - c;
      __m256 acc = zero;
      if (lo_i < hi_i) {
        acc = load_first(grad + lo_i * s.w + c, n);
        for (index_t i = lo_i + 1; i < hi_i; ++i) acc = _mm256_add_ps(acc, load_first(grad + i * s.w + c, n));
      }
      store_first(dxr + c, acc, n);
    }
  }
}

}  // namespace

// Column stride 2 only: with stride 1 the baseline's separable path, which reads each pixel once
// per window row rather than once per tap, was faster (k3 s1 p1 on N32 C16 32x32, 2 threads: max
// 525 us against 564, average 260 against 304; stride 2, the ResNet stem: max 535 -> 218 us,
// average 357 -> 120 us).
PoolWindowKernels pool_window_kernels() {
  return {{nullptr, max_forward<2>}, {nullptr, avg_forward<2>}, {avg_backward<1>, avg_backward<2>}};
}

}  // namespace avx2
}  // namespace gn
