// conv2d forward. Depthwise convolutions have their own kernels (depthwise.h); a window covering the
// whole input is one GEMM over the batch (conv_columns.h: conv_whole_plane). Otherwise, in order
// of preference: Winograd F(2x2,3x3) (conv_winograd.h: 3x3 stride 1 with >= 16 input and >= 8
// output channels), the pack-free kernel (conv_direct.h: stride 1, few output channels), column
// matrices and sgemm (conv_columns.h: few output columns in all), the implicit GEMM (conv_igemm.h:
// everything else but 1x1). 1x1 / stride 1 / unpadded convolutions
// are a plain GEMM per sample, batch-parallel when there are at least as many samples as threads,
// otherwise serial over samples with the GEMM's own threads. Also the shape validator.
#include "conv2d.h"

#include "../gemm/gemm.h"
#include "../threads.h"
#include "conv_columns.h"
#include "conv_direct.h"
#include "conv_igemm.h"
#include "conv_lanes.h"
#include "conv_winograd.h"
#include "depthwise.h"
#include "im2col.h"

namespace gn {
namespace {

// Every size and parameter fits in an int32 (what the JS API passes); tensors hold at most 2^40
// elements. With these, no index computed by the kernels can overflow index_t.
constexpr index_t kMaxParam = 0x7fffffff;
constexpr index_t kMaxElements = index_t(1) << 40;

// acc *= f, unless the product would exceed kMaxElements.
bool mul_fits(index_t* acc, index_t f) {
  if (f != 0 && *acc > kMaxElements / f) return false;
  *acc *= f;
  return true;
}

bool count_fits(index_t a, index_t b, index_t c, index_t d) {
  index_t acc = 1;
  return mul_fits(&acc, a) && mul_fits(&acc, b) && mul_fits(&acc, c) && mul_fits(&acc, d);
}

void add_bias(const float* bias, index_t rows, index_t cols, float* y, index_t ldy) {
  for (index_t r = 0; r < rows; ++r) {
    const float b = bias[r];
    float* yr = y + r * ldy;
    for (index_t j = 0; j < cols; ++j) yr[j] += b;
  }
}

// One sample of a 1x1 / stride 1 / unpadded convolution: per group, Y [cg_out x oh*w] =
// W [cg_out x cg_in] * X [cg_in x oh*w] (the input plane is the column matrix: rows hw apart).
void forward_sample_1x1(const Conv2dShape& s, const ConvPlan& p, const float* x, const float* w,
                        const float* bias, float* y, index_t n) {
  for (index_t g = 0; g < s.groups; ++g) {
    const float* xg = x + (n * s.c_in + g * p.cg_in) * p.hw;
    const float* wg = w + g * p.cg_out * p.K;
    float* yg = y + (n * s.c_out + g * p.cg_out) * p.P;
    sgemm(false, false, p.cg_out, p.P, p.cg_in, 1.f, wg, p.K, xg, p.hw, 0.f, yg, p.P);
    if (bias) add_bias(bias + g * p.cg_out, p.cg_out, p.P, yg, p.P);
  }
}

}  // namespace

bool conv2d_shape_valid(const Conv2dShape& s, const char** why) {
  const char* msg = nullptr;
  if (s.n <= 0 || s.c_in <= 0 || s.h <= 0 || s.w <= 0 || s.c_out <= 0 || s.kh <= 0 || s.kw <= 0 ||
      s.oh <= 0 || s.ow <= 0)
    msg = "sizes must be positive";
  else if (s.stride_h <= 0 || s.stride_w <= 0)
    msg = "strides must be positive";
  else if (s.dil_h <= 0 || s.dil_w <= 0)
    msg = "dilations must be positive";
  else if (s.pad_h < 0 || s.pad_w < 0)
    msg = "pads must not be negative";
  else if (s.groups <= 0)
    msg = "groups must be positive";
  else if (s.n > kMaxParam || s.c_in > kMaxParam || s.h > kMaxParam || s.w > kMaxParam ||
           s.c_out > kMaxParam || s.kh > kMaxParam || s.kw > kMaxParam || s.oh > kMaxParam ||
           s.ow > kMaxParam || s.stride_h > kMaxParam || s.stride_w > kMaxParam ||
           s.pad_h > kMaxParam || s.pad_w > kMaxParam || s.dil_h > kMaxParam ||
           s.dil_w > kMaxParam || s.groups > kMaxParam)
    msg = "sizes and parameters must be below 2^31";
  // Dilated kernel extent and output extent below 2^31 too: then every input coordinate and
  // flattened offset the kernels compute stays far inside index_t.
  else if ((s.kh - 1) * s.dil_h >= kMaxParam || (s.kw - 1) * s.dil_w >= kMaxParam)
    msg = "dilated kernel extent must be below 2^31";
  else if ((s.oh - 1) * s.stride_h >= kMaxParam || (s.ow - 1) * s.stride_w >= kMaxParam)
    msg = "output extent (size - 1) * stride must be below 2^31";
  else if (s.c_in % s.groups != 0 || s.c_out % s.groups != 0)
    msg = "groups must divide both channel counts";
  else if (!count_fits(s.n, s.c_in, s.h, s.w))
    msg = "input has too many elements";
  else if (!count_fits(s.c_out, s.c_in / s.groups, s.kh, s.kw))
    msg = "weights have too many elements";
  else if (!count_fits(s.n, s.c_out, s.oh, s.ow))
    msg = "output has too many elements";
  if (msg) {
    if (why) *why = msg;
    return false;
  }
  return true;
}

IgemmConv forward_igemm(const Conv2dShape& s, const ConvPlan& p) {
  IgemmConv cv;
  cv.batch = s.n;
  cv.groups = s.groups;
  cv.c = p.cg_in;
  cv.h = s.h;
  cv.w = s.w;
  cv.in_n_stride = s.c_in * p.hw;
  cv.m = p.cg_out;
  cv.oh = s.oh;
  cv.ow = s.ow;
  cv.out_n_stride = s.c_out * p.P;
  cv.kh = s.kh;
  cv.kw = s.kw;
  cv.sh = s.stride_h;
  cv.sw = s.stride_w;
  cv.ph = s.pad_h;
  cv.pw = s.pad_w;
  cv.dh = s.dil_h;
  cv.dw = s.dil_w;
  return cv;
}

void conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* bias, float* y) {
  if (conv_is_depthwise(s)) return depthwise_forward(s, x, w, bias, y);
  if (conv_whole_plane(s)) return conv_whole_plane_forward(s, x, w, bias, y);
  const ConvPlan p = conv_plan(s);
  if (p.direct && conv_columns_applicable(s, p, false)) return conv_columns_forward(s, p, x, w, bias, y);
  if (!p.direct) {
    const IgemmConv cv = forward_igemm(s, p);
    if (conv_lanes_available(cv) && conv_lanes_pays(cv))
      conv_lanes(cv, x, w, IgemmWeights::kForward, bias, y);
    else if (conv_winograd_applicable(cv) && !conv_columns_before_winograd(s, p, false))
      conv_winograd(cv, x, w, IgemmWeights::kForward, bias, y);
    else if (conv_direct_available(cv) && conv_direct_pays(cv))
      conv_direct(cv, x, w, IgemmWeights::kForward, bias, y);
    else if (conv_columns_applicable(s, p, false))
      conv_columns_forward(s, p, x, w, bias, y);
    else
      conv_igemm(cv, x, w, IgemmWeights::kForward, bias, y);
    return;
  }
  const int nt = threads_for(s.n, 1);
  if (nt > 1 && s.n >= num_threads()) {
    RegionGuard guard;  // sgemm takes its packing buffers from each thread's scratch
#pragma omp parallel for num_threads(nt) schedule(static)
    for (index_t n = 0; n < s.n; ++n) guard.run([&] { forward_sample_1x1(s, p, x, w, bias, y, n); });
    guard.rethrow();
  } else {
    for (index_t n = 0; n < s.n; ++n) forward_sample_1x1(s, p, x, w, bias, y, n);
  }
}

}  // namespace gn
