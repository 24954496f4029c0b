#include "batchnorm.h"

#include "../isa.h"
#include "../layout/nd_loop.h"
#include "../threads.h"

namespace gn {
namespace {

constexpr index_t kMinWorkPerThread = 1 << 15;
// Floats per block of the variance: 16 KB, so that a block whose shift was poor is re-read from L1.
constexpr index_t kBlockFloats = 4096;

// ---- [n, c] (inner == 1: BatchNorm1d on a batch of feature vectors) -----------------------------
//
// A channel is then one float per row, c floats apart: the per-channel loops below took a function
// call and a prefetch per element (backward of [256, 1024] 3.2 ms against PyTorch's 0.35). These
// go along the rows instead, a range of channels per thread and the channels in the vector lanes,
// summing in double in row order (an order that depends on the shape only).

// Runs f(c0, c1) on threads, each a contiguous range of channels (whole blocks of 16 but the last).
template <class F>
void over_channels(index_t n, index_t c, const F& f) {
  const index_t blocks = (c + 15) / 16;
  int nt = threads_for(n * c, kMinWorkPerThread);
  if (nt > blocks) nt = static_cast<int>(blocks);
  parallel_ranges(blocks, nt, 1, [&](index_t q0, index_t q1) { f(q0 * 16, q1 * 16 < c ? q1 * 16 : c); });
}

// Two passes over the rows (the data of a range of channels stays in cache): the mean, then the
// sum of squared deviations from it, both in double.
void stats_rows(const float* x, float* mean, float* var, index_t n, index_t c) {
  over_channels(n, c, [&](index_t c0, index_t c1) {
    double s[16], q[16];
    for (index_t b0 = c0; b0 < c1; b0 += 16) {
      const index_t w = c1 - b0 < 16 ? c1 - b0 : 16;
      for (index_t j = 0; j < 16; ++j) s[j] = q[j] = 0.0;
      for (index_t b = 0; b < n; ++b) {
        const float* xr = x + b * c + b0;
        for (index_t j = 0; j < w; ++j) s[j] += static_cast<double>(xr[j]);
      }
      for (index_t j = 0; j < w; ++j) s[j] = n > 0 ? s[j] / static_cast<double>(n) : 0.0;
      for (index_t b = 0; b < n; ++b) {
        const float* xr = x + b * c + b0;
        for (index_t j = 0; j < w; ++j) {
          const double d = static_cast<double>(xr[j]) - s[j];
          q[j] += d * d;
        }
      }
      for (index_t j = 0; j < w; ++j) {
        mean[b0 + j] = static_cast<float>(s[j]);
        var[b0 + j] = static_cast<float>(n > 0 ? q[j] / static_cast<double>(n) : 0.0);
      }
    }
  });
}

void backward_rows(const float* x, const float* dy, const float* mean, const float* invstd, const float* weight,
                   float* dx, float* dweight, float* dbias, index_t n, index_t c, bool training) {
  over_channels(n, c, [&](index_t c0, index_t c1) {
    double sdy[16], sdx[16];
    float k[16], mdy[16], a[16], mu[16];
    for (index_t b0 = c0; b0 < c1; b0 += 16) {
      const index_t w = c1 - b0 < 16 ? c1 - b0 : 16;
      for (index_t j = 0; j < 16; ++j) sdy[j] = sdx[j] = 0.0;
      if (training || dweight || dbias) {
        for (index_t j = 0; j < w; ++j) mu[j] = mean[b0 + j];
        for (index_t b = 0; b < n; ++b) {
          const float* xr = x + b * c + b0;
          const float* gr = dy + b * c + b0;
          for (index_t j = 0; j < w; ++j) {
            const double g = static_cast<double>(gr[j]);
            sdy[j] += g;
            sdx[j] += g * (static_cast<double>(xr[j]) - static_cast<double>(mu[j]));
          }
        }
      }
      for (index_t j = 0; j < w; ++j) {
        const index_t ch = b0 + j;
        if (dbias) dbias[ch] = static_cast<float>(sdy[j]);
        if (dweight) dweight[ch] = static_cast<float>(sdx[j] * invstd[ch]);
        k[j] = (weight ? weight[ch] : 1.0f) * invstd[ch];
        mdy[j] = static_cast<float>(n > 0 ? sdy[j] / static_cast<double>(n) : 0.0);
        a[j] = static_cast<float>(n > 0 ? static_cast<double>(invstd[ch]) * invstd[ch] * sdx[j] / static_cast<double>(n) : 0.0);
      }
      if (!dx) continue;
      for (index_t b = 0; b < n; ++b) {
        const float* xr = x + b * c + b0;
        const float* gr = dy + b * c + b0;
        float* dr = dx + b * c + b0;
        if (training)
          for (index_t j = 0; j < w; ++j) dr[j] = k[j] * (gr[j] - mdy[j] - (xr[j] - mu[j]) * a[j]);
        else
          for (index_t j = 0; j < w; ++j) dr[j] = gr[j] * k[j];
      }
    }
  });
}

void affine_rows(const float* x, const float* scale, const float* shift, float* y, index_t n, index_t c) {
  parallel_ranges(n, threads_for(n * c, kMinWorkPerThread), 1, [&](index_t r0, index_t r1) {
    for (index_t b = r0; b < r1; ++b) {
      const float* xr = x + b * c;
      float* yr = y + b * c;
      for (index_t j = 0; j < c; ++j) yr[j] = xr[j] * scale[j] + shift[j];
    }
  });
}

}  // namespace

// Per channel, the channel's data is cut into blocks of kBlockFloats (in an order fixed by the
// shape), each reduced in one pass with the shifted formula M2_b = sum (x - K)^2 - (sum (x - K))^2 / n_b,
// K the running mean rounded to float (the first element for the first block), and the blocks
// are merged with Chan et al.'s update M2 = M2_a + M2_b + (mean_b - mean_a)^2 n_a n_b / n.
// Accuracy: the shifted formula's double rounding error is of order n_b 2^-53 sum (x - K)^2 where
// the two-pass formula's is n_b 2^-53 M2_b. A block where sum (x - K)^2 > 16 M2_b (K more than ~4
// block standard deviations off its mean: a first element far out, data whose mean jumps) is redone
// about its own mean, i.e. with the two-pass formula, from L1, so every block stays within ~50x of
// the two-pass bound (~1e-11 relative for 4096 floats), far below the final rounding to float, and
// there is no E[x^2] - E[x]^2 cancellation (norm_stats_large_mean checks means of 1e3 and 1e5 and
// a jump of 1e5; a blockwise E[x^2] - E[x]^2 fails it). Without the redo the worst case would still
// be ~n_b^2 2^-53 ~ 2e-9 relative (K is a running mean or an element of the block), which the
// float results cannot show; the redo is cheap insurance, not something the tests can detect.
// Speed: one conversion to double per element instead of two (the conversions bound the loop).
void batchnorm_stats(const float* x, float* mean, float* var, index_t n, index_t c, index_t inner) {
  if (inner == 1) return stats_rows(x, mean, var, n, c);
  const index_t m = n * inner;
  const VmathKernels& k = kernels().vmath;
  const index_t stride = c * inner;
  // A block is `runs` whole runs of one channel, or a `seg`-float piece of one run.
  const index_t seg = inner < kBlockFloats ? inner : kBlockFloats;
  const index_t runs = inner < kBlockFloats ? kBlockFloats / (inner > 0 ? inner : 1) : 1;
  int nt = threads_for(n * c * inner, kMinWorkPerThread);
  if (nt > c) nt = static_cast<int>(c);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (index_t ch = 0; ch < c; ++ch) {
    double na = 0, sa = 0, m2 = 0;
    double shift = m > 0 ? static_cast<double>(x[ch * inner]) : 0.0;
    for (index_t b0 = 0; b0 < n; b0 += runs) {
      const index_t nr = n - b0 < runs ? n - b0 : runs;
      for (index_t i0 = 0; i0 < inner; i0 += seg) {
        const index_t len = inner - i0 < seg ? inner - i0 : seg;
        const float* p = x + (b0 * c + ch) * inner + i0;
        const double nb = static_cast<double>(nr * len);
        double sums[2];
        k.bn_moments(p, nr, stride, len, shift, sums);
        const double sb = sums[0] + nb * shift;
        double m2b = sums[1] - sums[0] * (sums[0] / nb);
        if (!(sums[1] <= 16 * m2b)) {
          k.bn_moments(p, nr, stride, len, sb / nb, sums);
          m2b = sums[1];
        }
        if (na == 0) {
          m2 = m2b;
        } else {
          const double d = sb / nb - sa / na;
          m2 += m2b + d * d * (na * nb / (na + nb));
        }
        na += nb;
        sa += sb;
        shift = static_cast<double>(static_cast<float>(sa / na));
      }
    }
    mean[ch] = static_cast<float>(m > 0 ? sa / static_cast<double>(m) : 0.0);
    var[ch] = static_cast<float>(m > 0 ? m2 / static_cast<double>(m) : 0.0);
  }
}

void channel_affine(const float* x, const float* scale, const float* shift, float* y, index_t n, index_t c,
                    index_t inner) {
  if (inner == 1) return affine_rows(x, scale, shift, y, n, c);
  const VmathKernels& vk = kernels().vmath;
  // Each thread a contiguous range of planes (every element's result is the same whatever the cut).
  parallel_ranges(n * c, threads_for(n * c * inner, kMinWorkPerThread), 1,
                  [&](index_t p0, index_t p1) { vk.bn_affine(x, scale, shift, y, p0, p1, c, inner); });
}

// Two passes per channel: the sums, then dx, which needs them. They are not fused further: a
// channel's x and dy (8 n inner bytes, 256 KB for [32, 64, 1024]) are still in L2 for the second
// pass, and the first pass is bound by converting x and dy to double (bn_dot_sums), not by memory.
void batchnorm_backward(const float* x, const float* dy, const float* mean, const float* invstd,
                        const float* weight, float* dx, float* dweight, float* dbias, index_t n, index_t c,
                        index_t inner, bool training) {
  if (inner == 1) return backward_rows(x, dy, mean, invstd, weight, dx, dweight, dbias, n, c, training);
  const index_t m = n * inner;
  const VmathKernels& vk = kernels().vmath;
  const index_t stride = c * inner;
  int nt = threads_for(n * c * inner, kMinWorkPerThread);
  if (nt > c) nt = static_cast<int>(c);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (index_t ch = 0; ch < c; ++ch) {
    const index_t off = ch * inner;
    double sums[2] = {0, 0};  // sum dy, sum dy (x - mean)
    if (training || dweight || dbias) vk.bn_dot_sums(x + off, dy + off, n, stride, inner, mean[ch], sums);
    if (dbias) dbias[ch] = static_cast<float>(sums[0]);
    if (dweight) dweight[ch] = static_cast<float>(sums[1] * invstd[ch]);
    if (!dx) continue;
    const float k = (weight ? weight[ch] : 1.0f) * invstd[ch];
    if (!training) {
      for (index_t b = 0; b < n; ++b)
        vk.binary(BinaryOp::kMul, dy + off + b * stride, 1, &k, 0, dx + off + b * stride, inner);
      continue;
    }
    const float mean_dy = static_cast<float>(m > 0 ? sums[0] / static_cast<double>(m) : 0.0);
    const float a = static_cast<float>(m > 0 ? static_cast<double>(invstd[ch]) * invstd[ch] * sums[1] / static_cast<double>(m) : 0.0);
    vk.bn_backward_dx(x + off, dy + off, dx + off, n, stride, inner, k, mean_dy, mean[ch], a);
  }
}

}  // namespace gn
