// conv2d forward / backward-data / backward-filter against a float64 reference written as nested
// loops, with the fp32 dot-product bound of KERNELS.md §8.2 (sums of |terms| computed alongside);
// the adjoint identities as an independent check; bitwise determinism across thread counts; the
// shape validator.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "harness.h"
#include "kernels/conv/conv_columns.h"
#include "kernels/conv/conv_lanes.h"
#include "kernels/conv/conv_winograd.h"
#include "kernels/conv/conv2d.h"
#include "kernels/conv/im2col.h"
#include "kernels/isa.h"
#include "kernels/threads.h"

namespace {

using gn::Conv2dShape;
using gn::index_t;
using gn_test::Failure;
using gn_test::ThreadCountGuard;

struct Case {
  std::string name;
  Conv2dShape s;
};

// Output size with symmetric padding, as PyTorch computes it.
index_t full_out(index_t in, index_t k, index_t stride, index_t pad, index_t dil) {
  return (in + 2 * pad - dil * (k - 1) - 1) / stride + 1;
}

// oh / ow of 0 mean the full (symmetric-padding) output size.
Case conv_case(const char* name, index_t n, index_t c_in, index_t h, index_t w, index_t c_out,
               index_t kh, index_t kw, index_t sh, index_t sw, index_t ph, index_t pw, index_t dh,
               index_t dw, index_t groups, index_t oh = 0, index_t ow = 0) {
  Conv2dShape s{n, c_in, h, w, c_out, kh, kw,
                oh ? oh : full_out(h, kh, sh, ph, dh), ow ? ow : full_out(w, kw, sw, pw, dw),
                sh, sw, ph, pw, dh, dw, groups};
  return {name, s};
}

std::vector<Case> cases() {
  return {
      conv_case("k3_s1_p1", 2, 3, 7, 7, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1),
      conv_case("k3_s2_p1_odd", 1, 2, 9, 8, 3, 3, 3, 2, 2, 1, 1, 1, 1, 1),
      conv_case("k3_s3_p0", 2, 2, 11, 10, 3, 3, 3, 3, 3, 0, 0, 1, 1, 1),
      conv_case("k2_s3_p2_stride_gt_kernel", 2, 2, 10, 11, 2, 2, 2, 3, 3, 2, 2, 1, 1, 1),
      conv_case("k3_d2_p2", 2, 3, 9, 10, 4, 3, 3, 1, 1, 2, 2, 2, 2, 1),
      conv_case("k3x2_mixed_params", 2, 2, 11, 9, 3, 3, 2, 2, 1, 1, 0, 2, 1, 1),
      conv_case("groups2", 2, 4, 6, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1, 2),
      conv_case("groups2_s2_d2", 1, 6, 11, 12, 4, 3, 3, 2, 2, 2, 1, 2, 2, 2),
      conv_case("depthwise", 2, 4, 7, 6, 4, 5, 5, 1, 1, 2, 2, 1, 1, 4),
      conv_case("depthwise_mult2_s2", 2, 3, 9, 9, 6, 3, 3, 2, 2, 1, 1, 1, 1, 3),
      // Depthwise strided backward-data by column phases (depthwise_impl.inc): rows strided only,
      // stride 2 on an odd width (phases of 19 and 18 columns), stride 3 with dilation 2 and a
      // channel multiplier of 2, and a stride beyond the phase buffer (scatter).
      conv_case("depthwise_s2x1", 2, 4, 9, 8, 4, 3, 3, 2, 1, 1, 1, 1, 1, 4),
      conv_case("depthwise_s2_odd_width", 2, 8, 15, 37, 8, 3, 3, 2, 2, 1, 1, 1, 1, 8),
      conv_case("depthwise_s3_d2", 2, 3, 13, 11, 6, 3, 3, 3, 3, 2, 2, 2, 2, 3),
      conv_case("depthwise_s9_scatter", 1, 2, 20, 19, 2, 3, 3, 9, 9, 1, 1, 1, 1, 2),
      // Stride 2 reads split rows (even columns, then odd: depthwise_impl.inc's Padded): dilation 2
      // (every tap in the even half) with a channel multiplier on an odd width, and a 5x5 window
      // on 8-output rows (forward four rows at a time; backward-data in row pairs, the last alone).
      conv_case("depthwise_s2_d2_mult2", 2, 3, 11, 13, 6, 3, 3, 2, 2, 2, 2, 2, 2, 3),
      conv_case("depthwise_s2_k5_rows_of_8", 2, 4, 15, 16, 4, 5, 5, 2, 2, 2, 2, 1, 1, 4),
      // A 9x9 window: 81 taps, beyond the phases' 64 (backward-data scatters; backward-filter
      // sums the taps in blocks of 25).
      conv_case("depthwise_s2_k9_beyond_phase_taps", 1, 2, 19, 20, 2, 9, 9, 2, 2, 4, 4, 1, 1, 2),
      // Rows of several chunks (4, 2 and 1 at a time, each group's last chunk partial under 8 and
      // 16 lanes): stride 1 with a channel multiplier (backward-data adds the second channel's
      // rows), and a 5x5 dilated window.
      conv_case("depthwise_w57_mult2", 2, 3, 5, 57, 6, 3, 3, 1, 1, 1, 1, 1, 1, 3),
      conv_case("depthwise_w29_k5_d2", 1, 2, 9, 29, 2, 5, 5, 1, 1, 4, 4, 2, 2, 2),
      conv_case("k1x1", 3, 5, 4, 6, 7, 1, 1, 1, 1, 0, 0, 1, 1, 1),
      conv_case("k1x1_g2_fewer_rows", 2, 4, 5, 3, 6, 1, 1, 1, 1, 0, 0, 1, 1, 2, 3, 3),
      conv_case("k1x1_fewer_cols", 2, 3, 4, 5, 2, 1, 1, 1, 1, 0, 0, 1, 1, 1, 4, 3),
      conv_case("k1x1_s2", 2, 3, 7, 6, 4, 1, 1, 2, 2, 0, 0, 1, 1, 1),
      conv_case("k1x1_p1", 1, 3, 4, 3, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1),
      conv_case("batch7", 7, 3, 6, 6, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1),
      conv_case("kernel_bigger_than_input", 2, 2, 3, 3, 3, 5, 5, 1, 1, 2, 2, 1, 1, 1),
      conv_case("k7_p3_on_2x3", 1, 2, 2, 3, 2, 7, 7, 1, 1, 3, 3, 1, 1, 1),
      conv_case("windows_in_padding", 2, 2, 2, 2, 3, 3, 3, 1, 1, 3, 3, 1, 1, 1),
      // 'same' with an even kernel: pad 1 on top/left, 2 on bottom/right (oh above the full size).
      conv_case("same_k4_asym_pad", 2, 2, 6, 7, 3, 4, 4, 1, 1, 1, 1, 1, 1, 1, 6, 7),
      // oh / ow below the full size: the output is cropped at the bottom/right.
      conv_case("cropped_output", 2, 2, 8, 9, 3, 3, 3, 2, 1, 1, 1, 1, 1, 1, 3, 7),
      // Stride 1 with ow == w takes the flat im2col path: cropped rows, and dilated taps that
      // land wholly outside the input (column offsets -5 and +5 on a width of 5).
      conv_case("s1_full_width_fewer_rows", 2, 3, 7, 6, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 5, 6),
      conv_case("dilation_beyond_input", 1, 2, 5, 5, 3, 3, 3, 1, 1, 5, 5, 5, 5, 1),
      conv_case("k3x5_p0x2_s1", 2, 2, 6, 7, 2, 3, 5, 1, 1, 0, 2, 1, 1, 1),
      // Column tiles: K = 288 -> 2 tiles of 128 + 97 pixels, boundaries inside output rows.
      conv_case("tiled_k288", 2, 32, 15, 15, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1),
      // K = 1600 -> the minimum tile width (32), 3 tiles.
      conv_case("tiled_k1600", 1, 64, 9, 9, 4, 5, 5, 1, 1, 2, 2, 1, 1, 1),
      // K = 72, P = 1640 -> 2 tiles of 832 + 808, per group.
      conv_case("tiled_groups2", 1, 16, 40, 41, 4, 3, 3, 1, 1, 1, 1, 1, 1, 2),
      // Backward-data's per-sample path in several column tiles (im2col.cc, col_target_floats):
      // stride 1 with fewer input than output channels, K = 1600 over 169 pixels (AVX-512 64 + 64
      // + 41, AVX2 5 x 32 + 9; flat col2im on part-row tiles); stride 2, K = 576 over 289 pixels
      // (tiles of 6 whole output rows).
      conv_case("tiled_bwd_data_k1600", 3, 64, 13, 13, 80, 5, 5, 1, 1, 2, 2, 1, 1, 1),
      // Two input channels on a 64x64 plane, 7x7: tiles of 49 taps x 100+ vectors, beyond the ISA
      // col2im kernel's mask table (col2im_impl.inc), which leaves them to the baseline loop.
      conv_case("flat_col2im_beyond_tables", 2, 2, 64, 64, 8, 7, 7, 1, 1, 3, 3, 1, 1, 1),
      conv_case("tiled_bwd_data_s2_k576", 2, 64, 33, 33, 64, 3, 3, 2, 2, 1, 1, 1, 1, 1),
      // Output rows wider than a tile (K = 2048: tiles of 32 pixels, rows of 40): col2im's
      // row-segment walk. (Rows that fit make whole-row tiles: 102 + 102 + 85 above.)
      conv_case("tiled_bwd_data_s2_wide_rows", 2, 128, 5, 81, 8, 4, 4, 2, 2, 1, 1, 1, 1, 1),
      // The implicit GEMM with weights of 1 MB or more (conv_igemm.cc, kWideWeightsFloats): wide
      // blocks spanning samples, in equal shares of panels per thread. Forward 128 -> 256 3x3 s2
      // (147 columns); 128 -> 96 5x5, whose backward-data runs the rotated weights (405 columns).
      conv_case("igemm_wide_s2", 3, 128, 13, 13, 256, 3, 3, 2, 2, 1, 1, 1, 1, 1),
      conv_case("igemm_wide_k5", 5, 128, 9, 9, 96, 5, 5, 1, 1, 2, 2, 1, 1, 1),
  };
}

std::string describe(const Case& c) {
  const Conv2dShape& s = c.s;
  return c.name + " [n " + std::to_string(s.n) + ", c_in " + std::to_string(s.c_in) + ", " +
         std::to_string(s.h) + "x" + std::to_string(s.w) + " -> c_out " + std::to_string(s.c_out) +
         ", " + std::to_string(s.oh) + "x" + std::to_string(s.ow) + ", k " + std::to_string(s.kh) +
         "x" + std::to_string(s.kw) + ", groups " + std::to_string(s.groups) + "]";
}

const float kNaN = std::numeric_limits<float>::quiet_NaN();

// Calls f(n, co, i, j, ci, r, q, x_index, w_index, y_index) for every tap that reads inside the
// input: the direct definition of the convolution.
template <typename F>
void for_each_tap(const Conv2dShape& s, F f) {
  const index_t cg_in = s.c_in / s.groups, cg_out = s.c_out / s.groups;
  for (index_t n = 0; n < s.n; ++n)
    for (index_t co = 0; co < s.c_out; ++co) {
      const index_t g = co / cg_out;
      for (index_t i = 0; i < s.oh; ++i)
        for (index_t j = 0; j < s.ow; ++j) {
          const index_t yi = ((n * s.c_out + co) * s.oh + i) * s.ow + j;
          for (index_t cl = 0; cl < cg_in; ++cl) {
            const index_t ci = g * cg_in + cl;
            for (index_t r = 0; r < s.kh; ++r) {
              const index_t ih = i * s.stride_h - s.pad_h + r * s.dil_h;
              if (ih < 0 || ih >= s.h) continue;
              for (index_t q = 0; q < s.kw; ++q) {
                const index_t iw = j * s.stride_w - s.pad_w + q * s.dil_w;
                if (iw < 0 || iw >= s.w) continue;
                const index_t xi = ((n * s.c_in + ci) * s.h + ih) * s.w + iw;
                const index_t wi = ((co * cg_in + cl) * s.kh + r) * s.kw + q;
                f(xi, wi, yi);
              }
            }
          }
        }
    }
}

struct Ref {
  std::vector<double> val, abs;
  explicit Ref(size_t n) : val(n, 0.0), abs(n, 0.0) {}
};

Ref ref_forward(const Conv2dShape& s, const std::vector<float>& x, const std::vector<float>& w,
                const float* bias) {
  Ref y(gn::conv2d_y_size(s));
  if (bias) {
    const index_t P = s.oh * s.ow;
    for (index_t k = 0; k < gn::conv2d_y_size(s); ++k) {
      const double b = bias[(k / P) % s.c_out];
      y.val[k] = b;
      y.abs[k] = std::fabs(b);
    }
  }
  for_each_tap(s, [&](index_t xi, index_t wi, index_t yi) {
    const double t = static_cast<double>(x[xi]) * w[wi];
    y.val[yi] += t;
    y.abs[yi] += std::fabs(t);
  });
  return y;
}

Ref ref_backward_data(const Conv2dShape& s, const std::vector<float>& dy, const std::vector<float>& w) {
  Ref dx(gn::conv2d_x_size(s));
  for_each_tap(s, [&](index_t xi, index_t wi, index_t yi) {
    const double t = static_cast<double>(dy[yi]) * w[wi];
    dx.val[xi] += t;
    dx.abs[xi] += std::fabs(t);
  });
  return dx;
}

Ref ref_backward_filter(const Conv2dShape& s, const std::vector<float>& x, const std::vector<float>& dy) {
  Ref dw(gn::conv2d_w_size(s));
  for_each_tap(s, [&](index_t xi, index_t wi, index_t yi) {
    const double t = static_cast<double>(dy[yi]) * x[xi];
    dw.val[wi] += t;
    dw.abs[wi] += std::fabs(t);
  });
  return dw;
}

Ref ref_backward_bias(const Conv2dShape& s, const std::vector<float>& dy) {
  Ref db(s.c_out);
  const index_t P = s.oh * s.ow;
  for (index_t k = 0; k < gn::conv2d_y_size(s); ++k) {
    db.val[(k / P) % s.c_out] += dy[k];
    db.abs[(k / P) % s.c_out] += std::fabs(dy[k]);
  }
  return db;
}

index_t k_forward(const Conv2dShape& s) { return (s.c_in / s.groups) * s.kh * s.kw; }
// Every (output channel of the group, r, q) contributes at most once to one dx element.
index_t k_backward_data(const Conv2dShape& s) { return (s.c_out / s.groups) * s.kh * s.kw; }
index_t k_backward_filter(const Conv2dShape& s) { return s.n * s.oh * s.ow; }

struct Inputs {
  std::vector<float> x, w, bias, dy;
};

Inputs random_inputs(const Conv2dShape& s, std::uint64_t seed) {
  gn_test::Rng rng(seed);
  Inputs in;
  in.x = rng.vector(gn::conv2d_x_size(s));
  in.w = rng.vector(gn::conv2d_w_size(s));
  in.bias = rng.vector(s.c_out);
  in.dy = rng.vector(gn::conv2d_y_size(s));
  return in;
}

void require_valid(const Case& c) {
  const char* why = nullptr;
  if (!gn::conv2d_shape_valid(c.s, &why)) throw Failure(describe(c) + ": rejected: " + why);
}

}  // namespace

GN_TEST(conv_forward_reference) {
  std::uint64_t seed = 1;
  for (const Case& c : cases()) {
    require_valid(c);
    const Conv2dShape& s = c.s;
    const Inputs in = random_inputs(s, seed++);
    const std::string what = describe(c);
    std::vector<float> y(gn::conv2d_y_size(s), kNaN);  // must be overwritten
    gn::conv2d_forward(s, in.x.data(), in.w.data(), in.bias.data(), y.data());
    const Ref ref = ref_forward(s, in.x, in.w, in.bias.data());
    gn_test::check_dot_bound(what + " forward+bias", y.data(), ref.val.data(), ref.abs.data(), y.size(),
                             k_forward(s));
    std::fill(y.begin(), y.end(), kNaN);
    gn::conv2d_forward(s, in.x.data(), in.w.data(), nullptr, y.data());
    const Ref ref0 = ref_forward(s, in.x, in.w, nullptr);
    gn_test::check_dot_bound(what + " forward", y.data(), ref0.val.data(), ref0.abs.data(), y.size(),
                             k_forward(s));
  }
}

GN_TEST(conv_backward_data_reference) {
  std::uint64_t seed = 100;
  for (const Case& c : cases()) {
    require_valid(c);
    const Conv2dShape& s = c.s;
    const Inputs in = random_inputs(s, seed++);
    std::vector<float> dx(gn::conv2d_x_size(s), kNaN);
    gn::conv2d_backward_data(s, in.dy.data(), in.w.data(), dx.data());
    const Ref ref = ref_backward_data(s, in.dy, in.w);
    gn_test::check_dot_bound(describe(c) + " backward-data", dx.data(), ref.val.data(), ref.abs.data(),
                             dx.size(), k_backward_data(s));
  }
}

GN_TEST(conv_backward_filter_reference) {
  std::uint64_t seed = 200;
  for (const Case& c : cases()) {
    require_valid(c);
    const Conv2dShape& s = c.s;
    const Inputs in = random_inputs(s, seed++);
    const std::string what = describe(c);
    std::vector<float> dw(gn::conv2d_w_size(s), kNaN), db(s.c_out, kNaN);
    gn::conv2d_backward_filter(s, in.x.data(), in.dy.data(), dw.data(), db.data());
    const Ref ref = ref_backward_filter(s, in.x, in.dy);
    const Ref ref_b = ref_backward_bias(s, in.dy);
    gn_test::check_dot_bound(what + " backward-filter", dw.data(), ref.val.data(), ref.abs.data(),
                             dw.size(), k_backward_filter(s));
    gn_test::check_dot_bound(what + " backward-bias", db.data(), ref_b.val.data(), ref_b.abs.data(),
                             db.size(), k_backward_filter(s));
    // Without dbias: the same dw, bit for bit.
    std::vector<float> dw2(dw.size(), kNaN);
    gn::conv2d_backward_filter(s, in.x.data(), in.dy.data(), dw2.data(), nullptr);
    gn_test::check_equal(what + " backward-filter without dbias", dw2.data(), dw.data(), dw.size());
  }
}

// <dY, conv(X)> = <conv_backward_data(dY), X> = <conv_backward_filter(X, dY), W>: the three passes
// agree with each other, independently of the reference loops. Each side differs from the exact
// value by at most gamma_K * M, M = sum over all taps of |dy w x| = <|dY|, conv(|X|, |W|)>.
GN_TEST(conv_adjoint_identities) {
  std::uint64_t seed = 300;
  for (const Case& c : cases()) {
    require_valid(c);
    const Conv2dShape& s = c.s;
    const Inputs in = random_inputs(s, seed++);
    std::vector<float> y(gn::conv2d_y_size(s)), dx(gn::conv2d_x_size(s)), dw(gn::conv2d_w_size(s));
    gn::conv2d_forward(s, in.x.data(), in.w.data(), nullptr, y.data());
    gn::conv2d_backward_data(s, in.dy.data(), in.w.data(), dx.data());
    gn::conv2d_backward_filter(s, in.x.data(), in.dy.data(), dw.data(), nullptr);
    std::vector<float> ax(in.x.size()), aw(in.w.size()), ay(y.size());
    for (size_t k = 0; k < ax.size(); ++k) ax[k] = std::fabs(in.x[k]);
    for (size_t k = 0; k < aw.size(); ++k) aw[k] = std::fabs(in.w[k]);
    gn::conv2d_forward(s, ax.data(), aw.data(), nullptr, ay.data());
    double lhs = 0, mass = 0, via_dx = 0, via_dw = 0;
    for (size_t k = 0; k < y.size(); ++k) {
      lhs += static_cast<double>(in.dy[k]) * y[k];
      mass += std::fabs(static_cast<double>(in.dy[k])) * ay[k];
    }
    for (size_t k = 0; k < dx.size(); ++k) via_dx += static_cast<double>(dx[k]) * in.x[k];
    for (size_t k = 0; k < dw.size(); ++k) via_dw += static_cast<double>(dw[k]) * in.w[k];
    // mass itself came from an all-positive fp32 sum: allow for its rounding too.
    mass *= 1 + gn_test::gamma_bound(k_forward(s));
    const double tol_dx = (gn_test::gamma_bound(k_forward(s)) + gn_test::gamma_bound(k_backward_data(s))) * mass + 1e-12;
    const double tol_dw = (gn_test::gamma_bound(k_forward(s)) + gn_test::gamma_bound(k_backward_filter(s))) * mass + 1e-12;
    GN_CHECK(std::fabs(lhs - via_dx) <= tol_dx)
        << describe(c) << ": <dY, conv(X)> = " << lhs << ", <bwd_data(dY), X> = " << via_dx << ", tolerance " << tol_dx;
    GN_CHECK(std::fabs(lhs - via_dw) <= tol_dw)
        << describe(c) << ": <dY, conv(X)> = " << lhs << ", <bwd_filter(X, dY), W> = " << via_dw << ", tolerance " << tol_dw;
  }
}

namespace {

struct Outputs {
  std::vector<float> y, dx, dw, db;
};

Outputs run_all(const Conv2dShape& s, const Inputs& in) {
  Outputs o;
  o.y.assign(gn::conv2d_y_size(s), kNaN);
  o.dx.assign(gn::conv2d_x_size(s), kNaN);
  o.dw.assign(gn::conv2d_w_size(s), kNaN);
  o.db.assign(s.c_out, kNaN);
  gn::conv2d_forward(s, in.x.data(), in.w.data(), in.bias.data(), o.y.data());
  gn::conv2d_backward_data(s, in.dy.data(), in.w.data(), o.dx.data());
  gn::conv2d_backward_filter(s, in.x.data(), in.dy.data(), o.dw.data(), o.db.data());
  return o;
}

void require_bitwise(const std::string& what, const std::vector<float>& got, const std::vector<float>& want) {
  if (!gn_test::same_bits(got, want)) {
    size_t k = 0;
    while (k < got.size() && std::memcmp(&got[k], &want[k], sizeof(float)) == 0) ++k;
    throw Failure(what + ": differs at " + std::to_string(k) + ": " + std::to_string(want[k]) + " vs " +
                  std::to_string(got[k]));
  }
}

}  // namespace

// Bitwise the same results for 1, 2 and 3 threads (batch-parallel with n >= threads, serial with
// the GEMM's threads otherwise; backward-filter's fixed chunks, including more samples than chunks).
GN_TEST(conv_deterministic_across_threads) {
  ThreadCountGuard guard;
  std::vector<Case> det = {
      conv_case("tiled_k288_n7_g2", 7, 32, 15, 15, 8, 3, 3, 1, 1, 1, 1, 1, 1, 2),
      conv_case("tiled_k288_n1", 1, 32, 15, 15, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1),
      conv_case("s2_n2", 2, 8, 17, 13, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1),
      conv_case("depthwise_n5", 5, 6, 12, 12, 6, 3, 3, 1, 1, 1, 1, 1, 1, 6),
      conv_case("depthwise_n1_mult2_s2", 1, 16, 33, 31, 32, 3, 3, 2, 2, 1, 1, 1, 1, 16),
      conv_case("k1x1_n7", 7, 16, 9, 9, 24, 1, 1, 1, 1, 0, 0, 1, 1, 1),
      conv_case("n40_uneven_chunks", 40, 3, 10, 10, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1),
  };
  std::uint64_t seed = 400;
  for (const Case& c : det) {
    require_valid(c);
    gn::set_winograd_filter_min_tiles(c.name.rfind("wino_", 0) == 0 ? 0 : -1);
    const Inputs in = random_inputs(c.s, seed++);
    gn::set_num_threads(1);
    const Outputs one = run_all(c.s, in);
    for (int t : {2, 3}) {
      gn::set_num_threads(t);
      for (int rep = 0; rep < 2; ++rep) {
        const Outputs o = run_all(c.s, in);
        const std::string what = describe(c) + " threads " + std::to_string(t);
        require_bitwise(what + " forward", o.y, one.y);
        require_bitwise(what + " backward-data", o.dx, one.dx);
        require_bitwise(what + " backward-filter", o.dw, one.dw);
        require_bitwise(what + " backward-bias", o.db, one.db);
      }
    }
  }
}

// A kernel called on a thread of a batch-parallel region (1x1 conv: a GEMM per sample, which packs
// into its thread's scratch) fails to get memory: the allocation failure reaches the caller as
// std::bad_alloc instead of terminating the process, and once memory is back the same call works.
GN_TEST(conv_allocation_failure_in_region_is_rethrown) {
  ThreadCountGuard guard;
  struct LimitGuard {
    ~LimitGuard() { gn::set_scratch_limit(0); }
  } limit_guard;
  const Case c = conv_case("k1x1_n4_c64_32x32", 4, 64, 32, 32, 64, 1, 1, 1, 1, 0, 0, 1, 1, 1);
  require_valid(c);
  const Inputs in = random_inputs(c.s, 500);
  gn::set_num_threads(2);
  const Outputs want = run_all(c.s, in);
  std::vector<float> y(want.y.size()), dx(want.dx.size()), dw(want.dw.size()), db(want.db.size());
  const std::vector<std::pair<const char*, std::function<void()>>> calls = {
      {"forward", [&] { gn::conv2d_forward(c.s, in.x.data(), in.w.data(), in.bias.data(), y.data()); }},
      {"backward-data", [&] { gn::conv2d_backward_data(c.s, in.dy.data(), in.w.data(), dx.data()); }},
      {"backward-filter",
       [&] { gn::conv2d_backward_filter(c.s, in.x.data(), in.dy.data(), dw.data(), db.data()); }},
  };
  for (const auto& call : calls) {
    gn::set_scratch_limit(1);
    bool threw = false;
    try {
      call.second();
    } catch (const std::bad_alloc&) {
      threw = true;
    }
    GN_CHECK(threw) << call.first << ": no std::bad_alloc with every scratch request failing";
    gn::set_scratch_limit(0);
    call.second();
  }
  require_bitwise("forward after the failure", y, want.y);
  require_bitwise("backward-data after the failure", dx, want.dx);
  require_bitwise("backward-filter after the failure", dw, want.dw);
}

// An infinity in the input reaches exactly the weight gradients whose taps read it: the pack-free
// backward-filter also visits positions past each output row (reading real input there) and must
// not let them turn 0 * inf into NaN elsewhere. 6x6 input, 3x3 taps, no padding: column 5 is read
// only by taps s = 2 (output columns 0..3), so dW[.., s] is finite for s < 2 and +inf for s = 2.
GN_TEST(conv_backward_filter_infinity_reaches_only_its_taps) {
  for (index_t n : {1, 2, 8}) {
    const Case c = conv_case("inf_last_column", n, 1, 6, 6, 2, 3, 3, 1, 1, 0, 0, 1, 1, 1);
    require_valid(c);
    Inputs in = random_inputs(c.s, 600 + n);
    for (index_t q = 0; q < n * 6; ++q) in.x[q * 6 + 5] = std::numeric_limits<float>::infinity();
    for (float& v : in.dy) v = std::fabs(v) + 0.25f;  // positive: the infinite sums are +inf
    std::vector<float> dw(gn::conv2d_w_size(c.s), kNaN), db(c.s.c_out, kNaN);
    gn::conv2d_backward_filter(c.s, in.x.data(), in.dy.data(), dw.data(), db.data());
    for (index_t co = 0; co < 2; ++co)
      for (index_t r = 0; r < 3; ++r)
        for (index_t q = 0; q < 3; ++q) {
          const float v = dw[(co * 3 + r) * 3 + q];
          GN_CHECK(q == 2 ? v == std::numeric_limits<float>::infinity() : std::isfinite(v))
              << "n " << n << " dW[" << co << "][0][" << r << "][" << q << "] = " << v;
        }
  }
}

GN_TEST(conv_shape_validation) {
  const Conv2dShape good = conv_case("good", 2, 4, 8, 8, 6, 3, 3, 1, 1, 1, 1, 1, 1, 2).s;
  const char* why = nullptr;
  GN_CHECK(gn::conv2d_shape_valid(good, &why)) << why;
  struct Bad {
    const char* name;
    void (*edit)(Conv2dShape&);
    const char* why;
  };
  const Bad bad[] = {
      {"n = 0", [](Conv2dShape& s) { s.n = 0; }, "sizes must be positive"},
      {"c_in < 0", [](Conv2dShape& s) { s.c_in = -4; }, "sizes must be positive"},
      {"h = 0", [](Conv2dShape& s) { s.h = 0; }, "sizes must be positive"},
      {"kw = 0", [](Conv2dShape& s) { s.kw = 0; }, "sizes must be positive"},
      {"oh = 0", [](Conv2dShape& s) { s.oh = 0; }, "sizes must be positive"},
      {"stride 0", [](Conv2dShape& s) { s.stride_w = 0; }, "strides must be positive"},
      {"dilation 0", [](Conv2dShape& s) { s.dil_h = 0; }, "dilations must be positive"},
      {"pad < 0", [](Conv2dShape& s) { s.pad_h = -1; }, "pads must not be negative"},
      {"groups 0", [](Conv2dShape& s) { s.groups = 0; }, "groups must be positive"},
      {"groups not dividing c_in", [](Conv2dShape& s) { s.groups = 4; }, "groups must divide both channel counts"},
      {"groups not dividing c_out", [](Conv2dShape& s) { s.c_out = 5; }, "groups must divide both channel counts"},
      {"groups > channels", [](Conv2dShape& s) { s.groups = 12; }, "groups must divide both channel counts"},
      {"size >= 2^31", [](Conv2dShape& s) { s.w = index_t(1) << 31; }, "sizes and parameters must be below 2^31"},
      {"pad >= 2^31", [](Conv2dShape& s) { s.pad_w = index_t(1) << 40; }, "sizes and parameters must be below 2^31"},
      {"dilated extent >= 2^31", [](Conv2dShape& s) { s.dil_w = index_t(1) << 30; }, "dilated kernel extent must be below 2^31"},
      {"output extent >= 2^31", [](Conv2dShape& s) { s.stride_h = index_t(1) << 29; s.oh = 9; },
       "output extent (size - 1) * stride must be below 2^31"},
      {"huge input", [](Conv2dShape& s) { s.n = s.h = s.w = 1 << 30; }, "input has too many elements"},
      {"huge weights", [](Conv2dShape& s) { s.c_out = s.c_in = s.kh = 1 << 30; s.groups = 1; }, "weights have too many elements"},
      {"huge output", [](Conv2dShape& s) { s.oh = s.ow = 1 << 30; }, "output has too many elements"},
  };
  for (const Bad& b : bad) {
    Conv2dShape s = good;
    b.edit(s);
    why = nullptr;
    GN_CHECK(!gn::conv2d_shape_valid(s, &why)) << b.name << " accepted";
    GN_CHECK(why != nullptr && std::strcmp(why, b.why) == 0) << b.name << ": " << (why ? why : "(null)");
  }
  // Accepted edge cases: windows wholly inside the padding, kernel larger than the input.
  Conv2dShape edge = good;
  edge.h = edge.w = 1;
  edge.kh = edge.kw = 7;
  edge.pad_h = edge.pad_w = 9;
  edge.oh = edge.ow = 5;
  GN_CHECK(gn::conv2d_shape_valid(edge, &why)) << why;
}

// Many small random shapes (any stride, dilation, padding, groups, and output sizes around the
// full size, including windows wholly in the padding) against the reference, all three passes.
GN_TEST(conv_random_shapes) {
  gn_test::Rng rng(2024);
  for (int iter = 0; iter < 300; ++iter) {
    const index_t groups = rng.integer(1, 3);
    Conv2dShape s{};
    s.n = rng.integer(1, 3);
    s.c_in = groups * rng.integer(1, 3);
    s.c_out = groups * rng.integer(1, 3);
    s.groups = groups;
    s.h = rng.integer(1, 9);
    s.w = rng.integer(1, 9);
    s.kh = rng.integer(1, 5);
    s.kw = rng.integer(1, 5);
    s.stride_h = rng.integer(1, 3);
    s.stride_w = rng.integer(1, 3);
    s.dil_h = rng.integer(1, 3);
    s.dil_w = rng.integer(1, 3);
    s.pad_h = rng.integer(0, 4);
    s.pad_w = rng.integer(0, 4);
    if (iter % 3 == 0) s.stride_h = s.stride_w = 1;  // the flat im2col path needs stride 1 ...
    const index_t fh = full_out(s.h, s.kh, s.stride_h, s.pad_h, s.dil_h);
    const index_t fw = full_out(s.w, s.kw, s.stride_w, s.pad_w, s.dil_w);
    s.oh = fh >= 1 ? std::max<index_t>(1, fh + rng.integer(-2, 2)) : rng.integer(1, 3);
    s.ow = fw >= 1 ? std::max<index_t>(1, fw + rng.integer(-2, 2)) : rng.integer(1, 3);
    if (iter % 3 == 0) s.ow = s.w;  // ... and ow == w
    const Case c{"random_" + std::to_string(iter), s};
    require_valid(c);
    const Inputs in = random_inputs(s, 5000 + iter);
    const std::string what = describe(c) + " stride " + std::to_string(s.stride_h) + "x" +
                             std::to_string(s.stride_w) + " pad " + std::to_string(s.pad_h) + "x" +
                             std::to_string(s.pad_w) + " dil " + std::to_string(s.dil_h) + "x" +
                             std::to_string(s.dil_w);
    std::vector<float> y(gn::conv2d_y_size(s), kNaN), dx(gn::conv2d_x_size(s), kNaN),
        dw(gn::conv2d_w_size(s), kNaN), db(s.c_out, kNaN);
    gn::conv2d_forward(s, in.x.data(), in.w.data(), in.bias.data(), y.data());
    gn::conv2d_backward_data(s, in.dy.data(), in.w.data(), dx.data());
    gn::conv2d_backward_filter(s, in.x.data(), in.dy.data(), dw.data(), db.data());
    const Ref ry = ref_forward(s, in.x, in.w, in.bias.data());
    const Ref rdx = ref_backward_data(s, in.dy, in.w);
    const Ref rdw = ref_backward_filter(s, in.x, in.dy);
    const Ref rdb = ref_backward_bias(s, in.dy);
    gn_test::check_dot_bound(what + " forward", y.data(), ry.val.data(), ry.abs.data(), y.size(), k_forward(s));
    gn_test::check_dot_bound(what + " backward-data", dx.data(), rdx.val.data(), rdx.abs.data(), dx.size(),
                             k_backward_data(s));
    gn_test::check_dot_bound(what + " backward-filter", dw.data(), rdw.val.data(), rdw.abs.data(), dw.size(),
                             k_backward_filter(s));
    gn_test::check_dot_bound(what + " backward-bias", db.data(), rdb.val.data(), rdb.abs.data(), db.size(),
                             k_backward_filter(s));
  }
}

// ---- the fast paths --------------------------------------------------------------------------------
//
// Shapes chosen to route into each path of conv2d.cc / conv2d_bwd_data.cc / conv2d_bwd_filter.cc,
// with the edges each path has: Winograd F(2x2,3x3) (forward, backward-data through the rotated
// weights, and backward-filter: every wino_* case with >= 16 channels each side, the test lowering
// its 512-tile threshold for them) with odd planes (partial tiles at the bottom / right borders), cropped outputs, pads 0
// and 2, more than one k-block of channels, blocks of tiles spanning samples; the rotated-weight
// backward-data with a pad above dil * (k - 1) (negative pad on the rotated side), dilation,
// groups, rectangular kernels; the implicit-GEMM forward with the bias row alone in the last
// k-block, strides, blocks spanning many small samples; backward-filter with one chunk split
// between threads by tap panels and strided input runs. Same float64 reference and gamma_K bounds
// as above, plus the precision guard ||Y - Y64||_F / ||Y64||_F <= 2 u sqrt(K) (KERNELS.md §8.2).
namespace {

std::vector<Case> fast_path_cases() {
  return {
      // Winograd (>= 16 input and 8 output channels, 3x3, stride 1, no dilation, one group, >= 32
      // tiles; both ways round, as backward-data runs it with the channels swapped).
      conv_case("wino_pad1_odd_7x9", 2, 32, 7, 9, 33, 3, 3, 1, 1, 1, 1, 1, 1, 1),
      conv_case("wino_pad0_8x6", 6, 32, 8, 6, 32, 3, 3, 1, 1, 0, 0, 1, 1, 1),
      conv_case("wino_pad2_5x5", 2, 40, 5, 5, 32, 3, 3, 1, 1, 2, 2, 1, 1, 1),
      conv_case("wino_cropped_out", 4, 32, 9, 9, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 6, 5),
      conv_case("wino_c300_two_kblocks", 6, 300, 4, 5, 36, 3, 3, 1, 1, 1, 1, 1, 1, 1),
      conv_case("wino_blocks_span_samples", 5, 32, 13, 11, 48, 3, 3, 1, 1, 1, 1, 1, 1, 1),
      conv_case("wino_1x1_plane", 32, 64, 1, 1, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1),
      conv_case("wino_64_16x16", 2, 64, 16, 16, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1),
      conv_case("wino_c16_m8", 3, 16, 7, 6, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1),
      // Tile rows of 16 and of 19 tiles (the AVX-512 transforms' 16 per call, and a partial call).
      conv_case("wino_tile_row_16", 2, 16, 5, 32, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1),
      conv_case("wino_tile_row_19_odd", 2, 16, 6, 37, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1),
      // Not Winograd: dilation 2, stride 2, groups 2, 15 input channels.
      conv_case("wino_no_dilation2", 2, 32, 9, 9, 32, 3, 3, 1, 1, 2, 2, 2, 2, 1),
      conv_case("wino_no_stride2", 2, 32, 9, 8, 32, 3, 3, 2, 2, 1, 1, 1, 1, 1),
      conv_case("wino_no_groups2", 2, 64, 6, 7, 64, 3, 3, 1, 1, 1, 1, 1, 1, 2),
      conv_case("wino_no_c15", 2, 15, 6, 7, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1),
      // Rotated-weight backward-data (stride 1, cg_in >= cg_out).
      conv_case("rot_pad3_k3", 2, 4, 6, 7, 2, 3, 3, 1, 1, 3, 3, 1, 1, 1),
      conv_case("rot_dil2_pad1", 2, 6, 9, 8, 3, 3, 3, 1, 1, 1, 1, 2, 2, 1),
      conv_case("rot_groups2", 2, 8, 7, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 2),
      conv_case("rot_k3x5", 2, 5, 6, 9, 5, 3, 5, 1, 1, 0, 2, 1, 1, 1),
      conv_case("rot_cropped", 3, 8, 9, 9, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 5, 4),
      conv_case("rot_k5_valid", 2, 16, 10, 10, 6, 5, 5, 1, 1, 0, 0, 1, 1, 1),
      // Few output columns in all (conv_columns.h): one sample of a deep layer on a 4x4 plane;
      // K = 2700 (W^T dY on sgemm's packed path, A^T rows 2700 apart); groups with stride 2 over
      // three samples; dilation 2 on a flat ("same"-width) layout; a cropped output; 1x1 stride 2.
      conv_case("cols_one_sample_deep", 1, 64, 4, 4, 256, 3, 3, 1, 1, 1, 1, 1, 1, 1),
      conv_case("cols_k2700", 1, 300, 3, 3, 344, 3, 3, 1, 1, 1, 1, 1, 1, 1),
      conv_case("cols_groups2_s2", 3, 12, 7, 7, 512, 3, 3, 2, 2, 1, 1, 1, 1, 2),
      conv_case("cols_flat_dil2", 2, 24, 6, 6, 176, 3, 3, 1, 1, 2, 2, 2, 2, 1),
      conv_case("cols_cropped", 2, 20, 7, 7, 256, 3, 3, 1, 1, 1, 1, 1, 1, 1, 5, 4),
      conv_case("cols_1x1_s2", 2, 16, 7, 7, 256, 1, 1, 2, 2, 0, 0, 1, 1, 1),
      // A kernel row wider than the 32 taps whose valid ranges im2col / col2im keep (im2col.cc
      // RowRanges), on the column-matrix path and, with stride 2 and 4 output channels, col2im's.
      conv_case("cols_k1x33_wide", 2, 2, 1, 39, 256, 1, 33, 2, 2, 0, 0, 1, 1, 1),
      conv_case("rows_k1x33_stride2", 2, 3, 3, 40, 4, 1, 33, 2, 2, 0, 1, 1, 1, 1),
      // 150 columns with K = 1728 (the deep rule of both passes).
      conv_case("cols_k1728_q150", 6, 192, 9, 9, 208, 3, 3, 2, 2, 1, 1, 1, 1, 1),
      // Backward-data only (K = 1152 >= 1024, 150 columns; the forward takes the implicit GEMM).
      conv_case("colsdata_k1152_s2", 6, 128, 9, 9, 208, 3, 3, 2, 2, 1, 1, 1, 1, 1),
      // 3x3 stride 1 layers Winograd could take, few tiles: backward-data (32 tiles) and the forward
      // too (K = 2052) on column matrices instead (conv_columns_before_winograd).
      conv_case("colswino_bwd_32_tiles", 2, 32, 8, 8, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1),
      conv_case("colswino_fwd_k2052", 2, 228, 8, 8, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1),
      // 1x1 layers of >= 512 input channels per group on small planes (conv_columns.h): 2x2 planes in
      // two groups over 130 samples (chunks of 128, the second partial; backward-filter too), and a
      // 7x7 plane cropped to 5 output rows (35 pixels: chunks of 14 samples).
      conv_case("cols1x1_p4_groups2", 130, 1024, 2, 2, 16, 1, 1, 1, 1, 0, 0, 1, 1, 2),
      conv_case("cols1x1_cropped_p35", 16, 512, 7, 7, 8, 1, 1, 1, 1, 0, 0, 1, 1, 1, 5, 7),
      // Backward-data in chunks of samples (K = 2048, 22 pixels per sample: chunks of 23 samples,
      // the second one partial).
      conv_case("colsdata_chunks_n24", 24, 128, 4, 46, 47, 4, 4, 2, 2, 0, 0, 1, 1, 1),
      // Implicit-GEMM forward: K + bias = 257 (the bias row alone past the first k-block), stride 2,
      // many 2x2 samples per column block, 5x5 on 14x14 (LeNet conv2 shape, small batch).
      conv_case("igemm_k256_bias_row", 4, 16, 6, 7, 7, 4, 4, 1, 1, 1, 2, 1, 1, 1),
      conv_case("igemm_stride2_dil2", 4, 5, 13, 12, 7, 3, 3, 2, 2, 2, 1, 2, 2, 1),
      conv_case("igemm_tiny_planes", 40, 3, 2, 2, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1),
      // Wide implicit-GEMM blocks: each thread's share of panels (and nb) depends on the count.
      conv_case("igemm_wide_s2", 3, 128, 13, 13, 256, 3, 3, 2, 2, 1, 1, 1, 1, 1),
      conv_case("igemm_lenet_conv2", 4, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 1, 1, 1),
      // A one-channel head with a 4x4 window on a 5x5 input (2x2 outputs, 32 columns): too little
      // GEMM per copied row for the column-matrix path (cg_out * ow = 2).
      conv_case("igemm_head_m1", 8, 64, 5, 5, 1, 4, 4, 1, 1, 0, 0, 1, 1, 1),
      // The window is the whole input (conv_columns.h: X is the column matrix): a DCGAN
      // discriminator's head; groups on a rectangular plane; 1x1 on 1x1 planes with a stride and a
      // dilation (both moot there); LeNet's C5 (16 x 5x5 -> 120). Not with a pad, even when the
      // output is cropped to 1x1 (the window then starts above the plane).
      conv_case("whole_dcgan_head", 8, 64, 4, 4, 1, 4, 4, 1, 1, 0, 0, 1, 1, 1),
      conv_case("whole_groups3_3x2", 5, 12, 3, 2, 9, 3, 2, 1, 1, 0, 0, 1, 1, 3),
      conv_case("whole_1x1_plane", 7, 40, 1, 1, 24, 1, 1, 2, 2, 0, 0, 3, 3, 1),
      conv_case("whole_lenet_c5", 70, 16, 5, 5, 120, 5, 5, 1, 1, 0, 0, 1, 1, 1),
      conv_case("whole_no_padded_crop", 3, 8, 4, 4, 5, 4, 4, 1, 1, 1, 1, 1, 1, 1, 1, 1),
      // Pack-free kernel (stride 1, one group, few output channels): LeNet conv1-like (6 outputs,
      // bias), 40 input channels in k-blocks of 10 whole channels plus the bias row, dilation with
      // a cropped output, 4 -> 4 (short reduction); backward-data through it with 6 input channels.
      conv_case("direct_1to6_k5_pad2", 3, 1, 12, 11, 6, 5, 5, 1, 1, 2, 2, 1, 1, 1),
      conv_case("direct_c40_kblocks", 2, 40, 12, 12, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1),
      conv_case("direct_dil2_cropped", 2, 3, 13, 12, 6, 3, 3, 1, 1, 2, 1, 2, 2, 1, 7, 8),
      conv_case("direct_4to4", 3, 4, 9, 10, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1),
      conv_case("direct_rot_6to16_k5", 2, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 1, 1, 1),
      conv_case("direct_m17_not", 2, 3, 8, 8, 17, 3, 3, 1, 1, 1, 1, 1, 1, 1),
      // Row tiles of two output rows (conv_direct.cc), an odd number of rows (the last tile alone):
      // 13-wide rows for AVX-512's 32-wide tiles, 7-wide for AVX2's 16, 4-wide for the scalar 8.
      conv_case("pairs_13x13_pad2", 2, 3, 13, 13, 6, 5, 5, 1, 1, 2, 2, 1, 1, 1),
      conv_case("pairs_7x7_pad1", 2, 3, 7, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1),
      conv_case("pairs_5x4_pad1", 3, 2, 5, 4, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1),
      // Channel tiling forward: 14 channels (the last 2 outside the 4 x 4 blocks of the transposed
      // store), 81 positions (a partial last tile whose rows are not a multiple of 4), bias.
      conv_case("chan_m14_odd_rows", 3, 6, 13, 13, 14, 5, 5, 1, 1, 0, 0, 1, 1, 1),
      // Backward-filter: one chunk (split by tap panels between threads), K = 9 * 7 (partial last
      // panel), stride 2 with odd rows (strided runs), 1x1 plane samples spanning k-blocks.
      conv_case("filter_one_chunk", 1, 7, 12, 11, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1),
      conv_case("filter_stride2_odd", 3, 4, 11, 13, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1),
      conv_case("filter_many_samples", 300, 3, 1, 1, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1),
      // Backward-filter in the channel tiling (conv_direct.h): 20 output channels (a second,
      // partial block of 16), K = 50 taps (partial tiles of 6, split between threads: one chunk),
      // 40 samples of 16 positions (groups of 32, the last partial); and pad 2 with dilation 2.
      conv_case("filter_chan_m20_groups", 40, 2, 8, 8, 20, 5, 5, 1, 1, 0, 0, 1, 1, 1),
      conv_case("filter_chan_pad2_dil2", 3, 3, 9, 9, 16, 3, 3, 1, 1, 2, 2, 2, 2, 1),
      // Backward-data with the batch in the lanes (conv_lanes.h; 4 to 16 input channels, batch >= the
      // ISA's 16 or 8 lanes): LeNet's conv2 with a partial last block; dilation 2 with odd rows (a
      // dropped position per row) and unequal pads; 13 channels (passes of 8 + 5, or 6 + 6 + 1);
      // a cropped output; a kernel larger than the plane.
      conv_case("lanes_lenet_conv2_n20", 20, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 1, 1, 1),
      conv_case("lanes_dil2_odd", 17, 5, 9, 11, 7, 3, 3, 1, 1, 2, 1, 2, 2, 1),
      conv_case("lanes_m13", 16, 13, 6, 7, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1),
      conv_case("lanes_cropped", 18, 8, 9, 9, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 5, 4),
      conv_case("lanes_k5_on_3x4", 16, 4, 3, 4, 6, 5, 5, 1, 1, 2, 2, 1, 1, 1),
      // Dilation 2 into a 1x1 output: every other input column gets no tap (a pair whose first
      // position has none).
      conv_case("lanes_dil2_crop_1x1", 16, 4, 5, 6, 5, 3, 3, 1, 1, 1, 1, 2, 2, 1, 1, 1),
      // Forward and backward-data through the lanes on an 8x8 plane with 40 channels each side
      // (passes of 8, or 6 x 6 + 4); forward with 6 input channels and a bias (LeNet's conv2).
      conv_case("lanes_40ch_8x8", 16, 40, 8, 8, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1),
      conv_case("lanes_fwd_6to16_n17", 17, 6, 12, 11, 16, 5, 5, 1, 1, 0, 1, 1, 1, 1),
      // Backward-filter over more than 32 blocks of samples: partials added round by round.
      conv_case("lanes_filter_rounds_n530", 530, 6, 5, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1),
  };
}

double relative_frobenius(const std::vector<float>& got, const std::vector<double>& ref) {
  double num = 0, den = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    num += (got[i] - ref[i]) * (got[i] - ref[i]);
    den += ref[i] * ref[i];
  }
  return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}

}  // namespace

namespace {

// Restores backward-filter's tile count for Winograd (its default needs 512 tiles; the wino_* cases
// lower it to reach the path on small shapes).
struct WinogradFilterTilesGuard {
  gn::index_t saved = gn::set_winograd_filter_min_tiles(-1);
  ~WinogradFilterTilesGuard() { gn::set_winograd_filter_min_tiles(saved); }
};

}  // namespace

GN_TEST(conv_fast_paths_reference) {
  WinogradFilterTilesGuard wino_filter;
  std::uint64_t seed = 9000;
  const double u = std::ldexp(1.0, -24);
  for (const Case& c : fast_path_cases()) {
    require_valid(c);
    const Conv2dShape& s = c.s;
    const Inputs in = random_inputs(s, seed++);
    const std::string what = describe(c);
    // Each case reaches the path its name says, so that a changed rule cannot leave a path
    // untested.
    const gn::ConvPlan plan = gn::conv_plan(s);
    const bool wino = gn::conv_winograd_applicable(gn::forward_igemm(s, plan));
    const bool cols = gn::conv_columns_applicable(s, plan, false);
    auto named = [&](const char* prefix) { return c.name.rfind(prefix, 0) == 0; };
    gn::set_winograd_filter_min_tiles(named("wino_") ? 0 : -1);
    const bool cols_first = gn::conv_columns_before_winograd(s, plan, false);
    const bool cols_first_data = gn::conv_columns_before_winograd(s, plan, true);
    if (named("wino_no_")) GN_CHECK(!wino) << what << ": takes Winograd";
    else if (named("wino_")) GN_CHECK(wino && !cols_first && !cols_first_data) << what << ": does not take Winograd";
    if (named("colswino_")) GN_CHECK(wino && cols_first_data) << what << ": backward-data not on columns before Winograd";
    if (named("colswino_fwd_")) GN_CHECK(cols_first && cols) << what << ": forward not on columns before Winograd";
    if (named("cols_")) GN_CHECK(cols && !wino) << what << ": does not take the column-matrix path";
    if (named("cols1x1_")) GN_CHECK(plan.direct && cols) << what << ": not a 1x1 layer on the column-matrix path";
    if (named("cols1x1_p4")) GN_CHECK(gn::conv_columns_filter_chunk(s, plan) > 0) << what << ": filter not on columns";
    if (named("igemm_")) GN_CHECK(!cols && !gn::conv_whole_plane(s)) << what << ": takes the column-matrix path";
    if (named("whole_no_")) GN_CHECK(!gn::conv_whole_plane(s)) << what << ": takes the whole-plane path";
    else if (named("whole_")) GN_CHECK(gn::conv_whole_plane(s)) << what << ": does not take the whole-plane path";
    if (named("colsdata_"))
      GN_CHECK(!cols && gn::conv_columns_applicable(s, plan, true)) << what << ": not the backward-data columns";
    std::vector<float> y(gn::conv2d_y_size(s), kNaN), dx(gn::conv2d_x_size(s), kNaN),
        dw(gn::conv2d_w_size(s), kNaN), db(s.c_out, kNaN);
    gn::conv2d_forward(s, in.x.data(), in.w.data(), nullptr, y.data());
    const Ref ry = ref_forward(s, in.x, in.w, nullptr);
    gn_test::check_dot_bound(what + " forward", y.data(), ry.val.data(), ry.abs.data(), y.size(), k_forward(s));
    const double rel_y = relative_frobenius(y, ry.val);
    GN_CHECK(rel_y <= 2 * u * std::sqrt(static_cast<double>(k_forward(s))))
        << what << ": forward relative Frobenius error " << rel_y;
    std::fill(y.begin(), y.end(), kNaN);
    gn::conv2d_forward(s, in.x.data(), in.w.data(), in.bias.data(), y.data());
    const Ref ryb = ref_forward(s, in.x, in.w, in.bias.data());
    gn_test::check_dot_bound(what + " forward+bias", y.data(), ryb.val.data(), ryb.abs.data(), y.size(),
                             k_forward(s) + 1);

    gn::conv2d_backward_data(s, in.dy.data(), in.w.data(), dx.data());
    const Ref rdx = ref_backward_data(s, in.dy, in.w);
    gn_test::check_dot_bound(what + " backward-data", dx.data(), rdx.val.data(), rdx.abs.data(), dx.size(),
                             k_backward_data(s));
    const double rel_dx = relative_frobenius(dx, rdx.val);
    GN_CHECK(rel_dx <= 2 * u * std::sqrt(static_cast<double>(k_backward_data(s))))
        << what << ": backward-data relative Frobenius error " << rel_dx;

    gn::conv2d_backward_filter(s, in.x.data(), in.dy.data(), dw.data(), db.data());
    const Ref rdw = ref_backward_filter(s, in.x, in.dy);
    const Ref rdb = ref_backward_bias(s, in.dy);
    gn_test::check_dot_bound(what + " backward-filter", dw.data(), rdw.val.data(), rdw.abs.data(), dw.size(),
                             k_backward_filter(s));
    gn_test::check_dot_bound(what + " backward-bias", db.data(), rdb.val.data(), rdb.abs.data(), db.size(),
                             k_backward_filter(s));
  }
}

// The fast paths give the same bits for 1, 2 and 3 threads and from run to run.
GN_TEST(conv_fast_paths_deterministic) {
  ThreadCountGuard guard;
  WinogradFilterTilesGuard wino_filter;
  const std::vector<Case> det = {
      conv_case("wino_blocks_span_samples", 5, 32, 13, 11, 48, 3, 3, 1, 1, 1, 1, 1, 1, 1),
      conv_case("wino_bwd_rotated", 3, 48, 10, 9, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1),
      conv_case("rot_groups2_n5", 5, 8, 7, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 2),
      conv_case("cols_groups2_s2", 3, 12, 7, 7, 512, 3, 3, 2, 2, 1, 1, 1, 1, 2),
      conv_case("igemm_tiny_planes", 40, 3, 2, 2, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1),
      // Wide implicit-GEMM blocks: each thread's share of panels (and nb) depends on the count.
      conv_case("igemm_wide_s2", 3, 128, 13, 13, 256, 3, 3, 2, 2, 1, 1, 1, 1, 1),
      conv_case("whole_lenet_c5", 70, 16, 5, 5, 120, 5, 5, 1, 1, 0, 0, 1, 1, 1),
      // Column matrices large enough for the threads to split the channels of im2col / col2im.
      conv_case("cols_k1728_q150", 6, 192, 9, 9, 208, 3, 3, 2, 2, 1, 1, 1, 1, 1),
      conv_case("colsdata_k1152_s2", 6, 128, 9, 9, 208, 3, 3, 2, 2, 1, 1, 1, 1, 1),
      conv_case("colsdata_chunks_n24", 24, 128, 4, 46, 47, 4, 4, 2, 2, 0, 0, 1, 1, 1),
      conv_case("cols1x1_p4_groups2", 130, 1024, 2, 2, 16, 1, 1, 1, 1, 0, 0, 1, 1, 2),
      conv_case("filter_one_chunk", 1, 7, 12, 11, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1),
      conv_case("direct_1to6_n5", 5, 1, 12, 11, 6, 5, 5, 1, 1, 2, 2, 1, 1, 1),
      conv_case("filter_chan_m20_groups", 40, 2, 8, 8, 20, 5, 5, 1, 1, 0, 0, 1, 1, 1),
      // LeNet's conv2 at batch 64: 4 chunks of the channel tiling (chunk-parallel).
      conv_case("filter_chan_lenet_conv2", 64, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 1, 1, 1),
      // Winograd backward-filter over 4 chunks (chunk-parallel with 2 and 3 threads).
      conv_case("wino_filter_4_chunks", 16, 16, 16, 15, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1),
      // Backward-data with the batch in the lanes: 3 blocks of 16 (5 of 8), the last partial.
      conv_case("lanes_blocks_n40", 40, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 1, 1, 1),
      conv_case("lanes_filter_rounds_n530", 530, 6, 5, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1),
  };
  std::uint64_t seed = 9500;
  for (const Case& c : det) {
    require_valid(c);
    gn::set_winograd_filter_min_tiles(c.name.rfind("wino_", 0) == 0 ? 0 : -1);
    const Inputs in = random_inputs(c.s, seed++);
    gn::set_num_threads(1);
    const Outputs one = run_all(c.s, in);
    for (int t : {1, 2, 3}) {
      gn::set_num_threads(t);
      const Outputs o = run_all(c.s, in);
      const std::string what = describe(c) + " threads " + std::to_string(t);
      require_bitwise(what + " forward", o.y, one.y);
      require_bitwise(what + " backward-data", o.dx, one.dx);
      require_bitwise(what + " backward-filter", o.dw, one.dw);
      require_bitwise(what + " backward-bias", o.db, one.db);
    }
  }
}

// The batch-lanes kernels (conv_lanes.h) transpose a whole plane per block of samples: a large plane
// must not take them (a 512 x 512 plane of 8 channels would need 134 MB per thread each way), the
// layers they were measured on must.
GN_TEST(conv_lanes_block_size_limit) {
  auto cv = [](gn::index_t c, gn::index_t hw, gn::index_t m, gn::index_t k, gn::index_t pad) {
    gn::IgemmConv v{};
    v.batch = 64;
    v.groups = 1;
    v.c = c;
    v.h = v.w = hw;
    v.in_n_stride = c * hw * hw;
    v.m = m;
    v.oh = v.ow = hw + 2 * pad - k + 1;
    v.out_n_stride = m * v.oh * v.ow;
    v.kh = v.kw = k;
    v.sh = v.sw = v.dh = v.dw = 1;
    v.ph = v.pw = pad;
    return v;
  };
  if (gn::kernels().conv.lanes == nullptr) {  // an ISA without the kernels (generic, NEON) never takes the path
    GN_CHECK(!gn::conv_lanes_available(cv(6, 14, 16, 5, 0))) << "LeNet's conv2 forward without a lanes kernel";
    GN_CHECK(!gn::conv_lanes_filter_available(cv(16, 32, 16, 3, 1))) << "backward-filter without a lanes kernel";
    return;
  }
  GN_CHECK(gn::conv_lanes_available(cv(6, 14, 16, 5, 0))) << "LeNet's conv2 forward";
  GN_CHECK(gn::conv_lanes_filter_available(cv(16, 32, 16, 3, 1))) << "ResNet-20 stage 1 backward-filter";
  GN_CHECK(!gn::conv_lanes_available(cv(8, 512, 8, 5, 2))) << "8 -> 8 5x5 on 512 x 512";
  GN_CHECK(!gn::conv_lanes_filter_available(cv(8, 512, 8, 5, 2))) << "its backward-filter";
}

// The ISA's Winograd tile transforms (winograd_ukernel.h), for every count of tiles per call, against
// scalar loops doing the baseline's additions in its order: the same bits (NaN for NaN), with
// infinities, NaN and signed zeros among the inputs, and nothing written past the last tile or
// column. Under an ISA without them there is nothing of the ISA's to compare.
GN_TEST(conv_winograd_transforms_exact) {
  const gn::WinogradKernels& k = gn::kernels().winograd;
  if (k.input == nullptr) return;
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  const float special[] = {0.f, -0.f, inf, -inf, nan, 1e30f, -1e-30f};
  gn_test::Rng rng(77);
  // Mostly finite values (one special in 40: each result combines up to 12 inputs), of magnitudes
  // 2^-12 .. 2^12, so that a change in the order of two additions shows in the last bits.
  auto value = [&] {
    if (rng.integer(0, 39) == 0) return special[rng.integer(0, 6)];
    return std::ldexp(rng.uniform(-1.f, 1.f), static_cast<int>(rng.integer(-12, 12)));
  };
  auto same = [](float a, float b) { return (a != a && b != b) || std::memcmp(&a, &b, 4) == 0; };
  const float sentinel = 12345.f;
  const index_t L = k.lanes, xs = L + 3, wp = 2 * L + 5;
  for (index_t trial = 0; trial < 4 * L; ++trial) {
    const index_t cnt = trial % L + 1;
    const std::string what = "cnt " + std::to_string(cnt);
    // input: V = B^T d B
    std::vector<float> src(4 * wp);
    for (auto& v : src) v = value();
    std::vector<float> v(16 * xs, sentinel);
    k.input(src.data(), wp, cnt, v.data(), xs);
    for (index_t q = 0; q < L; ++q) {
      float d[4][4], t[4][4], want[16];
      for (int r = 0; r < 4; ++r)
        for (int c = 0; c < 4; ++c) d[r][c] = src[r * wp + 2 * q + c];
      for (int j = 0; j < 4; ++j) {
        t[0][j] = d[0][j] - d[2][j];
        t[1][j] = d[1][j] + d[2][j];
        t[2][j] = d[2][j] - d[1][j];
        t[3][j] = d[1][j] - d[3][j];
      }
      for (int i = 0; i < 4; ++i) {
        want[i * 4 + 0] = t[i][0] - t[i][2];
        want[i * 4 + 1] = t[i][1] + t[i][2];
        want[i * 4 + 2] = t[i][2] - t[i][1];
        want[i * 4 + 3] = t[i][1] - t[i][3];
      }
      for (int xi = 0; xi < 16; ++xi) {
        const float got = v[xi * xs + q];
        GN_CHECK(q < cnt ? same(got, want[xi]) : got == sentinel) << what << " input tile " << q << " xi " << xi;
      }
    }
    // output: A^T m A + bias, both output rows, and one row only
    std::vector<float> m(16 * xs);
    for (auto& x : m) x = value();
    const float bias = rng.integer(0, 1) ? 0.f : rng.uniform(-1.f, 1.f);
    for (index_t ncols = 2 * cnt - 1; ncols <= 2 * cnt; ++ncols) {
      for (bool two : {true, false}) {
        std::vector<float> y0(2 * L + 2, sentinel), y1(2 * L + 2, sentinel);
        k.output(m.data(), xs, bias, cnt, ncols, y0.data(), two ? y1.data() : nullptr);
        for (index_t q = 0; q < L; ++q) {
          float s[2][4];
          for (int j = 0; j < 4; ++j) {
            const float m0 = m[(0 * 4 + j) * xs + q], m1 = m[(1 * 4 + j) * xs + q];
            const float m2 = m[(2 * 4 + j) * xs + q], m3 = m[(3 * 4 + j) * xs + q];
            s[0][j] = (m0 + m1) + m2;
            s[1][j] = (m1 - m2) - m3;
          }
          for (int i = 0; i < 2; ++i) {
            const float c0 = ((s[i][0] + s[i][1]) + s[i][2]) + bias;
            const float c1 = ((s[i][1] - s[i][2]) - s[i][3]) + bias;
            const std::vector<float>& y = i == 0 ? y0 : y1;
            for (int c = 0; c < 2; ++c) {
              const index_t col = 2 * q + c;
              const bool written = col < ncols && (i == 0 || two);
              GN_CHECK(written ? same(y[col], c == 0 ? c0 : c1) : y[col] == sentinel)
                  << what << " ncols " << ncols << " output row " << i << " column " << col;
            }
          }
        }
      }
    }
    // grad: Z = A dY A^T from len <= 2 cnt columns of one or two rows
    for (index_t len = 2 * cnt - 1; len <= 2 * cnt; ++len) {
      for (bool two : {true, false}) {
        std::vector<float> r0(2 * L + 2), r1(2 * L + 2);
        for (auto& x : r0) x = value();
        for (auto& x : r1) x = value();
        std::vector<float> z(16 * xs, sentinel);
        k.grad(r0.data(), two ? r1.data() : nullptr, len, cnt, z.data(), xs);
        for (index_t q = 0; q < L; ++q) {
          auto at = [&](const std::vector<float>& row, bool live, index_t col) { return live && col < len ? row[col] : 0.f; };
          const float a = at(r0, true, 2 * q), b = at(r0, true, 2 * q + 1);
          const float c = at(r1, two, 2 * q), e = at(r1, two, 2 * q + 1);
          const float r[4][2] = {{a, b}, {a + c, b + e}, {a - c, b - e}, {0.f - c, 0.f - e}};
          for (int i = 0; i < 4; ++i) {
            const float want[4] = {r[i][0], r[i][0] + r[i][1], r[i][0] - r[i][1], 0.f - r[i][1]};
            for (int j = 0; j < 4; ++j) {
              const float got = z[(i * 4 + j) * xs + q];
              GN_CHECK(q < cnt ? same(got, want[j]) : got == sentinel)
                  << what << " len " << len << " grad tile " << q << " xi " << i * 4 + j;
            }
          }
        }
      }
    }
  }
}

// col2im with a column stride of 2 (col2im_ukernel.h, rows2) against the baseline's strided adds:
// the same bits on random geometries (row strides 1-3, dilations, pads beyond the window, rows
// wider than one and two vectors of phase columns), on whole planes, on tiles of a few output
// rows, and over several samples and a range of channels (col2im_samples_add), with nothing
// written past the last plane. Values of magnitudes 2^-12 .. 2^12, some infinite or -0, so that a
// change in the order of two additions shows. Under an ISA without the kernel there is nothing of
// the ISA's to compare.
GN_TEST(conv_col2im_stride2_matches_baseline) {
  const gn::Isa isa = gn_test::current_isa();
  if (gn::kernels().col2im.rows2 == nullptr) return;
  const float inf = std::numeric_limits<float>::infinity();
  const float special[] = {-0.f, inf, -inf};
  gn_test::Rng rng(4242);
  auto value = [&] {
    if (rng.integer(0, 59) == 0) return special[rng.integer(0, 2)];
    return std::ldexp(rng.uniform(-1.f, 1.f), static_cast<int>(rng.integer(-12, 12)));
  };
  for (int iter = 0; iter < 400; ++iter) {
    gn::Im2colGeom g{};
    g.c = rng.integer(1, 3);
    g.h = rng.integer(1, 12);
    g.w = rng.integer(1, iter % 4 == 0 ? 80 : 24);
    g.kh = rng.integer(1, 5);
    g.kw = rng.integer(1, 5);
    g.stride_h = rng.integer(1, 3);
    g.stride_w = 2;
    g.dil_h = rng.integer(1, 3);
    g.dil_w = rng.integer(1, 3);
    g.pad_h = rng.integer(0, 4);
    g.pad_w = rng.integer(0, 4);
    g.oh = std::max<index_t>(1, full_out(g.h, g.kh, g.stride_h, g.pad_h, g.dil_h) + rng.integer(-1, 1));
    g.ow = std::max<index_t>(1, full_out(g.w, g.kw, g.stride_w, g.pad_w, g.dil_w) + rng.integer(-1, 1));
    const index_t taps = g.c * g.kh * g.kw, hw = g.h * g.w, P = g.oh * g.ow;
    // A tile of output rows i0 .. i0 + rows - 1 (the whole plane every other time).
    const index_t i0 = iter % 2 ? 0 : rng.integer(0, g.oh - 1);
    const index_t rows = iter % 2 ? g.oh : rng.integer(1, g.oh - i0);
    const index_t ld = rows * g.ow + rng.integer(0, 3);
    std::vector<float> col(static_cast<std::size_t>(taps * ld));
    for (auto& v : col) v = value();
    // Two samples side by side for col2im_samples_add, channels c0 .. c1 - 1.
    const index_t ns = 2, lds = ns * P;
    std::vector<float> cols(static_cast<std::size_t>(taps * lds));
    for (auto& v : cols) v = value();
    const index_t c0 = rng.integer(0, g.c - 1), c1 = rng.integer(c0 + 1, g.c);
    // dX with a guard of -0 behind it: a vector that ran past the plane would add +0 there
    // (masked lanes) and leave +0.
    const std::size_t guard = 64;
    std::vector<float> dx[2], dxs[2];
    for (int k = 0; k < 2; ++k) {  // 0: the baseline, 1: this ISA
      GN_CHECK(gn::select_isa(k == 0 ? gn::Isa::kGeneric : isa)) << gn::isa_name(isa);
      std::vector<float> work = col;
      dx[k].assign(static_cast<std::size_t>(hw * g.c) + guard, -0.f);
      std::fill(dx[k].begin(), dx[k].end() - guard, 0.f);
      gn::col2im_tile_add(g, work.data(), i0 * g.ow, rows * g.ow, dx[k].data(), ld);
      dxs[k].assign(static_cast<std::size_t>(hw * g.c * ns) + guard, -0.f);
      std::fill(dxs[k].begin(), dxs[k].end() - guard, 0.f);
      gn::col2im_samples_add(g, cols.data(), lds, ns, c0, c1, dxs[k].data(), hw * g.c);
    }
    const std::string what = "col2im stride 2, c " + std::to_string(g.c) + " " + std::to_string(g.h) + "x" +
                             std::to_string(g.w) + " k " + std::to_string(g.kh) + "x" + std::to_string(g.kw) +
                             " sh " + std::to_string(g.stride_h) + " dil " + std::to_string(g.dil_h) + "x" +
                             std::to_string(g.dil_w) + " pad " + std::to_string(g.pad_h) + "x" +
                             std::to_string(g.pad_w) + " out " + std::to_string(g.oh) + "x" +
                             std::to_string(g.ow) + " rows " + std::to_string(i0) + "+" + std::to_string(rows);
    const std::vector<float> minus_zero(guard, -0.f);
    GN_CHECK(std::memcmp(dx[1].data() + dx[1].size() - guard, minus_zero.data(), 4 * guard) == 0 &&
             std::memcmp(dxs[1].data() + dxs[1].size() - guard, minus_zero.data(), 4 * guard) == 0)
        << what << ": written past the dX planes";
    GN_CHECK(std::memcmp(dx[0].data(), dx[1].data(), 4 * dx[0].size()) == 0) << what << ": tile differs";
    GN_CHECK(std::memcmp(dxs[0].data(), dxs[1].data(), 4 * dxs[0].size()) == 0)
        << what << ": samples " << c0 << ".." << c1 << " differ";
  }
}
