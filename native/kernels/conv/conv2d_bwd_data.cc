// conv2d backward-data: per sample and group, dcol = W^T * dY (gn::sgemm with trans_a) one tile of
// output pixels at a time, scattered back into dX by col2im; 1x1 / stride 1 / unpadded
// convolutions write W^T * dY straight into dX. Batch-parallel like the forward pass.
// Depthwise convolutions skip the GEMM (an outer product there) and scatter dY through the
// weights directly, parallel over the input planes.
// Every dX plane is written by one thread only, in an order that depends on the sizes alone, so
// the result is the same for any thread count.
#include <cstring>

#include "../gemm/gemm.h"
#include "../threads.h"
#include "conv2d.h"
#include "im2col.h"

namespace gn {
namespace {

void backward_data_sample(const Conv2dShape& s, const ConvPlan& p, const float* dy, const float* w,
                          float* dx, index_t n, float* col) {
  float* dxn = dx + n * s.c_in * p.hw;
  if (p.direct) {
    for (index_t g = 0; g < s.groups; ++g) {
      const float* dyg = dy + (n * s.c_out + g * p.cg_out) * p.P;
      const float* wg = w + g * p.cg_out * p.K;
      float* dxg = dxn + g * p.cg_in * p.hw;
      // dX [cg_in x oh*w] = W^T * dY, W being [cg_out x cg_in]; rows of dX are hw apart.
      sgemm(true, false, p.cg_in, p.P, p.cg_out, 1.f, wg, p.K, dyg, p.P, 0.f, dxg, p.hw);
      if (p.P < p.hw)  // input rows below the last output row get no gradient
        for (index_t c = 0; c < p.cg_in; ++c)
          std::memset(dxg + c * p.hw + p.P, 0, sizeof(float) * (p.hw - p.P));
    }
    return;
  }
  std::memset(dxn, 0, sizeof(float) * s.c_in * p.hw);
  for (index_t g = 0; g < s.groups; ++g) {
    const float* dyg = dy + (n * s.c_out + g * p.cg_out) * p.P;
    const float* wg = w + g * p.cg_out * p.K;
    float* dxg = dxn + g * p.cg_in * p.hw;
    for (index_t p0 = 0; p0 < p.P; p0 += p.tile) {
      const index_t t = p.P - p0 < p.tile ? p.P - p0 : p.tile;
      // dcol [K x t] = W^T [K x cg_out] * dY [cg_out x t]
      sgemm(true, false, p.K, t, p.cg_out, 1.f, wg, p.K, dyg + p0, p.P, 0.f, col, t);
      col2im_tile_add(p.geom, col, p0, t, dxg);
    }
  }
}

// Multiply-adds one thread should at least get in the depthwise loops.
constexpr index_t kDepthwiseGrain = index_t(1) << 15;

// Depthwise: input-gradient plane ci of one sample gets the taps of output channels
// ci * cg_out .. (ci + 1) * cg_out - 1, in channel, then (r, q) order.
void depthwise_backward_data_plane(const Conv2dShape& s, index_t cg_out, const float* dy0,
                                   const float* w0, float* dxc) {
  const index_t P = s.oh * s.ow, taps = s.kh * s.kw;
  std::memset(dxc, 0, sizeof(float) * s.h * s.w);
  for (index_t m = 0; m < cg_out; ++m) {
    const float* dyc = dy0 + m * P;
    const float* wc = w0 + m * taps;
    for (index_t r = 0; r < s.kh; ++r) {
      const index_t row_off = r * s.dil_h - s.pad_h;
      index_t ilo, ihi;
      conv_valid_range(row_off, s.stride_h, s.h, s.oh, &ilo, &ihi);
      for (index_t q = 0; q < s.kw; ++q) {
        const index_t off = q * s.dil_w - s.pad_w;
        index_t jlo, jhi;
        conv_valid_range(off, s.stride_w, s.w, s.ow, &jlo, &jhi);
        const float wv = wc[r * s.kw + q];
        for (index_t i = ilo; i < ihi; ++i) {
          const float* dyr = dyc + i * s.ow;
          float* dxr = dxc + (i * s.stride_h + row_off) * s.w;
          if (s.stride_w == 1) {
            for (index_t j = jlo; j < jhi; ++j) dxr[j + off] += wv * dyr[j];
          } else {
            const index_t sw = s.stride_w;
            for (index_t j = jlo; j < jhi; ++j) dxr[j * sw + off] += wv * dyr[j];
          }
        }
      }
    }
  }
}

void depthwise_backward_data(const Conv2dShape& s, const ConvPlan& p, const float* dy, const float* w,
                             float* dx) {
  const index_t planes = s.n * s.c_in, taps = s.kh * s.kw, per_plane = p.cg_out * p.P * taps;
  const int nt = threads_for(planes, per_plane >= kDepthwiseGrain ? 1 : kDepthwiseGrain / per_plane);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (index_t q = 0; q < planes; ++q) {
    const index_t n = q / s.c_in, ci = q % s.c_in;
    depthwise_backward_data_plane(s, p.cg_out, dy + (n * s.c_out + ci * p.cg_out) * p.P,
                                  w + ci * p.cg_out * taps, dx + q * p.hw);
  }
}

}  // namespace

void conv2d_backward_data(const Conv2dShape& s, const float* dy, const float* w, float* dx) {
  const ConvPlan p = conv_plan(s);
  if (p.depthwise) return depthwise_backward_data(s, p, dy, w, dx);
  const int nt = threads_for(s.n, 1);
  if (nt > 1 && s.n >= num_threads()) {
    float* cols = p.direct ? nullptr : scratch(kScratchConv, sizeof(float) * p.col_floats * nt);
#pragma omp parallel for num_threads(nt) schedule(static)
    for (index_t n = 0; n < s.n; ++n)
      backward_data_sample(s, p, dy, w, dx, n, cols ? cols + p.col_floats * conv_thread_id() : nullptr);
  } else {
    float* col = p.direct ? nullptr : scratch(kScratchConv, sizeof(float) * p.col_floats);
    for (index_t n = 0; n < s.n; ++n) backward_data_sample(s, p, dy, w, dx, n, col);
  }
}

}  // namespace gn
