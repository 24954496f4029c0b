// Average pooling forward / backward, parallel over the n * c planes. The divisor follows PyTorch:
// the window clipped to the padded input (count_include_pad) or to the input (otherwise); it is a
// row count times a column count, so both passes are separable. Forward: per output row, the
// window rows summed column by column (contiguous, vectorised), then each window's columns.
// Backward: per output row, each window's share spread over its columns, then added to the
// window rows. Global pooling and 2x2 / stride 2 skip that row machinery, whose per-row setup
// (small loops, memcpy / memset calls) cost several times the arithmetic on small planes.
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "pool_internal.h"

namespace gn {
namespace {

struct RowWindow {
  index_t r0, r1;
  index_t count;  // rows of the divisor
};

inline RowWindow row_window(const Pool2dShape& s, index_t i, bool count_include_pad) {
  RowWindow rw;
  index_t padded;
  pool_window(i, s.stride_h, s.pad_h, s.kh, s.h, &rw.r0, &rw.r1, &padded);
  rw.count = count_include_pad ? padded : rw.r1 - rw.r0;
  return rw;
}

inline float divisor(const ColWindows& cw, const RowWindow& rw, index_t j, bool count_include_pad) {
  const index_t cols = count_include_pad ? cw.padded[j] : cw.c1[j] - cw.c0[j];
  return static_cast<float>(rw.count * cols);
}

void forward_plane(const Pool2dShape& s, const ColWindows& cw, bool cip, const float* x, float* y,
                   float* __restrict col_sum) {
  const index_t c_lo = cw.c0[0], c_hi = cw.c1[s.ow - 1];
  for (index_t i = 0; i < s.oh; ++i) {
    const RowWindow rw = row_window(s, i, cip);
    std::memcpy(col_sum + c_lo, x + rw.r0 * s.w + c_lo, sizeof(float) * (c_hi - c_lo));
    for (index_t r = rw.r0 + 1; r < rw.r1; ++r) {
      const float* __restrict xr = x + r * s.w;
      for (index_t c = c_lo; c < c_hi; ++c) col_sum[c] += xr[c];
    }
    float* __restrict yi = y + i * s.ow;
    for (index_t j = 0; j < s.ow; ++j) {
      if (j == cw.j_lo) {  // interior outputs, one tap at a time across them
        const index_t sw = s.stride_w;
        const float* __restrict cs = col_sum + cw.j_lo * sw - s.pad_w;
        for (index_t jj = cw.j_lo; jj < cw.j_hi; ++jj) yi[jj] = cs[(jj - cw.j_lo) * sw];
        for (index_t t = 1; t < s.kw; ++t)
          for (index_t jj = cw.j_lo; jj < cw.j_hi; ++jj) yi[jj] += cs[(jj - cw.j_lo) * sw + t];
        const float d = static_cast<float>(rw.count * s.kw);  // an interior window's columns: kw
        for (index_t jj = cw.j_lo; jj < cw.j_hi; ++jj) yi[jj] /= d;
        j = cw.j_hi;
        if (j == s.ow) break;
      }
      float sum = 0.f;
      for (index_t c = cw.c0[j]; c < cw.c1[j]; ++c) sum += col_sum[c];
      yi[j] = sum / divisor(cw, rw, j, cip);
    }
  }
}

void backward_plane(const Pool2dShape& s, const ColWindows& cw, bool cip, const float* dy, float* dx,
                    float* __restrict col_grad) {
  const index_t c_lo = cw.c0[0], c_hi = cw.c1[s.ow - 1];
  std::memset(dx, 0, sizeof(float) * s.h * s.w);
  for (index_t i = 0; i < s.oh; ++i) {
    const RowWindow rw = row_window(s, i, cip);
    std::memset(col_grad + c_lo, 0, sizeof(float) * (c_hi - c_lo));
    const float* dyi = dy + i * s.ow;
    for (index_t j = 0; j < s.ow; ++j) {
      if (j == cw.j_lo && s.stride_w >= s.kw) {  // interior, windows apart: one tap at a time
        const index_t sw = s.stride_w;
        float* __restrict cg = col_grad + cw.j_lo * sw - s.pad_w;
        const float d = static_cast<float>(rw.count * s.kw);  // an interior window's columns: kw
        for (index_t jj = cw.j_lo; jj < cw.j_hi; ++jj) {
          const float g = dyi[jj] / d;
          for (index_t t = 0; t < s.kw; ++t) cg[(jj - cw.j_lo) * sw + t] = g;
        }
        j = cw.j_hi;
        if (j == s.ow) break;
      }
      const float g = dyi[j] / divisor(cw, rw, j, cip);
      for (index_t c = cw.c0[j]; c < cw.c1[j]; ++c) col_grad[c] += g;
    }
    for (index_t r = rw.r0; r < rw.r1; ++r) {
      float* __restrict dxr = dx + r * s.w;
      for (index_t c = c_lo; c < c_hi; ++c) dxr[c] += col_grad[c];
    }
  }
}

// Global pooling (is_global): the mean of one contiguous run of n pixels, summed in eight
// independent partial sums (two SSE2 registers) added together in a fixed order at the end.
float global_mean(const float* x, index_t n) {
  index_t k = 0;
  float sum = 0.f;
#if defined(__SSE2__)
  if (n >= 8) {
    __m128 s0 = _mm_loadu_ps(x), s1 = _mm_loadu_ps(x + 4);
    for (k = 8; k + 8 <= n; k += 8) {
      s0 = _mm_add_ps(s0, _mm_loadu_ps(x + k));
      s1 = _mm_add_ps(s1, _mm_loadu_ps(x + k + 4));
    }
    alignas(16) float lanes[4];
    _mm_store_ps(lanes, _mm_add_ps(s0, s1));
    sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
  }
#endif
  for (; k < n; ++k) sum += x[k];
  return sum / static_cast<float>(n);
}

#if defined(__SSE2__)
// 2x2 windows, stride 2 (is_2x2_stride2), four outputs at a time: the two window rows added, then
// their even and odd columns (split with shuffles). The same additions in the same order as
// forward_plane, so the same bits. A row whose width is not a multiple of 4 ends with a group
// that overlaps the one before, as in maxpool_plane_2x2.
void forward_plane_2x2(const Pool2dShape& s, const float* x, float* y) {
  const __m128 four = _mm_set1_ps(4.f);
  for (index_t i = 0; i < s.oh; ++i) {
    const float* r0 = x + 2 * i * s.w;
    const float* r1 = r0 + s.w;
    float* yi = y + i * s.ow;
    for (index_t j = 0;; j += 4) {
      if (j > s.ow - 4) j = s.ow - 4;
      const __m128 c0 = _mm_add_ps(_mm_loadu_ps(r0 + 2 * j), _mm_loadu_ps(r1 + 2 * j));
      const __m128 c1 = _mm_add_ps(_mm_loadu_ps(r0 + 2 * j + 4), _mm_loadu_ps(r1 + 2 * j + 4));
      const __m128 sum = _mm_add_ps(_mm_shuffle_ps(c0, c1, _MM_SHUFFLE(2, 0, 2, 0)),
                                    _mm_shuffle_ps(c0, c1, _MM_SHUFFLE(3, 1, 3, 1)));
      _mm_storeu_ps(yi + j, _mm_div_ps(sum, four));
      if (j == s.ow - 4) break;
    }
  }
}

// Backward of the same: windows do not overlap, so each dx pixel is written once (dy / 4 of its
// window, or 0 in the last row / column an odd size leaves outside every window) with no memset
// and no accumulation.
void backward_plane_2x2(const Pool2dShape& s, const float* dy, float* dx) {
  const __m128 four = _mm_set1_ps(4.f);
  for (index_t i = 0; i < s.oh; ++i) {
    const float* gi = dy + i * s.ow;
    float* r0 = dx + 2 * i * s.w;
    float* r1 = r0 + s.w;
    for (index_t j = 0;; j += 4) {
      if (j > s.ow - 4) j = s.ow - 4;
      const __m128 g = _mm_div_ps(_mm_loadu_ps(gi + j), four);
      const __m128 lo = _mm_unpacklo_ps(g, g), hi = _mm_unpackhi_ps(g, g);
      _mm_storeu_ps(r0 + 2 * j, lo);
      _mm_storeu_ps(r0 + 2 * j + 4, hi);
      _mm_storeu_ps(r1 + 2 * j, lo);
      _mm_storeu_ps(r1 + 2 * j + 4, hi);
      if (j == s.ow - 4) break;
    }
    for (index_t c = 2 * s.ow; c < s.w; ++c) r0[c] = r1[c] = 0.f;
  }
  if (2 * s.oh < s.h) std::memset(dx + 2 * s.oh * s.w, 0, sizeof(float) * (s.h - 2 * s.oh) * s.w);
}
#endif

}  // namespace

void avgpool2d_forward(const Pool2dShape& s, const float* x, float* y, bool count_include_pad) {
  const index_t hw = s.h * s.w, ohw = s.oh * s.ow;
  if (is_global(s)) {  // no padding: both divisors are h * w
    for_each_plane(s.n * s.c, pool_threads(s), 0, [&](index_t q, char*) { y[q] = global_mean(x + q * hw, hw); });
    return;
  }
#if defined(__SSE2__)
  if (is_2x2_stride2(s) && s.ow >= 4) {  // no padding: both divisors are 4
    for_each_plane(s.n * s.c, pool_threads(s), 0, [&](index_t q, char*) { forward_plane_2x2(s, x + q * hw, y + q * ohw); });
    return;
  }
#endif
  const ColWindows cw(s);
  for_each_plane(s.n * s.c, pool_threads(s), sizeof(float) * s.w, [&](index_t q, char* row) {
    forward_plane(s, cw, count_include_pad, x + q * hw, y + q * ohw, reinterpret_cast<float*>(row));
  });
}

void avgpool2d_backward(const Pool2dShape& s, const float* dy, float* dx, bool count_include_pad) {
  const index_t hw = s.h * s.w, ohw = s.oh * s.ow;
  if (is_global(s)) {
    for_each_plane(s.n * s.c, pool_threads(s), 0, [&](index_t q, char*) {
      const float g = dy[q] / static_cast<float>(hw);
      float* GN_RESTRICT dxq = dx + q * hw;
      for (index_t k = 0; k < hw; ++k) dxq[k] = g;
    });
    return;
  }
#if defined(__SSE2__)
  if (is_2x2_stride2(s) && s.ow >= 4) {
    for_each_plane(s.n * s.c, pool_threads(s), 0, [&](index_t q, char*) { backward_plane_2x2(s, dy + q * ohw, dx + q * hw); });
    return;
  }
#endif
  const ColWindows cw(s);
  for_each_plane(s.n * s.c, pool_threads(s), sizeof(float) * s.w, [&](index_t q, char* row) {
    backward_plane(s, cw, count_include_pad, dy + q * ohw, dx + q * hw, reinterpret_cast<float*>(row));
  });
}

}  // namespace gn
