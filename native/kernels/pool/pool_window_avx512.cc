// Max and average pooling forward for AVX-512 with any window and a column stride of 1 or 2
// (pool_ukernel.h), one plane per call: 16 outputs of a row per step, straight from x. For every
// window row and tap, the 16 outputs' pixels are one masked load (stride 1) or two masked loads and
// a vpermt2ps (stride 2); lanes whose pixel lies in the padding are masked off (max) or read as 0
// (average). No row buffers: the baseline's separable path stores column results and reads them
// back at other offsets at once, and those loads wait on the stores. Node, 2 threads, min of 300
// calls, baseline -> this kernel: ResNet stem N32 C16 32x32 k3 s2 p1, max 515 -> 92 us, average
// 366 -> 70 us; the same input under k3 s1 p1, max 524 -> 238 us, average 259 -> 169 us. (The
// kernel then ran at about 3.4 instructions per cycle; 8 rows per group instead of 4 gained 2 %.)
//
// Same values as the baseline, bit for bit:
//   max:     candidates in row-major window order, a later one wins when it is larger, or NaN where
//            the best so far is not (the first maximum, the first NaN), which is the baseline's
//            first maximum by flat index;
//   average: per tap, the window rows summed top to bottom (padding columns give 0), the taps
//            added left to right, then one division by rows * columns of the divisor: the
//            baseline's column sums and taps, in the same order.
//
// ISA unit (compiled with -mavx512f ...): everything lives in gn::avx512, helpers in an anonymous
// namespace, and only intrinsics and project headers are included (KERNELS.md §6.5); the window
// geometry comes from pool_window_geometry.inc, included inside that namespace.
#include <immintrin.h>

#include "pool_ukernel.h"

namespace gn {
namespace avx512 {
namespace {

inline __mmask16 first(index_t n) { return static_cast<__mmask16>((1u << n) - 1u); }

// Output rows handled together: one row's window is a chain of dependent compares and blends
// (or adds) through its 16 lanes, so a row at a time waits on that latency; G rows interleave
// G independent chains. Groups whose windows lie inside the input top to bottom (all but the first
// and last, usually) take a path without per-row checks (kClip false); the others read a row
// inside the input in place of one outside it and mask that update off.
constexpr index_t G = 4;

#include "pool_window_geometry.inc"

// The lanes l < n whose column c0 + SW * l lies in [0, w), as [lo, hi). (SW a constant: a division
// by a run-time stride, twice per tap, took most of the kernel's time.)
template <index_t SW>
inline void lanes_inside(index_t c0, index_t n, index_t w, index_t* lo, index_t* hi) {
  index_t a = c0 >= 0 ? 0 : (-c0 + SW - 1) / SW;
  index_t b = c0 >= w ? 0 : (w - c0 + SW - 1) / SW;
  if (b > n) b = n;
  if (a > b) a = b;
  *lo = a;
  *hi = b;
}

// Window rows of output rows i0 .. i0 + G - 1: [r0, r1) clipped to the input, the row of window
// offset 0 (top, before clipping) and the divisor's row count. Rows past the last output get an
// empty window.
struct RowGroup {
  index_t r0[G], r1[G], top[G];
  float count[G];
  bool inside;  // every window row of the G outputs lies in the input
  RowGroup(const Pool2dShape& s, index_t i0, bool count_include_pad) {
    for (index_t g = 0; g < G; ++g) {
      index_t padded = 0;
      if (i0 + g < s.oh) {
        window(i0 + g, s.stride_h, s.pad_h, s.kh, s.h, &r0[g], &r1[g], &padded);
      } else {
        r0[g] = r1[g] = 0;
      }
      top[g] = (i0 + g) * s.stride_h - s.pad_h;
      count[g] = static_cast<float>(count_include_pad ? padded : r1[g] - r0[g]);
    }
    inside = i0 + G <= s.oh && top[0] >= 0 && top[G - 1] + s.kh <= s.h;
  }
};

// The forward kernels' loop over the groups: group(rg, i0, Clip<false>()) where every window row of
// the group's outputs lies in the input (no row checks), group(rg, i0, Clip<true>()) elsewhere.
template <bool kClip>
struct Clip {};

template <class F>
GN_ALWAYS_INLINE void for_each_row_group(const Pool2dShape& s, bool count_include_pad, const F& group) {
  for (index_t i0 = 0; i0 < s.oh; i0 += G) {
    const RowGroup rg(s, i0, count_include_pad);
    if (rg.inside)
      group(rg, i0, Clip<false>());
    else
      group(rg, i0, Clip<true>());
  }
}

// Average backward: which g one tap adds to a block of L columns c .. c + L - 1 (padded column
// p = c + pad_w + l for lane l): the lanes whose p - t is a multiple of the stride and lands on an
// output j = (p - t) / SW, and the g from j0 they read (stride 2: lane l reads g[j0 + (l + odd) / 2],
// so L / 2 + 1 consecutive g cover a block). Bit l of `lanes` / bit k of `load`: lane l adds,
// g[j0 + k] is read.
struct TapStep {
  index_t j0;
  std::uint32_t lanes, load;
  bool odd;
};

inline std::uint32_t low_bits(index_t n) { return static_cast<std::uint32_t>((std::uint64_t(1) << n) - 1u); }

template <index_t SW, index_t L>
TapStep tap_step(const Pool2dShape& s, index_t c, index_t t) {
  const index_t e = c + s.pad_w - t;  // lane l: p - t = e + l, j = (e + l) / SW
  TapStep st{0, 0, 0, false};
  if (SW == 1) {  // lanes with 0 <= e + l < ow
    const index_t lo = e >= 0 ? 0 : (-e < L ? -e : L);
    const index_t hi = s.ow - e < L ? (s.ow - e > 0 ? s.ow - e : 0) : L;
    if (lo < hi) st.lanes = st.load = low_bits(hi) & ~low_bits(lo);
    st.j0 = e;
    return st;
  }
  // Lanes with e + l even and 0 <= j < ow, j = j0 + (l + odd) / 2: l in [-2 j0 - odd, 2 (ow - j0) - odd).
  st.j0 = e >= 0 ? e / 2 : -((1 - e) / 2);  // floor(e / 2)
  st.odd = (e & 1) != 0;
  const index_t odd = st.odd ? 1 : 0;
  index_t lo = -2 * st.j0 - odd, hi = 2 * (s.ow - st.j0) - odd;
  lo = lo < 0 ? 0 : lo;
  hi = hi > L ? L : hi;
  if (lo >= hi) return st;
  st.lanes = low_bits(hi) & ~low_bits(lo) & (odd ? 0xaaaaaaaau : 0x55555555u);
  const index_t k0 = (lo + odd) / 2, k1 = (hi - 1 + odd) / 2 + 1;  // the g those lanes read
  st.load = low_bits(k1) & ~low_bits(k0);
  return st;
}

// The lanes of one tap in a block of 16 outputs: the columns it loads (stride 1: lanes l in
// [lo, hi); stride 2: columns 2 lo .. 2 hi - 2 from c0, the odd ones between being inside the row
// too), and whether all 16 lanes are inside the row (plain loads, no fill).
struct TapLanes {
  std::uint32_t bits;
  bool full, none;
};

template <index_t SW>
inline TapLanes tap_lanes(index_t c0, index_t n, index_t w) {
  index_t lo, hi;
  lanes_inside<SW>(c0, n, w, &lo, &hi);
  if (lo >= hi) return {0, false, true};
  const std::uint32_t bits = SW == 1 ? static_cast<std::uint32_t>(first(hi) & ~first(lo))
                                     : static_cast<std::uint32_t>((std::uint64_t(1) << (2 * hi - 1)) - (std::uint64_t(1) << (2 * lo)));
  return {bits, lo == 0 && hi == 16, false};
}

// Pixels row[c0 + SW * l] of the tap's lanes, `fill` elsewhere (stride 2: the 32 columns from c0 in
// two loads, then the even ones; the last column, which no lane reads, is left out of the second).
template <index_t SW>
inline __m512 load_lanes(const float* p, const TapLanes& tl, __m512 fill) {
  if (SW == 1) return tl.full ? _mm512_loadu_ps(p) : _mm512_mask_loadu_ps(fill, static_cast<__mmask16>(tl.bits), p);
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  if (tl.full) return _mm512_permutex2var_ps(_mm512_loadu_ps(p), even, _mm512_maskz_loadu_ps(0x7fff, p + 16));
  const __m512 a = _mm512_mask_loadu_ps(fill, static_cast<__mmask16>(tl.bits), p);
  const __m512 b = _mm512_mask_loadu_ps(fill, static_cast<__mmask16>(tl.bits >> 16), p + 16);
  return _mm512_permutex2var_ps(a, even, b);
}

// Taps whose lanes are worked out once per block of outputs (TapLanes); wider windows work them
// out where they are used.
constexpr index_t kMaxTaps = 16;

// The NaN rule in full: a NaN best keeps its place (the first NaN wins). (A faster update without
// it, with a plane redone when its output held a NaN, let a later value replace a NaN that was not
// its window's last pixel; pool_max_lone_nan in native/test/test_pool.cc.)
template <index_t SW, bool kClip>
void max_group(const Pool2dShape& s, const float* x, const RowGroup& rg, index_t i0, float* y,
               std::int32_t* argmax, Clip<kClip>) {
  const index_t w = s.w, kh = s.kh, kw = s.kw, ow = s.ow;
  const __m512 ninf = _mm512_set1_ps(-__builtin_inff());
  const __m512i lane = _mm512_setr_epi32(0, SW, 2 * SW, 3 * SW, 4 * SW, 5 * SW, 6 * SW, 7 * SW, 8 * SW, 9 * SW,
                                         10 * SW, 11 * SW, 12 * SW, 13 * SW, 14 * SW, 15 * SW);
  const index_t rows = s.oh - i0 < G ? s.oh - i0 : G;
  __m512i top_at[G];  // flat index of each output row's window row 0, column 0
#pragma GCC unroll 4
  for (index_t g = 0; g < G; ++g) top_at[g] = _mm512_set1_epi32(static_cast<std::int32_t>(rg.top[g] * w));
  TapLanes taps[kMaxTaps];
  for (index_t j = 0; j < ow; j += 16) {
    const index_t n = ow - j < 16 ? ow - j : 16;
    const index_t c_start = j * SW - s.pad_w;  // window column of lane 0
    for (index_t t = 0; t < kw && t < kMaxTaps; ++t) taps[t] = tap_lanes<SW>(c_start + t, n, w);
    // Each lane starts from -inf with the index of its window's first pixel (its top row, first
    // column inside the input): a pixel then replaces it only when larger, or NaN, so a window of
    // -inf only keeps its first pixel, as the baseline does. Padding lanes load -inf, which never
    // replaces anything.
    __m512i first_col = _mm512_add_epi32(lane, _mm512_set1_epi32(static_cast<std::int32_t>(c_start)));
    first_col = _mm512_mask_mov_epi32(first_col, _mm512_cmplt_epi32_mask(first_col, _mm512_setzero_si512()),
                                      _mm512_setzero_si512());
    __m512 best[G];
    __m512i at[G];
#pragma GCC unroll 4
    for (index_t g = 0; g < G; ++g) {
      best[g] = ninf;
      at[g] = _mm512_add_epi32(first_col, _mm512_set1_epi32(static_cast<std::int32_t>(rg.r0[g] * w)));
    }
    for (index_t dr = 0; dr < kh; ++dr) {
      for (index_t t = 0; t < kw; ++t) {
        const index_t c0 = c_start + t;
        const TapLanes tl = t < kMaxTaps ? taps[t] : tap_lanes<SW>(c0, n, w);
        if (tl.none) continue;
        const __m512i off = _mm512_add_epi32(lane, _mm512_set1_epi32(static_cast<std::int32_t>(dr * w + c0)));
#pragma GCC unroll 4
        for (index_t g = 0; g < G; ++g) {
          index_t r = rg.top[g] + dr;
          __mmask16 live = 0xffff;
          if (kClip) {  // a row outside the window: read row r0, change nothing
            const bool in = r >= rg.r0[g] && r < rg.r1[g];
            live = in ? 0xffff : 0;
            r = in ? r : rg.r0[g];
          }
          const __m512 v = load_lanes<SW>(x + r * w + c0, tl, ninf);
          // Larger, or NaN over a best that is not (NLE_UQ: v > best or unordered; and best ordered).
          live = static_cast<__mmask16>(live & _mm512_cmp_ps_mask(best[g], best[g], _CMP_ORD_Q));
          const __mmask16 wins = _mm512_mask_cmp_ps_mask(live, v, best[g], _CMP_NLE_UQ);
          best[g] = _mm512_mask_mov_ps(best[g], wins, v);
          at[g] = _mm512_mask_add_epi32(at[g], wins, top_at[g], off);
        }
      }
    }
#pragma GCC unroll 4
    for (index_t g = 0; g < G; ++g) {  // (a loop to `rows` would leave best and at in memory)
      if (g >= rows) break;
      _mm512_mask_storeu_ps(y + (i0 + g) * ow + j, first(n), best[g]);
      _mm512_mask_storeu_epi32(argmax + (i0 + g) * ow + j, first(n), at[g]);
    }
  }
}

template <index_t SW>
void max_forward(const Pool2dShape& s, const float* x, float* y, std::int32_t* argmax, float*) {
  for_each_row_group(s, false, [&](const RowGroup& rg, index_t i0, auto clip) { max_group<SW>(s, x, rg, i0, y, argmax, clip); });
}

template <index_t SW, bool kClip>
void avg_group(const Pool2dShape& s, const float* x, const RowGroup& rg, index_t i0, float* y,
               const float* count, Clip<kClip>) {
  const index_t w = s.w, kh = s.kh, kw = s.kw, ow = s.ow;
  const __m512 zero = _mm512_setzero_ps();
  const index_t rows = s.oh - i0 < G ? s.oh - i0 : G;
  for (index_t j = 0; j < ow; j += 16) {
    const index_t n = ow - j < 16 ? ow - j : 16;
    __m512 sum[G] = {zero, zero, zero, zero};
    for (index_t t = 0; t < kw; ++t) {
      const index_t c0 = j * SW - s.pad_w + t;
      const TapLanes tl = tap_lanes<SW>(c0, n, w);
      // Per tap, the window's rows top to bottom; a row outside the window adds nothing (a masked
      // add: adding 0 would turn a -0 sum into +0).
      __m512 col[G];
#pragma GCC unroll 4
      for (index_t g = 0; g < G; ++g) col[g] = tl.none ? zero : load_lanes<SW>(x + rg.r0[g] * w + c0, tl, zero);
      for (index_t dr = 1; dr < kh && !tl.none; ++dr) {
#pragma GCC unroll 4
        for (index_t g = 0; g < G; ++g) {
          const index_t r = rg.r0[g] + dr;
          if (kClip) {
            const bool in = r < rg.r1[g];
            const __m512 v = load_lanes<SW>(x + (in ? r : rg.r0[g]) * w + c0, tl, zero);
            col[g] = _mm512_mask_add_ps(col[g], static_cast<__mmask16>(in ? 0xffff : 0), col[g], v);
          } else {
            col[g] = _mm512_add_ps(col[g], load_lanes<SW>(x + r * w + c0, tl, zero));
          }
        }
      }
#pragma GCC unroll 4
      for (index_t g = 0; g < G; ++g) sum[g] = t == 0 ? col[g] : _mm512_add_ps(sum[g], col[g]);
    }
    const __m512 count_cols = _mm512_maskz_loadu_ps(first(n), count + j);
#pragma GCC unroll 4
    for (index_t g = 0; g < G; ++g) {
      if (g >= rows) break;
      _mm512_mask_storeu_ps(y + (i0 + g) * ow + j, first(n),
                            _mm512_div_ps(sum[g], _mm512_mul_ps(_mm512_set1_ps(rg.count[g]), count_cols)));
    }
  }
}

template <index_t SW>
void avg_forward(const Pool2dShape& s, const float* x, float* y, bool count_include_pad, const float* count,
                 float*) {
  for_each_row_group(s, count_include_pad, [&](const RowGroup& rg, index_t i0, auto clip) {
    avg_group<SW>(s, x, rg, i0, y, count, clip);
  });
}

// Average backward, one plane: g = dy / divisor for every output (gbuf, oh x ow), then each output
// row's gradient row (grad, oh x w): per column, +0 plus the g of the windows whose tap covers it,
// taps left to right; then every dx row is the sum of the gradient rows of the windows that cover
// it, top to bottom (or 0). The baseline's operations in its order, so its bits: backward_plane in
// avgpool2d.cc spreads each g over the taps of a zeroed row and sums the rows the same way.
//
// Which g a tap adds to columns c .. c + 15 depends on the column block and the tap only, so it is
// worked out once per plane (TapStep, above); stride 2 reads 9 consecutive g in
// one masked load and spreads them over the lanes with vpermps. Node, 2 threads, min of 300 calls,
// baseline -> this kernel: ResNet stem N32 C16 32x32 k3 s2 p1 225 -> 120 us; k3 s1 p1 476 -> 221
// us. (Working the steps out inside the row loop, and the covering windows through `window`, kept
// the stem at 192 us.)
template <index_t SW>
void avg_backward(const Pool2dShape& s, const float* dy, float* dx, bool count_include_pad, const float* count,
                  float* scratch) {
  const index_t blocks = (s.w + 15) / 16;
  float* gbuf = scratch;
  float* grad = gbuf + s.oh * s.ow;
  // The steps of every block and tap, up to kMaxSteps of them (rows of 256 columns under 3x3);
  // past that they are worked out where they are used.
  constexpr index_t kMaxSteps = 48;
  TapStep steps[kMaxSteps];
  const bool planned = blocks * s.kw <= kMaxSteps;
  if (planned)
    for (index_t b = 0; b < blocks; ++b)
      for (index_t t = 0; t < s.kw; ++t) steps[b * s.kw + t] = tap_step<SW, 16>(s, 16 * b, t);
  const __m512 zero = _mm512_setzero_ps();
  for (index_t i = 0; i < s.oh; ++i) {
    index_t r0, r1, padded;
    window(i, s.stride_h, s.pad_h, s.kh, s.h, &r0, &r1, &padded);
    const __m512 rows = _mm512_set1_ps(static_cast<float>(count_include_pad ? padded : r1 - r0));
    for (index_t j = 0; j < s.ow; j += 16) {
      const __mmask16 m = first(s.ow - j < 16 ? s.ow - j : 16);
      _mm512_mask_storeu_ps(gbuf + i * s.ow + j, m,
                            _mm512_div_ps(_mm512_maskz_loadu_ps(m, dy + i * s.ow + j),
                                          _mm512_mul_ps(rows, _mm512_maskz_loadu_ps(m, count + j))));
    }
  }
  const __m512i spread_even = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
  const __m512i spread_odd = _mm512_setr_epi32(0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8);
  for (index_t i = 0; i < s.oh; ++i) {
    const float* gi = gbuf + i * s.ow;
    for (index_t b = 0; b < blocks; ++b) {
      __m512 sum = zero;
      for (index_t t = 0; t < s.kw; ++t) {
        const TapStep st = planned ? steps[b * s.kw + t] : tap_step<SW, 16>(s, 16 * b, t);
        __m512 gv = _mm512_maskz_loadu_ps(static_cast<__mmask16>(st.load), gi + st.j0);
        // (permutex2var with one source twice: GCC 12's permutexvar trips -Wmaybe-uninitialized.)
        if (SW == 2) gv = _mm512_permutex2var_ps(gv, st.odd ? spread_odd : spread_even, gv);
        sum = _mm512_mask_add_ps(sum, static_cast<__mmask16>(st.lanes), sum, gv);
      }
      _mm512_mask_storeu_ps(grad + i * s.w + 16 * b, first(s.w - 16 * b < 16 ? s.w - 16 * b : 16), sum);
    }
  }
  // Window i covers rows i sh - ph .. i sh - ph + kh - 1 (every row r < h of it is an input row).
  index_t lo_i = 0, hi_i = 0;  // windows lo_i .. hi_i - 1 cover r
  for (index_t r = 0; r < s.h; ++r) {
    while (lo_i < s.oh && lo_i * s.stride_h - s.pad_h + s.kh <= r) ++lo_i;
    while (hi_i < s.oh && hi_i * s.stride_h - s.pad_h <= r) ++hi_i;
    float* dxr = dx + r * s.w;
    for (index_t c = 0; c < s.w; c += 16) {
      const __mmask16 m = first(s.w - c < 16 ? s.w - c : 16);
      __m512 acc = zero;
      if (lo_i < hi_i) {
        acc = _mm512_maskz_loadu_ps(m, grad + lo_i * s.w + c);
        for (index_t i = lo_i + 1; i < hi_i; ++i) acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(m, grad + i * s.w + c));
      }
      _mm512_mask_storeu_ps(dxr + c, m, acc);
    }
  }
}

}  // namespace

PoolWindowKernels pool_window_kernels() {
  return {{max_forward<1>, max_forward<2>}, {avg_forward<1>, avg_forward<2>}, {avg_backward<1>, avg_backward<2>}};
}

}  // namespace avx512
}  // namespace gn
