// Batch norm kernels against float64 references, and bitwise determinism across thread counts.
#include <cmath>
#include <vector>

#include "harness.h"
#include "kernels/norm/batchnorm.h"
#include "kernels/threads.h"

namespace {

struct Case {
  gn::index_t n, c, inner;
};
// inner == 1 ([n, c], BatchNorm1d) has its own loops: channels in blocks of 16, a partial last one.
const Case kCases[] = {{1, 1, 1}, {4, 3, 1}, {7, 37, 1}, {2, 6, 49}, {7, 5, 17}, {64, 6, 196}, {3, 2, 1000}};

void reference_stats(const std::vector<float>& x, const Case& k, std::vector<double>& mean, std::vector<double>& var) {
  mean.assign(k.c, 0);
  var.assign(k.c, 0);
  const double m = static_cast<double>(k.n * k.inner);
  for (gn::index_t ch = 0; ch < k.c; ++ch) {
    double s = 0;
    for (gn::index_t b = 0; b < k.n; ++b)
      for (gn::index_t i = 0; i < k.inner; ++i) s += x[(b * k.c + ch) * k.inner + i];
    mean[ch] = s / m;
    double v = 0;
    for (gn::index_t b = 0; b < k.n; ++b)
      for (gn::index_t i = 0; i < k.inner; ++i) {
        const double d = x[(b * k.c + ch) * k.inner + i] - mean[ch];
        v += d * d;
      }
    var[ch] = v / m;
  }
}

}  // namespace

GN_TEST(norm_stats_and_affine) {
  gn_test::Rng rng(5);
  for (const Case& k : kCases) {
    const auto x = rng.vector(k.n * k.c * k.inner, -2.f, 3.f);
    std::vector<float> mean(k.c), var(k.c);
    gn::batchnorm_stats(x.data(), mean.data(), var.data(), k.n, k.c, k.inner);
    std::vector<double> rm, rv;
    reference_stats(x, k, rm, rv);
    // Double accumulation, one rounding to float at the end.
    gn_test::check_close("batchnorm_stats mean", mean.data(), rm.data(), k.c, 1e-6, 1e-7);
    gn_test::check_close("batchnorm_stats var", var.data(), rv.data(), k.c, 1e-6, 1e-7);
    const auto scale = rng.vector(k.c), shift = rng.vector(k.c);
    std::vector<float> y(x.size());
    gn::channel_affine(x.data(), scale.data(), shift.data(), y.data(), k.n, k.c, k.inner);
    std::vector<double> want(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
      const gn::index_t ch = (i / k.inner) % k.c;
      want[i] = static_cast<double>(x[i]) * scale[ch] + shift[ch];
    }
    // One product and one sum in float: at most ~2 roundings of the result's magnitude.
    std::vector<double> absref(x.size());
    for (size_t i = 0; i < x.size(); ++i) absref[i] = std::fabs(static_cast<double>(x[i]) * scale[(i / k.inner) % k.c]) + std::fabs(shift[(i / k.inner) % k.c]);
    gn_test::check_dot_bound("channel_affine", y.data(), want.data(), absref.data(), y.size(), 1);
  }
}

// Data far from zero (mean 1000 and 1e5, std ~1): the variance must not lose digits to cancellation,
// as an E[x^2] - E[x]^2 formula would (in double it is off by ~1e-4 relative at mean 1e5). The shapes
// cover blocks of many runs, pieces of long runs (inner > 4096 floats) and strided inner = 1 runs.
GN_TEST(norm_stats_large_mean) {
  gn_test::Rng rng(17);
  const Case cases[] = {{64, 6, 196}, {3, 2, 10000}, {5000, 3, 1}, {32, 4, 1024}};
  for (const float center : {1000.f, 1e5f}) {
    for (const Case& k : cases) {
      const auto x = rng.vector(k.n * k.c * k.inner, center - 1.7f, center + 1.7f);
      std::vector<float> mean(k.c), var(k.c);
      gn::batchnorm_stats(x.data(), mean.data(), var.data(), k.n, k.c, k.inner);
      std::vector<double> rm, rv;
      reference_stats(x, k, rm, rv);
      gn_test::check_close("batchnorm_stats mean (large mean)", mean.data(), rm.data(), k.c, 1e-6, 0);
      gn_test::check_close("batchnorm_stats var (large mean)", var.data(), rv.data(), k.c, 1e-6, 0);
    }
  }
  // A jump in the data: the first 4 samples (the first 16 KB block of each channel) are centred on 0,
  // the others on 1e5, so the next block's shift (the running mean) is 1e5 standard deviations off:
  // that block is redone about its own mean, and the merge must carry the jump.
  const Case k{48, 3, 1024};
  auto x = rng.vector(k.n * k.c * k.inner, -1.7f, 1.7f);
  for (gn::index_t i = 4 * k.c * k.inner; i < k.n * k.c * k.inner; ++i) x[i] += 1e5f;
  std::vector<float> mean(k.c), var(k.c);
  gn::batchnorm_stats(x.data(), mean.data(), var.data(), k.n, k.c, k.inner);
  std::vector<double> rm, rv;
  reference_stats(x, k, rm, rv);
  gn_test::check_close("batchnorm_stats mean (shifted blocks)", mean.data(), rm.data(), k.c, 1e-6, 0);
  gn_test::check_close("batchnorm_stats var (shifted blocks)", var.data(), rv.data(), k.c, 1e-6, 0);
}

GN_TEST(norm_backward_training_and_eval) {
  gn_test::Rng rng(9);
  for (const Case& k : kCases) {
    const gn::index_t size = k.n * k.c * k.inner;
    const double m = static_cast<double>(k.n * k.inner);
    const auto x = rng.vector(size, -2.f, 2.f), dy = rng.vector(size), weight = rng.vector(k.c, 0.5f, 1.5f);
    std::vector<double> rm, rv;
    reference_stats(x, k, rm, rv);
    std::vector<float> mean(k.c), invstd(k.c);
    for (gn::index_t ch = 0; ch < k.c; ++ch) {
      mean[ch] = static_cast<float>(rm[ch]);
      invstd[ch] = static_cast<float>(1.0 / std::sqrt(rv[ch] + 1e-5));
    }
    for (bool training : {true, false}) {
      std::vector<float> dx(size), dw(k.c), db(k.c);
      gn::batchnorm_backward(x.data(), dy.data(), mean.data(), invstd.data(), weight.data(), dx.data(), dw.data(),
                             db.data(), k.n, k.c, k.inner, training);
      std::vector<double> wdx(size), wdw(k.c), wdb(k.c);
      for (gn::index_t ch = 0; ch < k.c; ++ch) {
        double sdy = 0, sdx = 0;
        for (gn::index_t b = 0; b < k.n; ++b)
          for (gn::index_t i = 0; i < k.inner; ++i) {
            const gn::index_t j = (b * k.c + ch) * k.inner + i;
            sdy += dy[j];
            sdx += dy[j] * (x[j] - static_cast<double>(mean[ch]));
          }
        wdb[ch] = sdy;
        wdw[ch] = sdx * invstd[ch];
        const double kk = static_cast<double>(weight[ch]) * invstd[ch];
        for (gn::index_t b = 0; b < k.n; ++b)
          for (gn::index_t i = 0; i < k.inner; ++i) {
            const gn::index_t j = (b * k.c + ch) * k.inner + i;
            const double xh = (x[j] - static_cast<double>(mean[ch])) * invstd[ch];
            wdx[j] = training ? kk * (dy[j] - sdy / m - xh * invstd[ch] * sdx / m) : kk * dy[j];
          }
      }
      // Sums are in double; the float products of the final step cost a few roundings of values of
      // order |dy| * weight * invstd.
      gn_test::check_close(training ? "bn backward dx (training)" : "bn backward dx (eval)", dx.data(), wdx.data(), size, 1e-5, 1e-5);
      gn_test::check_close("bn backward dweight", dw.data(), wdw.data(), k.c, 1e-5, 1e-6);
      gn_test::check_close("bn backward dbias", db.data(), wdb.data(), k.c, 1e-6, 1e-6);
    }
  }
}

GN_TEST(norm_deterministic_across_threads) {
  gn_test::Rng rng(13);
  for (const Case& k : {Case{64, 8, 196}, Case{256, 1000, 1}}) {
    const gn::index_t size = k.n * k.c * k.inner;
    const auto x = rng.vector(size), dy = rng.vector(size), w = rng.vector(k.c);
    std::vector<float> inv(k.c, 1.3f);
    auto run = [&](int threads, std::vector<float>& mean, std::vector<float>& dx, std::vector<float>& dw) {
      gn_test::with_threads(threads, [&] {
        std::vector<float> var(k.c);
        gn::batchnorm_stats(x.data(), mean.data(), var.data(), k.n, k.c, k.inner);
        gn::batchnorm_backward(x.data(), dy.data(), mean.data(), inv.data(), w.data(), dx.data(), dw.data(), nullptr,
                               k.n, k.c, k.inner, true);
      });
    };
    std::vector<float> m1(k.c), m2(k.c), dx1(size), dx2(size), dw1(k.c), dw2(k.c);
    run(1, m1, dx1, dw1);
    run(2, m2, dx2, dw2);
    gn_test::check_equal("bn mean 1 vs 2 threads", m2.data(), m1.data(), k.c);
    gn_test::check_equal("bn dx 1 vs 2 threads", dx2.data(), dx1.data(), size);
    gn_test::check_equal("bn dweight 1 vs 2 threads", dw2.data(), dw1.data(), k.c);
  }
}
