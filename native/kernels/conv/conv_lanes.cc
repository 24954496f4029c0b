// Stride-1 convolution with the batch in the vector lanes (conv_lanes.h). Baseline unit: the
// transposes and the weight repacking; the arithmetic is the ISA's lanes kernel (conv_ukernel.h,
// through the dispatch table).
#include "conv_lanes.h"

#include "../isa.h"
#include "../threads.h"
#include "conv_pad.h"

namespace gn {
namespace {

using conv_detail::ceil_div;
using conv_detail::round_up;

ConvLanesGeom lanes_geom(const IgemmConv& cv) {
  ConvLanesGeom g;
  g.c = cv.c;
  g.h = cv.h;
  g.w = cv.w;
  g.wp = cv.w + 2;
  g.m = cv.m;
  g.oh = cv.oh;
  g.ow = cv.ow;
  g.owp = round_up(cv.ow, 2);
  g.kh = cv.kh;
  g.kw = cv.kw;
  g.ph = cv.ph;
  g.pw = cv.pw;
  g.dh = cv.dh;
  g.dw = cv.dw;
  return g;
}

// wt[((ci * kh + r) * kw + s) * m + co] = W(co, ci, r, s) of conv_igemm.h (one group).
void pack_weights(const IgemmConv& cv, const float* w, IgemmWeights form, float* wt) {
  for (index_t ci = 0; ci < cv.c; ++ci)
    for (index_t r = 0; r < cv.kh; ++r)
      for (index_t s = 0; s < cv.kw; ++s)
        for (index_t co = 0; co < cv.m; ++co)
          wt[((ci * cv.kh + r) * cv.kw + s) * cv.m + co] =
              form == IgemmWeights::kForward
                  ? w[((co * cv.c + ci) * cv.kh + r) * cv.kw + s]
                  : w[((ci * cv.m + co) * cv.kh + cv.kh - 1 - r) * cv.kw + cv.kw - 1 - s];
}

}  // namespace

bool conv_lanes_available(const IgemmConv& cv) {
  const ConvUkernel& k = kernels().conv;
  return cv.sh == 1 && cv.sw == 1 && cv.groups == 1 && k.lanes != nullptr && cv.batch >= k.lanes_width;
}

// 4 to 16 output channels: 2 * kMaxCb accumulators per pass hide the FMA latency from 4 channels
// on (8 accumulators). Measured on the Xeon (AVX-512), 2 threads, backward-data at batch 64 (32
// for the last), col2im or pack-free kernel -> lanes (us): 16 -> 6 5x5 14x14 (LeNet's conv2) 211 ->
// 144, 16 -> 12 5x5 14x14 406 -> 288, 16 -> 16 5x5 14x14 576 -> 370, 32 -> 6 5x5 14x14 380 -> 288,
// 16 -> 8 3x3 16x16 pad 1 278 -> 171, 8 -> 4 3x3 28x28 pad 1 322 -> 165, 32 -> 8 3x3 12x12 272 ->
// 136; but 16 -> 3 3x3 32x32 pad 1 (6 accumulators) 240 -> 290 (6 -> 1 5x5 28x28 pad 2 won,
// 230 -> 137, and stays with col2im for want of more measurements).
bool conv_lanes_pays(const IgemmConv& cv) {
  return cv.m >= 4 && cv.m <= 16;
}

void conv_lanes(const IgemmConv& cv, const float* in, const float* w, IgemmWeights form, const float* bias,
                float* out) {
  const ConvUkernel& k = kernels().conv;
  const index_t L = k.lanes_width;
  const ConvLanesGeom g = lanes_geom(cv);
  const index_t blocks = ceil_div(cv.batch, L);
  const index_t wt_floats = round_up(g.c * g.kh * g.kw * g.m, 16);
  const index_t in_floats = round_up(g.c * g.h * g.wp * L, 16), out_floats = round_up(g.m * g.oh * g.owp * L, 16);
  const int nt = threads_for(blocks, 1);
  float* buf = scratch(kScratchConv, sizeof(float) * (wt_floats + nt * (in_floats + out_floats)));
  pack_weights(cv, w, form, buf);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (index_t b = 0; b < blocks; ++b) {
    float* tin = buf + wt_floats + thread_rank() * (in_floats + out_floats);
    float* tout = tin + in_floats;
    const index_t n0 = b * L, nl = cv.batch - n0 < L ? cv.batch - n0 : L;
    ConvLanesBlock blk;
    blk.in = in + n0 * cv.in_n_stride;
    blk.in_stride = cv.in_n_stride;
    blk.nl = nl;
    blk.bias = bias;
    blk.tin = tin;
    blk.tout = tout;
    blk.out = out + n0 * cv.out_n_stride;
    blk.out_stride = cv.out_n_stride;
    k.lanes(g, blk, buf);
  }
}

}  // namespace gn
