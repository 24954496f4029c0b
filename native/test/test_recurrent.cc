// The LSTM cell (kernels/recurrent/lstm.h) against a float64 reference computed from the same
// float inputs, under every ISA (NEON included, through qemu), and bitwise determinism across
// thread counts. Bounds: gamma_{k+2} times the magnitude of each result's terms, with k covering
// the approximations (sigmoid and tanh within 4 ulp, ~8u) and the roundings that follow them.
#include <cmath>
#include <vector>

#include "harness.h"
#include "kernels/recurrent/lstm.h"
#include "kernels/threads.h"

namespace {

struct Shape {
  gn::index_t rows, hidden;
};
const Shape kShapes[] = {{1, 1}, {3, 7}, {2, 16}, {5, 17}, {4, 33}, {64, 256}};

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

struct Forward {
  std::vector<float> gates, c, tc, h;
};

Forward run_forward(const std::vector<float>& pre, const std::vector<float>& cp, const Shape& s) {
  const gn::index_t n = s.rows * s.hidden;
  Forward f{pre, std::vector<float>(n), std::vector<float>(n), std::vector<float>(n)};
  gn::lstm_cell(f.gates.data(), cp.data(), f.c.data(), f.tc.data(), f.h.data(), s.rows, s.hidden);
  return f;
}

}  // namespace

GN_TEST(lstm_cell_forward) {
  gn_test::Rng rng(41);
  for (const Shape& s : kShapes) {
    const gn::index_t n = s.rows * s.hidden, H = s.hidden;
    const auto pre = rng.vector(4 * n, -6.f, 6.f);
    const auto cp = rng.vector(n, -3.f, 3.f);
    const Forward f = run_forward(pre, cp, s);
    // Activations from the exact functions; c, tc, h from the kernel's own (float) activations, so
    // that each check covers one stage.
    std::vector<double> act(4 * n), act_abs(4 * n), c(n), c_abs(n), tc(n), tc_abs(n), h(n), h_abs(n);
    for (gn::index_t r = 0; r < s.rows; ++r)
      for (gn::index_t q = 0; q < 4; ++q)
        for (gn::index_t j = 0; j < H; ++j) {
          const gn::index_t e = r * 4 * H + q * H + j;
          act[e] = q == 2 ? std::tanh(static_cast<double>(pre[e])) : sigmoid(pre[e]);
          act_abs[e] = std::fabs(act[e]);
        }
    for (gn::index_t r = 0; r < s.rows; ++r)
      for (gn::index_t j = 0; j < H; ++j) {
        const gn::index_t k = r * H + j;
        const float* a = f.gates.data() + r * 4 * H;
        const double i = a[j], fg = a[H + j], g = a[2 * H + j], o = a[3 * H + j];
        c[k] = fg * cp[k] + i * g;
        c_abs[k] = std::fabs(fg * cp[k]) + std::fabs(i * g);
        tc[k] = std::tanh(static_cast<double>(f.c[k]));
        tc_abs[k] = std::fabs(tc[k]);
        h[k] = o * f.tc[k];
        h_abs[k] = std::fabs(h[k]);
      }
    gn_test::check_dot_bound("lstm_cell gates", f.gates.data(), act.data(), act_abs.data(), 4 * n, 10);
    gn_test::check_dot_bound("lstm_cell c", f.c.data(), c.data(), c_abs.data(), n, 2);
    gn_test::check_dot_bound("lstm_cell tc", f.tc.data(), tc.data(), tc_abs.data(), n, 10);
    gn_test::check_dot_bound("lstm_cell h", f.h.data(), h.data(), h_abs.data(), n, 1);
  }
}

GN_TEST(lstm_cell_backward) {
  gn_test::Rng rng(43);
  for (const Shape& s : kShapes) {
    const gn::index_t n = s.rows * s.hidden, H = s.hidden;
    const Forward f = run_forward(rng.vector(4 * n, -6.f, 6.f), rng.vector(n, -3.f, 3.f), s);
    const auto cp = rng.vector(n, -3.f, 3.f);
    const auto dh = rng.vector(n), dc = rng.vector(n);
    for (const bool with_dc : {true, false}) {
      std::vector<float> dgates(4 * n), dcp(n);
      gn::lstm_cell_backward(f.gates.data(), cp.data(), f.tc.data(), dh.data(), with_dc ? dc.data() : nullptr,
                             dgates.data(), dcp.data(), s.rows, s.hidden);
      std::vector<double> want(4 * n), mag(4 * n), want_c(n), mag_c(n);
      for (gn::index_t r = 0; r < s.rows; ++r)
        for (gn::index_t j = 0; j < H; ++j) {
          const gn::index_t k = r * H + j;
          const float* a = f.gates.data() + r * 4 * H;
          const double i = a[j], fg = a[H + j], g = a[2 * H + j], o = a[3 * H + j], t = f.tc[k], d = dh[k];
          const double din = with_dc ? dc[k] : 0.0;
          const double dcj = din + d * o * (1 - t * t);
          const double dcj_abs = std::fabs(din) + std::fabs(d * o) * (1 + t * t);  // every (1 - x) as 1 + |x|
          double* w = want.data() + r * 4 * H;
          double* m = mag.data() + r * 4 * H;
          w[j] = dcj * g * i * (1 - i);
          m[j] = dcj_abs * std::fabs(g) * i * (1 + i);
          w[H + j] = dcj * cp[k] * fg * (1 - fg);
          m[H + j] = dcj_abs * std::fabs(cp[k]) * fg * (1 + fg);
          w[2 * H + j] = dcj * i * (1 - g * g);
          m[2 * H + j] = dcj_abs * i * (1 + g * g);
          w[3 * H + j] = d * t * o * (1 - o);
          m[3 * H + j] = std::fabs(d * t) * o * (1 + o);
          want_c[k] = dcj * fg;
          mag_c[k] = dcj_abs * fg;
        }
      // At most ~6 roundings along any path (dc' takes 4, each product 1-2 more).
      gn_test::check_dot_bound(with_dc ? "lstm_cell_backward dgates" : "lstm_cell_backward dgates (dc null)",
                               dgates.data(), want.data(), mag.data(), 4 * n, 6);
      gn_test::check_dot_bound(with_dc ? "lstm_cell_backward dc_prev" : "lstm_cell_backward dc_prev (dc null)",
                               dcp.data(), want_c.data(), mag_c.data(), n, 6);
    }
  }
}

GN_TEST(lstm_cell_threads_bitwise) {
  gn_test::Rng rng(47);
  const Shape s{64, 256};
  const gn::index_t n = s.rows * s.hidden;
  const auto pre = rng.vector(4 * n, -6.f, 6.f), cp = rng.vector(n, -3.f, 3.f), dh = rng.vector(n), dc = rng.vector(n);
  std::vector<float> out[2];
  for (int t = 1; t <= 2; ++t)
    gn_test::with_threads(t, [&] {
      Forward f = run_forward(pre, cp, s);
      std::vector<float> dgates(4 * n), dcp(n);
      gn::lstm_cell_backward(f.gates.data(), cp.data(), f.tc.data(), dh.data(), dc.data(), dgates.data(), dcp.data(),
                             s.rows, s.hidden);
      auto& o = out[t - 1];
      for (const auto* v : {&f.gates, &f.c, &f.tc, &f.h, &dgates, &dcp}) o.insert(o.end(), v->begin(), v->end());
    });
  GN_CHECK(gn_test::same_bits(out[0], out[1])) << "lstm cell: 1 thread vs 2 threads";
}
