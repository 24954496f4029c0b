#include "batchnorm.h"

#include "../threads.h"

namespace gn {
namespace {

// Sum of p[0..len) in double, with independent partial sums the compiler can keep in vector lanes.
double sum_f64(const float* p, index_t len) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  index_t i = 0;
  for (; i + 8 <= len; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += p[i + j];
  double s = 0;
  for (; i < len; ++i) s += p[i];
  for (int j = 0; j < 8; ++j) s += acc[j];
  return s;
}

double sum_sq_dev_f64(const float* p, index_t len, double mean) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  index_t i = 0;
  for (; i + 8 <= len; i += 8)
    for (int j = 0; j < 8; ++j) {
      const double d = p[i + j] - mean;
      acc[j] += d * d;
    }
  double s = 0;
  for (; i < len; ++i) s += (p[i] - mean) * (p[i] - mean);
  for (int j = 0; j < 8; ++j) s += acc[j];
  return s;
}

// sum dy and sum dy * (x - mean) over one channel's run.
void dot_sums(const float* x, const float* dy, index_t len, double mean, double* sdy, double* sdx) {
  double a[8] = {0, 0, 0, 0, 0, 0, 0, 0}, b[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  index_t i = 0;
  for (; i + 8 <= len; i += 8)
    for (int j = 0; j < 8; ++j) {
      a[j] += dy[i + j];
      b[j] += dy[i + j] * (x[i + j] - mean);
    }
  double s = 0, t = 0;
  for (; i < len; ++i) {
    s += dy[i];
    t += dy[i] * (x[i] - mean);
  }
  for (int j = 0; j < 8; ++j) {
    s += a[j];
    t += b[j];
  }
  *sdy += s;
  *sdx += t;
}

constexpr index_t kMinWorkPerThread = 1 << 15;

}  // namespace

void batchnorm_stats(const float* x, float* mean, float* var, index_t n, index_t c, index_t inner) {
  const index_t m = n * inner;
  int nt = threads_for(n * c * inner, kMinWorkPerThread);
  if (nt > c) nt = static_cast<int>(c);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (index_t ch = 0; ch < c; ++ch) {
    double s = 0;
    for (index_t b = 0; b < n; ++b) s += sum_f64(x + (b * c + ch) * inner, inner);
    const double mu = m > 0 ? s / static_cast<double>(m) : 0.0;
    double v = 0;
    for (index_t b = 0; b < n; ++b) v += sum_sq_dev_f64(x + (b * c + ch) * inner, inner, mu);
    mean[ch] = static_cast<float>(mu);
    var[ch] = static_cast<float>(m > 0 ? v / static_cast<double>(m) : 0.0);
  }
}

void channel_affine(const float* x, const float* scale, const float* shift, float* y, index_t n, index_t c,
                    index_t inner) {
  const int nt = threads_for(n * c * inner, kMinWorkPerThread);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (index_t plane = 0; plane < n * c; ++plane) {
    const float a = scale[plane % c], b = shift[plane % c];
    const float* xp = x + plane * inner;
    float* yp = y + plane * inner;
    for (index_t i = 0; i < inner; ++i) yp[i] = xp[i] * a + b;
  }
}

void batchnorm_backward(const float* x, const float* dy, const float* mean, const float* invstd,
                        const float* weight, float* dx, float* dweight, float* dbias, index_t n, index_t c,
                        index_t inner, bool training) {
  const index_t m = n * inner;
  int nt = threads_for(n * c * inner, kMinWorkPerThread);
  if (nt > c) nt = static_cast<int>(c);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (index_t ch = 0; ch < c; ++ch) {
    double sdy = 0, sdx = 0;
    if (training || dweight || dbias)
      for (index_t b = 0; b < n; ++b) {
        const index_t off = (b * c + ch) * inner;
        dot_sums(x + off, dy + off, inner, mean[ch], &sdy, &sdx);
      }
    if (dbias) dbias[ch] = static_cast<float>(sdy);
    if (dweight) dweight[ch] = static_cast<float>(sdx * invstd[ch]);
    if (!dx) continue;
    const float k = (weight ? weight[ch] : 1.0f) * invstd[ch];
    const float mu = mean[ch];
    const float mean_dy = static_cast<float>(m > 0 ? sdy / static_cast<double>(m) : 0.0);
    const float a = static_cast<float>(m > 0 ? static_cast<double>(invstd[ch]) * invstd[ch] * sdx / static_cast<double>(m) : 0.0);
    for (index_t b = 0; b < n; ++b) {
      const index_t off = (b * c + ch) * inner;
      const float* xp = x + off;
      const float* dp = dy + off;
      float* op = dx + off;
      if (training)
        for (index_t i = 0; i < inner; ++i) op[i] = k * (dp[i] - mean_dy - (xp[i] - mu) * a);
      else
        for (index_t i = 0; i < inner; ++i) op[i] = k * dp[i];
    }
  }
}

}  // namespace gn
