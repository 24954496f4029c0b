// conv2d backward-data. Few output columns in all (batch * oh * ow): column matrices and sgemm
// (conv_columns.h). Stride 1: the forward convolution of dY with the rotated, channel-swapped
// weights (Winograd, the batch-lanes kernel, the pack-free kernel or the implicit GEMM; see
// conv2d_backward_data).
// Otherwise per sample and group, dcol = W^T * dY (W^T packed once per call) one tile of output
// pixels at a time, scattered back into dX by col2im; 1x1 / stride 1 / unpadded convolutions
// write W^T * dY straight into dX. Batch-parallel like the forward pass.
// Depthwise convolutions have their own kernels (depthwise.h); a window covering the whole input
// is one GEMM over the batch, dX = dY * W (conv_columns.h: conv_whole_plane).
// Every dX plane is written by one thread only, in an order that depends on the sizes alone, so
// the result is the same for any thread count.
#include <cstring>

#include "../gemm/gemm.h"
#include "../threads.h"
#include "conv2d.h"
#include "conv_columns.h"
#include "conv_direct.h"
#include "conv_igemm.h"
#include "conv_lanes.h"
#include "conv_winograd.h"
#include "depthwise.h"
#include "im2col.h"

namespace gn {
namespace {

// W_g^T [K x cg_out] of every group, packed once per call (gemm.h, prepacked operands) for the
// batch-parallel col2im path, which multiplies it with every tile of every sample.
struct PackedWt {
  GemmBlocking bl;       // k-blocks of the reduction over cg_out
  index_t block_floats;  // one packed k-block of one group
  const float* data;     // [groups][k-blocks]
  const float* block(index_t g, index_t b) const { return data + (g * bl.nblocks + b) * block_floats; }
};

index_t packed_wt_floats(const ConvPlan& p, const GemmBlocking& bl, index_t groups) {
  return groups * bl.nblocks * ((p.K + bl.mr - 1) / bl.mr) * sgemm_panel_floats(bl.mr, bl.kc);
}

PackedWt pack_wt(const ConvPlan& p, const float* w, index_t groups, float* dst) {
  PackedWt pw;
  pw.bl = sgemm_blocking(p.cg_out, p.tile);
  pw.block_floats = ((p.K + pw.bl.mr - 1) / pw.bl.mr) * sgemm_panel_floats(pw.bl.mr, pw.bl.kc);
  pw.data = dst;
  for (index_t g = 0; g < groups; ++g)
    for (index_t b = 0; b < pw.bl.nblocks; ++b) {
      const index_t k0 = b * pw.bl.kc, kb = p.cg_out - k0 < pw.bl.kc ? p.cg_out - k0 : pw.bl.kc;
      // op(A) = W_g^T: A(i, q) = w[g][k0 + q][i], i < K.
      sgemm_pack_a(pw.bl, true, p.K, kb, w + (g * p.cg_out + k0) * p.K, p.K,
                   dst + (g * pw.bl.nblocks + b) * pw.block_floats);
    }
  return pw;
}

// Floats of one packed dY tile (cg_out x tile) of one k-block.
index_t dy_tile_floats(const ConvPlan& p, const GemmBlocking& bl) {
  return (p.tile + bl.nr - 1) / bl.nr * sgemm_panel_floats(bl.nr, bl.kc);
}

// One sample, all groups. With pw (batch-parallel col2im path), col and bpack are this thread's
// column and dY-tile buffers; without, sgemm does the packing (and may use threads).
void backward_data_sample(const Conv2dShape& s, const ConvPlan& p, const float* dy, const float* w,
                          float* dx, index_t n, float* col, const PackedWt* pw, float* bpack) {
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
      if (pw) {
        for (index_t b = 0; b < pw->bl.nblocks; ++b) {
          const index_t k0 = b * pw->bl.kc, kb = p.cg_out - k0 < pw->bl.kc ? p.cg_out - k0 : pw->bl.kc;
          sgemm_pack_b(pw->bl, false, t, kb, dyg + k0 * p.P + p0, p.P, bpack);
          sgemm_packed_block(pw->bl, p.K, t, kb, 1.f, pw->block(g, b), bpack, b == 0 ? 0.f : 1.f, col, t);
        }
      } else {
        sgemm(true, false, p.K, t, p.cg_out, 1.f, wg, p.K, dyg + p0, p.P, 0.f, col, t);
      }
      col2im_tile_add(p.geom, col, p0, t, dxg, t);
    }
  }
}

}  // namespace

// Stride 1: dX is the forward convolution of dY with the weights rotated by 180 degrees and their
// channels swapped, padded by dil * (k - 1) - pad (KERNELS.md §3.2): dx[ci][ih][iw] sums
// dy[co][ih + pad_h - r * dil_h][iw + pad_w - s * dil_w] * w[co][ci][r][s].
IgemmConv rotated_igemm(const Conv2dShape& s, const ConvPlan& p) {
  IgemmConv cv;
  cv.batch = s.n;
  cv.groups = s.groups;
  cv.c = p.cg_out;
  cv.h = s.oh;
  cv.w = s.ow;
  cv.in_n_stride = s.c_out * p.P;
  cv.m = p.cg_in;
  cv.oh = s.h;
  cv.ow = s.w;
  cv.out_n_stride = s.c_in * p.hw;
  cv.kh = s.kh;
  cv.kw = s.kw;
  cv.sh = 1;
  cv.sw = 1;
  cv.ph = s.dil_h * (s.kh - 1) - s.pad_h;
  cv.pw = s.dil_w * (s.kw - 1) - s.pad_w;
  cv.dh = s.dil_h;
  cv.dw = s.dil_w;
  return cv;
}

void conv2d_backward_data(const Conv2dShape& s, const float* dy, const float* w, float* dx) {
  if (conv_is_depthwise(s)) return depthwise_backward_data(s, dy, w, dx);
  if (conv_whole_plane(s)) return conv_whole_plane_backward_data(s, dy, w, dx);
  const ConvPlan p = conv_plan(s);
  if (p.direct && conv_columns_applicable(s, p, true)) return conv_columns_backward_data(s, p, dy, w, dx);
  // Stride 1: a forward convolution of dY with the rotated weights (dX has cg_in channels), by
  // Winograd (3x3 with enough channels), the pack-free kernel (2 to 16 input channels), or the
  // implicit GEMM. The latter packs dY once per output block and reuses it for cg_in / MR
  // micro-panels of W, while the col2im path packs W^T once and reuses dY tiles for K / MR
  // micro-panels but pays the col2im pass. Measured (Zen3, before Winograd and the pack-free
  // kernel): the former wins for cg_in >= cg_out (64 -> 64 at 32x32: 30 vs 34 ms; 16 -> 16: 2.5 vs
  // 3.2 ms), the latter for cg_in < cg_out (32 -> 64 at 14x14: 6.5 vs 8.1 ms; 6 -> 16: 1.7 vs
  // 2.1 ms; one input channel: 4x).
  const bool rotated = !p.direct && s.stride_h == 1 && s.stride_w == 1;
  const IgemmConv cv = rotated ? rotated_igemm(s, p) : IgemmConv{};
  if (rotated) {
    // The batch in the lanes, which runs only the taps inside dY (conv_lanes.h; conv_lanes_pays has
    // the shapes). LeNet's conv2 (16 -> 6 5x5, 10x10 into 14x14, b64, 2 threads): 207 us with the
    // pack-free kernel below, 125 us.
    if (conv_lanes_available(cv) && conv_lanes_pays(cv)) {
      conv_lanes(cv, dy, w, IgemmWeights::kRotated, nullptr, dx);
      return;
    }
    // Winograd needs 16 channels on the output (dX) side here: with 8 (64 -> 8 at 16x16) the
    // col2im path's M = 72-row GEMM beats its 8-row products (1.00 vs 1.37 ms).
    if (conv_winograd_applicable(cv) && cv.m >= 16 && !conv_columns_before_winograd(s, p, true)) {
      conv_winograd(cv, dy, w, IgemmWeights::kRotated, nullptr, dx);
      return;
    }
    // The rotated convolution pads dY with the zeros a 'valid' forward convolution leaves
    // (oh * ow < h * w); the pack-free kernel skips the kernel rows that read only padding
    // (its row tiling), so it stays ahead of col2im there too: 16 -> 6 5x5 at 10x10 -> 14x14
    // 0.66 ms vs 0.91 ms.
    if (conv_direct_available(cv) && conv_direct_pays(cv)) {
      conv_direct(cv, dy, w, IgemmWeights::kRotated, nullptr, dx);
      return;
    }
  }
  // Few output columns (conv_columns.h), whatever the stride.
  if (conv_columns_applicable(s, p, true)) {
    conv_columns_backward_data(s, p, dy, w, dx);
    return;
  }
  if (rotated && p.cg_in >= p.cg_out) {
    conv_igemm(cv, dy, w, IgemmWeights::kRotated, nullptr, dx);
    return;
  }
  const int nt = threads_for(s.n, 1);
  if (!p.direct && (nt == 1 || s.n >= num_threads())) {
    // Batch-parallel (or serial) col2im path with W^T packed once: packed weights, then each
    // thread's column buffer and dY tile, in one allocation made before the region.
    const GemmBlocking bl = sgemm_blocking(p.cg_out, p.tile);
    const index_t wt_floats = packed_wt_floats(p, bl, s.groups);
    const index_t per_thread = p.col_floats + dy_tile_floats(p, bl);
    float* buf = scratch(kScratchConv, sizeof(float) * (wt_floats + per_thread * nt));
    const PackedWt pw = pack_wt(p, w, s.groups, buf);
    float* bufs = buf + wt_floats;
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (index_t n = 0; n < s.n; ++n) {
      float* mine = bufs + per_thread * thread_rank();
      backward_data_sample(s, p, dy, w, dx, n, mine, &pw, mine + p.col_floats);
    }
  } else if (nt > 1 && s.n >= num_threads()) {
    RegionGuard guard;  // sgemm takes its packing buffers from each thread's scratch
#pragma omp parallel for num_threads(nt) schedule(static)
    for (index_t n = 0; n < s.n; ++n)
      guard.run([&] { backward_data_sample(s, p, dy, w, dx, n, nullptr, nullptr, nullptr); });
    guard.rethrow();
  } else {
    // Fewer samples than threads: one sample at a time, sgemm's threads split each product.
    float* col = p.direct ? nullptr : scratch(kScratchConv, sizeof(float) * p.col_floats);
    for (index_t n = 0; n < s.n; ++n) backward_data_sample(s, p, dy, w, dx, n, col, nullptr, nullptr);
  }
}

}  // namespace gn
