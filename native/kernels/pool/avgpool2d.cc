// Average pooling forward / backward, parallel over the n * c planes. The divisor follows PyTorch:
// the window clipped to the padded input (count_include_pad) or to the input (otherwise); it is a
// row count times a column count, so both passes are separable. Forward: per output row, the
// window rows summed column by column (contiguous, vectorised), then each window's columns.
// Backward: per output row, each window's share spread over its columns, then added to the
// window rows.
#include <cstring>

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

}  // namespace

void avgpool2d_forward(const Pool2dShape& s, const float* x, float* y, bool count_include_pad) {
  const index_t hw = s.h * s.w, ohw = s.oh * s.ow;
  const ColWindows cw(s);
  for_each_plane(s.n * s.c, pool_threads(s), sizeof(float) * s.w, [&](index_t q, char* row) {
    forward_plane(s, cw, count_include_pad, x + q * hw, y + q * ohw, reinterpret_cast<float*>(row));
  });
}

void avgpool2d_backward(const Pool2dShape& s, const float* dy, float* dx, bool count_include_pad) {
  const index_t hw = s.h * s.w, ohw = s.oh * s.ow;
  const ColWindows cw(s);
  for_each_plane(s.n * s.c, pool_threads(s), sizeof(float) * s.w, [&](index_t q, char* row) {
    backward_plane(s, cw, count_include_pad, dy + q * ohw, dx + q * hw, reinterpret_cast<float*>(row));
  });
}

}  // namespace gn
