// Max and average pooling against reference loops: first-max ties, NaN, overlapping windows in
// backward, PyTorch's average divisor with and without count_include_pad (also on hand-computed
// values), determinism across thread counts, and the shape validator.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "harness.h"
#include "kernels/isa.h"
#include "kernels/pool/pool2d.h"
#include "kernels/threads.h"

namespace {

using gn::index_t;
using gn::Pool2dShape;
using gn_test::Failure;

struct Case {
  std::string name;
  Pool2dShape s;
};

// oh / ow of 0 mean the floor-mode output size.
Case pool_case(const char* name, index_t n, index_t c, index_t h, index_t w, index_t kh, index_t kw,
               index_t sh, index_t sw, index_t ph, index_t pw, index_t oh = 0, index_t ow = 0) {
  Pool2dShape s{n, c, h, w,
                oh ? oh : (h + 2 * ph - kh) / sh + 1, ow ? ow : (w + 2 * pw - kw) / sw + 1,
                kh, kw, sh, sw, ph, pw};
  return {name, s};
}

std::vector<Case> cases() {
  return {
      pool_case("k2_s2", 2, 3, 8, 8, 2, 2, 2, 2, 0, 0),
      pool_case("k2_s2_odd", 1, 2, 7, 9, 2, 2, 2, 2, 0, 0),
      pool_case("k2_s2_ceil_mode", 1, 2, 7, 9, 2, 2, 2, 2, 0, 0, 4, 5),
      pool_case("k3_s2_p1_overlap", 2, 3, 9, 10, 3, 3, 2, 2, 1, 1),
      pool_case("k3_s2_p1_ceil_mode", 1, 2, 6, 8, 3, 3, 2, 2, 1, 1, 4, 4),
      pool_case("k3_s1_p1", 1, 2, 5, 6, 3, 3, 1, 1, 1, 1),
      // Rows of more than 16 outputs (the AVX-512 window kernel's steps, with a partial last one).
      pool_case("k3_s2_p1_wide", 1, 2, 7, 41, 3, 3, 2, 2, 1, 1),
      pool_case("k3_s1_p1_wide", 1, 2, 5, 37, 3, 3, 1, 1, 1, 1),
      pool_case("k2_s1_wide", 1, 1, 4, 33, 2, 2, 1, 1, 0, 0),
      pool_case("k3x2_s2x1_p1x0", 2, 2, 7, 6, 3, 2, 2, 1, 1, 0),
      pool_case("k1_s2", 1, 3, 5, 6, 1, 1, 2, 2, 0, 0),
      pool_case("k5_s3_p2", 1, 1, 11, 12, 5, 5, 3, 3, 2, 2),
      pool_case("k4_s1_p2", 1, 2, 5, 5, 4, 4, 1, 1, 2, 2),
      pool_case("global", 2, 3, 5, 4, 5, 4, 1, 1, 0, 0),
      pool_case("k2_s3_gaps", 1, 2, 8, 8, 2, 2, 3, 3, 0, 0),
  };
}

std::string describe(const Case& c) {
  const Pool2dShape& s = c.s;
  return c.name + " [n " + std::to_string(s.n) + ", c " + std::to_string(s.c) + ", " + std::to_string(s.h) +
         "x" + std::to_string(s.w) + " -> " + std::to_string(s.oh) + "x" + std::to_string(s.ow) + ", k " +
         std::to_string(s.kh) + "x" + std::to_string(s.kw) + ", stride " + std::to_string(s.stride_h) + "x" +
         std::to_string(s.stride_w) + ", pad " + std::to_string(s.pad_h) + "x" + std::to_string(s.pad_w) + "]";
}

index_t x_size(const Pool2dShape& s) { return s.n * s.c * s.h * s.w; }
index_t y_size(const Pool2dShape& s) { return s.n * s.c * s.oh * s.ow; }

void require_valid(const Case& c) {
  const char* why = nullptr;
  if (!gn::pool2d_shape_valid(c.s, &why)) throw Failure(describe(c) + ": rejected: " + why);
}

const float kNaN = std::numeric_limits<float>::quiet_NaN();

// Calls f(plane, output index, r0, r1, c0, c1, padded rows, padded cols) for every window.
template <typename F>
void for_each_window(const Pool2dShape& s, F f) {
  for (index_t q = 0; q < s.n * s.c; ++q)
    for (index_t i = 0; i < s.oh; ++i)
      for (index_t j = 0; j < s.ow; ++j) {
        const index_t hs = i * s.stride_h - s.pad_h, ws = j * s.stride_w - s.pad_w;
        const index_t he = std::min(hs + s.kh, s.h + s.pad_h), we = std::min(ws + s.kw, s.w + s.pad_w);
        f(q, (q * s.oh + i) * s.ow + j, std::max<index_t>(hs, 0), std::min(he, s.h), std::max<index_t>(ws, 0),
          std::min(we, s.w), he - hs, we - ws);
      }
}

// Reference max pooling: the first NaN if the window has one, else the first element equal to the
// maximum (row-major). Returns argmax inside the plane.
std::vector<std::int32_t> ref_argmax(const Pool2dShape& s, const std::vector<float>& x) {
  std::vector<std::int32_t> am(y_size(s));
  for_each_window(s, [&](index_t q, index_t o, index_t r0, index_t r1, index_t c0, index_t c1, index_t, index_t) {
    const float* xp = x.data() + q * s.h * s.w;
    index_t first_nan = -1;
    double m = -std::numeric_limits<double>::infinity();
    for (index_t r = r0; r < r1; ++r)
      for (index_t c = c0; c < c1; ++c) {
        if (std::isnan(xp[r * s.w + c]) && first_nan < 0) first_nan = r * s.w + c;
        m = std::max<double>(m, xp[r * s.w + c]);
      }
    index_t at = first_nan;
    for (index_t r = r0; r < r1 && at < 0; ++r)
      for (index_t c = c0; c < c1 && at < 0; ++c)
        if (xp[r * s.w + c] == m) at = r * s.w + c;
    am[o] = static_cast<std::int32_t>(at);
  });
  return am;
}

void check_argmax(const std::string& what, const std::vector<std::int32_t>& got, const std::vector<std::int32_t>& want) {
  for (size_t k = 0; k < want.size(); ++k)
    if (got[k] != want[k])
      throw Failure(what + ": argmax at " + std::to_string(k) + ": want " + std::to_string(want[k]) + ", got " +
                    std::to_string(got[k]));
}

// Windows that can cover one input pixel: a bound on the terms of a backward sum.
index_t max_overlap(const Pool2dShape& s) {
  return ((s.kh + s.stride_h - 1) / s.stride_h) * ((s.kw + s.stride_w - 1) / s.stride_w);
}

using gn_test::ThreadCountGuard;

}  // namespace

// Values from {0, 1, 2, 3}: most windows have ties, and the first maximum must win.
GN_TEST(pool_max_forward_ties) {
  std::uint64_t seed = 1;
  for (const Case& c : cases()) {
    require_valid(c);
    const Pool2dShape& s = c.s;
    gn_test::Rng rng(seed++);
    std::vector<float> x(x_size(s));
    for (auto& v : x) v = static_cast<float>(rng.integer(0, 3)) - 1.5f;
    std::vector<float> y(y_size(s), kNaN);
    std::vector<std::int32_t> am(y_size(s), -1);
    gn::maxpool2d_forward(s, x.data(), y.data(), am.data());
    const std::vector<std::int32_t> want = ref_argmax(s, x);
    check_argmax(describe(c), am, want);
    std::vector<float> want_y(y.size());
    for (index_t o = 0; o < y_size(s); ++o) want_y[o] = x[(o / (s.oh * s.ow)) * s.h * s.w + want[o]];
    gn_test::check_equal(describe(c), y.data(), want_y.data(), y.size());
  }
}

// NaN is the maximum (the first NaN wins), -inf windows still pick an element, +inf wins over
// finite values.
GN_TEST(pool_max_nan_inf) {
  const float inf = std::numeric_limits<float>::infinity();
  const Case c = pool_case("nan_inf", 1, 1, 4, 6, 3, 3, 2, 2, 1, 1, 2, 3);
  require_valid(c);
  // Windows: rows [-1, 2) and [1, 4); columns [-1, 2), [1, 4), [3, 6).
  std::vector<float> x = {
      1,    2,    -inf, -inf, 0,    9,    //
      kNaN, 3,    -inf, -inf, inf,  kNaN,  //
      4,    kNaN, -inf, -inf, 5,    7,    //
      8,    8,    -inf, -inf, kNaN, 6,    //
  };
  std::vector<float> y(6);
  std::vector<std::int32_t> am(6);
  gn::maxpool2d_forward(c.s, x.data(), y.data(), am.data());
  // (0,0) first NaN at 6; (0,1) the 3 at 7; (0,2) the NaN at 11 beats the earlier +inf at 10;
  // (1,0) NaN at 6 before NaN at 13; (1,1) NaN at 13; (1,2) NaN at 11.
  const std::vector<std::int32_t> want_fixed = {6, 7, 11, 6, 13, 11};
  check_argmax("nan_inf", am, want_fixed);
  check_argmax("nan_inf reference", ref_argmax(c.s, x), want_fixed);
  GN_CHECK(std::isnan(y[0]) && y[1] == 3.f && std::isnan(y[2]) && std::isnan(y[3]) && std::isnan(y[4]) &&
           std::isnan(y[5]))
      << y[0] << " " << y[1] << " " << y[2] << " " << y[3] << " " << y[4] << " " << y[5];

  // A window of -inf only, and one where +inf is not first.
  const Case d = pool_case("inf_only", 1, 1, 2, 4, 2, 2, 2, 2, 0, 0);
  std::vector<float> z = {-inf, -inf, 1, inf, -inf, -inf, inf, 2};
  std::vector<float> yz(2);
  std::vector<std::int32_t> az(2);
  gn::maxpool2d_forward(d.s, z.data(), yz.data(), az.data());
  GN_CHECK(az[0] == 0 && yz[0] == -inf) << az[0] << " " << yz[0];
  GN_CHECK(az[1] == 3 && yz[1] == inf) << az[1] << " " << yz[1];

  // All -inf under padding (the separable path pads with -inf): the first real pixel of each window
  // wins, never the padding, for stride 1, 2 and 3.
  for (const Case& e : {pool_case("all_-inf_s1", 1, 1, 5, 7, 3, 3, 1, 1, 1, 1),
                        pool_case("all_-inf_s2", 1, 1, 5, 7, 3, 3, 2, 2, 1, 1),
                        pool_case("all_-inf_s3_ceil", 1, 1, 5, 7, 5, 5, 3, 3, 2, 2, 3, 3)}) {
    require_valid(e);
    const std::vector<float> ninf(x_size(e.s), -inf);
    std::vector<float> yn(y_size(e.s));
    std::vector<std::int32_t> an(y_size(e.s));
    gn::maxpool2d_forward(e.s, ninf.data(), yn.data(), an.data());
    check_argmax(describe(e), an, ref_argmax(e.s, ninf));
    for (float v : yn) GN_CHECK(v == -inf) << describe(e) << ": " << v;
  }
}

// One NaN in a plane of finite values, at every position in turn: each window holding it must
// give NaN and its index, whichever tap reads it (first, middle or last of the window, in the
// first or a later window row), on the window kernels' shapes, 2x2 / stride 2 and global pooling.
// (With NaN frequent, as in pool_window_kernels_match_baseline, some window of every plane ends on
// a NaN, which hid a kernel that let a later value replace a NaN unless the window's last tap was
// one.)
GN_TEST(pool_max_lone_nan) {
  const Case shapes[] = {pool_case("k3_s2_p1", 1, 1, 7, 21, 3, 3, 2, 2, 1, 1),
                         pool_case("k3_s1_p1", 1, 1, 6, 19, 3, 3, 1, 1, 1, 1),
                         pool_case("k2_s1", 1, 1, 4, 17, 2, 2, 1, 1, 0, 0),
                         pool_case("k4_s2_p2_ceil", 1, 1, 7, 19, 4, 4, 2, 2, 2, 2, 5, 11),
                         pool_case("k2_s2", 1, 1, 4, 34, 2, 2, 2, 2, 0, 0),
                         pool_case("global", 1, 1, 6, 5, 6, 5, 1, 1, 0, 0)};
  std::uint64_t seed = 300;
  for (const Case& c : shapes) {
    require_valid(c);
    const Pool2dShape& s = c.s;
    gn_test::Rng rng(seed++);
    std::vector<float> x(x_size(s));
    for (auto& v : x) v = static_cast<float>(rng.integer(0, 3));  // ties too
    for (index_t p = 0; p < x_size(s); ++p) {
      std::vector<float> xp = x;
      xp[p] = kNaN;
      std::vector<float> y(y_size(s), 7.f);
      std::vector<std::int32_t> am(y_size(s), -1);
      gn::maxpool2d_forward(s, xp.data(), y.data(), am.data());
      const std::vector<std::int32_t> want = ref_argmax(s, xp);
      const std::string what = describe(c) + " NaN at " + std::to_string(p);
      check_argmax(what, am, want);
      for (index_t o = 0; o < y_size(s); ++o)
        GN_CHECK(std::isnan(y[o]) == (want[o] == p) && (want[o] == p || y[o] == xp[want[o]]))
            << what << ": output " << o << " is " << y[o];
    }
  }
}

// Backward scatters dy to the argmax, accumulating where overlapping windows chose the same
// input (3x3 stride 2, and ties make that frequent).
GN_TEST(pool_max_backward) {
  std::uint64_t seed = 100;
  for (const Case& c : cases()) {
    require_valid(c);
    const Pool2dShape& s = c.s;
    gn_test::Rng rng(seed++);
    std::vector<float> x(x_size(s));
    for (auto& v : x) v = static_cast<float>(rng.integer(0, 2));
    std::vector<float> y(y_size(s)), dy = rng.vector(y_size(s)), dx(x_size(s), kNaN);
    std::vector<std::int32_t> am(y_size(s));
    gn::maxpool2d_forward(s, x.data(), y.data(), am.data());
    gn::maxpool2d_backward(s, dy.data(), am.data(), nullptr, dx.data());
    std::vector<double> ref(x.size(), 0.0), abs(x.size(), 0.0);
    const std::vector<std::int32_t> want = ref_argmax(s, x);
    for (index_t o = 0; o < y_size(s); ++o) {
      const index_t at = (o / (s.oh * s.ow)) * s.h * s.w + want[o];
      ref[at] += dy[o];
      abs[at] += std::fabs(dy[o]);
    }
    gn_test::check_dot_bound(describe(c) + " max backward", dx.data(), ref.data(), abs.data(), dx.size(),
                             max_overlap(s));
  }
}

// 2x2 stride-2 backward writes dx directly (no memset) with the ISA's kernel, or with SSE2 for rows
// of at least 8 outputs: every pixel must be written, dy at its window's argmax, 0 elsewhere,
// including the last row / column that an odd size leaves outside every window (dx starts as NaN).
GN_TEST(pool_max_backward_2x2_direct) {
  const Case shapes[] = {pool_case("k2_s2_ow1_odd", 1, 2, 3, 3, 2, 2, 2, 2, 0, 0),
                         pool_case("k2_s2_ow5_lenet_pool2", 2, 3, 10, 10, 2, 2, 2, 2, 0, 0),
                         pool_case("k2_s2_ow17_odd_w", 1, 2, 6, 35, 2, 2, 2, 2, 0, 0),
                         pool_case("k2_s2_ow33_odd_h", 1, 1, 5, 66, 2, 2, 2, 2, 0, 0),
                         pool_case("k2_s2_ow8", 2, 3, 16, 16, 2, 2, 2, 2, 0, 0),
                         pool_case("k2_s2_ow9_odd_h", 1, 2, 17, 18, 2, 2, 2, 2, 0, 0),
                         pool_case("k2_s2_ow16_odd_w", 1, 2, 6, 33, 2, 2, 2, 2, 0, 0),
                         pool_case("k2_s2_lenet_pool1", 2, 3, 28, 28, 2, 2, 2, 2, 0, 0)};
  std::uint64_t seed = 300;
  for (const Case& c : shapes) {
    require_valid(c);
    const Pool2dShape& s = c.s;
    gn_test::Rng rng(seed++);
    std::vector<float> x(x_size(s));
    for (auto& v : x) v = static_cast<float>(rng.integer(0, 2));
    std::vector<float> y(y_size(s)), dy = rng.vector(y_size(s)), dx(x_size(s), kNaN);
    std::vector<std::int32_t> am(y_size(s));
    gn::maxpool2d_forward(s, x.data(), y.data(), am.data());
    gn::maxpool2d_backward(s, dy.data(), am.data(), nullptr, dx.data());
    std::vector<float> want(x.size(), 0.f);
    const std::vector<std::int32_t> ref = ref_argmax(s, x);
    for (index_t o = 0; o < y_size(s); ++o) want[(o / (s.oh * s.ow)) * s.h * s.w + ref[o]] = dy[o];
    gn_test::check_equal(describe(c) + " max backward", dx.data(), want.data(), dx.size());
    // Gated (a ReLU's output, reluMaxPool2d): dy only where gate > 0; 0, -0 and NaN close it.
    std::vector<float> gate = rng.vector(y_size(s));
    for (index_t o = 0; o < y_size(s); o += 5) gate[o] = o % 3 == 0 ? 0.f : o % 3 == 1 ? -0.f : kNaN;
    std::fill(dx.begin(), dx.end(), kNaN);
    gn::maxpool2d_backward(s, dy.data(), am.data(), gate.data(), dx.data());
    std::fill(want.begin(), want.end(), 0.f);
    for (index_t o = 0; o < y_size(s); ++o)
      want[(o / (s.oh * s.ow)) * s.h * s.w + ref[o]] = gate[o] > 0.f ? dy[o] : 0.f;
    gn_test::check_equal(describe(c) + " max backward, gated", dx.data(), want.data(), dx.size());
  }
}

namespace {

struct AvgRef {
  std::vector<double> y, y_abs, dx, dx_abs;
};

// PyTorch's avg_pool2d: the window clipped to the padded input gives the count_include_pad
// divisor, the window clipped to the input the other one; backward spreads dy / divisor.
AvgRef ref_avg(const Pool2dShape& s, const std::vector<float>& x, const std::vector<float>& dy, bool cip) {
  AvgRef r{std::vector<double>(y_size(s), 0.0), std::vector<double>(y_size(s), 0.0),
           std::vector<double>(x_size(s), 0.0), std::vector<double>(x_size(s), 0.0)};
  for_each_window(s, [&](index_t q, index_t o, index_t r0, index_t r1, index_t c0, index_t c1, index_t ph, index_t pw) {
    const double d = cip ? static_cast<double>(ph * pw) : static_cast<double>((r1 - r0) * (c1 - c0));
    for (index_t rr = r0; rr < r1; ++rr)
      for (index_t cc = c0; cc < c1; ++cc) {
        const index_t at = q * s.h * s.w + rr * s.w + cc;
        r.y[o] += x[at] / d;
        r.y_abs[o] += std::fabs(x[at]) / d;
        r.dx[at] += dy[o] / d;
        r.dx_abs[at] += std::fabs(dy[o]) / d;
      }
  });
  return r;
}

// Average pooling forward and backward of one shape against ref_avg, within the dot-product bound.
void check_avg(const std::string& what, const Pool2dShape& s, const std::vector<float>& x,
               const std::vector<float>& dy, bool cip) {
  std::vector<float> y(y_size(s), kNaN), dx(x_size(s), kNaN);
  gn::avgpool2d_forward(s, x.data(), y.data(), cip);
  gn::avgpool2d_backward(s, dy.data(), dx.data(), cip);
  const AvgRef r = ref_avg(s, x, dy, cip);
  gn_test::check_dot_bound(what + " avg forward", y.data(), r.y.data(), r.y_abs.data(), y.size(), s.kh * s.kw);
  gn_test::check_dot_bound(what + " avg backward", dx.data(), r.dx.data(), r.dx_abs.data(), dx.size(),
                           max_overlap(s));
}

}  // namespace

GN_TEST(pool_avg_reference) {
  std::uint64_t seed = 200;
  for (const Case& c : cases()) {
    require_valid(c);
    const Pool2dShape& s = c.s;
    gn_test::Rng rng(seed++);
    const std::vector<float> x = rng.vector(x_size(s)), dy = rng.vector(y_size(s));
    for (bool cip : {true, false})
      check_avg(describe(c) + (cip ? " count_include_pad" : " exclude pad"), s, x, dy, cip);
  }
}

// Values worked out by hand from PyTorch's definition (F.avg_pool2d on arange(1, 10) as 3x3,
// kernel 2, stride 2, pad 1; and on arange(1, 17) as 4x4, kernel 3, stride 2, pad 1, ceil_mode).
GN_TEST(pool_avg_hand_values) {
  std::vector<float> x9(9), x16(16);
  for (int k = 0; k < 9; ++k) x9[k] = static_cast<float>(k + 1);
  for (int k = 0; k < 16; ++k) x16[k] = static_cast<float>(k + 1);
  const Pool2dShape a{1, 1, 3, 3, 2, 2, 2, 2, 2, 2, 1, 1};
  std::vector<float> y(4);
  gn::avgpool2d_forward(a, x9.data(), y.data(), true);
  const std::vector<float> include = {0.25f, 1.25f, 2.75f, 7.f};
  gn_test::check_equal("3x3 k2 s2 p1 count_include_pad", y.data(), include.data(), 4);
  gn::avgpool2d_forward(a, x9.data(), y.data(), false);
  const std::vector<float> exclude = {1.f, 2.5f, 5.5f, 7.f};
  gn_test::check_equal("3x3 k2 s2 p1 exclude pad", y.data(), exclude.data(), 4);

  // ceil_mode: the last window starts at row/column 3 and is clipped to the padded input (rows 3..4),
  // so its count_include_pad divisor is 2 x 2, not 3 x 3.
  const Pool2dShape b{1, 1, 4, 4, 3, 3, 3, 3, 2, 2, 1, 1};
  std::vector<float> z(9);
  gn::avgpool2d_forward(b, x16.data(), z.data(), true);
  GN_CHECK(z[8] == 4.f) << z[8];                          // 16 / 4
  GN_CHECK(z[0] == (1 + 2 + 5 + 6) / 9.f) << z[0];       // corner: 2x2 real of a 3x3 window
  GN_CHECK(z[2] == (4 + 8) / 6.f) << z[2];               // rows -1..1, columns 3..4
  gn::avgpool2d_forward(b, x16.data(), z.data(), false);
  GN_CHECK(z[8] == 16.f && z[0] == 14 / 4.f && z[2] == 6.f) << z[8] << " " << z[0] << " " << z[2];

  // Backward of the same: dy = 1 everywhere spreads 1/divisor to each covered pixel.
  std::vector<float> ones(9, 1.f), dx(16);
  gn::avgpool2d_backward(b, ones.data(), dx.data(), true);
  // Pixel (3, 3) lies in windows (1, 1), (1, 2), (2, 1), (2, 2), of divisors 9, 6, 6, 4.
  const double want15 = 1 / 9. + 2 / 6. + 1 / 4.;
  gn_test::check_close("ceil_mode backward", &dx[15], &want15, 1, 4 * std::ldexp(1.0, -24), 0);
  GN_CHECK(dx[0] == 1 / 9.f) << dx[0];
}

GN_TEST(pool_deterministic_across_threads) {
  ThreadCountGuard guard;
  // Each has enough work for 2 and 3 threads: the separable path, the 2x2 stride-2 and the global one.
  for (const Case& c : {pool_case("big_k3_s2_p1", 4, 8, 64, 64, 3, 3, 2, 2, 1, 1),
                        pool_case("big_k2_s2_odd", 16, 16, 29, 27, 2, 2, 2, 2, 0, 0),
                        pool_case("big_global", 16, 32, 20, 20, 20, 20, 20, 20, 0, 0)}) {
    require_valid(c);
    const Pool2dShape& s = c.s;
    gn_test::Rng rng(7);
    const std::vector<float> x = rng.vector(x_size(s)), dy = rng.vector(y_size(s));
    auto run = [&](std::vector<float>* out) {
      std::vector<float> y(y_size(s)), dx(x_size(s)), ya(y_size(s)), dxa(x_size(s));
      std::vector<std::int32_t> am(y_size(s));
      gn::maxpool2d_forward(s, x.data(), y.data(), am.data());
      gn::maxpool2d_backward(s, dy.data(), am.data(), nullptr, dx.data());
      gn::avgpool2d_forward(s, x.data(), ya.data(), false);
      gn::avgpool2d_backward(s, dy.data(), dxa.data(), true);
      out->clear();
      for (auto* v : {&y, &dx, &ya, &dxa}) out->insert(out->end(), v->begin(), v->end());
      for (std::int32_t a : am) out->push_back(static_cast<float>(a));
    };
    gn::set_num_threads(1);
    std::vector<float> one, many;
    run(&one);
    for (int t : {2, 3}) {
      gn::set_num_threads(t);
      run(&many);
      GN_CHECK(gn_test::same_bits(many, one)) << describe(c) << ": threads " << t;
    }
  }
}

GN_TEST(pool_shape_validation) {
  const Pool2dShape good = pool_case("good", 2, 3, 8, 8, 3, 3, 2, 2, 1, 1).s;
  const char* why = nullptr;
  GN_CHECK(gn::pool2d_shape_valid(good, &why)) << why;
  struct Bad {
    const char* name;
    void (*edit)(Pool2dShape&);
    const char* why;
  };
  const Bad bad[] = {
      {"n = 0", [](Pool2dShape& s) { s.n = 0; }, "sizes must be positive"},
      {"c < 0", [](Pool2dShape& s) { s.c = -1; }, "sizes must be positive"},
      {"ow = 0", [](Pool2dShape& s) { s.ow = 0; }, "sizes must be positive"},
      {"kh = 0", [](Pool2dShape& s) { s.kh = 0; }, "sizes must be positive"},
      {"stride 0", [](Pool2dShape& s) { s.stride_h = 0; }, "strides must be positive"},
      {"pad < 0", [](Pool2dShape& s) { s.pad_w = -1; }, "pads must not be negative"},
      {"pad > k / 2", [](Pool2dShape& s) { s.pad_h = 2; }, "pad must be at most half the kernel size"},
      {"pad on k = 1", [](Pool2dShape& s) { s.kw = 1; }, "pad must be at most half the kernel size"},
      {"size >= 2^31", [](Pool2dShape& s) { s.n = index_t(1) << 31; }, "sizes and parameters must be below 2^31"},
      // Last window starts at row (5 - 1) * 2 - 1 = 7 < 8: fine; one more starts at 9, past the input.
      {"window past the input", [](Pool2dShape& s) { s.oh = 6; }, "every window must overlap the input"},
      {"window past the input (w)", [](Pool2dShape& s) { s.ow = 100; }, "every window must overlap the input"},
      {"plane >= 2^31", [](Pool2dShape& s) { s.h = s.w = 1 << 16; s.oh = s.ow = 1; },
       "an input plane must have fewer than 2^31 elements (argmax is int32)"},
      {"huge tensor", [](Pool2dShape& s) { s.n = s.c = 1 << 30; s.oh = s.ow = 1; }, "tensor has too many elements"},
  };
  for (const Bad& b : bad) {
    Pool2dShape s = good;
    b.edit(s);
    why = nullptr;
    GN_CHECK(!gn::pool2d_shape_valid(s, &why)) << b.name << " accepted";
    GN_CHECK(why != nullptr && std::strcmp(why, b.why) == 0) << b.name << ": " << (why ? why : "(null)");
  }
  Pool2dShape ceil_ok = good;  // ceil_mode output: last window starts at row 7, inside the input
  ceil_ok.oh = ceil_ok.ow = 5;
  GN_CHECK(gn::pool2d_shape_valid(ceil_ok, &why)) << why;
}

// Many small random valid shapes (floor and ceil mode sizes, every legal pad) against the
// reference loops: max forward/backward and average forward/backward both ways.
GN_TEST(pool_random_shapes) {
  gn_test::Rng rng(99);
  for (int iter = 0; iter < 300; ++iter) {
    Pool2dShape s{};
    s.n = rng.integer(1, 2);
    s.c = rng.integer(1, 3);
    s.h = rng.integer(1, 9);
    s.w = rng.integer(1, 9);
    s.kh = rng.integer(1, 5);
    s.kw = rng.integer(1, 5);
    s.stride_h = rng.integer(1, 3);
    s.stride_w = rng.integer(1, 3);
    s.pad_h = rng.integer(0, s.kh / 2);
    s.pad_w = rng.integer(0, s.kw / 2);
    // Any output size whose last window still starts inside the input.
    const index_t max_oh = (s.h - 1 + s.pad_h) / s.stride_h + 1, max_ow = (s.w - 1 + s.pad_w) / s.stride_w + 1;
    s.oh = rng.integer(1, max_oh);
    s.ow = rng.integer(1, max_ow);
    const Case c{"random_" + std::to_string(iter), s};
    require_valid(c);
    Pool2dShape past = s;  // one more window would start past the input
    past.oh = max_oh + 1;
    GN_CHECK(!gn::pool2d_shape_valid(past, nullptr)) << describe(c);
    const std::string what = describe(c);
    std::vector<float> x(x_size(s));
    for (auto& v : x) v = static_cast<float>(rng.integer(0, 4));
    const std::vector<float> dy = rng.vector(y_size(s));
    std::vector<float> y(y_size(s), kNaN), dx(x_size(s), kNaN);
    std::vector<std::int32_t> am(y_size(s), -1);
    gn::maxpool2d_forward(s, x.data(), y.data(), am.data());
    check_argmax(what + " max", am, ref_argmax(s, x));
    gn::maxpool2d_backward(s, dy.data(), am.data(), nullptr, dx.data());
    std::vector<double> ref(x.size(), 0.0), abs(x.size(), 0.0);
    for (index_t o = 0; o < y_size(s); ++o) {
      const index_t at = (o / (s.oh * s.ow)) * s.h * s.w + am[o];
      GN_CHECK(y[o] == x[at]) << what << " max value at " << o;
      ref[at] += dy[o];
      abs[at] += std::fabs(dy[o]);
    }
    gn_test::check_dot_bound(what + " max backward", dx.data(), ref.data(), abs.data(), dx.size(), max_overlap(s));
    for (bool cip : {true, false}) check_avg(what, s, x, dy, cip);
  }
}

// Average pooling on the shapes of the fast paths (2x2 stride 2, global): forward against the
// reference, and backward writing every dx pixel, 0 in the rows and columns outside every window
// (dx starts as NaN; 13x27 and 7x9 under 2x2 leave the last row and column out).
GN_TEST(pool_avg_fast_paths) {
  const Case shapes[] = {pool_case("k2_s2_ow5_lenet", 2, 3, 10, 10, 2, 2, 2, 2, 0, 0),
                         pool_case("k2_s2_ow13_odd", 1, 2, 13, 27, 2, 2, 2, 2, 0, 0),
                         pool_case("k2_s2_ow4_odd", 1, 2, 7, 9, 2, 2, 2, 2, 0, 0),
                         pool_case("k2_s2_ow3", 1, 2, 6, 6, 2, 2, 2, 2, 0, 0),
                         pool_case("global_8x8", 2, 3, 8, 8, 8, 8, 8, 8, 0, 0),
                         pool_case("global_7x9", 2, 2, 7, 9, 7, 9, 1, 1, 0, 0),
                         pool_case("global_1x7", 1, 3, 1, 7, 1, 7, 1, 1, 0, 0)};
  std::uint64_t seed = 500;
  for (const Case& c : shapes) {
    require_valid(c);
    gn_test::Rng rng(seed++);
    const std::vector<float> x = rng.vector(x_size(c.s)), dy = rng.vector(y_size(c.s));
    for (bool cip : {true, false}) check_avg(describe(c) + (cip ? " count_include_pad" : " exclude pad"), c.s, x, dy, cip);
  }
}

// The fast paths: 2x2 stride 2 (four outputs at a time, a last group that overlaps the one before,
// a scalar path below four outputs) and global pooling (two 4-lane chains merged by index, a
// scalar remainder; planes below 8 pixels scalar only): every special value in every window
// position, ties, and windows that are partly cut off by an odd input size.
GN_TEST(pool_max_fast_paths_special_values) {
  const float inf = std::numeric_limits<float>::infinity();
  const float values[] = {0.f, 1.f, 1.f, -1.f, kNaN, inf, -inf, 2.f, -0.f};
  const Case shapes[] = {pool_case("k2_s2_ow9", 2, 3, 6, 18, 2, 2, 2, 2, 0, 0),
                         pool_case("k2_s2_ow13_odd", 1, 2, 9, 27, 2, 2, 2, 2, 0, 0),
                         pool_case("k2_s2_ow4", 1, 1, 4, 8, 2, 2, 2, 2, 0, 0),
                         pool_case("k2_s2_ow5_lenet", 2, 3, 10, 10, 2, 2, 2, 2, 0, 0),
                         pool_case("k2_s2_ow3", 1, 2, 7, 7, 2, 2, 2, 2, 0, 0),
                         // Around the AVX-512 kernel's 16 outputs per step.
                         pool_case("k2_s2_ow1", 1, 2, 3, 3, 2, 2, 2, 2, 0, 0),
                         pool_case("k2_s2_ow16", 1, 2, 4, 32, 2, 2, 2, 2, 0, 0),
                         pool_case("k2_s2_ow17_odd", 1, 2, 5, 35, 2, 2, 2, 2, 0, 0),
                         pool_case("k2_s2_ow33", 1, 1, 4, 66, 2, 2, 2, 2, 0, 0),
                         // The AVX-512 window kernel: padding at both row ends, 16 + 4 outputs.
                         pool_case("k3_s2_p1_ow20", 1, 2, 7, 40, 3, 3, 2, 2, 1, 1),
                         pool_case("k3_s1_p1_ow19", 1, 2, 5, 19, 3, 3, 1, 1, 1, 1),
                         pool_case("global_8x8", 2, 3, 8, 8, 8, 8, 8, 8, 0, 0),
                         pool_case("global_7x9", 2, 2, 7, 9, 7, 9, 1, 1, 0, 0),
                         pool_case("global_4x4", 1, 3, 4, 4, 4, 4, 4, 4, 0, 0),
                         pool_case("global_1x7", 1, 3, 1, 7, 1, 7, 1, 1, 0, 0)};
  std::uint64_t seed = 40;
  for (const Case& c : shapes) {
    require_valid(c);
    const Pool2dShape& s = c.s;
    for (int trial = 0; trial < 20; ++trial) {
      gn_test::Rng rng(seed++);
      std::vector<float> x(x_size(s));
      for (auto& v : x) v = values[rng.integer(0, 8)];
      std::vector<float> y(y_size(s), 7.f);
      std::vector<std::int32_t> am(y_size(s), -1);
      gn::maxpool2d_forward(s, x.data(), y.data(), am.data());
      const std::vector<std::int32_t> want = ref_argmax(s, x);
      check_argmax(describe(c), am, want);
      std::vector<float> want_y(y.size());
      for (index_t o = 0; o < y_size(s); ++o) want_y[o] = x[(o / (s.oh * s.ow)) * s.h * s.w + want[o]];
      gn_test::check_equal(describe(c), y.data(), want_y.data(), y.size());
    }
  }
}

// An argmax index outside its plane (argmax comes from JS memory) makes the backward return false
// and leave dx untouched, on every path (the ISA's and SSE2's 2x2 kernels, the scatter) and thread
// count, wherever the bad index sits: each thread checks its planes and none writes until all
// passed. Valid argmax: true.
GN_TEST(pool_max_backward_rejects_bad_argmax) {
  const Case shapes[] = {pool_case("k2_s2_ow14", 16, 6, 28, 28, 2, 2, 2, 2, 0, 0),
                         pool_case("k2_s2_ow5", 64, 16, 10, 10, 2, 2, 2, 2, 0, 0),
                         pool_case("k3_s2_p1", 8, 16, 32, 32, 3, 3, 2, 2, 1, 1)};
  for (const Case& c : shapes) {
    require_valid(c);
    const Pool2dShape& s = c.s;
    gn_test::Rng rng(7);
    const std::vector<float> x = rng.vector(x_size(s)), dy = rng.vector(y_size(s));
    std::vector<float> y(y_size(s));
    std::vector<std::int32_t> am(y_size(s));
    gn::maxpool2d_forward(s, x.data(), y.data(), am.data());
    for (int threads : {1, 2, 3}) {
      gn_test::with_threads(threads, [&] {
        std::vector<float> dx(x_size(s), 7.f);
        GN_CHECK(gn::maxpool2d_backward(s, dy.data(), am.data(), nullptr, dx.data())) << describe(c);
        for (index_t at : {index_t(0), y_size(s) / 2, y_size(s) - 1}) {
          for (std::int32_t bad : {std::int32_t(-1), static_cast<std::int32_t>(s.h * s.w)}) {
            std::vector<std::int32_t> wrong = am;
            wrong[at] = bad;
            std::fill(dx.begin(), dx.end(), 7.f);
            GN_CHECK(!gn::maxpool2d_backward(s, dy.data(), wrong.data(), dy.data(), dx.data()))
                << describe(c) << " threads " << threads << " index " << at << " = " << bad;
            GN_CHECK(std::all_of(dx.begin(), dx.end(), [](float v) { return v == 7.f; }))
                << describe(c) << " threads " << threads << ": dx written";
          }
        }
      });
    }
  }
}

// Global max pooling's two passes (the maximum and any NaN, then the first pixel holding it): for
// plane sizes around its 16-pixel steps and 4-pixel search, a unique maximum, a tie of two, a NaN
// and a -0 / +0 tie at every position, including the pixels after the last whole step.
GN_TEST(pool_max_global_every_position) {
  for (index_t hw : {16, 17, 19, 31, 32, 35, 47, 64}) {
    const Pool2dShape s = pool_case("global", 1, 1, 1, hw, 1, hw, 1, 1, 0, 0).s;
    for (index_t p = 0; p < hw; ++p) {
      for (int kind = 0; kind < 4; ++kind) {
        std::vector<float> x(hw, -1.f);
        index_t want = p;
        if (kind == 0) x[p] = 5.f;
        if (kind == 1) {  // a tie: the first one
          x[p] = 5.f;
          x[hw - 1 - p] = 5.f;
          want = p < hw - 1 - p ? p : hw - 1 - p;
        }
        if (kind == 2) {  // a NaN beats a larger value anywhere
          x[p] = kNaN;
          x[(p + 7) % hw] = 9.f;
        }
        if (kind == 3) {  // zeros of both signs: the first, with its sign
          for (index_t k = 0; k < hw; ++k) x[k] = k < p ? -3.f : (k % 2 ? 0.f : -0.f);
        }
        float y = 7.f;
        std::int32_t am = -1;
        gn::maxpool2d_forward(s, x.data(), &y, &am);
        GN_CHECK(am == want) << "hw " << hw << " position " << p << " kind " << kind << ": argmax " << am;
        GN_CHECK(std::memcmp(&y, &x[want], sizeof y) == 0) << "hw " << hw << " position " << p << " kind " << kind;
      }
    }
  }
}

// The ISA's window kernels (pool_ukernel.h) give the baseline's values bit for bit: max values and
// argmax, average values and gradients both ways of counting, on rows of several 16-output steps,
// with ties and special values in the max windows. (Under the generic ISA this compares the baseline with
// itself.)
GN_TEST(pool_window_kernels_match_baseline) {
  const float inf = std::numeric_limits<float>::infinity();
  const float values[] = {0.f, -0.f, 1.f, 1.f, -1.f, kNaN, inf, -inf, 2.5f, 1e-3f};
  const Case shapes[] = {pool_case("stem_k3_s2_p1", 2, 3, 32, 32, 3, 3, 2, 2, 1, 1),
                         pool_case("k3_s2_p1_odd", 1, 2, 9, 45, 3, 3, 2, 2, 1, 1),
                         pool_case("k3_s2_p1_ceil", 1, 2, 8, 40, 3, 3, 2, 2, 1, 1, 5, 21),
                         pool_case("k3_s1_p1", 1, 2, 8, 35, 3, 3, 1, 1, 1, 1),
                         pool_case("k5_s1_p2", 1, 1, 7, 50, 5, 5, 1, 1, 2, 2),
                         pool_case("k4_s2_p2", 1, 2, 9, 38, 4, 4, 2, 2, 2, 2),
                         pool_case("k3x2_s3x2_p1x1", 1, 2, 10, 34, 3, 2, 3, 2, 1, 1),
                         // More column blocks times taps than the backward kernel plans ahead.
                         pool_case("k3_s2_p1_w300", 1, 1, 5, 300, 3, 3, 2, 2, 1, 1),
                         pool_case("k5_s1_p2_w250", 1, 1, 6, 250, 5, 5, 1, 1, 2, 2),
                         // More taps than the forward kernels work out ahead per block.
                         pool_case("k2x18_s1x2_p1x9", 1, 2, 4, 40, 2, 18, 1, 2, 1, 9),
                         pool_case("k3x17_s2x1_p1x8", 1, 1, 6, 36, 3, 17, 2, 1, 1, 8)};
  const gn::Isa isa = gn_test::current_isa();
  std::uint64_t seed = 900;
  for (const Case& c : shapes) {
    require_valid(c);
    const Pool2dShape& s = c.s;
    gn_test::Rng rng(seed++);
    std::vector<float> x(x_size(s)), xa = rng.vector(x_size(s));
    for (auto& v : x) v = values[rng.integer(0, 9)];
    const std::vector<float> dy = rng.vector(y_size(s));
    std::vector<float> y[2], ya[2][2], dxa[2][2];
    std::vector<std::int32_t> am[2];
    for (int k = 0; k < 2; ++k) {  // 0: the baseline, 1: this ISA
      GN_CHECK(gn::select_isa(k == 0 ? gn::Isa::kGeneric : isa)) << gn::isa_name(isa);
      y[k].assign(y_size(s), 7.f);
      am[k].assign(y_size(s), -1);
      gn::maxpool2d_forward(s, x.data(), y[k].data(), am[k].data());
      for (int cip = 0; cip < 2; ++cip) {
        ya[k][cip].assign(y_size(s), 7.f);
        gn::avgpool2d_forward(s, xa.data(), ya[k][cip].data(), cip == 1);
        dxa[k][cip].assign(x_size(s), 7.f);
        gn::avgpool2d_backward(s, dy.data(), dxa[k][cip].data(), cip == 1);
      }
    }
    check_argmax(describe(c), am[1], am[0]);
    GN_CHECK(std::memcmp(y[0].data(), y[1].data(), 4 * y[0].size()) == 0) << describe(c) << ": max values differ";
    for (int cip = 0; cip < 2; ++cip)
      GN_CHECK(std::memcmp(ya[0][cip].data(), ya[1][cip].data(), 4 * ya[0][cip].size()) == 0)
          << describe(c) << ": average values differ (count_include_pad " << cip << ")";
    for (int cip = 0; cip < 2; ++cip)
      GN_CHECK(std::memcmp(dxa[0][cip].data(), dxa[1][cip].data(), 4 * dxa[0][cip].size()) == 0)
          << describe(c) << ": average gradients differ (count_include_pad " << cip << ")";
  }
}
