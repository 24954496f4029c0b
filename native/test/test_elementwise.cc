// Elementwise kernels (kernels/elementwise): unary ops and their backward, binary ops with NumPy
// broadcasting, where; against float64 references computed here.
//
// Tolerances:
//  * ops that do one correctly rounded operation or none (neg, abs, relu, leaky relu, clamp, sign,
//    add, sub, mul, div, maximum, minimum, comparisons, where, and the backward formulas with one
//    operation): exact equality with the double result rounded to float;
//  * exp, expm1 (elu), sigmoid, tanh (polynomial approximations): at most kUlp* ulp, where an ulp is
//    the spacing of floats at the exact result (2^-149 in the subnormal range, which is the
//    absolute floor near zero); measured on a dense sweep of the input range by
//    elementwise_accuracy_sweep, which prints the maxima;
//  * log, pow (C library), backward formulas with k roundings: rtol = k u (u = 2^-24).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "harness.h"
#include "kernels/elementwise/elementwise.h"
#include "kernels/isa.h"
#include "kernels/threads.h"

namespace {

using gn::BinaryOp;
using gn::index_t;
using gn::UnaryOp;
using gn_test::Rng;

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();
const double kU = std::ldexp(1.0, -24);  // unit roundoff of float

// Maximum errors allowed for the approximations, in ulps of the exact result. Measured maxima over
// every 13th float of the range (1.7e8 points each; generic / avx2): exp 0.98 / 1.00, expm1 0.84 /
// 0.88, sigmoid 2.40 / 2.40, tanh 1.31 / 1.31. elementwise_accuracy_sweep checks a sparser sweep and
// prints its maxima.
constexpr double kUlpExp = 1.5;
constexpr double kUlpExpm1 = 1.5;   // elu with alpha = 1
constexpr double kUlpSigmoid = 3.0;
constexpr double kUlpTanh = 2.0;
constexpr double kUlpLog = 1.0;     // C library
constexpr double kUlpSqrt = 0.5;    // IEEE

const index_t kSizes[] = {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100, 1000, 4099, 70001};

std::string isa_tag() { return std::string(" [") + gn::isa_name(gn_test::current_isa()) + "]"; }

// Spacing of floats at |r| (the subnormal spacing 2^-149 near zero).
double ulp_at(double r) {
  r = std::fabs(r);
  if (!(r >= std::ldexp(1.0, -126))) return std::ldexp(1.0, -149);
  int e;
  std::frexp(r, &e);  // r = m 2^e, m in [0.5, 1)
  return std::ldexp(1.0, e - 1 - 23);
}

// Error of got in ulps of the exact result ref (0 when both are NaN, or both the same infinity
// after rounding ref to float).
double ulp_error(float got, double ref) {
  if (std::isnan(ref) || std::isnan(got)) return std::isnan(ref) && std::isnan(got) ? 0.0 : 1e30;
  const float rf = static_cast<float>(ref);
  if (std::isinf(rf) || std::isinf(got)) return rf == got ? 0.0 : 1e30;
  return std::fabs(static_cast<double>(got) - ref) / ulp_at(ref);
}

float bits_to_float(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
std::uint32_t float_to_bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// A dense sweep of [lo, hi]: every `step`-th float by bit pattern on each side of zero (so tiny
// magnitudes are covered as densely as large ones), plus a uniform grid of `grid` points.
std::vector<float> sweep(float lo, float hi, std::uint32_t step, int grid) {
  std::vector<float> v;
  for (int sign = 0; sign < 2; ++sign) {
    const float lim = sign ? -lo : hi;
    if (lim <= 0) continue;
    const std::uint32_t top = float_to_bits(lim);
    for (std::uint64_t b = 0; b <= top; b += step) {
      const float f = bits_to_float(static_cast<std::uint32_t>(b));
      v.push_back(sign ? -f : f);
    }
  }
  for (int i = 0; i <= grid; ++i) v.push_back(static_cast<float>(lo + (static_cast<double>(hi) - lo) * i / grid));
  return v;
}

double ref_unary(UnaryOp op, double x, double alpha, double beta) {
  switch (op) {
    case UnaryOp::kNeg: return -x;
    case UnaryOp::kExp: return std::exp(x);
    case UnaryOp::kLog: return std::log(x);
    case UnaryOp::kSqrt: return std::sqrt(x);
    case UnaryOp::kAbs: return std::fabs(x);
    case UnaryOp::kRelu: return x < 0 ? 0.0 : x;
    case UnaryOp::kLeakyRelu: return x > 0 ? x : alpha * x;
    case UnaryOp::kElu: return x > 0 ? x : alpha * std::expm1(x);
    case UnaryOp::kSigmoid: return 1.0 / (1.0 + std::exp(-x));
    case UnaryOp::kTanh: return std::tanh(x);
    case UnaryOp::kClamp: return std::isnan(x) ? x : std::fmin(std::fmax(x, alpha), beta);
    case UnaryOp::kSign: return x > 0 ? 1.0 : (x < 0 ? -1.0 : x);
    default: return 0;
  }
}

// dx from float x, y, dy, in double.
double ref_unary_backward(UnaryOp op, double x, double y, double g, double alpha, double beta) {
  switch (op) {
    case UnaryOp::kNeg: return -g;
    case UnaryOp::kExp: return g * y;
    case UnaryOp::kLog: return g / x;
    case UnaryOp::kSqrt: return g / (2 * y);
    case UnaryOp::kAbs: return x > 0 ? g : (x < 0 ? -g : 0.0);
    case UnaryOp::kRelu: return x > 0 ? g : 0.0;
    case UnaryOp::kLeakyRelu: return x > 0 ? g : alpha * g;
    case UnaryOp::kElu: return x > 0 ? g : g * (y + alpha);
    case UnaryOp::kSigmoid: return g * y * (1 - y);
    case UnaryOp::kTanh: return g * (1 - y * y);
    case UnaryOp::kClamp: return x >= alpha && x <= beta ? g : 0.0;
    case UnaryOp::kSign: return 0.0;
    default: return 0;
  }
}

double ref_binary(BinaryOp op, double a, double b) {
  switch (op) {
    case BinaryOp::kAdd: return a + b;
    case BinaryOp::kSub: return a - b;
    case BinaryOp::kMul: return a * b;
    case BinaryOp::kDiv: return a / b;
    case BinaryOp::kPow: return std::pow(a, b);  // IEEE 754 / C99, as PyTorch and the TS reference
    case BinaryOp::kMaximum: return std::isnan(a) ? a : std::isnan(b) ? b : (a > b ? a : b);
    case BinaryOp::kMinimum: return std::isnan(a) ? a : std::isnan(b) ? b : (a < b ? a : b);
    case BinaryOp::kEq: return a == b;
    case BinaryOp::kNe: return a != b;
    case BinaryOp::kLt: return a < b;
    case BinaryOp::kLe: return a <= b;
    case BinaryOp::kGt: return a > b;
    case BinaryOp::kGe: return a >= b;
    default: return 0;
  }
}

// Tolerance of an op's forward result, as (rtol, atol); rtol 0 means exact.
void unary_tolerance(UnaryOp op, float alpha, double* rtol, double* atol) {
  double ulps = 0;
  switch (op) {
    case UnaryOp::kExp: ulps = kUlpExp; break;
    case UnaryOp::kElu: ulps = kUlpExpm1 + (alpha == 1.0f ? 0.0 : 1.0); break;  // + the product by alpha
    case UnaryOp::kSigmoid: ulps = kUlpSigmoid; break;
    case UnaryOp::kTanh: ulps = kUlpTanh; break;
    case UnaryOp::kLog: ulps = kUlpLog; break;
    case UnaryOp::kSqrt: ulps = kUlpSqrt; break;
    default: ulps = 0;
  }
  // n ulps of the result are at most 2n u relative (an ulp is between u and 2u relative), and n
  // subnormal spacings absolute.
  *rtol = 2 * ulps * kU;
  *atol = ulps * std::ldexp(1.0, -149);
}

bool exact_unary(UnaryOp op) {
  switch (op) {
    case UnaryOp::kNeg:
    case UnaryOp::kAbs:
    case UnaryOp::kRelu:
    case UnaryOp::kLeakyRelu:
    case UnaryOp::kClamp:
    case UnaryOp::kSign:
      return true;
    default:
      return false;
  }
}

// Input range per op (random values), before the special values are mixed in.
void input_range(UnaryOp op, float* lo, float* hi) {
  switch (op) {
    case UnaryOp::kExp: *lo = -110; *hi = 90; break;
    case UnaryOp::kLog:
    case UnaryOp::kSqrt: *lo = 0; *hi = 1000; break;
    case UnaryOp::kSigmoid: *lo = -110; *hi = 110; break;
    case UnaryOp::kTanh: *lo = -12; *hi = 12; break;
    case UnaryOp::kElu: *lo = -20; *hi = 5; break;
    default: *lo = -5; *hi = 5;
  }
}

const float kSpecials[] = {0.0f, -0.0f, kNaN, kInf, -kInf, 1e-30f, -1e-30f, 1e-40f, -1e-40f, 0.5f, -0.5f,
                           1.0f, -1.0f, 88.7f, 88.73f, -87.4f, -103.9f, -104.5f, 100.0f, -100.0f, 3e38f, -3e38f};

std::vector<float> unary_inputs(UnaryOp op, index_t n, std::uint64_t seed) {
  float lo, hi;
  input_range(op, &lo, &hi);
  Rng rng(seed);
  std::vector<float> x = rng.vector(static_cast<std::size_t>(n), lo, hi);
  const int ns = sizeof(kSpecials) / sizeof(kSpecials[0]);
  for (index_t i = 0; i < n; i += 3) x[static_cast<std::size_t>(i)] = kSpecials[rng.integer(0, ns - 1)];
  return x;
}

void check_unary(UnaryOp op, const std::vector<float>& x, const std::vector<float>& y, float alpha, float beta,
                 const std::string& what) {
  const std::size_t n = x.size();
  std::vector<double> ref(n);
  for (std::size_t i = 0; i < n; ++i) {
    ref[i] = ref_unary(op, x[i], alpha, beta);
    if (std::isinf(static_cast<float>(ref[i]))) ref[i] = static_cast<float>(ref[i]);  // overflows in float
  }
  if (exact_unary(op)) {
    std::vector<float> want(n);
    for (std::size_t i = 0; i < n; ++i) want[i] = static_cast<float>(ref[i]);
    gn_test::check_equal(what, y.data(), want.data(), n);
  } else {
    double rtol, atol;
    unary_tolerance(op, alpha, &rtol, &atol);
    gn_test::check_close(what, y.data(), ref.data(), n, rtol, atol);
  }
}

struct OpParams {
  UnaryOp op;
  float alpha, beta;
};
const OpParams kUnaryCases[] = {
    {UnaryOp::kNeg, 0, 0},       {UnaryOp::kExp, 0, 0},        {UnaryOp::kLog, 0, 0},
    {UnaryOp::kSqrt, 0, 0},      {UnaryOp::kAbs, 0, 0},        {UnaryOp::kRelu, 0, 0},
    {UnaryOp::kLeakyRelu, 0.01f, 0}, {UnaryOp::kElu, 1.0f, 0}, {UnaryOp::kElu, 0.7f, 0},
    {UnaryOp::kSigmoid, 0, 0},   {UnaryOp::kTanh, 0, 0},       {UnaryOp::kClamp, -0.5f, 2.0f},
    {UnaryOp::kClamp, 1.0f, -1.0f},  // lo > hi: every result is hi, as min(max(x, lo), hi) says
    {UnaryOp::kSign, 0, 0},
};

using gn_test::with_threads;

using gn_test::same_bits;

}  // namespace

// ---- approximations: maximum error over dense sweeps -------------------------------------------

GN_TEST(elementwise_accuracy_sweep) {
  struct Case {
    const char* name;
    UnaryOp op;
    float alpha, lo, hi;
    double bound;
    std::function<double(double)> ref;
  };
  const Case cases[] = {
      {"exp", UnaryOp::kExp, 0, -104.0f, 88.72f, kUlpExp, [](double x) { return std::exp(x); }},
      {"elu(alpha=1) = expm1 for x<=0", UnaryOp::kElu, 1.0f, -40.0f, 4.0f, kUlpExpm1,
       [](double x) { return x > 0 ? x : std::expm1(x); }},
      {"sigmoid", UnaryOp::kSigmoid, 0, -120.0f, 120.0f, kUlpSigmoid,
       [](double x) { return 1.0 / (1.0 + std::exp(-x)); }},
      {"tanh", UnaryOp::kTanh, 0, -20.0f, 20.0f, kUlpTanh, [](double x) { return std::tanh(x); }},
      {"log", UnaryOp::kLog, 0, 0.0f, 3.4e38f, kUlpLog, [](double x) { return std::log(x); }},
      {"sqrt", UnaryOp::kSqrt, 0, 0.0f, 3.4e38f, kUlpSqrt, [](double x) { return std::sqrt(x); }},
  };
  for (const Case& c : cases) {
    const std::vector<float> x = sweep(c.lo, c.hi, 997, 400000);
    std::vector<float> y(x.size());
    gn::unary(c.op, x.data(), y.data(), static_cast<index_t>(x.size()), c.alpha, 0.0f);
    double worst = 0;
    float at = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double e = ulp_error(y[i], c.ref(x[i]));
      if (e > worst) {
        worst = e;
        at = x[i];
      }
    }
    std::printf("      %-7s %-32s max error %.3f ulp at x = %.9g (%zu points, bound %.1f)\n",
                gn::isa_name(gn_test::current_isa()), c.name, worst, at, x.size(), c.bound);
    GN_CHECK(worst <= c.bound) << c.name << ": max error " << worst << " ulp at x = " << at << isa_tag();
  }
}

// ---- unary ops --------------------------------------------------------------------------------

GN_TEST(elementwise_unary_ops) {
  for (const OpParams& p : kUnaryCases) {
    for (index_t n : kSizes) {
      const std::vector<float> x = unary_inputs(p.op, n, 1000 + n);
      std::vector<float> y(x.size(), -7.0f);
      gn::unary(p.op, x.data(), y.data(), n, p.alpha, p.beta);
      const std::string what = std::string(gn::unary_op_name(p.op)) + " n=" + std::to_string(n);
      check_unary(p.op, x, y, p.alpha, p.beta, what);
      // In place (y == x) gives the same values.
      std::vector<float> z = x;
      gn::unary(p.op, z.data(), z.data(), n, p.alpha, p.beta);
      gn_test::check_equal(what + " in place", z.data(), y.data(), y.size());
    }
  }
}

GN_TEST(elementwise_unary_special_values) {
  struct Case {
    UnaryOp op;
    float alpha, beta, x, want;
  };
  const float tiny_sigmoid = static_cast<float>(1.0 / (1.0 + std::exp(100.0)));  // 3.7e-44, subnormal
  const Case cases[] = {
      {UnaryOp::kExp, 0, 0, kInf, kInf},          {UnaryOp::kExp, 0, 0, -kInf, 0.0f},
      {UnaryOp::kExp, 0, 0, 89.0f, kInf},         {UnaryOp::kExp, 0, 0, 88.8f, kInf},
      {UnaryOp::kExp, 0, 0, -104.0f, 0.0f},       {UnaryOp::kExp, 0, 0, -1000.0f, 0.0f},
      {UnaryOp::kExp, 0, 0, 0.0f, 1.0f},          {UnaryOp::kExp, 0, 0, kNaN, kNaN},
      {UnaryOp::kSigmoid, 0, 0, 100.0f, 1.0f},    {UnaryOp::kSigmoid, 0, 0, -100.0f, tiny_sigmoid},
      {UnaryOp::kSigmoid, 0, 0, kInf, 1.0f},      {UnaryOp::kSigmoid, 0, 0, -kInf, 0.0f},
      {UnaryOp::kSigmoid, 0, 0, 0.0f, 0.5f},      {UnaryOp::kSigmoid, 0, 0, kNaN, kNaN},
      {UnaryOp::kTanh, 0, 0, kInf, 1.0f},         {UnaryOp::kTanh, 0, 0, -kInf, -1.0f},
      {UnaryOp::kTanh, 0, 0, 20.0f, 1.0f},        {UnaryOp::kTanh, 0, 0, kNaN, kNaN},
      {UnaryOp::kTanh, 0, 0, 1e-30f, 1e-30f},     {UnaryOp::kTanh, 0, 0, -1e-40f, -1e-40f},
      {UnaryOp::kElu, 1, 0, -kInf, -1.0f},        {UnaryOp::kElu, 2, 0, -1000.0f, -2.0f},
      {UnaryOp::kElu, 1, 0, kInf, kInf},          {UnaryOp::kElu, 1, 0, kNaN, kNaN},
      {UnaryOp::kElu, 1, 0, -1e-30f, -1e-30f},
      {UnaryOp::kRelu, 0, 0, kNaN, kNaN},         {UnaryOp::kRelu, 0, 0, -kInf, 0.0f},
      {UnaryOp::kRelu, 0, 0, kInf, kInf},         {UnaryOp::kLeakyRelu, 0.1f, 0, kNaN, kNaN},
      {UnaryOp::kClamp, 0, 1, kNaN, kNaN},        {UnaryOp::kClamp, 0, 1, kInf, 1.0f},
      {UnaryOp::kClamp, 0, 1, -kInf, 0.0f},       {UnaryOp::kClamp, kNaN, 1, 0.5f, kNaN},
      {UnaryOp::kSign, 0, 0, kNaN, kNaN},         {UnaryOp::kSign, 0, 0, -kInf, -1.0f},
      {UnaryOp::kAbs, 0, 0, -kInf, kInf},         {UnaryOp::kAbs, 0, 0, kNaN, kNaN},
      {UnaryOp::kLog, 0, 0, 0.0f, -kInf},         {UnaryOp::kLog, 0, 0, -1.0f, kNaN},
      {UnaryOp::kLog, 0, 0, kInf, kInf},          {UnaryOp::kSqrt, 0, 0, -1.0f, kNaN},
      {UnaryOp::kNeg, 0, 0, kNaN, kNaN},
  };
  for (const Case& c : cases) {
    // Each value at every position of a vector-sized block, so the vector body and the scalar
    // remainder both see it.
    for (index_t n : {1, 17, 40}) {
      std::vector<float> x(static_cast<std::size_t>(n), c.x), y(static_cast<std::size_t>(n));
      gn::unary(c.op, x.data(), y.data(), n, c.alpha, c.beta);
      std::vector<float> want(static_cast<std::size_t>(n), c.want);
      gn_test::check_equal(std::string(gn::unary_op_name(c.op)) + "(" + std::to_string(c.x) + ") n=" +
                               std::to_string(n),
                           y.data(), want.data(), y.size());
    }
  }
  // Signs of zero: abs(-0) = +0, sign(-0) = -0, neg(0) = -0.
  const float mz = -0.0f, pz = 0.0f;
  float out;
  gn::unary(UnaryOp::kAbs, &mz, &out, 1, 0, 0);
  GN_CHECK(!std::signbit(out)) << "abs(-0)" << isa_tag();
  gn::unary(UnaryOp::kSign, &mz, &out, 1, 0, 0);
  GN_CHECK(out == 0 && std::signbit(out)) << "sign(-0)" << isa_tag();
  gn::unary(UnaryOp::kNeg, &pz, &out, 1, 0, 0);
  GN_CHECK(out == 0 && std::signbit(out)) << "neg(0)" << isa_tag();
}

GN_TEST(elementwise_unary_backward) {
  for (const OpParams& p : kUnaryCases) {
    for (index_t n : kSizes) {
      Rng rng(77 + n);
      std::vector<float> x = unary_inputs(p.op, n, 500 + n);
      for (float& v : x)  // finite inputs: the formulas' behaviour at NaN / inf is checked separately
        if (!std::isfinite(v) || std::fabs(v) > 1e30f) v = rng.uniform(-3, 3);
      if (p.op == UnaryOp::kLog || p.op == UnaryOp::kSqrt)
        for (float& v : x) v = std::fabs(v) + 1e-3f;
      std::vector<float> y(x.size()), dy = rng.vector(x.size(), -2, 2), dx(x.size(), -7.0f);
      gn::unary(p.op, x.data(), y.data(), n, p.alpha, p.beta);
      gn::unary_backward(p.op, x.data(), y.data(), dy.data(), dx.data(), n, p.alpha, p.beta);
      std::vector<double> ref(x.size());
      for (std::size_t i = 0; i < x.size(); ++i) ref[i] = ref_unary_backward(p.op, x[i], y[i], dy[i], p.alpha, p.beta);
      // Roundings of each formula in float, k of them giving a relative error below (k + 1/2) u:
      // exp, log, sqrt, leaky relu: one (so exact after rounding the double result); elu: y + alpha,
      // then the product; sigmoid: g y, 1 - y, the product; tanh: 1 - y, 1 + y, two products.
      double rtol = 0;
      if (p.op == UnaryOp::kElu) rtol = 2.5 * kU;
      if (p.op == UnaryOp::kSigmoid) rtol = 3.5 * kU;
      if (p.op == UnaryOp::kTanh) rtol = 4.5 * kU;
      const std::string what = std::string(gn::unary_op_name(p.op)) + " backward n=" + std::to_string(n);
      if (rtol == 0) {
        std::vector<float> want(x.size());
        for (std::size_t i = 0; i < x.size(); ++i) want[i] = static_cast<float>(ref[i]);
        gn_test::check_equal(what, dx.data(), want.data(), dx.size());
      } else {
        gn_test::check_close(what, dx.data(), ref.data(), dx.size(), rtol, 1e-45);
      }
      // dx may alias dy, and the inputs the op does not need may be null.
      using U = UnaryOp;
      const U op = p.op;
      const bool needs_x = op == U::kRelu || op == U::kLeakyRelu || op == U::kClamp || op == U::kAbs ||
                           op == U::kLog || op == U::kSign || op == U::kElu;
      const bool needs_y = op == U::kSigmoid || op == U::kTanh || op == U::kExp || op == U::kSqrt || op == U::kElu;
      std::vector<float> g = dy;
      gn::unary_backward(op, needs_x ? x.data() : nullptr, needs_y ? y.data() : nullptr, g.data(), g.data(), n,
                         p.alpha, p.beta);
      gn_test::check_equal(what + " in place", g.data(), dx.data(), dx.size());
    }
  }
}

// ---- binary ops -------------------------------------------------------------------------------

namespace {

const BinaryOp kBinaryOps[] = {BinaryOp::kAdd,     BinaryOp::kSub,     BinaryOp::kMul, BinaryOp::kDiv,
                               BinaryOp::kPow,     BinaryOp::kMaximum, BinaryOp::kMinimum, BinaryOp::kEq,
                               BinaryOp::kNe,      BinaryOp::kLt,      BinaryOp::kLe,  BinaryOp::kGt,
                               BinaryOp::kGe};

const float kBinarySpecials[] = {0.0f, -0.0f, kNaN, kInf, -kInf, 1.0f, -1.0f, 2.0f, 0.5f, 1e-40f};

std::vector<float> binary_inputs(std::size_t n, std::uint64_t seed, bool positive = false) {
  Rng rng(seed);
  std::vector<float> v = rng.vector(n, positive ? 0.1f : -4.0f, 4.0f);
  // Integers in some places, so that comparisons see ties; specials in others.
  for (std::size_t i = 0; i < n; i += 5) v[i] = static_cast<float>(rng.integer(-2, 2));
  for (std::size_t i = 2; i < n; i += 7) v[i] = kBinarySpecials[rng.integer(0, 9)];
  return v;
}

// Element offset of the row-major index `flat` of shape, with the given strides.
index_t offset_of(index_t flat, const std::vector<index_t>& shape, const std::vector<index_t>& strides) {
  index_t off = 0;
  for (int d = static_cast<int>(shape.size()) - 1; d >= 0; --d) {
    off += (flat % shape[d]) * strides[d];
    flat /= shape[d];
  }
  return off;
}

index_t numel(const std::vector<index_t>& shape) {
  index_t n = 1;
  for (index_t s : shape) n *= s;
  return n;
}

// Length an operand needs for the strides to stay inside it.
std::size_t extent(const std::vector<index_t>& shape, const std::vector<index_t>& strides) {
  index_t last = 0;
  for (std::size_t d = 0; d < shape.size(); ++d)
    if (shape[d] > 0) last += (shape[d] - 1) * strides[d];
  return static_cast<std::size_t>(last + 1);
}

struct Pattern {
  const char* name;
  std::vector<index_t> shape, sa, sb;
};

std::vector<index_t> contiguous(const std::vector<index_t>& shape) {
  std::vector<index_t> s(shape.size());
  index_t acc = 1;
  for (int d = static_cast<int>(shape.size()) - 1; d >= 0; --d) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

std::vector<Pattern> broadcast_patterns() {
  std::vector<Pattern> p;
  for (index_t w : {1, 7, 8, 9, 15, 16, 17, 31, 33}) {
    const std::vector<index_t> s = {5, w};
    p.push_back({"same shape", s, contiguous(s), contiguous(s)});
    p.push_back({"scalar b", s, contiguous(s), {0, 0}});
    p.push_back({"scalar a", s, {0, 0}, contiguous(s)});
    p.push_back({"row b [w]", s, contiguous(s), {0, 1}});
    p.push_back({"column b [5,1]", s, contiguous(s), {1, 0}});
    p.push_back({"column a, row b (both sides)", s, {1, 0}, {0, 1}});
    p.push_back({"a transposed (inner stride 5)", s, {1, 5}, contiguous(s)});
    p.push_back({"b every other element (inner stride 2)", s, contiguous(s), {2 * w, 2}});
    p.push_back({"both strided", s, {1, 5}, {1, 5}});
  }
  p.push_back({"middle dim b [4,1,6]", {4, 5, 6}, contiguous({4, 5, 6}), {6, 0, 1}});
  p.push_back({"middle dims a [3,1,1,5]", {3, 4, 2, 5}, {5, 0, 0, 1}, contiguous({3, 4, 2, 5})});
  p.push_back({"batch b [40,33]", {3, 40, 33}, contiguous({3, 40, 33}), {0, 33, 1}});
  p.push_back({"outer dims a [3,1,2] vs b [1,4,1]", {3, 4, 2}, {2, 0, 1}, {0, 1, 0}});
  p.push_back({"size-1 dims", {1, 5, 1, 7}, {35, 7, 7, 1}, {0, 0, 0, 1}});
  p.push_back({"0-d", {}, {}, {}});
  p.push_back({"empty dim", {4, 0, 3}, {0, 3, 1}, {0, 3, 1}});
  p.push_back({"16 dims of 2", std::vector<index_t>(16, 2), contiguous(std::vector<index_t>(16, 2)),
               [] {
                 std::vector<index_t> s = contiguous(std::vector<index_t>(16, 2));
                 for (int d = 0; d < 16; d += 3) s[d] = 0;
                 return s;
               }()});
  // Large enough for two threads.
  p.push_back({"large row b", {300, 1000}, contiguous({300, 1000}), {0, 1}});
  p.push_back({"large column b", {1000, 300}, contiguous({1000, 300}), {1, 0}});
  p.push_back({"large a transposed", {500, 301}, {1, 500}, contiguous({500, 301})});
  return p;
}

}  // namespace

GN_TEST(elementwise_binary_broadcast) {
  std::uint64_t seed = 1;
  for (const Pattern& p : broadcast_patterns()) {
    const index_t n = numel(p.shape);
    for (BinaryOp op : kBinaryOps) {
      if (n > 100000 && op != BinaryOp::kAdd && op != BinaryOp::kMaximum && op != BinaryOp::kPow) continue;
      const std::vector<float> a = binary_inputs(extent(p.shape, p.sa), ++seed, op == BinaryOp::kPow);
      const std::vector<float> b = binary_inputs(extent(p.shape, p.sb), ++seed);
      std::vector<float> y(static_cast<std::size_t>(n), -7.0f);
      gn::binary_broadcast(op, static_cast<int>(p.shape.size()), p.shape.data(), a.data(), p.sa.data(), b.data(),
                           p.sb.data(), y.data());
      std::vector<double> ref(y.size());
      for (index_t i = 0; i < n; ++i) {
        ref[i] = ref_binary(op, a[offset_of(i, p.shape, p.sa)], b[offset_of(i, p.shape, p.sb)]);
        if (std::isinf(static_cast<float>(ref[i]))) ref[i] = static_cast<float>(ref[i]);  // overflows in float
      }
      std::string what = std::string(gn::binary_op_name(op)) + " " + p.name + " shape [";
      for (index_t s : p.shape) what += std::to_string(s) + ",";
      what += "]";
      if (op == BinaryOp::kPow) {
        // C library powf (< 1 ulp): at most 1 ulp from the rounded result, 1 ulp <= 2u relative.
        gn_test::check_close(what, y.data(), ref.data(), y.size(), 2 * kU, 1e-45);
      } else {
        std::vector<float> want(y.size());
        for (std::size_t i = 0; i < y.size(); ++i) want[i] = static_cast<float>(ref[i]);
        gn_test::check_equal(what, y.data(), want.data(), y.size());
      }
    }
  }
}

GN_TEST(elementwise_binary_in_place) {
  // y == a and y == b, contiguous, and with the other operand broadcast.
  for (index_t n : kSizes) {
    const std::vector<index_t> shape = {n};
    const index_t one = 1, zero = 0;
    for (BinaryOp op : {BinaryOp::kSub, BinaryOp::kDiv, BinaryOp::kMaximum, BinaryOp::kLt}) {
      const std::vector<float> a = binary_inputs(static_cast<std::size_t>(n), 10 + n);
      const std::vector<float> b = binary_inputs(static_cast<std::size_t>(n), 20 + n);
      std::vector<float> want(a.size());
      gn::binary_broadcast(op, 1, shape.data(), a.data(), &one, b.data(), &one, want.data());
      std::vector<float> ya = a, yb = b;
      gn::binary_broadcast(op, 1, shape.data(), ya.data(), &one, b.data(), &one, ya.data());
      gn::binary_broadcast(op, 1, shape.data(), a.data(), &one, yb.data(), &one, yb.data());
      const std::string what = std::string(gn::binary_op_name(op)) + " in place n=" + std::to_string(n);
      gn_test::check_equal(what + " (y == a)", ya.data(), want.data(), want.size());
      gn_test::check_equal(what + " (y == b)", yb.data(), want.data(), want.size());
      const float s = 3.0f;
      gn::binary_broadcast(op, 1, shape.data(), a.data(), &one, &s, &zero, want.data());
      ya = a;
      gn::binary_broadcast(op, 1, shape.data(), ya.data(), &one, &s, &zero, ya.data());
      gn_test::check_equal(what + " (y == a, scalar b)", ya.data(), want.data(), want.size());
    }
  }
}

GN_TEST(elementwise_binary_nan_semantics) {
  const index_t one = 1, n = 1;
  struct Case {
    BinaryOp op;
    float a, b, want;
  };
  const Case cases[] = {
      {BinaryOp::kMaximum, kNaN, 1.0f, kNaN},  {BinaryOp::kMaximum, 1.0f, kNaN, kNaN},
      {BinaryOp::kMaximum, kNaN, -kInf, kNaN}, {BinaryOp::kMinimum, kNaN, 1.0f, kNaN},
      {BinaryOp::kMinimum, 1.0f, kNaN, kNaN},  {BinaryOp::kMaximum, -kInf, kInf, kInf},
      {BinaryOp::kEq, kNaN, kNaN, 0.0f},       {BinaryOp::kNe, kNaN, kNaN, 1.0f},
      {BinaryOp::kLt, kNaN, 1.0f, 0.0f},       {BinaryOp::kGe, 1.0f, kNaN, 0.0f},
      {BinaryOp::kEq, 0.0f, -0.0f, 1.0f},      {BinaryOp::kAdd, kInf, -kInf, kNaN},
      {BinaryOp::kDiv, 1.0f, 0.0f, kInf},      {BinaryOp::kDiv, 0.0f, 0.0f, kNaN},
      {BinaryOp::kPow, 1.0f, kNaN, 1.0f},      {BinaryOp::kPow, kNaN, 0.0f, 1.0f},
      {BinaryOp::kPow, -1.0f, kInf, 1.0f},     {BinaryOp::kPow, 2.0f, 3.0f, 8.0f},
      {BinaryOp::kPow, kNaN, 1.0f, kNaN},      {BinaryOp::kPow, 2.0f, kNaN, kNaN},
      {BinaryOp::kPow, -8.0f, 1.0f / 3, kNaN}, {BinaryOp::kPow, 0.0f, -1.0f, kInf},
  };
  for (const Case& c : cases) {
    for (index_t len : {1, 13, 40}) {  // vector body and remainder
      std::vector<float> a(static_cast<std::size_t>(len), c.a), b(static_cast<std::size_t>(len), c.b),
          y(static_cast<std::size_t>(len)), want(static_cast<std::size_t>(len), c.want);
      gn::binary_broadcast(c.op, 1, &len, a.data(), &one, b.data(), &one, y.data());
      gn_test::check_equal(std::string(gn::binary_op_name(c.op)) + "(" + std::to_string(c.a) + ", " +
                               std::to_string(c.b) + ")",
                           y.data(), want.data(), y.size());
    }
  }
  (void)n;
}

GN_TEST(elementwise_where_broadcast) {
  std::uint64_t seed = 5;
  for (const Pattern& p : broadcast_patterns()) {
    const index_t n = numel(p.shape);
    // The condition takes a's pattern, b takes b's, and a is contiguous: three different layouts.
    const std::vector<index_t> sc = p.sa, sa = contiguous(p.shape), sb = p.sb;
    std::vector<float> c = binary_inputs(extent(p.shape, sc), ++seed);
    for (std::size_t i = 0; i < c.size(); i += 4) c[i] = 0.0f;
    const std::vector<float> a = binary_inputs(extent(p.shape, sa), ++seed);
    const std::vector<float> b = binary_inputs(extent(p.shape, sb), ++seed);
    std::vector<float> y(static_cast<std::size_t>(n), -7.0f), want(y.size());
    gn::where_broadcast(static_cast<int>(p.shape.size()), p.shape.data(), c.data(), sc.data(), a.data(), sa.data(),
                        b.data(), sb.data(), y.data());
    for (index_t i = 0; i < n; ++i) {
      const float cv = c[offset_of(i, p.shape, sc)];
      want[i] = cv != 0.0f ? a[offset_of(i, p.shape, sa)] : b[offset_of(i, p.shape, sb)];  // NaN is true
    }
    gn_test::check_equal(std::string("where ") + p.name, y.data(), want.data(), y.size());
  }
}

// ---- the AVX-512 exp, sigmoid, tanh and elu blocks against AVX2's vectorised loops ---------------

// vmath_impl.inc's exp_block, sigmoid_block, tanh_block and elu_block spell exp_f, sigmoid_f,
// tanh_f and elu_f out in AVX-512 intrinsics, the 2^n scalings one vscalefps instead of integer
// exponent arithmetic: the bits must stay AVX2's (both evaluate the same FMAs). Checked on the four
// ops, softmax / log-softmax rows (exp of x - max) and the log-softmax backward (exp of y), at
// lengths that leave every tail (1-15 floats, 16-63, none). Elsewhere the reference is the ISA
// itself (the blocks are then the scalar functions' own loops).
GN_TEST(elementwise_exp_blocks_match_avx2) {
  const gn::Isa isa = gn_test::current_isa();
  const gn::IsaKernels* ref = gn::kernels_for(isa == gn::Isa::kAvx512 ? gn::Isa::kAvx2 : isa);
  GN_CHECK(ref != nullptr) << "no reference ISA" << isa_tag();
  const gn::VmathKernels& v = gn::kernels().vmath;
  const gn::VmathKernels& r = ref->vmath;
  // Every 997th float of [-110, 95] (2.2 million), a grid over it, the range ends and specials.
  std::vector<float> x = sweep(-110.0f, 95.0f, 997, 100000);
  const float specials[] = {0.0f, -0.0f, kInf, -kInf, kNaN, 88.7228f, 88.7229f, -87.33f, -103.97f,
                            -104.0f, -104.01f, 104.0f, 3.4e38f, -3.4e38f, 1e-30f, -1e-30f};
  x.insert(x.end(), std::begin(specials), std::end(specials));
  for (index_t n : {index_t(1), index_t(15), index_t(16), index_t(17), index_t(63), index_t(64), index_t(79)}) {
    for (const OpParams& p : {OpParams{UnaryOp::kExp, 0, 0}, OpParams{UnaryOp::kSigmoid, 0, 0},
                              OpParams{UnaryOp::kTanh, 0, 0}, OpParams{UnaryOp::kElu, 1.3f, 0}}) {
      // The whole sweep in calls of n floats (the last one shorter).
      std::vector<float> a(x.size()), b(x.size());
      for (std::size_t i0 = 0; i0 < x.size(); i0 += n) {
        const index_t len = std::min<index_t>(n, static_cast<index_t>(x.size() - i0));
        v.unary(p.op, x.data() + i0, a.data() + i0, len, p.alpha, 0);
        r.unary(p.op, x.data() + i0, b.data() + i0, len, p.alpha, 0);
      }
      GN_CHECK(same_bits(a, b)) << gn::unary_op_name(p.op) << " in calls of n=" << n << isa_tag();
    }
  }
  Rng rng(123);
  for (index_t n : {index_t(10), index_t(100), index_t(1000), index_t(1003)}) {
    const index_t rows = 7;
    const std::vector<float> xs = rng.vector(static_cast<std::size_t>(rows * n), -40, 40);
    const std::vector<float> dy = rng.vector(static_cast<std::size_t>(rows * n), -1, 1);
    for (int log = 0; log < 2; ++log) {
      std::vector<float> a(xs.size()), b(xs.size()), da(xs.size()), db(xs.size());
      v.softmax(xs.data(), a.data(), 0, rows, n, 1, log);
      r.softmax(xs.data(), b.data(), 0, rows, n, 1, log);
      GN_CHECK(same_bits(a, b)) << (log ? "log_softmax" : "softmax") << " n=" << n << isa_tag();
      v.softmax_backward(a.data(), dy.data(), da.data(), 0, rows, n, 1, log);
      r.softmax_backward(a.data(), dy.data(), db.data(), 0, rows, n, 1, log);
      GN_CHECK(same_bits(da, db)) << (log ? "log_softmax" : "softmax") << " backward n=" << n << isa_tag();
    }
  }
}

// ---- determinism across thread counts ---------------------------------------------------------

GN_TEST(elementwise_threads_deterministic) {
  const index_t n = 300007;  // large enough for two threads, not a multiple of the vector widths
  Rng rng(99);
  const std::vector<float> x = rng.vector(static_cast<std::size_t>(n), -30, 30);
  const std::vector<float> b = rng.vector(1000, -3, 3);
  for (const OpParams& p : kUnaryCases) {
    std::vector<float> y1(x.size()), y2(x.size());
    with_threads(1, [&] { gn::unary(p.op, x.data(), y1.data(), n, p.alpha, p.beta); });
    with_threads(2, [&] { gn::unary(p.op, x.data(), y2.data(), n, p.alpha, p.beta); });
    GN_CHECK(same_bits(y1, y2)) << gn::unary_op_name(p.op) << ": 1 thread and 2 threads differ" << isa_tag();
    std::vector<float> d1(x.size()), d2(x.size());
    with_threads(1, [&] { gn::unary_backward(p.op, x.data(), y1.data(), x.data(), d1.data(), n, p.alpha, p.beta); });
    with_threads(2, [&] { gn::unary_backward(p.op, x.data(), y1.data(), x.data(), d2.data(), n, p.alpha, p.beta); });
    GN_CHECK(same_bits(d1, d2)) << gn::unary_op_name(p.op) << " backward: 1 and 2 threads differ" << isa_tag();
  }
  const std::vector<index_t> shape = {300, 1000}, sa = {1000, 1}, sb = {0, 1}, sc = {1, 0};
  for (BinaryOp op : kBinaryOps) {
    std::vector<float> y1(300000), y2(300000);
    with_threads(1, [&] { gn::binary_broadcast(op, 2, shape.data(), x.data(), sa.data(), b.data(), sb.data(), y1.data()); });
    with_threads(2, [&] { gn::binary_broadcast(op, 2, shape.data(), x.data(), sa.data(), b.data(), sb.data(), y2.data()); });
    GN_CHECK(same_bits(y1, y2)) << gn::binary_op_name(op) << ": 1 and 2 threads differ" << isa_tag();
  }
  std::vector<float> w1(300000), w2(300000);
  with_threads(1, [&] { gn::where_broadcast(2, shape.data(), x.data(), sc.data(), x.data(), sa.data(), b.data(), sb.data(), w1.data()); });
  with_threads(2, [&] { gn::where_broadcast(2, shape.data(), x.data(), sc.data(), x.data(), sa.data(), b.data(), sb.data(), w2.data()); });
  GN_CHECK(same_bits(w1, w2)) << "where: 1 and 2 threads differ" << isa_tag();
  // Run to run.
  std::vector<float> r1(x.size()), r2(x.size());
  gn::unary(UnaryOp::kTanh, x.data(), r1.data(), n, 0, 0);
  gn::unary(UnaryOp::kTanh, x.data(), r2.data(), n, 0, 0);
  GN_CHECK(same_bits(r1, r2)) << "tanh: two runs differ" << isa_tag();
}
