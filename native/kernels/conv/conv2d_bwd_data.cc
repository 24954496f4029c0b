// conv2d backward-data: per sample and group, dcol = W^T * dY (gn::sgemm with trans_a) one tile of
// output pixels at a time, scattered back into dX by col2im; 1x1 / stride 1 / unpadded
// convolutions write W^T * dY straight into dX. Each sample's dX is written by one thread only, in
// an order that depends on the sizes alone, so the result is the same for any thread count.
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

}  // namespace

void conv2d_backward_data(const Conv2dShape& s, const float* dy, const float* w, float* dx) {
  const ConvPlan p = conv_plan(s);
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
