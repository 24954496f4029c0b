// Pooling window kernels for AVX2 (pool_ukernel.h), one plane per call, any window with a column
// stride of 1 or 2, the baseline's values bit for bit. All three are separable, as the baseline
// (maxpool2d.cc, avgpool2d.cc) is, but with the rows buffered so that every tap is one plain load:
// max forward takes each input row's maxima over the windows' columns, then each output's over its
// window rows (max_plane); average forward the window rows' column sums, then the taps; average
// backward spreads each output row's share over zero-padded rows, then sums the window rows. Stride
// 2 splits rows into their even and odd columns. (pool_window_avx512.cc instead reads every tap
// straight from x with masked loads; on AVX2, without mask registers, that cost two loads, a
// shuffle, a permute and blends per tap.) Row ends: store_first / load_first (../lanes_avx2.h), as
// a masked store costs 12-15 cycles on Zen3.
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

#include "pool_window_geometry.inc"

// Columns 0, 2, .. 14 of the 16 in a, b to even[0..7], columns 1, 3, .. 15 to odd[0..7].
inline void store_split(__m256 a, __m256 b, float* even, float* odd) {
  __m256 e, o;
  deinterleave(a, b, &e, &o);
  _mm256_storeu_ps(even, e);
  _mm256_storeu_ps(odd, o);
}

// Where the input columns go in a split padded row (copy_row below): column c lands in padded
// p = c + pw, so even columns fill one half from entry pw / 2 and odd ones the other (from the
// next entry when pw is odd).
struct SplitTargets {
  float* even;  // column 2m at even[m]
  float* odd;   // column 2m + 1 at odd[m]
  SplitTargets(index_t pw, float* ev, float* od)
      : even((pw & 1 ? od : ev) + pw / 2), odd((pw & 1 ? ev + 1 : od) + pw / 2) {}
};

inline __m256i blend_i(__m256i a, __m256i b, __m256 mask) {  // mask ? b : a
  return _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(a), _mm256_castsi256_ps(b), mask));
}

// Max forward, separable: each input row's maxima over the windows' columns first (horizontal),
// then each output's over its window rows (vertical). Horizontal first, because then both passes
// keep the earlier candidate on a tie: the first maximum of a row (its first NaN), then the first
// row holding the window's maximum (its first NaN) is the first maximum in row-major order, with no
// index compares; and the rows that neighbouring windows share are reduced once.
//
// kExact: take_max's rule in full, v wins if larger or NaN over a best that is not (NLE_UQ: v >
// best or unordered; and best ordered). Without it, v wins only if larger (LT_OQ(best, v), one
// compare), which is the same rule when no pixel is NaN: the copy of the input rows checks that,
// and a plane holding a NaN is computed again with kExact.
template <bool kExact>
inline void take_max(__m256 v, __m256i at_v, __m256& best, __m256i& at) {
  const __m256 wins = kExact ? _mm256_and_ps(_mm256_cmp_ps(v, best, _CMP_NLE_UQ), _mm256_cmp_ps(best, best, _CMP_ORD_Q))
                             : _mm256_cmp_ps(best, v, _CMP_LT_OQ);
  best = _mm256_blendv_ps(best, v, wins);
  at = blend_i(at, at_v, wins);
}

// The padded row (PaddedRow in pool_internal.h: padded column p = c + pad_w, -inf where c lies
// outside the input) of stride 2 is split into its even entries ev[p / 2] and odd ones od[p / 2],
// so that tap t of outputs j.. is the contiguous run (t odd ? od : ev) + j + t / 2; stride 1 uses
// ev alone. Only the real columns are written per row (the -inf stay from the plane's start).
// nan: set in some lane if a pixel copied is NaN.
template <index_t SW>
void copy_row(const float* xr, index_t n, index_t pw, float* ev, float* od, __m256& nan) {
  if (SW == 1) {
    index_t c = 0;
    for (; c + 8 <= n; c += 8) {
      const __m256 v = _mm256_loadu_ps(xr + c);
      nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
      _mm256_storeu_ps(ev + pw + c, v);
    }
    for (; c < n; ++c) {
      ev[pw + c] = xr[c];
      if (xr[c] != xr[c]) nan = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
    }
    return;
  }
  const SplitTargets to(pw, ev, od);
  index_t m = 0;
  for (; 2 * m + 16 <= n; m += 8) {
    const __m256 a = _mm256_loadu_ps(xr + 2 * m), b = _mm256_loadu_ps(xr + 2 * m + 8);
    nan = _mm256_or_ps(nan, _mm256_cmp_ps(a, b, _CMP_UNORD_Q));
    store_split(a, b, to.even + m, to.odd + m);
  }
  for (index_t c = 2 * m; c < n; ++c) {
    (c & 1 ? to.odd : to.even)[c / 2] = xr[c];
    if (xr[c] != xr[c]) nan = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
  }
}

// Row r (of a plane w wide) reduced over the windows of ow outputs: hv[j] the maximum of padded
// columns j * SW .. j * SW + kw - 1, ha[j] its flat index; a window whose pixels are all -inf keeps
// its first real one (the padding never wins). KW: kw as a constant (the taps unrolled), or 0.
template <index_t SW, index_t KW, bool kExact>
void row_max(index_t r, index_t w, index_t pw, index_t ow, index_t kw_any, const float* ev, const float* od, float* hv,
             std::int32_t* ha) {
  const index_t kw = KW ? KW : kw_any;
  const __m256i lane = _mm256_setr_epi32(0, SW, 2 * SW, 3 * SW, 4 * SW, 5 * SW, 6 * SW, 7 * SW);
  const __m256 ninf = _mm256_set1_ps(-__builtin_inff());
  // Flat index of lane 0's window column 0 for outputs 0.. (the next block adds 8 * SW).
  __m256i at0 = _mm256_add_epi32(lane, _mm256_set1_epi32(static_cast<std::int32_t>(r * w - pw)));
  const __m256i row = _mm256_set1_epi32(static_cast<std::int32_t>(r * w));
  const __m256i step = _mm256_set1_epi32(static_cast<std::int32_t>(8 * SW));
  for (index_t j = 0; j < ow; j += 8, at0 = _mm256_add_epi32(at0, step)) {
    __m256 best = ninf;
    __m256i at = _mm256_max_epi32(at0, row);  // the window's first real column
#pragma GCC unroll 8
    for (index_t t = 0; t < kw; ++t) {
      const float* src = SW == 1 ? ev + j + t : (t & 1 ? od : ev) + j + t / 2;
      take_max<kExact>(_mm256_loadu_ps(src), _mm256_add_epi32(at0, _mm256_set1_epi32(static_cast<std::int32_t>(t))),
                       best, at);
    }
    _mm256_store_ps(hv + j, best);
    _mm256_store_si256(reinterpret_cast<__m256i*>(ha + j), at);
  }
}

// scratch (pool_ukernel.h): the split padded rows of kCopyRows input rows, then the row maxima
// of the last kh input rows, row r in slot r % kh (an output's window rows are at most kh
// consecutive rows, and rows are reduced in order as the outputs need them). Rows are copied
// kCopyRows at a time before any of them is read: a load right after the copy of its row spans
// two stores still in flight and waits for both (store forwarding fails). Returns false, having
// stopped, when !kExact and a pixel is NaN.
constexpr index_t kCopyRows = 4;

template <index_t SW, index_t KW, bool kExact>
bool max_plane(const Pool2dShape& s, const float* x, float* y, std::int32_t* argmax, float* scratch) {
  // The sizes in locals: a vector store may alias anything, so fields of s would be read again
  // after each one.
  const index_t h = s.h, w = s.w, oh = s.oh, ow = s.ow, kh = s.kh, kw = s.kw, sh = s.stride_h, ph = s.pad_h,
                pw = s.pad_w;
  const index_t len = (ow - 1) * SW + kw, real_end = len - pw < w ? len - pw : w;
  const index_t half = ((len + 1) / 2 + 15) / 8 * 8, owp = (ow + 7) / 8 * 8;
  float* rows = scratch;  // kCopyRows split rows of 2 * half entries
  float* hv = rows + kCopyRows * 2 * half;
  std::int32_t* ha = reinterpret_cast<std::int32_t*>(hv + kh * owp);
  const __m256 ninf = _mm256_set1_ps(-__builtin_inff());
  for (index_t p = 0; p < kCopyRows * 2 * half; p += 8) _mm256_storeu_ps(rows + p, ninf);
  index_t next = 0, next_slot = 0;  // the first row not reduced yet, and its slot
  index_t copied0 = 0, copied1 = 0;  // the rows in `rows`
  for (index_t i = 0; i < oh; ++i) {
    index_t r0, r1, unused;
    window(i, sh, ph, kh, h, &r0, &r1, &unused);
    if (next < r0) {  // rows between windows (stride above the window) are skipped
      next = r0;
      next_slot = r0 % kh;
    }
    const index_t slot0 = next_slot - (next - r0) < 0 ? next_slot - (next - r0) + kh : next_slot - (next - r0);
    for (; next < r1; ++next, next_slot = next_slot + 1 == kh ? 0 : next_slot + 1) {
      if (next >= copied1) {
        copied0 = next;
        copied1 = next + kCopyRows < h ? next + kCopyRows : h;
        __m256 nan = _mm256_setzero_ps();
        for (index_t q = copied0; q < copied1; ++q) {
          float* ev = rows + (q - copied0) * 2 * half;
          copy_row<SW>(x + q * w, real_end, pw, ev, ev + half, nan);
        }
        if (!kExact && _mm256_movemask_ps(nan) != 0) return false;
      }
      const float* ev = rows + (next - copied0) * 2 * half;
      row_max<SW, KW, kExact>(next, w, pw, ow, kw, ev, ev + half, hv + next_slot * owp, ha + next_slot * owp);
    }
    for (index_t j = 0; j < ow; j += 8) {
      __m256 best = _mm256_load_ps(hv + slot0 * owp + j);
      __m256i at = _mm256_load_si256(reinterpret_cast<const __m256i*>(ha + slot0 * owp + j));
      for (index_t r = r0 + 1, slot = slot0 + 1; r < r1; ++r, ++slot) {
        if (slot == kh) slot = 0;
        take_max<kExact>(_mm256_load_ps(hv + slot * owp + j),
                         _mm256_load_si256(reinterpret_cast<const __m256i*>(ha + slot * owp + j)), best, at);
      }
      store_first(y + i * ow + j, best, ow - j);
      store_first(argmax + i * ow + j, at, ow - j);
    }
  }
  return true;
}

template <index_t SW, index_t KW>
void max_plane(const Pool2dShape& s, const float* x, float* y, std::int32_t* argmax, float* scratch) {
  if (!max_plane<SW, KW, false>(s, x, y, argmax, scratch)) max_plane<SW, KW, true>(s, x, y, argmax, scratch);
}

template <index_t SW>
void max_forward(const Pool2dShape& s, const float* x, float* y, std::int32_t* argmax, float* scratch) {
  if (s.kw == 3)
    max_plane<SW, 3>(s, x, y, argmax, scratch);
  else
    max_plane<SW, 0>(s, x, y, argmax, scratch);
}

// Average forward, the baseline's operations in its order (avgpool2d.cc's forward_plane): per
// output row, the window rows summed top to bottom column by column into the padded row (zeros in
// the padding; stride 2 split into its even and odd entries as for the max), then the taps left to
// right from the first one's sum, then one division by rows * columns of the divisor. The column
// sums of kCopyRows output rows are written before any is read (store forwarding, as for the max).
// scratch: kCopyRows padded rows of 2 * half entries.
template <index_t SW>
void col_sums(const float* x, index_t w, index_t r0, index_t r1, index_t n, index_t pw, float* ev, float* od) {
  const auto sum16 = [&](index_t c, index_t m, __m256& a, __m256& b) {  // columns c .. c + 15, m of them real
    a = load_first(x + r0 * w + c, m);
    b = load_first(x + r0 * w + c + 8, m - 8);
    for (index_t r = r0 + 1; r < r1; ++r) {
      a = _mm256_add_ps(a, load_first(x + r * w + c, m));
      b = _mm256_add_ps(b, load_first(x + r * w + c + 8, m - 8));
    }
  };
  if (SW == 1) {
    for (index_t c = 0; c < n; c += 16) {
      __m256 a, b;
      sum16(c, n - c, a, b);
      _mm256_storeu_ps(ev + pw + c, a);
      _mm256_storeu_ps(ev + pw + c + 8, b);
    }
    return;
  }
  const SplitTargets to(pw, ev, od);
  for (index_t c = 0; c < n; c += 16) {
    __m256 a, b;
    sum16(c, n - c, a, b);
    store_split(a, b, to.even + c / 2, to.odd + c / 2);
  }
}

template <index_t SW>
void avg_forward(const Pool2dShape& s, const float* x, float* y, bool count_include_pad, const float* count,
                 float* scratch) {
  const index_t h = s.h, w = s.w, oh = s.oh, ow = s.ow, kh = s.kh, kw = s.kw, sh = s.stride_h, ph = s.pad_h,
                pw = s.pad_w;
  const index_t len = (ow - 1) * SW + kw, real_end = len - pw < w ? len - pw : w;
  const index_t half = ((len + 1) / 2 + 15) / 8 * 8;
  const __m256 zero = _mm256_setzero_ps();
  for (index_t p = 0; p < kCopyRows * 2 * half; p += 8) _mm256_storeu_ps(scratch + p, zero);
  for (index_t i0 = 0; i0 < oh; i0 += kCopyRows) {
    const index_t i1 = i0 + kCopyRows < oh ? i0 + kCopyRows : oh;
    for (index_t i = i0; i < i1; ++i) {
      index_t r0, r1, unused;
      window(i, sh, ph, kh, h, &r0, &r1, &unused);
      float* ev = scratch + (i - i0) * 2 * half;
      col_sums<SW>(x, w, r0, r1, real_end, pw, ev, ev + half);
    }
    for (index_t i = i0; i < i1; ++i) {
      index_t r0, r1, padded;
      window(i, sh, ph, kh, h, &r0, &r1, &padded);
      const __m256 rows = _mm256_set1_ps(static_cast<float>(count_include_pad ? padded : r1 - r0));
      const float* ev = scratch + (i - i0) * 2 * half;
      const float* od = ev + half;
      for (index_t j = 0; j < ow; j += 8) {
        __m256 sum = _mm256_loadu_ps(ev + j);
        for (index_t t = 1; t < kw; ++t)
          sum = _mm256_add_ps(sum, _mm256_loadu_ps(SW == 1 ? ev + j + t : (t & 1 ? od : ev) + j + t / 2));
        store_first(y + i * ow + j, _mm256_div_ps(sum, _mm256_mul_ps(rows, load_first(count + j, ow - j))), ow - j);
      }
    }
  }
}

// Average backward, the baseline's operations in its order (avgpool2d.cc's backward_plane). Per
// output row i: g = dy / divisor, into a row with zeros around it (row i of gp); then row i of
// grad, where column c (padded p = c + pad_w) adds g[j] for every tap t with j * SW + t = p, t
// ascending, from +0 (a g outside the outputs is one of the zeros, and adding +0 changes no sum
// that starts from +0: such a sum is never -0); then each dx row, the sum of the grad rows of the
// windows covering it, in window order, or 0. Every tap is a plain load, no lane masks; stride 2
// sums 8 even and 8 odd columns apart and interleaves them. scratch: gp, then grad.
template <index_t SW>
void avg_backward(const Pool2dShape& s, const float* dy, float* dx, bool count_include_pad, const float* count,
                  float* scratch) {
  // The sizes in locals: a vector store may alias anything, so fields of s would be read again
  // after each one.
  const index_t h = s.h, w = s.w, oh = s.oh, ow = s.ow, kh = s.kh, kw = s.kw, sh = s.stride_h, ph = s.pad_h,
                pw = s.pad_w;
  const index_t lead = ((kw - 1) / SW + 8) / 8 * 8;  // zeros before g[0]: taps reach j >= -(kw - 1) / SW
  const index_t wp = (w + 15) / 16 * 16;             // grad's row pitch
  const index_t gpitch = (lead + (wp + pw) / SW + 15) / 8 * 8;
  float* gp = scratch;
  float* grad = gp + oh * gpitch;
  const __m256 zero = _mm256_setzero_ps();
  for (index_t i = 0; i < oh; ++i) {
    index_t r0, r1, padded;
    window(i, sh, ph, kh, h, &r0, &r1, &padded);
    const __m256 rows = _mm256_set1_ps(static_cast<float>(count_include_pad ? padded : r1 - r0));
    float* gi = gp + i * gpitch;
    // One loop for the zeros and g (separate loops of zero stores became memset calls).
    for (index_t k = 0; k < gpitch; k += 8) {
      const index_t j = k - lead, n = ow - j;
      __m256 g = zero;
      if (j >= 0 && n > 0) {
        g = _mm256_div_ps(load_first(dy + i * ow + j, n), _mm256_mul_ps(rows, load_first(count + j, n)));
        g = _mm256_and_ps(g, _mm256_castsi256_ps(first_lanes(n)));  // 0 / 0 past ow
      }
      _mm256_store_ps(gi + k, g);
    }
  }
  for (index_t i = 0; i < oh; ++i) {
    const float* gi = gp + i * gpitch + lead;
    float* gr = grad + i * wp;
    if (SW == 1) {
      for (index_t c = 0; c < wp; c += 8) {
        __m256 sum = zero;
        for (index_t t = 0; t < kw; ++t) sum = _mm256_add_ps(sum, _mm256_loadu_ps(gi + c + pw - t));
        _mm256_store_ps(gr + c, sum);
      }
      continue;
    }
    // Columns c + 2l take the taps t of pad_w's parity (p - t even), columns c + 2l + 1 the others.
    const index_t te = pw & 1, to = 1 - te;
    for (index_t c = 0; c < wp; c += 16) {
      __m256 even = zero, odd = zero;
      for (index_t t = te; t < kw; t += 2) even = _mm256_add_ps(even, _mm256_loadu_ps(gi + (c + pw - t) / 2));
      for (index_t t = to; t < kw; t += 2) odd = _mm256_add_ps(odd, _mm256_loadu_ps(gi + (c + 1 + pw - t) / 2));
      __m256 lo, hi;
      interleave(even, odd, &lo, &hi);
      _mm256_store_ps(gr + c, lo);
      _mm256_store_ps(gr + c + 8, hi);
    }
  }
  index_t lo_i = 0, hi_i = 0;  // windows lo_i .. hi_i - 1 cover r
  for (index_t r = 0; r < h; ++r) {
    while (lo_i < oh && lo_i * sh - ph + kh <= r) ++lo_i;
    while (hi_i < oh && hi_i * sh - ph <= r) ++hi_i;
    float* dxr = dx + r * w;
    if (lo_i >= hi_i) {
      for (index_t c = 0; c < w; c += 8) store_first(dxr + c, zero, w - c);
      continue;
    }
    // Whole blocks, then the row's end (one loop with store_first for every block: stem 0.80x).
    const float* g0 = grad + lo_i * wp;
    index_t c = 0;
    for (; c + 8 <= w; c += 8) {
      __m256 acc = _mm256_load_ps(g0 + c);
      for (index_t i = lo_i + 1; i < hi_i; ++i) acc = _mm256_add_ps(acc, _mm256_load_ps(grad + i * wp + c));
      _mm256_storeu_ps(dxr + c, acc);
    }
    if (c < w) {
      __m256 acc = _mm256_load_ps(g0 + c);
      for (index_t i = lo_i + 1; i < hi_i; ++i) acc = _mm256_add_ps(acc, _mm256_load_ps(grad + i * wp + c));
      store_first(dxr + c, acc, w - c);
    }
  }
}

}  // namespace

// Every kernel for both column strides. Against the per-tap kernels this file had before (stride 2)
// and the baseline (stride 1): docs/benchmarks.md, "2026-12-07 16:30 UTC".
PoolWindowKernels pool_window_kernels() {
  return {{max_forward<1>, max_forward<2>}, {avg_forward<1>, avg_forward<2>}, {avg_backward<1>, avg_backward<2>}};
}

}  // namespace avx2
}  // namespace gn
