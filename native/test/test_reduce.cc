// Reductions and softmax (kernels/reduce): sum, max, min, argmax, argmin over the middle axis of
// [outer, n, inner], softmax / log-softmax and their backward, against float64 references.
//
// Tolerances: max, min and the arg-reductions do no arithmetic: exact. Sums: the K-scaled bound of
// harness.h (check_dot_bound with K = n; the kernels accumulate in double, so they sit far inside
// it). Softmax: a per-element bound derived from the float operations the kernel does (see
// softmax_tolerance below).
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "harness.h"
#include "kernels/reduce/reduce.h"
#include "kernels/threads.h"

namespace {

using gn::index_t;
using gn::ReduceOp;
using gn_test::Rng;

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();
const double kU = std::ldexp(1.0, -24);
// Error of the kernels' exp, in ulps (test_elementwise.cc asserts it); 1 ulp <= 2u relative.
constexpr double kExpUlps = 1.5;

struct Dims {
  index_t outer, n, inner;
};

std::string dims_name(const Dims& d) {
  return "[" + std::to_string(d.outer) + ", " + std::to_string(d.n) + ", " + std::to_string(d.inner) + "]";
}
std::string isa_tag() { return std::string(" [") + gn::isa_name(gn_test::current_isa()) + "]"; }

std::vector<Dims> shapes() {
  std::vector<Dims> s;
  for (index_t n : {1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 100, 4095, 4096, 4097}) {
    s.push_back({1, n, 1});
    s.push_back({3, n, 1});
    s.push_back({2, n, 5});
  }
  s.push_back({4, 9, 17});
  s.push_back({2, 13, 300});   // a full column tile (256) and a partial one
  s.push_back({3, 5, 1000});
  s.push_back({1000, 37, 1});  // many outputs: threads split them
  s.push_back({1, 300001, 1});  // one long row: threads split its blocks
  s.push_back({2, 70000, 3});   // few outputs, long axis, inner > 1
  s.push_back({1, 20000, 37});
  return s;
}

using gn_test::with_threads;

using gn_test::same_bits;

// Inputs with ties (small integers) and, optionally, NaN / infinities.
std::vector<float> inputs(std::size_t size, std::uint64_t seed, bool specials) {
  Rng rng(seed);
  std::vector<float> x = rng.vector(size, -3, 3);
  for (std::size_t i = 1; i < size; i += 3) x[i] = static_cast<float>(rng.integer(-3, 3));
  if (specials) {
    for (std::size_t i = 0; i < size; ++i) {
      const std::int64_t r = rng.integer(0, 999);
      if (r == 0) x[i] = kNaN;
      if (r == 1) x[i] = kInf;
      if (r == 2) x[i] = -kInf;
    }
  }
  return x;
}

// The reference semantics (src/backend/reference/reduce.ts): sequential scan.
float ref_extreme(const float* x, index_t n, index_t inner, bool is_max) {
  float acc = x[0];
  for (index_t r = 1; r < n; ++r) {
    const float v = x[r * inner];
    if (std::isnan(v) || std::isnan(acc)) {
      acc = std::isnan(acc) ? acc : v;
    } else if (is_max ? v > acc : v < acc) {
      acc = v;
    }
  }
  return acc;
}

float ref_arg(const float* x, index_t n, index_t inner, bool is_max) {
  float best = x[0];
  index_t at = 0;
  for (index_t r = 1; r < n && !std::isnan(best); ++r) {
    const float v = x[r * inner];
    if (std::isnan(v) || (is_max ? v > best : v < best)) {
      best = v;
      at = r;
    }
  }
  return static_cast<float>(at);
}

// got within tol[i] of ref[i] (or both NaN, or equal, which covers infinities).
void check_bound(const std::string& what, const float* got, const double* ref, const double* tol, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const double g = got[i];
    if ((std::isnan(g) && std::isnan(ref[i])) || g == ref[i]) continue;
    if (!(std::fabs(g - ref[i]) <= tol[i])) {
      GN_CHECK(false) << what << ": at " << i << ": reference = " << ref[i] << ", got = " << g
                      << ", |error| = " << std::fabs(g - ref[i]) << " > bound " << tol[i] << isa_tag();
    }
  }
}

}  // namespace

// ---- reductions -------------------------------------------------------------------------------

GN_TEST(reduce_sum) {
  std::uint64_t seed = 1;
  for (const Dims& d : shapes()) {
    for (bool positive : {false, true}) {
      const std::size_t size = static_cast<std::size_t>(d.outer * d.n * d.inner);
      Rng rng(++seed);
      const std::vector<float> x = rng.vector(size, positive ? 0.0f : -1.0f, 1.0f);
      std::vector<float> y(static_cast<std::size_t>(d.outer * d.inner), -7.0f);
      gn::reduce(ReduceOp::kSum, x.data(), y.data(), d.outer, d.n, d.inner);
      std::vector<double> ref(y.size()), absref(y.size());
      for (index_t o = 0; o < d.outer; ++o)
        for (index_t i = 0; i < d.inner; ++i) {
          double s = 0, a = 0;
          for (index_t r = 0; r < d.n; ++r) {
            const double v = x[(o * d.n + r) * d.inner + i];
            s += v;
            a += std::fabs(v);
          }
          ref[o * d.inner + i] = s;
          absref[o * d.inner + i] = a;
        }
      gn_test::check_dot_bound("sum " + dims_name(d) + (positive ? " positive" : ""), y.data(), ref.data(),
                               absref.data(), y.size(), d.n);
    }
  }
  // The empty sum is 0.
  std::vector<float> y(6, -7.0f);
  gn::reduce(ReduceOp::kSum, nullptr, y.data(), 2, 0, 3);
  for (float v : y) GN_CHECK(v == 0.0f) << "empty sum" << isa_tag();
}

GN_TEST(reduce_sum_special_values) {
  // NaN and infinities propagate through the sum; inf + -inf is NaN.
  const struct {
    std::vector<float> x;
    float want;
  } cases[] = {
      {{1, 2, kNaN, 4}, kNaN},
      {{1, kInf, 3}, kInf},
      {{1, -kInf, 3}, -kInf},
      {{kInf, 1, -kInf}, kNaN},
      {{3e38f, 3e38f, -3e38f}, 3e38f},  // double accumulation does not overflow
  };
  for (const auto& c : cases) {
    for (index_t pad : {0, 40, 5000}) {  // the special value in lanes, in the tail, in a later block
      std::vector<float> x(static_cast<std::size_t>(pad), 0.0f);
      x.insert(x.end(), c.x.begin(), c.x.end());
      float y;
      gn::reduce(ReduceOp::kSum, x.data(), &y, 1, static_cast<index_t>(x.size()), 1);
      GN_CHECK((std::isnan(y) && std::isnan(c.want)) || y == c.want)
          << "sum of a special case, pad " << pad << ": got " << y << ", want " << c.want << isa_tag();
    }
  }
}

GN_TEST(reduce_max_min) {
  std::uint64_t seed = 100;
  for (const Dims& d : shapes()) {
    for (bool specials : {false, true}) {
      const std::size_t size = static_cast<std::size_t>(d.outer * d.n * d.inner);
      const std::vector<float> x = inputs(size, ++seed, specials);
      for (bool is_max : {true, false}) {
        std::vector<float> y(static_cast<std::size_t>(d.outer * d.inner), -7.0f), want(y.size());
        gn::reduce(is_max ? ReduceOp::kMax : ReduceOp::kMin, x.data(), y.data(), d.outer, d.n, d.inner);
        for (index_t o = 0; o < d.outer; ++o)
          for (index_t i = 0; i < d.inner; ++i)
            want[o * d.inner + i] = ref_extreme(x.data() + o * d.n * d.inner + i, d.n, d.inner, is_max);
        gn_test::check_equal(std::string(is_max ? "max " : "min ") + dims_name(d) + (specials ? " specials" : ""),
                             y.data(), want.data(), y.size());
      }
    }
  }
}

GN_TEST(reduce_arg) {
  std::uint64_t seed = 200;
  for (const Dims& d : shapes()) {
    for (bool specials : {false, true}) {
      const std::size_t size = static_cast<std::size_t>(d.outer * d.n * d.inner);
      std::vector<float> x = inputs(size, ++seed, specials);
      // Ties everywhere: many rows of only small integers (argmax must keep the first).
      if (d.n % 2 == 1)
        for (float& v : x)
          if (std::isfinite(v)) v = std::round(v);
      for (bool is_max : {true, false}) {
        std::vector<float> y(static_cast<std::size_t>(d.outer * d.inner), -7.0f), want(y.size());
        gn::arg_reduce(is_max ? ReduceOp::kMax : ReduceOp::kMin, x.data(), y.data(), d.outer, d.n, d.inner);
        for (index_t o = 0; o < d.outer; ++o)
          for (index_t i = 0; i < d.inner; ++i)
            want[o * d.inner + i] = ref_arg(x.data() + o * d.n * d.inner + i, d.n, d.inner, is_max);
        gn_test::check_equal(std::string(is_max ? "argmax " : "argmin ") + dims_name(d) + (specials ? " specials" : ""),
                             y.data(), want.data(), y.size());
      }
    }
  }
  // The first NaN wins, wherever it sits relative to lanes and blocks; and the first of equal extremes.
  for (index_t n : {5, 40, 9000}) {
    for (index_t first : {index_t(0), n / 3, n - 2}) {
      std::vector<float> x(static_cast<std::size_t>(n), 1.0f);
      x[static_cast<std::size_t>(first)] = kNaN;
      x[static_cast<std::size_t>(n - 1)] = kNaN;
      x[static_cast<std::size_t>(n / 2)] = kInf;
      float y;
      gn::arg_reduce(ReduceOp::kMax, x.data(), &y, 1, n, 1);
      GN_CHECK(y == static_cast<float>(first)) << "first NaN, n " << n << ": got " << y << ", want " << first << isa_tag();
      std::vector<float> z(static_cast<std::size_t>(n), -kInf);
      z[static_cast<std::size_t>(first + 1)] = 2.0f;
      z[static_cast<std::size_t>(n - 1)] = 2.0f;
      gn::arg_reduce(ReduceOp::kMax, z.data(), &y, 1, n, 1);
      GN_CHECK(y == static_cast<float>(first + 1)) << "first max, n " << n << ": got " << y << isa_tag();
      gn::arg_reduce(ReduceOp::kMin, z.data(), &y, 1, n, 1);
      GN_CHECK(y == 0.0f) << "first min (-inf), n " << n << ": got " << y << isa_tag();
    }
  }
}

GN_TEST(reduce_threads_deterministic) {
  const Dims cases[] = {{1, 3000001, 1}, {2, 400000, 3}, {64, 50000, 1}, {3, 9000, 300}};
  std::uint64_t seed = 300;
  for (const Dims& d : cases) {
    const std::size_t size = static_cast<std::size_t>(d.outer * d.n * d.inner);
    Rng rng(++seed);
    const std::vector<float> x = rng.vector(size, -1, 1);
    for (int kind = 0; kind < 4; ++kind) {
      std::vector<float> y1(static_cast<std::size_t>(d.outer * d.inner)), y2(y1.size()), y3(y1.size());
      auto run = [&](std::vector<float>& y) {
        if (kind == 0) gn::reduce(ReduceOp::kSum, x.data(), y.data(), d.outer, d.n, d.inner);
        if (kind == 1) gn::reduce(ReduceOp::kMax, x.data(), y.data(), d.outer, d.n, d.inner);
        if (kind == 2) gn::arg_reduce(ReduceOp::kMax, x.data(), y.data(), d.outer, d.n, d.inner);
        if (kind == 3) gn::arg_reduce(ReduceOp::kMin, x.data(), y.data(), d.outer, d.n, d.inner);
      };
      with_threads(1, [&] { run(y1); });
      with_threads(2, [&] { run(y2); });
      with_threads(2, [&] { run(y3); });
      GN_CHECK(same_bits(y1, y2)) << "reduction " << kind << " " << dims_name(d) << ": 1 and 2 threads differ" << isa_tag();
      GN_CHECK(same_bits(y2, y3)) << "reduction " << kind << " " << dims_name(d) << ": two runs differ" << isa_tag();
    }
  }
}

// ---- softmax ----------------------------------------------------------------------------------

namespace {

// Reference softmax of one row (stride `inner`) in double, with the kernels' NaN rules: a NaN, a
// +inf, or a row of only -inf makes the row NaN.
struct RowRef {
  std::vector<double> y;    // softmax or log-softmax
  std::vector<double> tol;  // per-element bound
};

// Error bound of the float kernel, from its operations: d = fl(x - m) errs by u|x - m| (relative
// error of exp(d)), exp adds 2 kExpUlps u, so e_j = exp(x_j - m)(1 + eps_j) with
// |eps_j| <= u|x_j - m| + 2 kExpUlps u. The double sum S has the weighted error
// sigma = sum_j p_j |eps_j|. softmax: y_i = e_i * fl(1 / S) in float, two more roundings (the
// reciprocal, the product): |p_i| (|eps_i| + sigma + 2u).
// log-softmax: y_i = fl(fl(x_i - m) - fl(log S)): u|x_i - m| + sigma + u|log S| + u|y_i|.
RowRef softmax_ref(const float* x, index_t n, index_t inner, bool log) {
  RowRef r;
  r.y.assign(static_cast<std::size_t>(n), 0.0);
  r.tol.assign(static_cast<std::size_t>(n), 0.0);
  double m = -HUGE_VAL;
  bool nan = false;
  for (index_t k = 0; k < n; ++k) {
    const double v = x[k * inner];
    if (std::isnan(v)) nan = true;
    if (v > m) m = v;
  }
  if (nan || std::isinf(m)) {
    for (auto& v : r.y) v = std::numeric_limits<double>::quiet_NaN();
    return r;
  }
  double s = 0;
  for (index_t k = 0; k < n; ++k) s += std::exp(x[k * inner] - m);
  double sigma = 0;
  for (index_t k = 0; k < n; ++k) {
    const double d = x[k * inner] - m;
    sigma += std::exp(d) / s * (kU * std::fabs(d) + 2 * kExpUlps * kU);
  }
  const double ls = std::log(s);
  for (index_t k = 0; k < n; ++k) {
    const double d = x[k * inner] - m;
    const double eps = kU * std::fabs(d) + 2 * kExpUlps * kU;
    if (log) {
      r.y[k] = d - ls;
      r.tol[k] = kU * std::fabs(d) + sigma + kU * std::fabs(ls) + kU * std::fabs(r.y[k]) + 1e-30;
    } else {
      r.y[k] = std::exp(d) / s;
      // 1.01: second-order terms. The floor: results in the subnormal range.
      r.tol[k] = 1.01 * r.y[k] * (eps + sigma + 2 * kU) + 4 * std::ldexp(1.0, -149);
    }
  }
  return r;
}

std::vector<Dims> softmax_shapes() {
  std::vector<Dims> s;
  for (index_t n : {1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 255, 256, 257, 1000}) {
    s.push_back({1, n, 1});
    s.push_back({3, n, 1});
    s.push_back({2, n, 3});
  }
  s.push_back({2, 10, 17});
  s.push_back({2, 6, 300});  // full and partial column tiles
  s.push_back({300, 40, 1});  // enough rows for two threads
  s.push_back({64, 20, 40});
  return s;
}

std::vector<float> softmax_inputs(std::size_t size, std::uint64_t seed, float scale) {
  Rng rng(seed);
  return rng.vector(size, -scale, scale);
}

}  // namespace

GN_TEST(softmax_forward) {
  std::uint64_t seed = 400;
  for (const Dims& d : softmax_shapes()) {
    for (float scale : {3.0f, 60.0f}) {  // 60: many exponentials in the subnormal range and at 0
      for (bool log : {false, true}) {
        const std::size_t size = static_cast<std::size_t>(d.outer * d.n * d.inner);
        std::vector<float> x = softmax_inputs(size, ++seed, scale);
        if (scale > 10)
          for (std::size_t i = 0; i < size; i += 7) x[i] += 1000.0f;  // large values must not overflow
        std::vector<float> y(size, -7.0f);
        gn::softmax(x.data(), y.data(), d.outer, d.n, d.inner, log);
        std::vector<double> ref(size), tol(size);
        for (index_t o = 0; o < d.outer; ++o)
          for (index_t i = 0; i < d.inner; ++i) {
            const index_t base = o * d.n * d.inner + i;
            const RowRef r = softmax_ref(x.data() + base, d.n, d.inner, log);
            for (index_t k = 0; k < d.n; ++k) {
              ref[base + k * d.inner] = r.y[k];
              tol[base + k * d.inner] = r.tol[k];
            }
          }
        const std::string what = std::string(log ? "log_softmax " : "softmax ") + dims_name(d) +
                                 " scale " + std::to_string(scale);
        check_bound(what, y.data(), ref.data(), tol.data(), size);
        // In place.
        std::vector<float> z = x;
        gn::softmax(z.data(), z.data(), d.outer, d.n, d.inner, log);
        gn_test::check_equal(what + " in place", z.data(), y.data(), size);
      }
    }
  }
}

GN_TEST(softmax_special_values) {
  const float kM = -kInf;
  const struct {
    std::vector<float> x;
    std::vector<float> want, want_log;
  } cases[] = {
      {{0, kM, 0, kM}, {0.5f, 0, 0.5f, 0}, {-0.6931472f, kM, -0.6931472f, kM}},  // masked entries
      {{kM, kM, kM}, {kNaN, kNaN, kNaN}, {kNaN, kNaN, kNaN}},                     // fully masked row
      {{1, kNaN, 2}, {kNaN, kNaN, kNaN}, {kNaN, kNaN, kNaN}},
      {{1, kInf, 2}, {kNaN, kNaN, kNaN}, {kNaN, kNaN, kNaN}},
      {{5}, {1}, {0}},
      {{1000, 1000}, {0.5f, 0.5f}, {-0.6931472f, -0.6931472f}},
      {{-1000, 0}, {0, 1}, {-1000, 0}},
  };
  for (const auto& c : cases) {
    for (int inner : {1, 3}) {  // the row as a contiguous row and as a column of a tile
      const index_t n = static_cast<index_t>(c.x.size());
      std::vector<float> x(static_cast<std::size_t>(n * inner)), want(x.size()), want_log(x.size());
      for (index_t k = 0; k < n; ++k)
        for (int i = 0; i < inner; ++i) {
          x[k * inner + i] = c.x[k];
          want[k * inner + i] = c.want[k];
          want_log[k * inner + i] = c.want_log[k];
        }
      std::vector<float> y(x.size()), yl(x.size());
      gn::softmax(x.data(), y.data(), 1, n, inner, false);
      gn::softmax(x.data(), yl.data(), 1, n, inner, true);
      std::vector<double> wd(want.begin(), want.end()), wld(want_log.begin(), want_log.end());
      gn_test::check_close("softmax special, inner " + std::to_string(inner), y.data(), wd.data(), y.size(), 2e-7, 0);
      gn_test::check_close("log_softmax special, inner " + std::to_string(inner), yl.data(), wld.data(), yl.size(),
                           2e-7, 0);
    }
  }
}

GN_TEST(softmax_backward) {
  std::uint64_t seed = 500;
  for (const Dims& d : softmax_shapes()) {
    for (bool log : {false, true}) {
      const std::size_t size = static_cast<std::size_t>(d.outer * d.n * d.inner);
      const std::vector<float> x = softmax_inputs(size, ++seed, 4.0f);
      Rng rng(++seed);
      const std::vector<float> dy = rng.vector(size, -1, 1);
      std::vector<float> y(size), dx(size, -7.0f);
      gn::softmax(x.data(), y.data(), d.outer, d.n, d.inner, log);
      gn::softmax_backward(y.data(), dy.data(), dx.data(), d.outer, d.n, d.inner, log);
      // Reference from the same float y and dy. The kernel sums in double. Softmax combines in
      // double: one rounding (u |dx|) plus the double sum's error. Log-softmax combines in float
      // (vmath_impl.inc): exp's error on exp(y) s, S rounded to float and the product e * S
      // rounded (2 u |e s|), the subtraction rounded (u |dx|).
      std::vector<double> ref(size), tol(size);
      for (index_t o = 0; o < d.outer; ++o)
        for (index_t i = 0; i < d.inner; ++i) {
          const index_t base = o * d.n * d.inner + i;
          double s = 0, sabs = 0;
          for (index_t k = 0; k < d.n; ++k) {
            const index_t at = base + k * d.inner;
            const double term = log ? dy[at] : static_cast<double>(dy[at]) * y[at];
            s += term;
            sabs += std::fabs(term);
          }
          const double sum_err = sabs * (d.n + 2) * std::ldexp(1.0, -53);
          for (index_t k = 0; k < d.n; ++k) {
            const index_t at = base + k * d.inner;
            if (log) {
              const double e = std::exp(static_cast<double>(y[at]));
              ref[at] = dy[at] - e * s;
              tol[at] = kU * std::fabs(ref[at]) + (2 * kExpUlps + 2) * kU * std::fabs(e * s) + e * sum_err + 1e-45;
            } else {
              ref[at] = y[at] * (dy[at] - s);
              tol[at] = kU * std::fabs(ref[at]) + std::fabs(y[at]) * sum_err + 1e-45;
            }
          }
        }
      const std::string what = std::string(log ? "log_softmax backward " : "softmax backward ") + dims_name(d);
      check_bound(what, dx.data(), ref.data(), tol.data(), size);
      // dx may alias dy.
      std::vector<float> g = dy;
      gn::softmax_backward(y.data(), g.data(), g.data(), d.outer, d.n, d.inner, log);
      gn_test::check_equal(what + " in place", g.data(), dx.data(), size);
    }
  }
}

GN_TEST(softmax_threads_deterministic) {
  const Dims cases[] = {{600, 100, 1}, {40, 50, 30}, {3, 20000, 1}};
  std::uint64_t seed = 600;
  for (const Dims& d : cases) {
    const std::size_t size = static_cast<std::size_t>(d.outer * d.n * d.inner);
    const std::vector<float> x = softmax_inputs(size, ++seed, 10.0f);
    for (bool log : {false, true}) {
      std::vector<float> y1(size), y2(size), g1(size), g2(size);
      with_threads(1, [&] {
        gn::softmax(x.data(), y1.data(), d.outer, d.n, d.inner, log);
        gn::softmax_backward(y1.data(), x.data(), g1.data(), d.outer, d.n, d.inner, log);
      });
      with_threads(2, [&] {
        gn::softmax(x.data(), y2.data(), d.outer, d.n, d.inner, log);
        gn::softmax_backward(y1.data(), x.data(), g2.data(), d.outer, d.n, d.inner, log);
      });
      GN_CHECK(same_bits(y1, y2)) << "softmax " << dims_name(d) << ": 1 and 2 threads differ" << isa_tag();
      GN_CHECK(same_bits(g1, g2)) << "softmax backward " << dims_name(d) << ": 1 and 2 threads differ" << isa_tag();
    }
  }
}
