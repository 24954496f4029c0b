// Max pooling forward / backward, and the pooling shape validator. Parallel over the n * c planes
// (one thread per plane, so the backward scatter into overlapping windows has no races).
#include <cstring>
#include <initializer_list>

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

void maxpool_plane(const Pool2dShape& s, const float* x, float* y, std::int32_t* argmax) {
  for (index_t i = 0; i < s.oh; ++i) {
    index_t r0, r1, unused;
    pool_window(i, s.stride_h, s.pad_h, s.kh, s.h, &r0, &r1, &unused);
    for (index_t j = 0; j < s.ow; ++j) {
      index_t c0, c1;
      pool_window(j, s.stride_w, s.pad_w, s.kw, s.w, &c0, &c1, &unused);
      // First maximum in row-major window order; a NaN beats everything and the first NaN wins
      // (once best is NaN, neither test below can succeed).
      index_t best_at = r0 * s.w + c0;
      float best = x[best_at];
      for (index_t r = r0; r < r1; ++r) {
        const float* xr = x + r * s.w;
        for (index_t c = c0; c < c1; ++c) {
          const float v = xr[c];
          if (v > best || (v != v && best == best)) {
            best = v;
            best_at = r * s.w + c;
          }
        }
      }
      y[i * s.ow + j] = best;
      argmax[i * s.ow + j] = static_cast<std::int32_t>(best_at);
    }
  }
}

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

void maxpool2d_forward(const Pool2dShape& s, const float* x, float* y, std::int32_t* argmax) {
  const index_t planes = s.n * s.c, hw = s.h * s.w, ohw = s.oh * s.ow;
  const int nt = pool_threads(s);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (index_t q = 0; q < planes; ++q) maxpool_plane(s, x + q * hw, y + q * ohw, argmax + q * ohw);
}

void maxpool2d_backward(const Pool2dShape& s, const float* dy, const std::int32_t* argmax, float* dx) {
  const index_t planes = s.n * s.c, hw = s.h * s.w, ohw = s.oh * s.ow;
  const int nt = pool_threads(s);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (index_t q = 0; q < planes; ++q) {
    float* dxq = dx + q * hw;
    const float* dyq = dy + q * ohw;
    const std::int32_t* aq = argmax + q * ohw;
    std::memset(dxq, 0, sizeof(float) * hw);
    for (index_t k = 0; k < ohw; ++k) dxq[aq[k]] += dyq[k];
  }
}

}  // namespace gn
