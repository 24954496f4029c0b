#include "batchnorm.h"

#include "../isa.h"
#include "../threads.h"

namespace gn {
namespace {

constexpr index_t kMinWorkPerThread = 1 << 15;
// Floats per block of the variance: 16 KB, so that the second pass over a block (sum (x - mean_b)^2
// about the block's own mean) reads it from L1 rather than from memory.
constexpr index_t kBlockFloats = 4096;

}  // namespace

// Per channel, blocks of the channel's data (kBlockFloats, in a fixed order) are each reduced with
// the two-pass formula (sum, then squared deviations from the block mean, in double, the second
// pass reading the block from L1), and the blocks are merged with Chan et al.'s pairwise update
// M2 = M2_a + M2_b + (mean_b - mean_a)^2 n_a n_b / n: as stable as a two-pass over the whole channel
// (no E[x^2] - E[x]^2 cancellation; see norm_stats_large_mean in test_norm.cc), but reading x from
// memory once. The mean is the plain double sum / m.
void batchnorm_stats(const float* x, float* mean, float* var, index_t n, index_t c, index_t inner) {
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
    for (index_t b0 = 0; b0 < n; b0 += runs) {
      const index_t nr = n - b0 < runs ? n - b0 : runs;
      for (index_t i0 = 0; i0 < inner; i0 += seg) {
        const index_t len = inner - i0 < seg ? inner - i0 : seg;
        const float* p = x + (b0 * c + ch) * inner + i0;
        const double nb = static_cast<double>(nr * len);
        const double sb = k.bn_sum(p, nr, stride, len);
        const double m2b = k.bn_sum_sq_dev(p, nr, stride, len, sb / nb);
        if (na == 0) {
          m2 = m2b;
        } else {
          const double d = sb / nb - sa / na;
          m2 += m2b + d * d * (na * nb / (na + nb));
        }
        na += nb;
        sa += sb;
      }
    }
    mean[ch] = static_cast<float>(m > 0 ? sa / static_cast<double>(m) : 0.0);
    var[ch] = static_cast<float>(m > 0 ? m2 / static_cast<double>(m) : 0.0);
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
      for (index_t b = 0; b < n; ++b) vk.binary(BinaryOp::kMul, dy + off + b * stride, 1, &k, 0, dx + off + b * stride, inner);
      continue;
    }
    const float mean_dy = static_cast<float>(m > 0 ? sums[0] / static_cast<double>(m) : 0.0);
    const float a = static_cast<float>(m > 0 ? static_cast<double>(invstd[ch]) * invstd[ch] * sums[1] / static_cast<double>(m) : 0.0);
    vk.bn_backward_dx(x + off, dy + off, dx + off, n, stride, inner, k, mean_dy, mean[ch], a);
  }
}

}  // namespace gn
