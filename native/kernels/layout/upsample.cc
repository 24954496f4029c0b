// Nearest-neighbour upsampling by integer factors (layout.h), and its backward. Planes are split
// between threads; each output (input-gradient) element is computed the same way on any thread.
#include <cstring>

#include "../threads.h"
#include "layout.h"

namespace gn {
namespace {

// Output elements one thread should at least get (a plain pass over memory, as the cheap
// elementwise ops).
constexpr index_t kGrain = index_t(1) << 15;

template <class F>
void over_planes(index_t planes, index_t per_plane, F plane) {
  const int nt = threads_for(planes, per_plane >= kGrain ? 1 : kGrain / (per_plane > 0 ? per_plane : 1));
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (index_t q = 0; q < planes; ++q) plane(q);
}

}  // namespace

void upsample_nearest(const float* x, float* y, index_t planes, index_t h, index_t w, index_t fh, index_t fw) {
  const index_t ow = w * fw;
  over_planes(planes, h * w * fh * fw, [&](index_t q) {
    const float* xp = x + q * h * w;
    float* yp = y + q * h * w * fh * fw;
    for (index_t i = 0; i < h; ++i) {
      float* row = yp + i * fh * ow;  // the first copy of input row i
      const float* xr = xp + i * w;
      if (fw == 2) {
        for (index_t j = 0; j < w; ++j) row[2 * j] = row[2 * j + 1] = xr[j];
      } else {
        for (index_t j = 0; j < w; ++j)
          for (index_t b = 0; b < fw; ++b) row[j * fw + b] = xr[j];
      }
      for (index_t a = 1; a < fh; ++a) std::memcpy(row + a * ow, row, sizeof(float) * ow);
    }
  });
}

void upsample_nearest_backward(const float* dy, float* dx, index_t planes, index_t h, index_t w, index_t fh,
                               index_t fw) {
  const index_t ow = w * fw;
  over_planes(planes, h * w * fh * fw, [&](index_t q) {
    const float* gp = dy + q * h * w * fh * fw;
    float* dp = dx + q * h * w;
    for (index_t i = 0; i < h; ++i) {
      float* dr = dp + i * w;
      const float* g0 = gp + i * fh * ow;
      // dx[i][j] = sum over a < fh (in order) of the sum over b < fw (in order) of dy[i fh + a][j fw + b].
      for (index_t a = 0; a < fh; ++a) {
        const float* gr = g0 + a * ow;
        if (fw == 2) {
          if (a == 0)
            for (index_t j = 0; j < w; ++j) dr[j] = gr[2 * j] + gr[2 * j + 1];
          else
            for (index_t j = 0; j < w; ++j) dr[j] += gr[2 * j] + gr[2 * j + 1];
        } else {
          for (index_t j = 0; j < w; ++j) {
            float s = gr[j * fw];
            for (index_t b = 1; b < fw; ++b) s += gr[j * fw + b];
            dr[j] = a == 0 ? s : dr[j] + s;
          }
        }
      }
    }
  });
}

}  // namespace gn
