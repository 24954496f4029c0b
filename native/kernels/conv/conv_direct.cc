// Pack-free stride-1 convolution (conv_direct.h). Baseline unit: the arithmetic is the ISA's
// convolution micro-kernel (conv_ukernel.h, through the dispatch table).
#include "conv_direct.h"

#include <cstring>

#if defined(__SSE2__)
#include <xmmintrin.h>
#endif

#include "../gemm/gemm.h"
#include "../gemm/pack.h"
#include "../isa.h"
#include "../threads.h"
#include "conv_pad.h"
#include "im2col.h"

namespace gn {
namespace {

using conv_detail::ceil_div;
using conv_detail::min_i;
using conv_detail::PadGeom;
using conv_detail::PadRing;
using conv_detail::round_up;

// Multiply-adds a thread should at least get (~25-50 us).
constexpr index_t kMinMacsPerThread = index_t(1) << 20;
// Padded input read by one k-block (8 KB): with A's panel and the output tile it stays in L1 while
// a row of tiles sweeps it. 6 -> 16 channels 5x5 backward-data (18x18 planes): 1.25 ms with all 16
// channels per block, 1.00 ms with 6.
constexpr index_t kPlaneBlockFloats = 2048;
// Positions per call of the filter kernel (a multiple of 8): 6 rows of dY (12 KB), the mask and
// the input the taps read stay in L1 while every pair of taps sweeps them. Measured (2 threads):
// 3 -> 6 5x5 96x96 b8 backward-filter 677 -> 585 us; 28x28 planes (896 positions) no change.
constexpr index_t kFilterBlock = 512;
// Output positions per sample group of the channel tiling of backward-filter (whole samples, at
// least one): the group's dY block (64 bytes per position) and padded input stay in L1 / L2 while
// every tile of chan_rows taps sweeps them.
constexpr index_t kFilterChanPositions = 512;

struct Plan {
  IgemmConv cv;
  ConvUkernel uk;
  index_t K, Kb;   // reduction without / with the bias row
  PadGeom pg;
  index_t Q;       // oh * wp positions per sample
  index_t Qp;      // Q rounded up to NR: the columns computed
  index_t slack;   // zeros after the channels: reads of the dropped positions run up to here
  index_t ones;    // offset of the row of ones (the bias row) in the padded sample
  index_t x_floats;  // padded sample, slack, ones, and NR more
  index_t kcb;     // reduction rows per k-block: whole channels, about kPlaneBlockFloats of input
  index_t mp;      // micro-panels of A
  index_t psa;     // floats of one packed A micro-panel (MR x Kb)
  index_t y_floats;  // output buffer: mp * MR rows of Qp (flat) or of ld (rows)
  // Row tiles: each output row gets its own ceil(ow / NR) tiles (wb = NR * that positions), and a
  // tile only runs the taps whose input row lies inside the input (k ordered (r, ci, s), so those
  // are one contiguous range of k): no multiplications by the zero rows of the padding. Flat tiles
  // (the default) run over the padded plane's row-major positions, all taps. With rows of at most
  // NR / 2 outputs, a row tile may instead cover two output rows, NR / 2 positions of each (the
  // kernel's `half`: the B row's second run starts one padded row later), running the taps valid
  // for either: AVX-512's 32-wide tiles on rows of 14 (LeNet conv2's backward-data) would
  // otherwise compute 32 positions for 14. make_plan takes the one with fewer multiply-adds.
  bool rows;
  bool pairs;    // row tiles cover two output rows (wb = NR / 2)
  index_t wb;    // positions per output row in the output buffer
  index_t ld;    // floats per output channel in the output buffer (row tiles)
  // Channel tiles (the chan kernel): chan_rows output positions x 16 output channels, W packed 16 channels
  // wide, positions taken in the output's order (none dropped). make_plan takes it when it
  // multiplies at most 0.9x what the better of the other two does.
  bool chan;
};

// First and one-past-last kernel row r whose input row i - ph + r * dh is inside [0, h).
inline void valid_rows(const IgemmConv& cv, index_t i, index_t* lo, index_t* hi) {
  index_t a = 0, b = cv.kh;
  const index_t base = i - cv.ph;  // input row of r = 0
  if (base < 0) a = (-base + cv.dh - 1) / cv.dh;
  if (base + (cv.kh - 1) * cv.dh >= cv.h) b = base < cv.h ? (cv.h - base + cv.dh - 1) / cv.dh : 0;
  if (a > cv.kh) a = cv.kh;
  if (b < a) b = a;
  *lo = a;
  *hi = b;
}

// valid_rows over output rows i .. i + count - 1 (those below oh): the union of their ranges.
inline void valid_rows_of(const IgemmConv& cv, index_t i, index_t count, index_t* lo, index_t* hi) {
  valid_rows(cv, i, lo, hi);
  for (index_t r = i + 1; r < i + count && r < cv.oh; ++r) {
    index_t a, b;
    valid_rows(cv, r, &a, &b);
    if (a < *lo) *lo = a;
    if (b > *hi) *hi = b;
  }
}

// Weight (co, ci, tap = r * kw + s) of the convolution computed, read from w as `form` says.
inline float weight_at(const IgemmConv& cv, const float* w, IgemmWeights form, index_t co, index_t ci,
                       index_t tap) {
  const index_t taps = cv.kh * cv.kw;
  return form == IgemmWeights::kForward ? w[(co * cv.c + ci) * taps + tap]
                                        : w[(ci * cv.m + co) * taps + taps - 1 - tap];
}

// Where tap (ci, r, s) reads, relative to an output position, in a padded sample of geometry pg.
inline index_t tap_offset(const IgemmConv& cv, const PadGeom& pg, index_t ci, index_t r, index_t s) {
  return (ci * pg.hp + r * cv.dh) * pg.wp + s * cv.dw;
}

Plan make_plan(const IgemmConv& cv, bool bias) {
  Plan pl;
  pl.cv = cv;
  pl.uk = kernels().conv;
  pl.K = cv.c * cv.kh * cv.kw;
  pl.Kb = pl.K + (bias ? 1 : 0);
  pl.pg.hp = cv.oh + (cv.kh - 1) * cv.dh;
  pl.pg.wp = cv.ow + (cv.kw - 1) * cv.dw;
  pl.pg.plane = pl.pg.hp * pl.pg.wp;
  const index_t nr = pl.uk.nr;
  pl.Q = cv.oh * pl.pg.wp;
  pl.Qp = round_up(pl.Q, nr);
  // The last channel's last tap reads up to position (Qp - 1) + (kh-1)*dh*wp + (kw-1)*dw of its
  // plane, at most plane + (kw-1)*dw + NR past its start.
  pl.slack = round_up((cv.kw - 1) * cv.dw + nr, 16);
  pl.pg.sample_pad = round_up(cv.c * pl.pg.plane, 16);
  pl.ones = pl.pg.sample_pad + pl.slack;
  pl.x_floats = pl.ones + round_up(pl.Qp + nr, 16);
  const index_t channels = conv_detail::max_i(1, kPlaneBlockFloats / pl.pg.plane);
  pl.kcb = channels >= cv.c ? pl.Kb : channels * cv.kh * cv.kw;
  pl.mp = ceil_div(cv.m, pl.uk.mr);
  // Multiply-adds (per micro-panel row) of the two tilings.
  pl.wb = round_up(cv.ow, nr);
  double flat = static_cast<double>(pl.Qp) * static_cast<double>(pl.K), rows = 0, pairs = 0;
  for (index_t i = 0; i < cv.oh; ++i) {
    index_t lo, hi;
    valid_rows(cv, i, &lo, &hi);
    rows += static_cast<double>(pl.wb) * static_cast<double>((hi - lo) * cv.c * cv.kw);
    if (i % 2 == 0) {
      valid_rows_of(cv, i, 2, &lo, &hi);
      pairs += static_cast<double>(nr) * static_cast<double>((hi - lo) * cv.c * cv.kw);
    }
  }
  pl.pairs = 2 * cv.ow <= nr && pairs < rows;
  if (pl.pairs) {
    rows = pairs;
    pl.wb = nr / 2;
  }
  pl.rows = rows < 0.95 * flat;
  pl.pairs = pl.pairs && pl.rows;
  pl.ld = round_up(cv.oh, pl.pairs ? 2 : 1) * pl.wb;
  const double panel_rows = static_cast<double>(pl.mp * pl.uk.mr);
  const double chan = static_cast<double>(round_up(cv.m, kChanCols)) *
                      static_cast<double>(round_up(cv.oh * cv.ow, pl.uk.chan_rows)) * static_cast<double>(pl.K);
  pl.chan = pl.uk.chan != nullptr && chan <= 0.9 * panel_rows * (pl.rows ? rows : flat);
  if (pl.rows) {
    pl.Kb = pl.K;  // the bias is added when the output is copied out
    pl.kcb = pl.K;
  }
  pl.psa = sgemm_panel_floats(pl.uk.mr, pl.Kb);
  pl.y_floats = round_up(pl.mp * pl.uk.mr * (pl.rows ? pl.ld : pl.Qp), 16);
  return pl;
}

}  // namespace

bool conv_direct_available(const IgemmConv& cv) {
  const IsaKernels& k = kernels();
  return cv.sh == 1 && cv.sw == 1 && cv.groups == 1 && k.conv.run != nullptr;
}

bool conv_direct_pays(const IgemmConv& cv) {
  const index_t mr = kernels().conv.mr;
  if (cv.m > 16 || cv.m < 2 || mr <= 0) return false;
  const bool full = 5 * cv.m >= 4 * mr * ceil_div(cv.m, mr);
  return full || cv.c * cv.kh * cv.kw <= 64;
}

namespace {

// y[j * ld + i] = tile[i * kChanCols + j] + (bias ? bias[j] : 0) for i < rows, j < cols: a chan
// kernel tile (rows of 16 channels) into the output's channel planes. With SSE2, 4 x 4 blocks are
// transposed in registers: the scalar loop cost a quarter of LeNet conv2's forward.
void store_tile_transposed(const float* GN_RESTRICT tile, index_t rows, index_t cols, const float* bias,
                           float* GN_RESTRICT y, index_t ld) {
  index_t j0 = 0;
#if defined(__SSE2__)
  for (; j0 + 4 <= cols; j0 += 4) {
    const __m128 b = bias ? _mm_loadu_ps(bias + j0) : _mm_setzero_ps();
    const __m128 b0 = _mm_shuffle_ps(b, b, _MM_SHUFFLE(0, 0, 0, 0)), b1 = _mm_shuffle_ps(b, b, _MM_SHUFFLE(1, 1, 1, 1));
    const __m128 b2 = _mm_shuffle_ps(b, b, _MM_SHUFFLE(2, 2, 2, 2)), b3 = _mm_shuffle_ps(b, b, _MM_SHUFFLE(3, 3, 3, 3));
    index_t i = 0;
    for (; i + 4 <= rows; i += 4) {
      __m128 r0 = _mm_loadu_ps(tile + (i + 0) * kChanCols + j0), r1 = _mm_loadu_ps(tile + (i + 1) * kChanCols + j0);
      __m128 r2 = _mm_loadu_ps(tile + (i + 2) * kChanCols + j0), r3 = _mm_loadu_ps(tile + (i + 3) * kChanCols + j0);
      _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
      _mm_storeu_ps(y + (j0 + 0) * ld + i, _mm_add_ps(r0, b0));
      _mm_storeu_ps(y + (j0 + 1) * ld + i, _mm_add_ps(r1, b1));
      _mm_storeu_ps(y + (j0 + 2) * ld + i, _mm_add_ps(r2, b2));
      _mm_storeu_ps(y + (j0 + 3) * ld + i, _mm_add_ps(r3, b3));
    }
    for (; i < rows; ++i)
      for (index_t j = j0; j < j0 + 4; ++j) y[j * ld + i] = tile[i * kChanCols + j] + (bias ? bias[j] : 0.f);
  }
#endif
  for (index_t j = j0; j < cols; ++j) {
    const float b = bias ? bias[j] : 0.f;
    for (index_t i = 0; i < rows; ++i) y[j * ld + i] = tile[i * kChanCols + j] + b;
  }
}

// The channel tiling (Plan::chan): W packed [m / 16 blocks][K][16] once, then per sample and per
// tile of chan_rows output positions one chan kernel call per block of 16 channels, stored into the
// output (with the bias).
void conv_direct_chan(const Plan& pl, const float* in, const float* w, IgemmWeights form,
                      const float* bias, float* out, int nt) {
  const IgemmConv& cv = pl.cv;
  const index_t K = pl.K, taps = cv.kh * cv.kw, P = cv.oh * cv.ow;
  const index_t nb = ceil_div(cv.m, kChanCols);
  const index_t b_floats = round_up(nb * K * kChanCols, 16);
  const index_t off_floats = round_up(2 * K, 16), pos_floats = round_up(2 * P, 16);
  const index_t R = pl.uk.chan_rows;
  const index_t per_thread = pl.pg.sample_pad + R * kChanCols;
  float* buf = scratch(kScratchConv, sizeof(float) * (b_floats + off_floats + pos_floats + nt * per_thread));
  float* bpack = buf;
  index_t* off = reinterpret_cast<index_t*>(bpack + b_floats);
  index_t* pos = reinterpret_cast<index_t*>(bpack + b_floats + off_floats);  // output p -> padded position
  float* threads_base = bpack + b_floats + off_floats + pos_floats;
  for (index_t p = 0; p < P; ++p) pos[p] = p / cv.ow * pl.pg.wp + p % cv.ow;
  for (index_t jb = 0; jb < nb; ++jb)
    for (index_t k = 0; k < K; ++k) {
      const index_t ci = k / taps, rs = k % taps;
      float* dst = bpack + (jb * K + k) * kChanCols;
      for (index_t j = 0; j < kChanCols; ++j) {
        const index_t co = jb * kChanCols + j;
        dst[j] = co < cv.m ? weight_at(cv, w, form, co, ci, rs) : 0.f;
      }
    }
  for (index_t ci = 0; ci < cv.c; ++ci)
    for (index_t r = 0; r < cv.kh; ++r)
      for (index_t s = 0; s < cv.kw; ++s)
        off[(ci * cv.kh + r) * cv.kw + s] = tap_offset(cv, pl.pg, ci, r, s);

  auto run = [&](int t, int nthr) {
    float* xp = threads_base + t * per_thread;
    float* tile = xp + pl.pg.sample_pad;
    const PadRing pad{&cv, pl.pg, in, xp, 1};
    pad.clear();
    const index_t n0 = cv.batch * t / nthr, n1 = cv.batch * (t + 1) / nthr;
    for (index_t n = n0; n < n1; ++n) {
      pad.copy_interior(n);
      float* yn = out + n * cv.out_n_stride;
      for (index_t p0 = 0; p0 < P; p0 += R) {
        const index_t rows = min_i(R, P - p0);
        index_t aoff[kChanMaxRows];
        for (index_t i = 0; i < R; ++i) aoff[i] = pos[i < rows ? p0 + i : p0];  // past the end: recompute a real position
        for (index_t jb = 0; jb < nb; ++jb) {
          pl.uk.chan(K, xp, aoff, off, bpack + jb * K * kChanCols, tile);
          store_tile_transposed(tile, rows, min_i(kChanCols, cv.m - jb * kChanCols),
                                bias ? bias + jb * kChanCols : nullptr, yn + jb * kChanCols * P + p0, P);
        }
      }
    }
  };
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (int t = 0; t < nt; ++t) run(t, nt);
}

}  // namespace

void conv_direct(const IgemmConv& cv, const float* in, const float* w, IgemmWeights form,
                 const float* bias, float* out) {
  const Plan pl = make_plan(cv, bias != nullptr);
  const index_t mr = pl.uk.mr, nr = pl.uk.nr;
  const index_t macs = cv.batch * cv.m * cv.oh * cv.ow * pl.K;
  int nt = threads_for(macs, kMinMacsPerThread);
  if (nt > cv.batch) nt = static_cast<int>(cv.batch);
  if (nt < 1) nt = 1;
  if (pl.chan) return conv_direct_chan(pl, in, w, form, bias, out, nt);

  // One allocation before any region: W laid out [m x Kb] and packed, the tap offsets, and each
  // thread's padded sample and output buffer.
  const index_t wa_floats = round_up(cv.m * pl.Kb, 16);
  const index_t apack_floats = pl.mp * pl.psa;
  const index_t off_floats = round_up(2 * pl.Kb, 16);
  const index_t per_thread = pl.x_floats + pl.y_floats;
  float* buf = scratch(kScratchConv, sizeof(float) * (wa_floats + apack_floats + off_floats + nt * per_thread));
  float* wa = buf;
  float* apack = wa + wa_floats;
  index_t* off = reinterpret_cast<index_t*>(apack + apack_floats);
  float* threads_base = apack + apack_floats + off_floats;

  // Row k of A: (ci, r, s) in the flat tiling, (r, ci, s) in the row tiling; then the bias (flat).
  auto kindex = [&](index_t ci, index_t r, index_t s) {
    return pl.rows ? (r * cv.c + ci) * cv.kw + s : (ci * cv.kh + r) * cv.kw + s;
  };
  for (index_t co = 0; co < cv.m; ++co) {
    float* row = wa + co * pl.Kb;
    for (index_t ci = 0; ci < cv.c; ++ci)
      for (index_t r = 0; r < cv.kh; ++r)
        for (index_t s = 0; s < cv.kw; ++s)
          row[kindex(ci, r, s)] = weight_at(cv, w, form, co, ci, r * cv.kw + s);
    if (bias && !pl.rows) row[pl.K] = bias[co];
  }
  gemm_detail::pack_panels(static_cast<int>(mr), cv.m, pl.Kb, wa, pl.Kb, 1, apack, pl.psa);
  for (index_t ci = 0; ci < cv.c; ++ci)
    for (index_t r = 0; r < cv.kh; ++r)
      for (index_t s = 0; s < cv.kw; ++s)
        off[kindex(ci, r, s)] = tap_offset(cv, pl.pg, ci, r, s);
  if (bias && !pl.rows) off[pl.K] = pl.ones;

  const index_t P = cv.oh * cv.ow;
  auto run = [&](int t, int nthr) {
    float* xp = threads_base + t * per_thread;
    float* ybuf = xp + pl.x_floats;
    std::memset(xp + pl.pg.sample_pad, 0, sizeof(float) * pl.slack);
    for (index_t q = 0; q < pl.x_floats - pl.ones; ++q) xp[pl.ones + q] = 1.f;
    const PadRing pad{&cv, pl.pg, in, xp, 1};
    pad.clear();
    const index_t n0 = cv.batch * t / nthr, n1 = cv.batch * (t + 1) / nthr;
    for (index_t n = n0; n < n1; ++n) {
      pad.copy_interior(n);
      float* yn = out + n * cv.out_n_stride;
      if (pl.rows) {
        // Tiles of one output row (NR positions at a time), or of two (pairs: NR / 2 of each).
        const index_t ld = pl.ld, ck = cv.c * cv.kw, step = pl.pairs ? 2 : 1;
        const index_t half = pl.pairs ? pl.pg.wp : nr / 2;
        for (index_t i0 = 0; i0 < cv.oh; i0 += step) {
          index_t lo, hi;
          valid_rows_of(cv, i0, step, &lo, &hi);
          if (hi > lo)
            for (index_t j0 = 0; j0 < cv.ow; j0 += nr)
              for (index_t ip = 0; ip < pl.mp; ++ip)
                pl.uk.run((hi - lo) * ck, apack + ip * pl.psa + lo * ck * mr, xp + i0 * pl.pg.wp + j0,
                          off + lo * ck, half, ybuf + ip * mr * ld + i0 * pl.wb + j0, ld, 0.f);
          for (index_t i = i0; i < i0 + step && i < cv.oh; ++i) {
            for (index_t co = 0; co < cv.m; ++co) {
              float* GN_RESTRICT y = yn + co * P + i * cv.ow;
              const float* GN_RESTRICT src = ybuf + co * ld + i * pl.wb;
              const float b = bias ? bias[co] : 0.f;
              if (hi > lo) {
                if (bias) {
                  for (index_t j = 0; j < cv.ow; ++j) y[j] = src[j] + b;
                } else {
                  for (index_t j = 0; j < cv.ow; ++j) y[j] = src[j];
                }
              } else {
                for (index_t j = 0; j < cv.ow; ++j) y[j] = b;  // no tap reads the input
              }
            }
          }
        }
        continue;
      }
      // k-blocks of whole channels (the last one with the bias row), accumulated in ybuf.
      for (index_t k0 = 0; k0 < pl.Kb; k0 += pl.kcb) {
        const index_t kb = min_i(pl.kcb, pl.Kb - k0);
        for (index_t q0 = 0; q0 < pl.Qp; q0 += nr)
          for (index_t ip = 0; ip < pl.mp; ++ip)
            pl.uk.run(kb, apack + ip * pl.psa + k0 * mr, xp + q0, off + k0, nr / 2,
                      ybuf + ip * mr * pl.Qp + q0, pl.Qp, k0 == 0 ? 0.f : 1.f);
      }
      for (index_t co = 0; co < cv.m; ++co)
        for (index_t i = 0; i < cv.oh; ++i)
          std::memcpy(yn + co * P + i * cv.ow, ybuf + co * pl.Qp + i * pl.pg.wp, sizeof(float) * cv.ow);
    }
  };
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (int t = 0; t < nt; ++t) run(t, nt);
}

bool conv_direct_filter_available(const IgemmConv& cv) {
  return cv.sh == 1 && cv.sw == 1 && cv.groups == 1 && kernels().conv.filter != nullptr;
}

bool conv_direct_filter_pays(const IgemmConv& cv) { return cv.m <= 64 && cv.c * cv.kh * cv.kw <= 160; }

namespace {

// The channel tiling's workspace (DirectFilterPlan::chan), in floats from its start: the group's
// padded samples, dY^T per block of 16 channels, the position offsets (index_t), the tap offsets
// (index_t), the accumulator dW^T and one tile.
struct ChanFilterLayout {
  index_t b, off, tap, acc, tile, total;
};

ChanFilterLayout chan_filter_layout(const DirectFilterPlan& pl) {
  const index_t P = pl.cv.oh * pl.cv.ow;
  ChanFilterLayout l;
  l.b = round_up(pl.group * pl.pg.sample_pad, 16);
  l.off = l.b + round_up(pl.nb * pl.group * P * kChanCols, 16);
  l.tap = l.off + round_up(2 * pl.group * P, 16);
  l.acc = l.tap + round_up(2 * pl.K, 16);
  l.tile = l.acc + pl.acc_floats;
  l.total = l.tile + pl.chan_rows * kChanCols;
  return l;
}

// direct_filter_chunk with the channel tiling.
void direct_filter_chunk_chan(const DirectFilterPlan& pl, const float* x, const float* dy, index_t n0,
                              index_t n1, index_t t0, index_t t1, float* dw_c, float* ws) {
  const IgemmConv& cv = pl.cv;
  const ChanFilterLayout l = chan_filter_layout(pl);
  const index_t P = cv.oh * cv.ow, G = pl.group, cols = pl.nb * kChanCols, bstride = G * P * kChanCols;
  float* xp = ws;
  float* bt = ws + l.b;
  index_t* off = reinterpret_cast<index_t*>(ws + l.off);
  index_t* tap = reinterpret_cast<index_t*>(ws + l.tap);
  float* acc = ws + l.acc;
  float* tile = ws + l.tile;
  // Sample n sits in ring slot n % G; a group starts at n0 + a multiple of G, so its g-th sample is
  // always in slot (n0 + g) % G.
  for (index_t g = 0; g < G; ++g)
    for (index_t p = 0; p < P; ++p)
      off[g * P + p] = (n0 + g) % G * pl.pg.sample_pad + p / cv.ow * pl.pg.wp + p % cv.ow;
  for (index_t ci = 0; ci < cv.c; ++ci)
    for (index_t r = 0; r < cv.kh; ++r)
      for (index_t s = 0; s < cv.kw; ++s) tap[(ci * cv.kh + r) * cv.kw + s] = tap_offset(cv, pl.pg, ci, r, s);
  std::memset(bt, 0, sizeof(float) * pl.nb * bstride);  // channels past m stay zero
  const PadRing pad{&cv, pl.pg, x, xp, G};
  pad.clear();
  for (index_t g0 = n0; g0 < n1; g0 += G) {
    const index_t gs = min_i(G, n1 - g0);
    for (index_t g = 0; g < gs; ++g) {
      pad.copy_interior(g0 + g);
      const float* dyn = dy + (g0 + g) * cv.out_n_stride;
      for (index_t co = 0; co < cv.m; ++co) {
        const float* GN_RESTRICT src = dyn + co * P;
        float* GN_RESTRICT dst = bt + co / kChanCols * bstride + g * P * kChanCols + co % kChanCols;
        for (index_t p = 0; p < P; ++p) dst[p * kChanCols] = src[p];
      }
    }
    for (index_t t = t0; t < t1; t += pl.chan_rows) {
      const index_t rows = min_i(pl.chan_rows, t1 - t);
      index_t aoff[kChanMaxRows];
      for (index_t i = 0; i < pl.chan_rows; ++i) aoff[i] = tap[i < rows ? t + i : t];  // past the end: recompute a real tap
      for (index_t jb = 0; jb < pl.nb; ++jb) {
        pl.chan(gs * P, xp, aoff, off, bt + jb * bstride, tile);
        for (index_t i = 0; i < rows; ++i) {
          float* GN_RESTRICT a = acc + (t - t0 + i) * cols + jb * kChanCols;
          const float* GN_RESTRICT v = tile + i * kChanCols;
          if (g0 == n0) {
            for (int j = 0; j < kChanCols; ++j) a[j] = v[j];
          } else {
            for (int j = 0; j < kChanCols; ++j) a[j] += v[j];
          }
        }
      }
    }
  }
  for (index_t co = 0; co < cv.m; ++co)
    for (index_t t = t0; t < t1; ++t) dw_c[co * pl.K + t] = acc[(t - t0) * cols + co];
}

}  // namespace

DirectFilterPlan direct_filter_plan(const IgemmConv& cv) {
  DirectFilterPlan pl;
  pl.cv = cv;
  pl.filter = kernels().conv.filter;
  pl.pg.hp = cv.oh + (cv.kh - 1) * cv.dh;
  pl.pg.wp = cv.ow + (cv.kw - 1) * cv.dw;
  pl.pg.plane = pl.pg.hp * pl.pg.wp;
  pl.pg.sample_pad = round_up(cv.c * pl.pg.plane, 16);
  pl.K = cv.c * cv.kh * cv.kw;
  pl.Q = cv.oh * pl.pg.wp;
  pl.lanes = kernels().conv.filter_lanes;
  pl.Qp = round_up(pl.Q, pl.lanes);
  pl.mrows = round_up(cv.m, kFilterRows);
  // The last tap reads up to position Qp - 1 + (c-1)*plane + (kh-1)*dh*wp + (kw-1)*dw, less than
  // (kw-1)*dw + lanes past the padded channels: zeros there.
  pl.x_floats = pl.pg.sample_pad + round_up((cv.kw - 1) * cv.dw + pl.lanes, 16);
  pl.dy_floats = pl.mrows * pl.Qp;
  pl.mask_floats = pl.Qp;
  pl.off_floats = round_up(2 * pl.K, 16);  // index_t entries
  pl.part_floats = pl.mrows * pl.K * pl.lanes;
  pl.ws_floats = pl.x_floats + pl.dy_floats + pl.mask_floats + pl.off_floats + pl.part_floats;
  // The channel tiling when it multiplies at most 0.9x what the filter kernel does (per sample).
  const index_t P = cv.oh * cv.ow;
  const double filter_macs = static_cast<double>(pl.mrows) * static_cast<double>(pl.Qp) * static_cast<double>(pl.K);
  const double chan_macs = static_cast<double>(round_up(cv.m, kChanCols)) * static_cast<double>(P) *
                           static_cast<double>(round_up(pl.K, kernels().conv.chan_rows));
  pl.chan = kernels().conv.chan != nullptr && chan_macs <= 0.9 * filter_macs ? kernels().conv.chan : nullptr;
  pl.chan_rows = kernels().conv.chan_rows;
  pl.group = min_i(cv.batch, conv_detail::max_i(1, kFilterChanPositions / P));
  pl.nb = ceil_div(cv.m, kChanCols);
  pl.acc_floats = round_up(pl.K, pl.chan_rows) * pl.nb * kChanCols;
  if (pl.chan) pl.ws_floats = chan_filter_layout(pl).total;
  return pl;
}

void direct_filter_chunk(const DirectFilterPlan& pl, const float* x, const float* dy, index_t n0,
                         index_t n1, index_t t0, index_t t1, float* dw_c, float* ws) {
  if (t1 <= t0) return;
  if (pl.chan) return direct_filter_chunk_chan(pl, x, dy, n0, n1, t0, t1, dw_c, ws);
  const IgemmConv& cv = pl.cv;
  const index_t wp = pl.pg.wp;
  float* xp = ws;
  float* dyp = xp + pl.x_floats;
  std::uint32_t* mask = reinterpret_cast<std::uint32_t*>(dyp + pl.dy_floats);
  index_t* off = reinterpret_cast<index_t*>(dyp + pl.dy_floats + pl.mask_floats);
  float* part = dyp + pl.dy_floats + pl.mask_floats + pl.off_floats;  // [row block][tap][row][lane]
  // Zeros after the padded channels (the ring's slot is sample_pad floats, cleared below): only
  // masked positions read there, but they should read defined values.
  const index_t written = cv.c * pl.pg.plane;
  std::memset(xp + written, 0, sizeof(float) * (pl.x_floats - written));
  // dY's rows past m and positions past Q stay zero; the rest is rewritten for every sample.
  std::memset(dyp, 0, sizeof(float) * pl.dy_floats);
  // Row by row, not q % wp per position: with 32 chunks of 2 samples (LeNet conv1, batch 64) the
  // division per position took a quarter of the time.
  for (index_t q = 0; q < pl.Qp; ++q) mask[q] = 0u;
  for (index_t i = 0; i < cv.oh; ++i)
    for (index_t j = 0; j < cv.ow; ++j) mask[i * wp + j] = ~0u;
  for (index_t ci = 0; ci < cv.c; ++ci)
    for (index_t r = 0; r < cv.kh; ++r)
      for (index_t s = 0; s < cv.kw; ++s)
        off[(ci * cv.kh + r) * cv.kw + s] = tap_offset(cv, pl.pg, ci, r, s);
  const PadRing pad{&cv, pl.pg, x, xp, 1};
  pad.clear();
  for (index_t n = n0; n < n1; ++n) {
    pad.copy_interior(n);
    const float* dyn = dy + n * cv.out_n_stride;
    for (index_t co = 0; co < cv.m; ++co)
      for (index_t i = 0; i < cv.oh; ++i) {
        const float* GN_RESTRICT src = dyn + (co * cv.oh + i) * cv.ow;
        float* GN_RESTRICT dst = dyp + co * pl.Qp + i * wp;
        for (index_t j = 0; j < cv.ow; ++j) dst[j] = src[j];  // positions ow .. wp - 1 stay zero
      }
    // Blocks of positions, so that a block's 6 rows of dY, its mask and the input it reads stay
    // in L1 while every pair of taps sweeps them. The lane partials run over the whole chunk.
    for (index_t q0 = 0; q0 < pl.Qp; q0 += kFilterBlock)
      for (index_t b = 0; b < pl.mrows; b += kFilterRows)
        pl.filter(min_i(kFilterBlock, pl.Qp - q0), dyp + b * pl.Qp + q0, pl.Qp, xp + q0, off + t0,
                  t1 - t0, mask + q0, part + (b * pl.K + t0 * kFilterRows) * pl.lanes, n != n0 || q0 != 0);
  }
  for (index_t co = 0; co < cv.m; ++co) {
    const index_t b = co / kFilterRows * kFilterRows, i = co - b;
    for (index_t t = t0; t < t1; ++t)
      dw_c[co * pl.K + t] = filter_lanes_sum(part + (b * pl.K + t * kFilterRows + i) * pl.lanes, pl.lanes);
  }
}

}  // namespace gn
