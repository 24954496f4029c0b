// Average pooling forward / backward, parallel over the n * c planes. The divisor follows PyTorch:
// the window clipped to the padded input (count_include_pad) or to the input (otherwise); it is a
// row count times a column count, so both passes are separable. Forward: per output row, the
// window rows summed column by column (contiguous, vectorised), then each window's columns; the
// ISA's window kernel (pool_ukernel.h) instead where it has one and the column stride is 1 or 2.
// Backward: per output row, each window's share spread over its columns, then added to the
// window rows. Global pooling and 2x2 / stride 2 skip that row machinery, whose per-row setup
// (small loops, memcpy / memset calls) cost several times the arithmetic on small planes.
#include <cstring>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "../isa.h"
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

// The divisor's columns of every output: the window clipped to the padded input (count_include_pad)
// or to the input.
std::vector<float> column_counts(const Pool2dShape& s, bool count_include_pad) {
  std::vector<float> count(s.ow);
  for (index_t j = 0; j < s.ow; ++j) {
    index_t c0, c1, padded;
    pool_window(j, s.stride_w, s.pad_w, s.kw, s.w, &c0, &c1, &padded);
    count[j] = static_cast<float>(count_include_pad ? padded : c1 - c0);
  }
  return count;
}

// Any window (the 2x2 and global paths below are faster special cases). Per output row: the window
// rows summed into a zero-padded row buffer (contiguous, vectorised), then the windows tap by tap
// across the outputs (stride 1 and 2 contiguous, see PaddedRow), then the divisors. count: the
// divisor's columns of every output. buf: this thread's row buffers, 2 * row.len + 2 floats.
void forward_plane(const Pool2dShape& s, const PaddedRow& row, const float* count, bool cip, const float* x,
                   float* y, float* buf) {
  float* GN_RESTRICT col = buf;
  float* GN_RESTRICT ev = buf + row.len;
  float* GN_RESTRICT od = ev + row.half;
  const index_t pw = s.pad_w, sw = s.stride_w;
  for (index_t p = 0; p < pw; ++p) col[p] = 0.f;
  for (index_t p = pw + row.real_end; p < row.len; ++p) col[p] = 0.f;
  for (index_t i = 0; i < s.oh; ++i) {
    const RowWindow rw = row_window(s, i, cip);
    {
      const float* GN_RESTRICT x0 = x + rw.r0 * s.w;
      float* GN_RESTRICT cr = col + pw;
      for (index_t c = 0; c < row.real_end; ++c) cr[c] = x0[c];
      for (index_t r = rw.r0 + 1; r < rw.r1; ++r) {
        const float* GN_RESTRICT xr = x + r * s.w;
        for (index_t c = 0; c < row.real_end; ++c) cr[c] += xr[c];
      }
    }
    float* GN_RESTRICT yi = y + i * s.ow;
    if (sw == 1 || sw == 2) {
      const float* even = col;
      const float* odd = col + 1;
      if (sw == 2) {
        for (index_t m = 0; m < row.half; ++m) ev[m] = col[2 * m];
        for (index_t m = 0; m < row.len / 2; ++m) od[m] = col[2 * m + 1];
        even = ev;
        odd = od;
      }
      for (index_t j = 0; j < s.ow; ++j) yi[j] = even[j];
      for (index_t t = 1; t < s.kw; ++t) {  // stride 1: both halves are col itself, shifted
        const float* GN_RESTRICT src = sw == 1 ? col + t : (t & 1 ? odd : even) + t / 2;
        for (index_t j = 0; j < s.ow; ++j) yi[j] += src[j];
      }
    } else {
      for (index_t j = 0; j < s.ow; ++j) {
        float sum = col[j * sw];
        for (index_t t = 1; t < s.kw; ++t) sum += col[j * sw + t];
        yi[j] = sum;
      }
    }
    const float rows = static_cast<float>(rw.count);
    for (index_t j = 0; j < s.ow; ++j) yi[j] /= rows * count[j];
  }
}

// Backward of the same. Per output row i: each window's share g = dy / divisor, spread tap by tap
// into a zeroed padded row buffer (the transpose of the forward's taps), kept as row i of `grad`
// (oh x w). Then every dx row is written once: the sum, in window order, of the grad rows of the
// windows that cover it, or 0. buf: 2 * row.len + 2 + ow + oh * w floats.
void backward_plane(const Pool2dShape& s, const PaddedRow& row, const float* count, bool cip, const float* dy,
                    float* dx, float* buf) {
  float* GN_RESTRICT col = buf;
  float* GN_RESTRICT ev = buf + row.len;
  float* GN_RESTRICT od = ev + row.half;
  float* GN_RESTRICT g = od + row.half;
  float* GN_RESTRICT grad = g + s.ow;
  const index_t pw = s.pad_w, sw = s.stride_w;
  for (index_t i = 0; i < s.oh; ++i) {
    const RowWindow rw = row_window(s, i, cip);
    const float* GN_RESTRICT dyi = dy + i * s.ow;
    const float rows = static_cast<float>(rw.count);
    for (index_t j = 0; j < s.ow; ++j) g[j] = dyi[j] / (rows * count[j]);
    if (sw == 2) {
      for (index_t m = 0; m < 2 * row.half; ++m) ev[m] = 0.f;  // both halves
      for (index_t t = 0; t < s.kw; ++t) {
        float* GN_RESTRICT dst = (t & 1 ? od : ev) + t / 2;
        for (index_t j = 0; j < s.ow; ++j) dst[j] += g[j];
      }
      for (index_t m = 0; m < row.len / 2; ++m) {
        col[2 * m] = ev[m];
        col[2 * m + 1] = od[m];
      }
      if (row.len & 1) col[row.len - 1] = ev[row.half - 1];
    } else if (sw == 1) {
      for (index_t p = 0; p < row.len; ++p) col[p] = 0.f;
      for (index_t t = 0; t < s.kw; ++t) {
        float* GN_RESTRICT dst = col + t;
        for (index_t j = 0; j < s.ow; ++j) dst[j] += g[j];
      }
    } else {
      for (index_t p = 0; p < row.len; ++p) col[p] = 0.f;
      for (index_t j = 0; j < s.ow; ++j)
        for (index_t t = 0; t < s.kw; ++t) col[j * sw + t] += g[j];
    }
    float* GN_RESTRICT gr = grad + i * s.w;
    for (index_t c = 0; c < row.real_end; ++c) gr[c] = col[pw + c];
    for (index_t c = row.real_end; c < s.w; ++c) gr[c] = 0.f;
  }
  index_t first = 0;  // the first window whose rows do not all lie above r
  for (index_t r = 0; r < s.h; ++r) {
    float* GN_RESTRICT dxr = dx + r * s.w;
    while (first < s.oh && row_window(s, first, cip).r1 <= r) ++first;
    index_t i = first;
    if (i == s.oh || row_window(s, i, cip).r0 > r) {
      for (index_t c = 0; c < s.w; ++c) dxr[c] = 0.f;
      continue;
    }
    const float* GN_RESTRICT g0 = grad + i * s.w;
    for (index_t c = 0; c < s.w; ++c) dxr[c] = g0[c];
    for (++i; i < s.oh && row_window(s, i, cip).r0 <= r; ++i) {
      const float* GN_RESTRICT gi = grad + i * s.w;
      for (index_t c = 0; c < s.w; ++c) dxr[c] += gi[c];
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
  const std::vector<float> count = column_counts(s, count_include_pad);
  const PoolAvgForwardFn isa_window = s.stride_w <= 2 ? kernels().pool_window.avg_forward[s.stride_w - 1] : nullptr;
  if (isa_window) {
    const index_t floats = 4 * ((s.ow - 1) * s.stride_w + s.kw + 32);
    for_each_plane(s.n * s.c, pool_threads(s), sizeof(float) * floats, [&](index_t q, char* buf) {
      isa_window(s, x + q * hw, y + q * ohw, count_include_pad, count.data(), reinterpret_cast<float*>(buf));
    });
    return;
  }
  const PaddedRow row(s);
  for_each_plane(s.n * s.c, pool_threads(s), sizeof(float) * (2 * row.len + 2), [&](index_t q, char* buf) {
    forward_plane(s, row, count.data(), count_include_pad, x + q * hw, y + q * ohw, reinterpret_cast<float*>(buf));
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
  const std::vector<float> count = column_counts(s, count_include_pad);
  const PoolAvgBackwardFn isa_window = s.stride_w <= 2 ? kernels().pool_window.avg_backward[s.stride_w - 1] : nullptr;
  if (isa_window) {
    for_each_plane(s.n * s.c, pool_threads(s), sizeof(float) * s.oh * (2 * s.w + s.kw + s.pad_w + 64), [&](index_t q, char* buf) {
      isa_window(s, dy + q * ohw, dx + q * hw, count_include_pad, count.data(), reinterpret_cast<float*>(buf));
    });
    return;
  }
  const PaddedRow row(s);
  const std::size_t floats = 2 * row.len + 2 + s.ow + s.oh * s.w;
  for_each_plane(s.n * s.c, pool_threads(s), sizeof(float) * floats, [&](index_t q, char* buf) {
    backward_plane(s, row, count.data(), count_include_pad, dy + q * ohw, dx + q * hw, reinterpret_cast<float*>(buf));
  });
}

}  // namespace gn
