// conv2d backward-filter: dW_g = sum over n of dY_n,g * col(X_n,g)^T, and dbias = sum of dY over
// n, oh, ow. In order of preference: the batch in the vector lanes (conv_lanes.h: stride 1, one
// group, K <= 160, <= 64 output channels, a batch of at least 16 or 8 samples; its own blocks of
// samples take the place of the chunks below), Winograd F(2x2,3x3) (3x3 stride 1, >= 16 channels each
// side, >= 512 tiles: conv_winograd.cc), the pack-free kernel (conv_direct.h: stride 1, K = c*kh*kw <= 160, <= 64 output
// channels), the implicit-GEMM engine (conv_igemm.h); 1x1 / stride 1 / unpadded convolutions use
// gn::sgemm with trans_b on X itself. Depthwise convolutions have their own kernels (depthwise.h);
// a window covering the whole input is one GEMM over the batch, dW = dY^T * X (conv_columns.h:
// conv_whole_plane; dbias summed in sample order).
//
// Determinism: the batch is split into a fixed number of chunks of consecutive samples, chosen from
// the sizes alone (never from the thread count). Each chunk is accumulated serially, in sample
// order, into its own partial dW / dbias (chunk 0 directly into dw / dbias); the partials are then
// added in chunk order. Threads only decide which thread computes which chunk (or, with fewer
// chunks than threads, which tap panels / taps of a chunk, or the GEMM's threads split each
// product, which gn::sgemm guarantees to be bitwise the same), so dw and dbias are bitwise the
// same for any thread count.
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

// At most this many chunks (enough for 32 threads; chunks of 8 samples at batch 256), and
// partial sums of at most ~8 MB: large weights get fewer chunks, their GEMMs parallelise anyway.
constexpr index_t kMaxChunks = 32;
constexpr index_t kPartialBudgetFloats = index_t(2) << 20;
// Output pixels a chunk should at least cover: each partial dW costs one add per element in the
// final reduction, i.e. one add per (pixels of the chunk) multiply-adds. Below ~1024 that pass
// shows (32 chunks of one 8x8 sample each: ~7% of a 64->64 3x3 backward-filter).
constexpr index_t kMinChunkPixels = 1024;
// Elements per thread below which the partial-sum reduction stays serial.
constexpr index_t kReduceGrain = index_t(1) << 15;

// Sum of v[0 .. len) with 8 interleaved accumulators (vectorisable, more accurate than one
// running sum), combined pairwise. The order depends on len only.
float row_sum(const float* v, index_t len) {
  float a[8] = {0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f};
  index_t i = 0;
  for (; i + 8 <= len; i += 8)
    for (int l = 0; l < 8; ++l) a[l] += v[i + l];
  for (int l = 0; i < len; ++i, ++l) a[l] += v[i];
  return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
}

struct FilterJob {
  const Conv2dShape& s;
  const ConvPlan& p;
  const float* x;
  const float* dy;
  index_t nchunks;
  const IgemmFilterPlan* fp;  // the implicit-GEMM engine, or null for the 1x1 GEMM
  const WinogradFilterPlan* wp;  // Winograd (then fp is null too), or null
  const DirectFilterPlan* dp;    // pack-free (then fp and wp are null), or null

  index_t chunk_begin(index_t c) const { return c * s.n / nchunks; }

  // dbias over the samples of chunk c.
  void chunk_bias(index_t c, float* db_c) const {
    const index_t n0 = chunk_begin(c), n1 = chunk_begin(c + 1);
    for (index_t n = n0; n < n1; ++n) {
      const float* dyn = dy + n * s.c_out * p.P;
      for (index_t co = 0; co < s.c_out; ++co) {
        const float v = row_sum(dyn + co * p.P, p.P);
        db_c[co] = n == n0 ? v : db_c[co] + v;
      }
    }
  }

  // dw_c [c_out x K] (and db_c [c_out] when not null) = the sums over the samples of chunk c.
  // ws: this thread's column buffer, or the engine's workspace.
  void chunk(index_t c, float* dw_c, float* db_c, float* col) const {
    const index_t n0 = chunk_begin(c), n1 = chunk_begin(c + 1);
    if (dp) {
      direct_filter_chunk(*dp, x, dy, n0, n1, 0, dp->K, dw_c, col);
      if (db_c) chunk_bias(c, db_c);
      return;
    }
    if (wp) {
      winograd_filter_chunk(*wp, x, dy, n0, n1, dw_c, col);
      if (db_c) chunk_bias(c, db_c);
      return;
    }
    if (fp) {
      igemm_filter_chunk(*fp, x, dy, n0, n1, 0, fp->panels, dw_c, col);
      if (db_c) chunk_bias(c, db_c);
      return;
    }
    // 1x1 / stride 1 / unpadded: dW [cg_out x cg_in] += dY [cg_out x oh*w] * X^T (rows of X are
    // hw apart); small planes of many channels through column matrices of several samples.
    if (conv_columns_filter_chunk(s, p) > 0) {
      conv_columns_filter_1x1(s, p, x, dy, n0, n1, dw_c, col);
      if (db_c) chunk_bias(c, db_c);
      return;
    }
    for (index_t n = n0; n < n1; ++n) {
      for (index_t g = 0; g < s.groups; ++g) {
        const float* xg = x + (n * s.c_in + g * p.cg_in) * p.hw;
        const float* dyg = dy + (n * s.c_out + g * p.cg_out) * p.P;
        sgemm(false, true, p.cg_out, p.cg_in, p.P, 1.f, dyg, p.P, xg, p.hw, n == n0 ? 0.f : 1.f,
              dw_c + g * p.cg_out * p.K, p.K);
      }
      if (db_c) {
        const float* dyn = dy + n * s.c_out * p.P;
        for (index_t co = 0; co < s.c_out; ++co) {
          const float v = row_sum(dyn + co * p.P, p.P);
          db_c[co] = n == n0 ? v : db_c[co] + v;
        }
      }
    }
  }
};

// dst[i] += part_1[i], then += part_2[i], ... in chunk order (parts are `stride` floats apart).
void reduce_partials(float* dst, index_t len, const float* parts, index_t stride, index_t nparts) {
  if (nparts == 0) return;
  const int nt = threads_for(len, kReduceGrain);
  const index_t nblocks = (len + 4095) / 4096;
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (index_t b = 0; b < nblocks; ++b) {
    const index_t i0 = b * 4096, i1 = i0 + 4096 < len ? i0 + 4096 : len;
    for (index_t q = 0; q < nparts; ++q) {
      const float* src = parts + q * stride;
      for (index_t i = i0; i < i1; ++i) dst[i] += src[i];
    }
  }
}

inline index_t round_up16(index_t v) { return (v + 15) / 16 * 16; }

}  // namespace

void conv2d_backward_filter(const Conv2dShape& s, const float* x, const float* dy, float* dw,
                            float* dbias) {
  if (conv_is_depthwise(s)) return depthwise_backward_filter(s, x, dy, dw, dbias);
  if (conv_whole_plane(s)) return conv_whole_plane_backward_filter(s, x, dy, dw, dbias);
  const ConvPlan p = conv_plan(s);
  const index_t w_size = conv2d_w_size(s);
  // One partial = dW then dbias, padded to 64 bytes. Its size (and so the chunk count) does not
  // depend on whether dbias is wanted, so dw is the same either way.
  const index_t part_floats = (w_size + s.c_out + 15) / 16 * 16;
  index_t nchunks = 1 + kPartialBudgetFloats / part_floats;
  if (nchunks > kMaxChunks) nchunks = kMaxChunks;
  if (nchunks > s.n) nchunks = s.n;
  {
    // A power of two (even splits between 2, 4, ... threads), each chunk >= kMinChunkPixels.
    const index_t by_pixels = s.n * p.P / kMinChunkPixels;
    index_t pow2 = 1;
    while (pow2 * 2 <= by_pixels && pow2 * 2 <= nchunks) pow2 *= 2;
    nchunks = pow2;
  }
  // The implicit-GEMM engine for all but 1x1 (a plain GEMM on X).
  bool engine = !p.direct;
  bool wino = false, direct = false;
  IgemmFilterPlan fplan;
  WinogradFilterPlan wplan;
  DirectFilterPlan dplan;
  if (engine) {
    const IgemmConv cv = forward_igemm(s, p);
    // Stride 1, one group, short reductions over taps and a batch of at least one vector: the batch
    // in the lanes (conv_lanes.h), ahead of Winograd and the pack-free kernel.
    if (conv_lanes_filter_available(cv) && conv_lanes_filter_pays(cv)) {
      conv_lanes_filter(cv, x, dy, dw, dbias);
      return;
    }
    const index_t max_samples = (s.n + nchunks - 1) / nchunks;
    // Winograd for 3x3 / stride 1 with >= 16 channels each side (whatever the thread count, so
    // that results do not depend on it).
    wino = conv_winograd_filter_applicable(cv);
    // The pack-free kernel for short reductions over taps (the LeNet layers), whatever the thread
    // count too.
    direct = !wino && conv_direct_filter_available(cv) && conv_direct_filter_pays(cv);
    if (wino) {
      wplan = winograd_filter_plan(cv, max_samples);
      engine = false;
    } else if (direct) {
      dplan = direct_filter_plan(cv);
      engine = false;
    } else {
      fplan = igemm_filter_plan(cv, max_samples);
    }
  }
  const FilterJob job{s, p, x, dy, nchunks, engine ? &fplan : nullptr, wino ? &wplan : nullptr,
                      direct ? &dplan : nullptr};

  const int nt = threads_for(nchunks, 1);
  const bool chunk_parallel = nt > 1 && nchunks >= num_threads();
  // Fewer chunks than threads: threads split each chunk's tap panels (engine) or taps (pack-free).
  const index_t units = engine ? fplan.panels : direct ? dplan.K : 0;
  const int nt_panels = units > 0 && !chunk_parallel ? threads_for(units, 1) : 1;
  const int ncols = chunk_parallel ? nt : nt_panels;
  const index_t col_floats =
      wino     ? round_up16(wplan.ws_floats)
      : direct ? round_up16(dplan.ws_floats)
      : engine ? round_up16(fplan.ws_floats)
               : p.direct ? conv_columns_filter_floats(s, p) : p.col_floats;
  // Partials of chunks 1.. and the column buffers, in one allocation made before any region.
  const index_t part_total = (nchunks - 1) * part_floats;
  float* buf = nullptr;
  if (part_total > 0 || col_floats > 0)
    buf = scratch(kScratchConv, sizeof(float) * (part_total + col_floats * ncols));
  float* parts = buf;
  float* cols = buf ? buf + part_total : nullptr;
  auto chunk_dw = [&](index_t c) { return c == 0 ? dw : parts + (c - 1) * part_floats; };
  auto chunk_db = [&](index_t c) {
    return dbias == nullptr ? nullptr : c == 0 ? dbias : parts + (c - 1) * part_floats + w_size;
  };

  if (chunk_parallel) {
    RegionGuard guard;  // the 1x1 path's sgemm takes packing buffers from each thread's scratch
#pragma omp parallel for num_threads(nt) schedule(static)
    for (index_t c = 0; c < nchunks; ++c)
      guard.run([&] {
        job.chunk(c, chunk_dw(c), chunk_db(c), col_floats > 0 ? cols + col_floats * thread_rank() : nullptr);
      });
    guard.rethrow();
  } else if (nt_panels > 1) {
    for (index_t c = 0; c < nchunks; ++c) {
      const index_t n0 = job.chunk_begin(c), n1 = job.chunk_begin(c + 1);
      float* dw_c = chunk_dw(c);
#pragma omp parallel for num_threads(nt_panels) schedule(static)
      for (int t = 0; t < nt_panels; ++t) {
        const index_t u0 = units * t / nt_panels, u1 = units * (t + 1) / nt_panels;
        if (direct)
          direct_filter_chunk(dplan, x, dy, n0, n1, u0, u1, dw_c, cols + col_floats * t);
        else
          igemm_filter_chunk(fplan, x, dy, n0, n1, u0, u1, dw_c, cols + col_floats * t);
      }
      if (float* db_c = chunk_db(c)) job.chunk_bias(c, db_c);
    }
  } else {
    for (index_t c = 0; c < nchunks; ++c) job.chunk(c, chunk_dw(c), chunk_db(c), cols);
  }

  reduce_partials(dw, w_size, parts, part_floats, nchunks - 1);
  if (dbias && nchunks > 1) reduce_partials(dbias, s.c_out, parts + w_size, part_floats, nchunks - 1);
}

}  // namespace gn
