// Average pooling forward / backward, parallel over the n * c planes. The divisor follows PyTorch:
// the window clipped to the padded input (count_include_pad) or to the input (otherwise); the
// forward pass sums in row-major window order, then divides.
#include <cstring>

#include "pool_internal.h"

namespace gn {
namespace {

struct AvgWindow {
  index_t r0, r1, c0, c1;
  float divisor;
};

inline AvgWindow avg_window(const Pool2dShape& s, index_t i, index_t j, bool count_include_pad) {
  AvgWindow win;
  index_t ph, pw;
  pool_window(i, s.stride_h, s.pad_h, s.kh, s.h, &win.r0, &win.r1, &ph);
  pool_window(j, s.stride_w, s.pad_w, s.kw, s.w, &win.c0, &win.c1, &pw);
  const index_t count = count_include_pad ? ph * pw : (win.r1 - win.r0) * (win.c1 - win.c0);
  win.divisor = static_cast<float>(count);
  return win;
}

}  // namespace

void avgpool2d_forward(const Pool2dShape& s, const float* x, float* y, bool count_include_pad) {
  const index_t planes = s.n * s.c, hw = s.h * s.w, ohw = s.oh * s.ow;
  const int nt = pool_threads(s);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (index_t q = 0; q < planes; ++q) {
    const float* xq = x + q * hw;
    float* yq = y + q * ohw;
    for (index_t i = 0; i < s.oh; ++i)
      for (index_t j = 0; j < s.ow; ++j) {
        const AvgWindow win = avg_window(s, i, j, count_include_pad);
        float sum = 0.f;
        for (index_t r = win.r0; r < win.r1; ++r)
          for (index_t c = win.c0; c < win.c1; ++c) sum += xq[r * s.w + c];
        yq[i * s.ow + j] = sum / win.divisor;
      }
  }
}

void avgpool2d_backward(const Pool2dShape& s, const float* dy, float* dx, bool count_include_pad) {
  const index_t planes = s.n * s.c, hw = s.h * s.w, ohw = s.oh * s.ow;
  const int nt = pool_threads(s);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (index_t q = 0; q < planes; ++q) {
    const float* dyq = dy + q * ohw;
    float* dxq = dx + q * hw;
    std::memset(dxq, 0, sizeof(float) * hw);
    for (index_t i = 0; i < s.oh; ++i)
      for (index_t j = 0; j < s.ow; ++j) {
        const AvgWindow win = avg_window(s, i, j, count_include_pad);
        const float g = dyq[i * s.ow + j] / win.divisor;
        for (index_t r = win.r0; r < win.r1; ++r)
          for (index_t c = win.c0; c < win.c1; ++c) dxq[r * s.w + c] += g;
      }
  }
}

}  // namespace gn
