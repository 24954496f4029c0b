// Max pooling forward / backward, and the pooling shape validator. Parallel over the n * c planes
// (one thread per plane, so the backward scatter into overlapping windows has no races). Forward:
// the ISA's 2x2 / stride-2 kernel where it has one (pool_ukernel.h), else SSE2 paths for 2x2 /
// stride 2; SSE2 for global pooling (one window per plane); for the rest the ISA's window kernel
// (column stride 1 or 2), else a separable one (columns, then windows). Backward: every argmax
// index checked first (it comes from JS memory), then zero the plane and scatter dy through the
// argmax; 2x2 / stride 2 rows of at least 8 outputs write dx directly instead (the ISA's kernel,
// or SSE2).
#include <atomic>
#include <cstring>
#include <initializer_list>
#include <limits>

#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "../isa.h"
#include "pool_internal.h"

namespace gn {
namespace {

constexpr index_t kMaxParam = 0x7fffffff;
constexpr index_t kMaxElements = index_t(1) << 40;

bool count_fits(index_t a, index_t b, index_t c, index_t d) {
  index_t acc = 1;
  for (index_t f : {a, b, c, d}) {
    if (acc > kMaxElements / f) return false;
    acc *= f;
  }
  return true;
}

// Takes v (at index `at_v`) as the new maximum when it is larger, or when it is the first NaN (once
// best is NaN nothing replaces it). Written as selects, not branches: on real data which element wins
// is unpredictable, and a mispredicted branch per comparison cost most of the pooling time.
inline void take_max(float v, std::int32_t at_v, float& best, std::int32_t& at) {
  const bool better = (v > best) | ((v != v) & (best == best));
  best = better ? v : best;
  at = better ? at_v : at;
}

// Equal values (or two NaNs) go to the smaller flat index: with candidates that do not arrive in
// row-major order, this still picks the first maximum in row-major window order.
inline void take_first_max(float v, std::int32_t at_v, float& best, std::int32_t& at) {
  const bool v_nan = v != v, best_nan = best != best;
  const bool better = (v > best) | (v_nan & !best_nan) | (((v == best) | (v_nan & best_nan)) & (at_v < at));
  best = better ? v : best;
  at = better ? at_v : at;
}

#if defined(__SSE2__)
// Four outputs at a time with SSE2 (part of the x86-64 baseline): the selection rule becomes compare
// masks and blends for both the value and its index, so no branch depends on the data.
inline __m128 blend(__m128 mask, __m128 a, __m128 b) {  // mask ? a : b
  return _mm_or_ps(_mm_and_ps(mask, a), _mm_andnot_ps(mask, b));
}

// take_max on four lanes. !(v <= best) is v > best or either one NaN; and-ing with "best is not NaN"
// leaves exactly take_max's rule, in two compares instead of three.
inline void take_max4(__m128 v, __m128i at_v, __m128& best, __m128i& at) {
  const __m128 better = _mm_and_ps(_mm_cmpnle_ps(v, best), _mm_cmpord_ps(best, best));
  best = blend(better, v, best);
  at = _mm_castps_si128(blend(better, _mm_castsi128_ps(at_v), _mm_castsi128_ps(at)));
}

// take_first_max on four lanes.
inline void take_first_max4(__m128 v, __m128i at_v, __m128& best, __m128i& at) {
  const __m128 v_nan = _mm_cmpunord_ps(v, v), best_nan = _mm_cmpunord_ps(best, best);
  const __m128 tie = _mm_or_ps(_mm_cmpeq_ps(v, best), _mm_and_ps(v_nan, best_nan));
  const __m128 earlier = _mm_castsi128_ps(_mm_cmpgt_epi32(at, at_v));
  const __m128 better = _mm_or_ps(_mm_or_ps(_mm_cmpgt_ps(v, best), _mm_andnot_ps(best_nan, v_nan)), _mm_and_ps(tie, earlier));
  best = blend(better, v, best);
  at = _mm_castps_si128(blend(better, _mm_castsi128_ps(at_v), _mm_castsi128_ps(at)));
}
#endif

// Any window: separable. For output row i, a vertical pass keeps, per input column, the maximum
// over the window's rows and its flat index (contiguous, vectorised) in a padded row buffer (see
// PaddedRow; padding holds -inf at index INT32_MAX, which loses every tie, so it is never chosen:
// every window has a real pixel). A horizontal pass then picks among the kw column maxima of each
// window, tap by tap across the outputs (four at a time with SSE2; stride 2 through the buffer's
// even / odd halves, so that every tap is contiguous). Kernel, 1 thread, min of single calls, ResNet
// stem N32 C16 32x32 k3 s2 p1: 890 -> 650 us. (Computing the even / odd halves straight from x with
// stride-2 loops, to skip the copy, was 2.4x slower: those loops do not vectorise.)
// buf: this thread's row buffers, 4 * row.len + 4 entries of 4 bytes.
void maxpool_plane(const Pool2dShape& s, const PaddedRow& row, const float* x, float* y, std::int32_t* argmax,
                   char* buf) {
  float* GN_RESTRICT val = reinterpret_cast<float*>(buf);
  std::int32_t* GN_RESTRICT at = reinterpret_cast<std::int32_t*>(val + row.len);
  float* GN_RESTRICT ev = reinterpret_cast<float*>(at + row.len);
  float* GN_RESTRICT od = ev + row.half;
  std::int32_t* GN_RESTRICT ev_at = reinterpret_cast<std::int32_t*>(od + row.half);
  std::int32_t* GN_RESTRICT od_at = ev_at + row.half;
  const index_t pw = s.pad_w, sw = s.stride_w;
  for (index_t p = 0; p < row.len; ++p) {
    val[p] = -std::numeric_limits<float>::infinity();
    at[p] = std::numeric_limits<std::int32_t>::max();
  }
  for (index_t i = 0; i < s.oh; ++i) {
    index_t r0, r1, unused;
    pool_window(i, s.stride_h, s.pad_h, s.kh, s.h, &r0, &r1, &unused);
    {
      float* GN_RESTRICT v = val + pw;
      std::int32_t* GN_RESTRICT a = at + pw;
      const float* GN_RESTRICT xr = x + r0 * s.w;
      const std::int32_t base = static_cast<std::int32_t>(r0 * s.w);
      for (index_t c = 0; c < row.real_end; ++c) {
        v[c] = xr[c];
        a[c] = base + static_cast<std::int32_t>(c);
      }
      for (index_t r = r0 + 1; r < r1; ++r) {  // later rows: strictly larger wins (ties keep the earlier row)
        const float* GN_RESTRICT xq = x + r * s.w;
        const std::int32_t b = static_cast<std::int32_t>(r * s.w);
        for (index_t c = 0; c < row.real_end; ++c) take_max(xq[c], b + static_cast<std::int32_t>(c), v[c], a[c]);
      }
    }
    float* GN_RESTRICT yi = y + i * s.ow;
    std::int32_t* GN_RESTRICT ai = argmax + i * s.ow;
    if (sw > 2) {
      for (index_t j = 0; j < s.ow; ++j) {
        float best = val[j * sw];
        std::int32_t arg = at[j * sw];
        for (index_t t = 1; t < s.kw; ++t) take_first_max(val[j * sw + t], at[j * sw + t], best, arg);
        yi[j] = best;
        ai[j] = arg;
      }
      continue;
    }
    if (sw == 2) {
      for (index_t m = 0; m < row.half; ++m) {
        ev[m] = val[2 * m];
        ev_at[m] = at[2 * m];
      }
      for (index_t m = 0; m < row.len / 2; ++m) {
        od[m] = val[2 * m + 1];
        od_at[m] = at[2 * m + 1];
      }
    }
    for (index_t j = 0; j < s.ow; ++j) {
      yi[j] = sw == 2 ? ev[j] : val[j];
      ai[j] = sw == 2 ? ev_at[j] : at[j];
    }
    for (index_t t = 1; t < s.kw; ++t) {
      const float* GN_RESTRICT sv = sw == 1 ? val + t : (t & 1 ? od : ev) + t / 2;
      const std::int32_t* GN_RESTRICT sa = sw == 1 ? at + t : (t & 1 ? od_at : ev_at) + t / 2;
      index_t j = 0;
#if defined(__SSE2__)
      for (; j + 4 <= s.ow; j += 4) {
        __m128 best = _mm_loadu_ps(yi + j);
        __m128i arg = _mm_loadu_si128(reinterpret_cast<const __m128i*>(ai + j));
        take_first_max4(_mm_loadu_ps(sv + j), _mm_loadu_si128(reinterpret_cast<const __m128i*>(sa + j)), best, arg);
        _mm_storeu_ps(yi + j, best);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(ai + j), arg);
      }
#endif
      for (; j < s.ow; ++j) take_first_max(sv[j], sa[j], yi[j], ai[j]);
    }
  }
}


// 2x2 windows, stride 2 (is_2x2_stride2). The even and odd columns of the two window rows are split
// with shuffles, four outputs at a time. A row with 2 or 3 outputs left over ends with a group that
// overlaps the one before (it recomputes, and rewrites, the same values) instead of a scalar tail;
// a single leftover output (LeNet pool2's rows of 5) stays scalar, which measured cheaper
// (N64 C16 10x10, 1 thread: 52 us scalar, 55 us with the overlapping group).
void maxpool_plane_2x2(const Pool2dShape& s, const float* x, float* y, std::int32_t* argmax) {
  const index_t vec_end = s.ow % 4 == 1 ? s.ow - 1 : s.ow;
  for (index_t i = 0; i < s.oh; ++i) {
    const float* r0 = x + 2 * i * s.w;
    const float* r1 = r0 + s.w;
    const std::int32_t top = static_cast<std::int32_t>(2 * i * s.w);
    const std::int32_t bottom = top + static_cast<std::int32_t>(s.w);
    float* yo = y + i * s.ow;
    std::int32_t* ao = argmax + i * s.ow;
    index_t j = 0;
#if defined(__SSE2__)
    if (vec_end >= 4) {
      const __m128i lane = _mm_setr_epi32(0, 2, 4, 6), one = _mm_set1_epi32(1);
      for (;; j += 4) {
        if (j > vec_end - 4) j = vec_end - 4;
        const index_t c = 2 * j;
        const __m128 a0 = _mm_loadu_ps(r0 + c), a1 = _mm_loadu_ps(r0 + c + 4);
        const __m128 b0 = _mm_loadu_ps(r1 + c), b1 = _mm_loadu_ps(r1 + c + 4);
        const __m128i at_top = _mm_add_epi32(lane, _mm_set1_epi32(top + static_cast<std::int32_t>(c)));
        const __m128i at_bottom = _mm_add_epi32(lane, _mm_set1_epi32(bottom + static_cast<std::int32_t>(c)));
        __m128 best = _mm_shuffle_ps(a0, a1, _MM_SHUFFLE(2, 0, 2, 0));
        __m128i at = at_top;
        take_max4(_mm_shuffle_ps(a0, a1, _MM_SHUFFLE(3, 1, 3, 1)), _mm_add_epi32(at_top, one), best, at);
        take_max4(_mm_shuffle_ps(b0, b1, _MM_SHUFFLE(2, 0, 2, 0)), at_bottom, best, at);
        take_max4(_mm_shuffle_ps(b0, b1, _MM_SHUFFLE(3, 1, 3, 1)), _mm_add_epi32(at_bottom, one), best, at);
        _mm_storeu_ps(yo + j, best);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(ao + j), at);
        if (j == vec_end - 4) break;
      }
      j = vec_end;
    }
#endif
    for (; j < s.ow; ++j) {
      const std::int32_t c = static_cast<std::int32_t>(2 * j);
      float best = r0[c];
      std::int32_t at = top + c;
      take_max(r0[c + 1], top + c + 1, best, at);
      take_max(r1[c], bottom + c, best, at);
      take_max(r1[c + 1], bottom + c + 1, best, at);
      yo[j] = best;
      ao[j] = at;
    }
  }
}

// Global pooling (is_global): the maximum of one contiguous run of n pixels, and the first pixel
// holding it (take_max's rule: the first maximum, or the first NaN). With SSE2, two passes without
// blends: the maximum of the pixels that are not NaN (four maxps chains) and whether any is NaN,
// then the first pixel equal to that maximum (or the first NaN), four compares at a time. The value
// is that pixel's, so a -0 / +0 tie keeps the first one's sign. ResNet-20's 8x8 planes (N32 C64,
// 2 threads, min of 3000 calls, alternating builds): 38 -> 15-16 us against one pass of
// compare-and-blends on value and index. Planes below 16 pixels stay scalar.
void maxpool_plane_global(const float* x, index_t n, float* y, std::int32_t* argmax) {
#if defined(__SSE2__)
  if (n >= 16) {
    const __m128 ninf = _mm_set1_ps(-std::numeric_limits<float>::infinity());
    __m128 m0 = ninf, m1 = ninf, m2 = ninf, m3 = ninf, nan = _mm_setzero_ps();
    index_t k = 0;
    // maxps(a, b) is b when either is NaN, so a NaN pixel is skipped; cmpunord(a, b) is true where
    // a or b is NaN.
    for (; k + 16 <= n; k += 16) {
      const __m128 v0 = _mm_loadu_ps(x + k), v1 = _mm_loadu_ps(x + k + 4);
      const __m128 v2 = _mm_loadu_ps(x + k + 8), v3 = _mm_loadu_ps(x + k + 12);
      nan = _mm_or_ps(nan, _mm_or_ps(_mm_cmpunord_ps(v0, v1), _mm_cmpunord_ps(v2, v3)));
      m0 = _mm_max_ps(v0, m0);
      m1 = _mm_max_ps(v1, m1);
      m2 = _mm_max_ps(v2, m2);
      m3 = _mm_max_ps(v3, m3);
    }
    alignas(16) float lanes[4];
    _mm_store_ps(lanes, _mm_max_ps(_mm_max_ps(m0, m1), _mm_max_ps(m2, m3)));
    float mx = lanes[0];
    for (int l = 1; l < 4; ++l) mx = lanes[l] > mx ? lanes[l] : mx;
    bool any_nan = _mm_movemask_ps(nan) != 0;
    for (; k < n; ++k) {
      any_nan |= x[k] != x[k];
      mx = x[k] > mx ? x[k] : mx;
    }
    const __m128 vm = _mm_set1_ps(mx);
    index_t at = 0;
    for (;; at += 4) {
      if (at + 4 > n) {  // the last pixels (the one found is among them)
        while (any_nan ? x[at] == x[at] : !(x[at] == mx)) ++at;
        break;
      }
      const __m128 v = _mm_loadu_ps(x + at);
      const int hit = _mm_movemask_ps(any_nan ? _mm_cmpunord_ps(v, v) : _mm_cmpeq_ps(v, vm));
      if (hit) {
        int l = 0;
        while (!((hit >> l) & 1)) ++l;
        at += l;
        break;
      }
    }
    *y = x[at];
    *argmax = static_cast<std::int32_t>(at);
    return;
  }
#endif
  float best = x[0];
  std::int32_t at = 0;
  for (index_t k = 1; k < n; ++k) take_max(x[k], static_cast<std::int32_t>(k), best, at);
  *y = best;
  *argmax = at;
}

#if defined(__SSE2__)
// Backward of 2x2 / stride 2 without a memset: windows do not overlap, so every dx pixel is written
// once, dy where it is its window's argmax and 0 elsewhere (and 0 in the last row / column that an
// odd size leaves outside every window); four windows, eight pixels of each of the two rows, at a
// time, with a last group that overlaps the one before. An argmax that is not inside its own window
// (never produced by the forward pass) contributes nothing. Kernel, 1 thread, min of single calls:
// LeNet pool1 (N64 C6 28x28, rows of 14) 76 -> 62 us; but pool2 (10x10, rows of 5, where the
// overlapping group redoes 3 of 5 outputs) 21 -> 33 us, so rows below 8 outputs keep the scatter.
bool direct_2x2_backward(const Pool2dShape& s) { return is_2x2_stride2(s) && s.ow >= 8; }

void max_backward_plane_2x2(const Pool2dShape& s, const float* dy, const std::int32_t* argmax, const float* gate,
                            float* dx) {
  const __m128i lane = _mm_setr_epi32(0, 1, 2, 3), four = _mm_set1_epi32(4);
  const __m128i down = _mm_set1_epi32(static_cast<std::int32_t>(s.w));
  for (index_t i = 0; i < s.oh; ++i) {
    const float* gi = dy + i * s.ow;
    const std::int32_t* ai = argmax + i * s.ow;
    float* r0 = dx + 2 * i * s.w;
    float* r1 = r0 + s.w;
    for (index_t j = 0;; j += 4) {
      if (j > s.ow - 4) j = s.ow - 4;
      const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(ai + j));
      __m128 g = _mm_loadu_ps(gi + j);
      if (gate) g = _mm_and_ps(g, _mm_cmpgt_ps(_mm_loadu_ps(gate + i * s.ow + j), _mm_setzero_ps()));
      const __m128i a_lo = _mm_unpacklo_epi32(a, a), a_hi = _mm_unpackhi_epi32(a, a);
      const __m128 g_lo = _mm_unpacklo_ps(g, g), g_hi = _mm_unpackhi_ps(g, g);
      const __m128i at = _mm_add_epi32(lane, _mm_set1_epi32(static_cast<std::int32_t>(2 * (i * s.w + j))));
      const __m128i at4 = _mm_add_epi32(at, four);
      _mm_storeu_ps(r0 + 2 * j, _mm_and_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(a_lo, at)), g_lo));
      _mm_storeu_ps(r0 + 2 * j + 4, _mm_and_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(a_hi, at4)), g_hi));
      _mm_storeu_ps(r1 + 2 * j, _mm_and_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(a_lo, _mm_add_epi32(at, down))), g_lo));
      _mm_storeu_ps(r1 + 2 * j + 4, _mm_and_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(a_hi, _mm_add_epi32(at4, down))), g_hi));
      if (j == s.ow - 4) break;
    }
    for (index_t c = 2 * s.ow; c < s.w; ++c) r0[c] = r1[c] = 0.f;
  }
  if (2 * s.oh < s.h) std::memset(dx + 2 * s.oh * s.w, 0, sizeof(float) * (s.h - 2 * s.oh) * s.w);
}
#endif

}  // namespace

bool pool2d_shape_valid(const Pool2dShape& s, const char** why) {
  const char* msg = nullptr;
  if (s.n <= 0 || s.c <= 0 || s.h <= 0 || s.w <= 0 || s.oh <= 0 || s.ow <= 0 || s.kh <= 0 || s.kw <= 0)
    msg = "sizes must be positive";
  else if (s.stride_h <= 0 || s.stride_w <= 0)
    msg = "strides must be positive";
  else if (s.pad_h < 0 || s.pad_w < 0)
    msg = "pads must not be negative";
  else if (s.n > kMaxParam || s.c > kMaxParam || s.h > kMaxParam || s.w > kMaxParam ||
           s.oh > kMaxParam || s.ow > kMaxParam || s.kh > kMaxParam || s.kw > kMaxParam ||
           s.stride_h > kMaxParam || s.stride_w > kMaxParam)
    msg = "sizes and parameters must be below 2^31";
  else if (s.pad_h > s.kh / 2 || s.pad_w > s.kw / 2)
    msg = "pad must be at most half the kernel size";
  // With pad <= k / 2 every window ends at or after input row/column 0; the last one must also
  // start inside the input (PyTorch's ceil_mode rule), so no window lies entirely in the padding.
  else if ((s.oh - 1) * s.stride_h - s.pad_h >= s.h || (s.ow - 1) * s.stride_w - s.pad_w >= s.w)
    msg = "every window must overlap the input";
  else if (s.h * s.w > 0x7fffffff)
    msg = "an input plane must have fewer than 2^31 elements (argmax is int32)";
  else if (!count_fits(s.n, s.c, s.h, s.w) || !count_fits(s.n, s.c, s.oh, s.ow))
    msg = "tensor has too many elements";
  if (msg) {
    if (why) *why = msg;
    return false;
  }
  return true;
}

// Max forward's cost per pixel for pool_threads: a thread gets at least 32 K / 2 = 16 K pixels (as
// with 128 K / 8 when kPoolGrain was 2^17). With kPoolGrain's old grain alone LeNet pool2 (N64 C16
// 10x10, 128 K pixels, 52 us on one thread then) stayed on one thread; with a second one (fork / join
// about 6-9 us on the 2-vCPU VM at the time, OMP_WAIT_POLICY=PASSIVE) it took 34-44 us.
constexpr index_t kMaxForwardCost = 2;

void maxpool2d_forward(const Pool2dShape& s, const float* x, float* y, std::int32_t* argmax) {
  const index_t hw = s.h * s.w, ohw = s.oh * s.ow;
  if (is_global(s)) {
    for_each_plane(s.n * s.c, pool_threads(s, kMaxForwardCost), 0, [&](index_t q, char*) {
      maxpool_plane_global(x + q * hw, hw, y + q, argmax + q);
    });
    return;
  }
  if (is_2x2_stride2(s)) {
    const MaxPool2x2Kernels& isa = kernels().maxpool2x2;
    const MaxPool2x2ForwardFn isa_forward = s.ow >= isa.min_ow ? isa.forward : nullptr;
    for_each_plane(s.n * s.c, pool_threads(s, kMaxForwardCost), 0, [&](index_t q, char*) {
      if (isa_forward)
        isa_forward(s, x + q * hw, y + q * ohw, argmax + q * ohw);
      else
        maxpool_plane_2x2(s, x + q * hw, y + q * ohw, argmax + q * ohw);
    });
    return;
  }
  // The window kernels' scratch (pool_ukernel.h) holds kh rows of outputs: windows past 2^20 such
  // entries (never in a real network) take the baseline path instead.
  const PoolMaxForwardFn isa_window = s.stride_w <= 2 && s.kh * (s.ow + 7) <= (index_t(1) << 20)
                                          ? kernels().pool_window.max_forward[s.stride_w - 1]
                                          : nullptr;
  if (isa_window) {
    const index_t floats = 4 * ((s.ow - 1) * s.stride_w + s.kw + 32) + 2 * s.kh * (s.ow + 7);
    for_each_plane(s.n * s.c, pool_threads(s, kMaxForwardCost), sizeof(float) * floats, [&](index_t q, char* buf) {
      isa_window(s, x + q * hw, y + q * ohw, argmax + q * ohw, reinterpret_cast<float*>(buf));
    });
    return;
  }
  const PaddedRow row(s);
  for_each_plane(s.n * s.c, pool_threads(s, kMaxForwardCost), 4 * (4 * row.len + 4), [&](index_t q, char* buf) {
    maxpool_plane(s, row, x + q * hw, y + q * ohw, argmax + q * ohw, buf);
  });
}

namespace {

// Whether every index of a[0..n) lies in [0, last]. No early exit, so the loop vectorises: in
// unsigned arithmetic a | (last - a) has its top bit set exactly when a < 0 or a > last.
bool indices_in_range(const std::int32_t* a, index_t n, index_t last) {
  const std::uint32_t l = static_cast<std::uint32_t>(last);
  std::uint32_t bad = 0;
  for (index_t i = 0; i < n; ++i) {
    const std::uint32_t v = static_cast<std::uint32_t>(a[i]);
    bad |= v | (l - v);
  }
  return (bad >> 31) == 0;
}

// Scatter backward of one plane: zeroed, then dy added at every argmax.
void max_backward_plane_scatter(index_t hw, index_t ohw, const float* dy, const std::int32_t* argmax,
                                const float* gate, float* dx) {
  std::memset(dx, 0, sizeof(float) * hw);
  if (gate) {
    // A closed gate adds +0, which leaves every pixel as it was (the plane starts at +0, and
    // x + (+0) == x otherwise). The value is masked bitwise: with `gate > 0 ? dy : 0` GCC branches,
    // and the ReLU's pattern is unpredictable (LeNet pool2's backward took 66-74 us instead of 43).
    for (index_t k = 0; k < ohw; ++k) {
      std::uint32_t bits;
      std::memcpy(&bits, dy + k, sizeof bits);
      bits &= 0u - static_cast<std::uint32_t>(gate[k] > 0.f);
      float v;
      std::memcpy(&v, &bits, sizeof v);
      dx[argmax[k]] += v;
    }
  } else {
    for (index_t k = 0; k < ohw; ++k) dx[argmax[k]] += dy[k];
  }
}

}  // namespace

// Each thread checks the argmax of its range of planes; after a barrier, if every range passed, it
// runs them (so a failed call writes nothing). The check was a serial pass over the whole argmax in
// the addon's glue (~5 us at one thread for LeNet pool1, N64 C6 28x28); split between the threads,
// 2 threads, min of 5000 calls alternating builds: pool1 24.6-24.7 -> 20.9-22.8 us; npm run bench
// -- --only pool, two runs each: pool1 26.1 -> 24.2 us, ResNet stem 3x3 / 2 59.1 -> 54.9 us, the
// rest within the noise. (Checked plane by plane, each just before its backward, pool2's planes of
// 25 outputs took 17 -> 20 us at one thread.)
bool maxpool2d_backward(const Pool2dShape& s, const float* dy, const std::int32_t* argmax, const float* gate,
                        float* dx) {
  const index_t planes = s.n * s.c, hw = s.h * s.w, ohw = s.oh * s.ow;
  const MaxPool2x2Kernels& isa = kernels().maxpool2x2;
  // Rows below 8 outputs keep the scatter, as with SSE2: LeNet pool2 (N64 C16 10x10, rows of 5, one
  // thread) took 36 us with the AVX-512 kernel against 18 us.
  const MaxPool2x2BackwardFn isa_backward =
      is_2x2_stride2(s) && s.ow >= 8 && s.ow >= isa.min_ow ? isa.backward : nullptr;
#if defined(__SSE2__)
  const bool sse2_2x2 = direct_2x2_backward(s);
#endif
  std::atomic<bool> ok{true};
  const auto check = [&](index_t q0, index_t q1) {
    if (!indices_in_range(argmax + q0 * ohw, (q1 - q0) * ohw, hw - 1))
      ok.store(false, std::memory_order_relaxed);
  };
  const auto run = [&](index_t q0, index_t q1) {
    for (index_t q = q0; q < q1; ++q) {
      const float* dyq = dy + q * ohw;
      const std::int32_t* aq = argmax + q * ohw;
      const float* gq = gate ? gate + q * ohw : nullptr;
      float* dxq = dx + q * hw;
      if (isa_backward) {
        isa_backward(s, dyq, aq, gq, dxq);
        continue;
      }
#if defined(__SSE2__)
      if (sse2_2x2) {
        max_backward_plane_2x2(s, dyq, aq, gq, dxq);
        continue;
      }
#endif
      max_backward_plane_scatter(hw, ohw, dyq, aq, gq, dxq);
    }
  };
  const int nt = pool_threads(s);
#ifdef _OPENMP
  if (nt > 1) {
#pragma omp parallel num_threads(nt)
    {
      const index_t t = omp_get_thread_num(), n = omp_get_num_threads();
      const index_t q0 = planes * t / n, q1 = planes * (t + 1) / n;
      check(q0, q1);
#pragma omp barrier
      if (ok.load(std::memory_order_relaxed)) run(q0, q1);
    }
    return ok.load();
  }
#else
  (void)nt;
#endif
  check(0, planes);
  if (!ok.load()) return false;
  run(0, planes);
  return true;
}

}  // namespace gn
