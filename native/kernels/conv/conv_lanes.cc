// Stride-1 convolution with the batch in the vector lanes (conv_lanes.h). Baseline unit: the
// transposes and the weight repacking; the arithmetic is the ISA's lanes kernel (conv_ukernel.h,
// through the dispatch table).
#include "conv_lanes.h"

#include "../isa.h"
#include "../threads.h"
#include "conv_pad.h"
#include "conv_winograd.h"

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
  g.hp = cv.h;
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

// A thread's buffers for one block of samples, at most this many floats (2.5 MB, about L2): the
// layers measured below need up to 2.4 MB (ResNet-20's stage 1 backward-filter), and a block of a
// large plane would take hundreds of MB (a 512 x 512 plane of 8 channels: 134 MB each way).
constexpr double kMaxBlockFloats = 640 * 1024;

// Floats of one block's transposed input and output (conv_lanes).
double block_floats(const IgemmConv& cv, index_t L) {
  return (static_cast<double>(cv.c) * cv.h * (cv.w + 2) + static_cast<double>(cv.m) * cv.oh * (cv.ow + 1)) * L;
}

// Blocks of samples whose backward-filter partials are held at once.
constexpr index_t kFilterRound = 32;

// Of conv_lanes_filter: the padded input, dY and the accumulators.
double filter_block_floats(const IgemmConv& cv, index_t L) {
  const conv_detail::PadGeom pg = conv_detail::pad_geom(cv);
  return (static_cast<double>(cv.c) * pg.hp * pg.wp + static_cast<double>(cv.m) * cv.oh * cv.ow +
          static_cast<double>(cv.m) * (static_cast<double>(cv.c) * cv.kh * cv.kw + 8)) * L;
}

}  // namespace

bool conv_lanes_available(const IgemmConv& cv) {
  const ConvUkernel& k = kernels().conv;
  return cv.sh == 1 && cv.sw == 1 && cv.groups == 1 && k.lanes != nullptr && cv.batch >= k.lanes_width &&
         block_floats(cv, k.lanes_width) <= kMaxBlockFloats;
}

// Measured on the Xeon (AVX-512), 2 threads, batch 64 (LeNet-like) or 32, previous path -> lanes (us).
// Backward-data (c -> m here is dY's channels -> dX's): 16 -> 6 5x5 14x14 (LeNet's conv2) 211 ->
// 144, 16 -> 12 5x5 14x14 406 -> 288, 16 -> 16 5x5 14x14 576 -> 370, 32 -> 6 5x5 14x14 380 -> 288,
// 16 -> 8 3x3 16x16 278 -> 171, 8 -> 4 3x3 28x28 322 -> 165, 32 -> 8 3x3 12x12 272 -> 136,
// 32 -> 16 3x3 16x16 (Winograd) 344 -> 300, 64 -> 64 3x3 8x8 (Winograd) 708 -> 569, 32 -> 64 3x3 8x8
// 397 -> 295. Forward: 6 -> 16 5x5 14x14 (LeNet's conv2) 146 -> 122, 8 -> 8 3x3 32x32 315 -> 230,
// 64 -> 64 3x3 8x8 (Winograd) 730 -> 593. Slower or no better: 3 output channels (6 accumulators:
// 16 -> 3 3x3 32x32 backward-data 240 -> 290), up to 4 input channels (the innermost loop: forward
// 3 -> 16 3x3 32x32 188 -> 263, 1 -> 6 5x5 and 4 -> 4 3x3 even), and against Winograd on larger
// planes: 16 -> 16 3x3 32x32 forward 635 -> 760, backward-data 583 -> 707; 32 -> 32 3x3 16x16
// forward 571 -> 625, backward-data 540 -> 600; 16 -> 32 backward-data 291 -> 316.
// AVX2 (8 lanes, 12 accumulators) wins less: backward-data 16 -> 6 / 12 / 16 5x5 14x14 235 -> 196,
// 502 -> 402, 725 -> 557, 32 -> 6 474 -> 397, 16 -> 8 3x3 16x16 328 -> 267, 8 -> 4 346 -> 223,
// 32 -> 8 288 -> 231, forward 8 -> 8 3x3 32x32 416 -> 284; but forward 6 -> 16 5x5 14x14 186 -> 204,
// and against Winograd even on 8x8 planes: 64 -> 64 forward 769 -> 880, backward-data 789 -> 898;
// 32 -> 16 3x3 16x16 backward-data 399 -> 468.
bool conv_lanes_pays(const IgemmConv& cv) {
  const bool wide = kernels().conv.lanes_width >= 16;
  if (cv.c < (wide ? 6 : 8) || cv.m < 4 || cv.m > 64) return false;
  const index_t positions = cv.oh * cv.ow;
  if (wide && positions <= 64) return true;
  return cv.m <= 16 && !(conv_winograd_applicable(cv) && (!wide || positions > 256));
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

bool conv_lanes_filter_available(const IgemmConv& cv) {
  const ConvUkernel& k = kernels().conv;
  return cv.sh == 1 && cv.sw == 1 && cv.groups == 1 && cv.ph >= 0 && cv.pw >= 0 && k.lanes_filter != nullptr &&
         cv.batch >= k.lanes_width && filter_block_floats(cv, k.lanes_width) <= kMaxBlockFloats;
}

// Short reductions over taps, K = c * kh * kw <= 160, with at most 64 output channels (the rule of
// the pack-free filter kernel it replaces). Measured on the Xeon (AVX-512), 2 threads, previous path
// -> lanes (us), batch 64 then 32: 1 -> 6 5x5 28x28 pad 2 (LeNet's conv1) 135 -> 91, 6 -> 16 5x5
// 14x14 (LeNet's conv2) 159 -> 138, 1 -> 32 3x3 28x28 480 -> 445; 3 -> 16 3x3 32x32 281 -> 192,
// 8 -> 8 390 -> 218, 4 -> 4 116 -> 56, 3 -> 64 1170 -> 1090, 16 -> 16 3x3 32x32 (Winograd before)
// 1077 -> 800. Beyond K = 160 it loses: 32 -> 32 3x3 16x16 650 -> 690, 32 -> 64 1130 -> 1370,
// 64 -> 64 3x3 8x8 590 -> 640, 64 -> 64 3x3 32x32 (Winograd) 7.4 -> 10.8 ms. AVX2 (3 x 3 per pass;
// 4 x 3, 6 x 2 and 2 x 6 measured slower): 1 -> 6 5x5 28x28 160 -> 119, 3 -> 16 3x3 32x32 338 ->
// 238, 8 -> 8 447 -> 286, 4 -> 4 125 -> 83, 16 -> 16 3x3 16x16 280 -> 261, 32x32 1110 -> 1088, but
// LeNet's conv2 198 -> 211 (16 output channels and 150 taps: six passes over dY per tap group), so
// AVX2 leaves more than 8 output channels with more than 64 taps to the pack-free kernel.
bool conv_lanes_filter_pays(const IgemmConv& cv) {
  const index_t taps = cv.c * cv.kh * cv.kw;
  if (kernels().conv.lanes_width < 16 && cv.m > 8 && taps > 64) return false;
  return cv.m <= 64 && taps <= 160;
}

void conv_lanes_filter(const IgemmConv& cv, const float* x, const float* dy, float* dw, float* db) {
  const ConvUkernel& k = kernels().conv;
  const index_t L = k.lanes_width;
  const conv_detail::PadGeom pg = conv_detail::pad_geom(cv);
  ConvLanesGeom g = lanes_geom(cv);
  g.hp = pg.hp;
  g.wp = pg.wp;
  const index_t taps = cv.c * cv.kh * cv.kw, blocks = ceil_div(cv.batch, L);
  const index_t toff_n = taps + 8;
  const index_t part_floats = round_up(cv.m * taps + cv.m, 16);
  const index_t toff_floats = round_up(toff_n * static_cast<index_t>(sizeof(index_t) / sizeof(float)), 16);
  const index_t in_floats = round_up(g.c * g.hp * g.wp * L, 16), dy_floats = round_up(g.m * g.oh * g.ow * L, 16);
  const index_t acc_floats = g.m * toff_n * L, per_thread = in_floats + dy_floats + acc_floats;
  // Partials of up to kFilterRound blocks at a time, added to the running sums in block order after
  // each round: the same additions in the same order for any batch and thread count, in bounded
  // memory.
  const index_t round = blocks < kFilterRound ? blocks : kFilterRound;
  const int nt = threads_for(round, 1);
  float* buf = scratch(kScratchConv, sizeof(float) * (toff_floats + round * part_floats + nt * per_thread));
  index_t* toff = reinterpret_cast<index_t*>(buf);
  for (index_t t = 0; t < toff_n; ++t) {
    const index_t ci = t / (cv.kh * cv.kw), r = t / cv.kw % cv.kh, s = t % cv.kw;
    toff[t] = t < taps ? ((ci * g.hp + r * cv.dh) * g.wp + s * cv.dw) * L : 0;
  }
  float* parts = buf + toff_floats;
  float* work = parts + round * part_floats;
  const index_t wcount = cv.m * taps, count = wcount + (db ? cv.m : 0);
  for (index_t b0 = 0; b0 < blocks; b0 += round) {
    const index_t b1 = blocks - b0 < round ? blocks : b0 + round;
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (index_t b = b0; b < b1; ++b) {
      float* tin = work + thread_rank() * per_thread;
      const index_t n0 = b * L;
      ConvLanesFilterBlock blk;
      blk.x = x + n0 * cv.in_n_stride;
      blk.x_stride = cv.in_n_stride;
      blk.dy = dy + n0 * cv.out_n_stride;
      blk.dy_stride = cv.out_n_stride;
      blk.nl = cv.batch - n0 < L ? cv.batch - n0 : L;
      blk.toff = toff;
      blk.taps = taps;
      blk.tin = tin;
      blk.tdy = tin + in_floats;
      blk.acc = blk.tdy + dy_floats;
      blk.dw = parts + (b - b0) * part_floats;
      blk.db = db ? blk.dw + wcount : nullptr;
      k.lanes_filter(g, blk);
    }
    for (index_t e = 0; e < count; ++e) {
      float v = b0 == 0 ? parts[e] : (e < wcount ? dw[e] : db[e - wcount]) + parts[e];
      for (index_t b = 1; b < b1 - b0; ++b) v += parts[b * part_floats + e];
      if (e < wcount)
        dw[e] = v;
      else
        db[e - wcount] = v;
    }
  }
}

}  // namespace gn
