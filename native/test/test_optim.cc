// Fused optimizer steps against float64 evaluations of the same formulas, and the dropout kernel's
// random stream: drop rate, scaling, and independence from the thread count.
#include <cmath>
#include <vector>

#include "harness.h"
#include "kernels/optim/optim.h"
#include "kernels/random/dropout.h"
#include "kernels/threads.h"

namespace {

using gn_test::ThreadCountGuard;

// Each result is a handful of float operations on values of order 1: a few ulp of the largest term.
void check_few_ulp(const char* what, const std::vector<float>& got, const std::vector<double>& want, double scale) {
  gn_test::check_close(what, got.data(), want.data(), got.size(), 8 * std::ldexp(1.0, -24), 8 * std::ldexp(1.0, -24) * scale);
}

}  // namespace

GN_TEST(optim_sgd_variants) {
  gn_test::Rng rng(3);
  const gn::index_t n = 200003;  // several threads' chunks and an odd tail
  for (int variant = 0; variant < 4; ++variant) {
    const bool momentum = variant > 0, nesterov = variant == 3, decay = variant >= 2;
    const float lr = 0.05f, mom = 0.9f, one_minus_damp = 0.75f, wd = decay ? 0.01f : 0.0f;
    auto p = rng.vector(n), g = rng.vector(n), buf = rng.vector(n);
    std::vector<double> wp(p.begin(), p.end()), wbuf(buf.begin(), buf.end());
    for (bool is_new : {true, false}) {
      for (gn::index_t i = 0; i < n; ++i) {
        double d = g[i] + static_cast<double>(wd) * wp[i];
        if (momentum) {
          wbuf[i] = is_new ? d : static_cast<double>(mom) * buf[i] + static_cast<double>(one_minus_damp) * d;
          d = nesterov ? d + static_cast<double>(mom) * wbuf[i] : wbuf[i];
        }
        wp[i] = p[i] - static_cast<double>(lr) * d;
      }
      gn::sgd_step(p.data(), g.data(), momentum ? buf.data() : nullptr, is_new, n, lr, mom, one_minus_damp, wd, nesterov);
      check_few_ulp("sgd_step param", p, wp, 1.0);
      if (momentum) check_few_ulp("sgd_step momentum buffer", buf, wbuf, 1.0);
      for (gn::index_t i = 0; i < n; ++i) wp[i] = p[i], wbuf[i] = buf[i];  // continue from the float state
    }
  }
}

GN_TEST(optim_adam_variants) {
  gn_test::Rng rng(4);
  const gn::index_t n = 150001;
  for (int variant = 0; variant < 4; ++variant) {
    const bool ams = variant & 1, decoupled = variant & 2;
    const float beta1 = 0.9f, beta2 = 0.999f, c1 = 0.1f, c2 = 0.001f, eps = 1e-8f;
    const float step_size = 0.01f / 0.1f, bc2 = std::sqrt(0.001f);
    const float wd = decoupled ? 0.0f : 0.02f, shrink = decoupled ? 0.999f : 1.0f;
    auto p = rng.vector(n), g = rng.vector(n), m = rng.vector(n, -0.1f, 0.1f), v = rng.vector(n, 0.001f, 0.01f);
    auto vmax = rng.vector(n, 0.001f, 0.012f);
    std::vector<double> wp(n), wm(n), wv(n), wvmax(n);
    double scale = 0;
    for (gn::index_t i = 0; i < n; ++i) {
      double pp = static_cast<double>(p[i]) * shrink;
      const double gg = g[i] + static_cast<double>(wd) * pp;
      wm[i] = static_cast<double>(beta1) * m[i] + static_cast<double>(c1) * gg;
      wv[i] = static_cast<double>(beta2) * v[i] + static_cast<double>(c2) * gg * gg;
      double vv = wv[i];
      if (ams) vv = wvmax[i] = std::max<double>(vmax[i], wv[i]);
      const double upd = static_cast<double>(step_size) * wm[i] / (std::sqrt(vv) / bc2 + eps);
      wp[i] = pp - upd;
      scale = std::max(scale, std::fabs(upd));
    }
    gn::adam_step(p.data(), g.data(), m.data(), v.data(), ams ? vmax.data() : nullptr, n, step_size, bc2, beta1, beta2, c1,
                  c2, eps, wd, shrink);
    check_few_ulp("adam_step expAvg", m, wm, 0.2);
    check_few_ulp("adam_step expAvgSq", v, wv, 0.02);
    // The update is m / (sqrt(v) / bc2 + eps): a division and a square root add a few ulp of the update.
    check_few_ulp("adam_step param", p, wp, 1.0 + scale);
    if (ams) check_few_ulp("adam_step maxExpAvgSq", vmax, wvmax, 0.02);
  }
}

GN_TEST(optim_steps_deterministic_across_threads) {
  ThreadCountGuard guard;
  gn_test::Rng rng(5);
  const gn::index_t n = 300007;
  const auto p0 = rng.vector(n), g = rng.vector(n), m0 = rng.vector(n), v0 = rng.vector(n, 0.f, 1.f);
  std::vector<float> results[2];
  for (int t : {1, 2}) {
    gn::set_num_threads(t);
    auto p = p0, m = m0, v = v0, buf = m0;
    gn::adam_step(p.data(), g.data(), m.data(), v.data(), nullptr, n, 0.1f, 0.5f, 0.9f, 0.999f, 0.1f, 0.001f, 1e-8f, 0.f, 1.f);
    gn::sgd_step(p.data(), g.data(), buf.data(), false, n, 0.1f, 0.9f, 1.f, 0.01f, true);
    results[t - 1] = p;
  }
  gn_test::check_equal("optimizer steps, 1 vs 2 threads", results[1].data(), results[0].data(), n);
}

GN_TEST(dropout_rate_scale_and_threads) {
  ThreadCountGuard guard;
  gn_test::Rng rng(6);
  const gn::index_t n = 1 << 20;
  const auto x = rng.vector(n, 0.5f, 1.5f);
  for (double p : {0.0, 0.1, 0.5, 0.9, 1.0}) {
    const auto threshold = static_cast<std::uint32_t>(std::llround(p * 16777216.0));
    const float scale = p < 1 ? static_cast<float>(1 / (1 - p)) : 0.f;
    std::vector<float> y[2], mask[2];
    for (int t : {1, 2}) {
      gn::set_num_threads(t);
      y[t - 1].assign(n, -1.f);
      mask[t - 1].assign(n, -1.f);
      gn::dropout_forward(x.data(), y[t - 1].data(), mask[t - 1].data(), n, threshold, scale, 12345u, 678u);
    }
    gn_test::check_equal("dropout mask, 1 vs 2 threads", mask[1].data(), mask[0].data(), n);
    gn_test::check_equal("dropout output, 1 vs 2 threads", y[1].data(), y[0].data(), n);
    gn::index_t dropped = 0;
    for (gn::index_t i = 0; i < n; ++i) {
      // Each ISA's vectorised loop gives the scalar hash's mask (dropout_hash.inc).
      const bool drop = gn::dropout_bits(static_cast<std::uint32_t>(i), 12345u, 678u) < threshold;
      GN_CHECK(mask[0][i] == (drop ? 0.f : scale)) << "mask at " << i << ": " << mask[0][i];
      GN_CHECK(y[0][i] == x[i] * mask[0][i]) << "y != x * mask at " << i;
      dropped += mask[0][i] == 0.f;
    }
    // Binomial(n, p): 6 standard deviations.
    const double sd = std::sqrt(n * p * (1 - p));
    GN_CHECK(std::fabs(dropped - n * p) <= 6 * sd + 0.5) << "p " << p << ": dropped " << dropped << " of " << n;
  }
  // Different seeds give different masks; the stream has no short period in the index.
  std::vector<float> a(4096), b(4096), ya(4096), yb(4096), ones(4096, 1.f);
  gn::dropout_forward(ones.data(), ya.data(), a.data(), 4096, 1 << 23, 2.f, 1u, 2u);
  gn::dropout_forward(ones.data(), yb.data(), b.data(), 4096, 1 << 23, 2.f, 1u, 3u);
  gn::index_t same = 0;
  for (int i = 0; i < 4096; ++i) same += a[i] == b[i];
  GN_CHECK(same > 1800 && same < 2300) << "masks of two seeds agree on " << same << " of 4096";
  // A length that leaves a scalar remainder after the vector loop.
  gn::dropout_forward(ones.data(), ya.data(), a.data(), 1003, 1 << 23, 2.f, 7u, 9u);
  for (int i = 0; i < 1003; ++i)
    GN_CHECK(a[i] == (gn::dropout_bits(static_cast<std::uint32_t>(i), 7u, 9u) < (1u << 23) ? 0.f : 2.f) && ya[i] == a[i])
        << "mask at " << i << " of 1003: " << a[i];
}
