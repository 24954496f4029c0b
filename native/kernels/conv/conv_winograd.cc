// Winograd F(2x2, 3x3) convolution (conv_winograd.h). Baseline unit: the multiplications run in
// the ISA's GEMM micro-kernel (gn::sgemm_packed_block); the transforms are the ISA's where it has
// them (winograd_ukernel.h: AVX-512 16 tiles per vector, AVX2 8), else the ones here: additions
// on 4-lane vectors (SSE2 on x86-64, Advanced SIMD on AArch64, plain loops elsewhere).
//
//   B^T = | 1  0 -1  0 |    G = | 1    0    0   |    A^T = | 1  1  1  0 |
//         | 0  1  1  0 |        | 1/2  1/2  1/2 |          | 0  1 -1 -1 |
//         | 0 -1  1  0 |        | 1/2 -1/2  1/2 |
//         | 0  1  0 -1 |        | 0    0    1   |
//
// Tiles: output tile (ty, tx) covers output rows 2ty, 2ty+1 and columns 2tx, 2tx+1; its input
// window is padded rows 2ty .. 2ty+3, columns 2tx .. 2tx+3, where padded row R, column C hold input
// row R - ph, column C - pw (conv_pad.h). Tiles are numbered over the batch (sample, ty, tx); a
// block of tb tiles (a multiple of NR) is cut into segments that stay in one tile row and one
// micro-panel.
#include "conv_winograd.h"

#include <atomic>
#include <cstring>

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#define GN_WINO_SSE2 1
#elif defined(__aarch64__) || defined(_M_ARM64)
#include <arm_neon.h>
#define GN_WINO_NEON 1
#endif

#include "../gemm/gemm.h"
#include "../isa.h"
#include "../threads.h"
#include "conv_pad.h"
#include "im2col.h"

namespace gn {
namespace {

using conv_detail::ceil_div;
using conv_detail::kRingSlack;
using conv_detail::max_i;
using conv_detail::min_i;
using conv_detail::PadGeom;
using conv_detail::PadRing;
using conv_detail::round_up;

// Channels from which Winograd beats the implicit GEMM (or, backward-data, the col2im path).
// The 16 products reduce over the input channels c, so c must not be tiny (with c = 8 the
// micro-kernel runs 8 steps per tile store); the output transform costs per output channel.
// Measured on Zen3 (AVX2 GEMM, SSE2 transforms), 1 thread, 3x3 pad 1, implicit GEMM -> Winograd:
//   c 16 -> m 16, 32x32 b32: 2.58 -> 1.95 ms     c 64 -> m 8, 16x16 b32: 2.13 -> 1.40 ms
//   c 32 -> m 16, 28x28 b64: 7.65 -> 6.62 ms     c 16 -> m 32, 28x28 b64: 7.2 -> 7.3 ms
//   c 8 -> m 8, 32x32 b32:   1.02 -> 0.90 ms     c 8 -> m 64, 16x16 b32:  1.03 -> 1.37 ms
//   c 4 -> m 4, 32x32 b32:   0.38 -> 0.51 ms
constexpr index_t kWinogradMinInputChannels = 16;
constexpr index_t kWinogradMinOutputChannels = 8;
// Tiles (batch * ceil(oh / 2) * ceil(ow / 2)) from which the filter transform, a pass over all of
// W per call, pays. Measured (2-vCPU Xeon, AVX-512, 2 threads, forward, implicit GEMM -> Winograd):
// 16 tiles 64 -> 64 at 8x8 on one sample 67 -> 97 us, 128 -> 128 232 -> 297 us, 512 -> 512 at 7x7
// 4.0 -> 4.0 ms; 32 tiles (two samples of 128 -> 128 at 8x8) 302 -> 322 us; 64 tiles (64 -> 64
// at 16x16) 153 -> 125 us.
constexpr index_t kWinogradMinTiles = 32;
// V and M of one block (16 * (c + m) * tb floats) stay around 192 KB, in L2 with the packed U.
constexpr index_t kBlockFloats = index_t(3) << 14;
constexpr index_t kMaxTiles = 256;
// Multiply-adds (of the direct convolution) a thread should at least get.
constexpr index_t kMinMacsPerThread = index_t(1) << 20;
// Slack after each k-block of each xi's V and after M: 4-tile groups may run up to 3 tiles past a
// segment (a panel's last channel row spills into the next panel, the last panel into the slack).
constexpr index_t kVecSlack = 64;
// Backward-filter: tiles per k-block at most, and channels from which it beats the implicit GEMM.
constexpr index_t kFilterTiles = 256;
constexpr index_t kWinogradFilterMinChannels = 16;
// ... and tiles (batch * ceil(oh / 2) * ceil(ow / 2)) from which its 16 products, each reducing
// over a k-block of tiles into an m x c matrix, beat the implicit-GEMM engine. Measured (2-vCPU
// Xeon, AVX-512, 2 threads, 3x3 pad 1, engine / Winograd time): 128 tiles (8 x 64 at 8x8) 0.70,
// 256 (16 x 128 at 8x8, 16 x 256 at 8x8, 4 x 64 at 16x16) 0.79 / 0.66 / 0.93, 392 (8 x 256 at
// 14x14) 0.63; 512 (32 x 64 / 128 / 256 at 8x8, 8 x 128 at 16x16) 1.41 / 1.38 / 1.24 / 1.49, and
// 1.4-1.8 from 1024 tiles on (ResNet-20's and the conv goal's layers, 16 x 64 at 56x56).
constexpr index_t kWinogradFilterMinTiles = 512;
std::atomic<index_t> g_filter_min_tiles{kWinogradFilterMinTiles};

// ---- 4-lane vectors ------------------------------------------------------------------------------

#if GN_WINO_SSE2
using v4 = __m128;
inline v4 ld(const float* p) { return _mm_loadu_ps(p); }
inline void st(float* p, v4 v) { _mm_storeu_ps(p, v); }
inline v4 add(v4 a, v4 b) { return _mm_add_ps(a, b); }
inline v4 sub(v4 a, v4 b) { return _mm_sub_ps(a, b); }
inline v4 splat(float x) { return _mm_set1_ps(x); }
inline v4 half(v4 a) { return _mm_mul_ps(a, _mm_set1_ps(0.5f)); }
inline v4 gather(const float* p, index_t stride) { return _mm_setr_ps(p[0], p[stride], p[2 * stride], p[3 * stride]); }
inline v4 even(v4 a, v4 b) { return _mm_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)); }  // a0 a2 b0 b2
inline v4 odd(v4 a, v4 b) { return _mm_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1)); }   // a1 a3 b1 b3
inline v4 zip_lo(v4 a, v4 b) { return _mm_unpacklo_ps(a, b); }                          // a0 b0 a1 b1
inline v4 zip_hi(v4 a, v4 b) { return _mm_unpackhi_ps(a, b); }                          // a2 b2 a3 b3
#elif GN_WINO_NEON
using v4 = float32x4_t;
inline v4 ld(const float* p) { return vld1q_f32(p); }
inline void st(float* p, v4 v) { vst1q_f32(p, v); }
inline v4 add(v4 a, v4 b) { return vaddq_f32(a, b); }
inline v4 sub(v4 a, v4 b) { return vsubq_f32(a, b); }
inline v4 splat(float x) { return vdupq_n_f32(x); }
inline v4 half(v4 a) { return vmulq_n_f32(a, 0.5f); }
inline v4 gather(const float* p, index_t stride) {
  const float a[4] = {p[0], p[stride], p[2 * stride], p[3 * stride]};
  return vld1q_f32(a);
}
inline v4 even(v4 a, v4 b) { return vuzp1q_f32(a, b); }
inline v4 odd(v4 a, v4 b) { return vuzp2q_f32(a, b); }
inline v4 zip_lo(v4 a, v4 b) { return vzip1q_f32(a, b); }
inline v4 zip_hi(v4 a, v4 b) { return vzip2q_f32(a, b); }
#else
struct v4 {
  float v[4];
};
inline v4 ld(const float* p) { return v4{{p[0], p[1], p[2], p[3]}}; }
inline void st(float* p, v4 a) {
  for (int i = 0; i < 4; ++i) p[i] = a.v[i];
}
inline v4 add(v4 a, v4 b) { return v4{{a.v[0] + b.v[0], a.v[1] + b.v[1], a.v[2] + b.v[2], a.v[3] + b.v[3]}}; }
inline v4 sub(v4 a, v4 b) { return v4{{a.v[0] - b.v[0], a.v[1] - b.v[1], a.v[2] - b.v[2], a.v[3] - b.v[3]}}; }
inline v4 splat(float x) { return v4{{x, x, x, x}}; }
inline v4 half(v4 a) { return v4{{0.5f * a.v[0], 0.5f * a.v[1], 0.5f * a.v[2], 0.5f * a.v[3]}}; }
inline v4 gather(const float* p, index_t stride) { return v4{{p[0], p[stride], p[2 * stride], p[3 * stride]}}; }
inline v4 even(v4 a, v4 b) { return v4{{a.v[0], a.v[2], b.v[0], b.v[2]}}; }
inline v4 odd(v4 a, v4 b) { return v4{{a.v[1], a.v[3], b.v[1], b.v[3]}}; }
inline v4 zip_lo(v4 a, v4 b) { return v4{{a.v[0], b.v[0], a.v[1], b.v[1]}}; }
inline v4 zip_hi(v4 a, v4 b) { return v4{{a.v[2], b.v[2], a.v[3], b.v[3]}}; }
#endif

#include "winograd_tiles.inc"

// ---- plan ------------------------------------------------------------------------------------------

struct Plan {
  IgemmConv cv;
  index_t th, tw;      // tiles per sample: rows, columns
  index_t tn, T;       // tiles per sample, in the batch
  PadGeom pg;
  GemmBlocking bl;     // k-blocks of the reduction over c
  index_t tb, np;      // tiles per block (np micro-panels of nr)
  index_t nblocks;
  index_t psv;         // floats of one packed V panel (k-block of kc channels)
  index_t v_kb;        // floats of one xi's packed V for one k-block (np panels) plus slack
  index_t v_xi;        // floats of one xi's packed V (all k-blocks)
  index_t u_block;     // floats of one packed k-block of one U_xi
  index_t u_xi;        // floats from one packed U_xi to the next: its k-blocks plus a skew
  index_t m_xi;        // floats from one xi's M [m x tb] to the next: m * tb plus a skew
  index_t m_floats;    // M: 16 * m_xi plus slack
  index_t cap;         // padded samples in a thread's ring
  index_t thread_floats;
};

Plan make_plan(const IgemmConv& cv) {
  Plan pl;
  pl.cv = cv;
  pl.th = ceil_div(cv.oh, 2);
  pl.tw = ceil_div(cv.ow, 2);
  pl.tn = pl.th * pl.tw;
  pl.T = cv.batch * pl.tn;
  pl.pg.hp = 2 * pl.th + 2;
  pl.pg.wp = 2 * pl.tw + 2;
  pl.pg.plane = pl.pg.hp * pl.pg.wp;
  pl.pg.sample_pad = round_up(cv.c * pl.pg.plane, 16);
  pl.bl = sgemm_blocking(cv.c, cv.batch * ceil_div(cv.oh, 2) * ceil_div(cv.ow, 2));  // T tiles
  const index_t nr = pl.bl.nr;
  index_t tb = kBlockFloats / (16 * (cv.c + cv.m));
  tb = min_i(max_i(tb - tb % nr, nr), kMaxTiles - kMaxTiles % nr);
  tb = min_i(tb, round_up(pl.T, nr));
  pl.tb = tb;
  pl.np = tb / nr;
  pl.nblocks = ceil_div(pl.T, tb);
  pl.psv = sgemm_panel_floats(static_cast<int>(nr), pl.bl.kc);
  pl.v_kb = pl.np * pl.psv + kVecSlack;
  pl.v_xi = pl.bl.nblocks * pl.v_kb;
  pl.u_block = ceil_div(cv.m, pl.bl.mr) * sgemm_panel_floats(pl.bl.mr, pl.bl.kc);
  // The filter transform writes the 16 U_xi together: 64 bytes of skew keep their streams in
  // different L1 sets (u_block is often a multiple of 4 KB: 64 panels of 8 x 258 floats).
  pl.u_xi = pl.bl.nblocks * pl.u_block + 16;
  // The output transform reads the 16 xi of a tile together: with m * tb a multiple of 1024
  // (64 * 32) they would all fall in one L1 set (8 ways), so each xi is skewed by 128 bytes.
  // (32 -> 64 channels at 14x14: 5.2 -> ? ms.)
  pl.m_xi = cv.m * tb + 32;
  pl.m_floats = 16 * pl.m_xi + kVecSlack;
  pl.cap = min_i(cv.batch, (tb - 1) / pl.tn + 2);
  pl.thread_floats = pl.cap * pl.pg.sample_pad + kRingSlack + 16 * pl.v_xi + pl.m_floats;
  pl.thread_floats = round_up(pl.thread_floats, 16);
  return pl;
}

// ---- filter transform ------------------------------------------------------------------------------

// Filter pairs (output channel, input channel) a thread should at least transform.
constexpr index_t kMinFiltersPerThread = index_t(1) << 13;

// U_xi = G g G^T for the 16 xi, written straight into the GEMMs' packed A operand: the k-block b
// of U_xi [m x c] at upack + xi * u_xi + b * u_block, in sgemm_pack_a's layout (micro-panels of mr
// output channels, rows past m zero). One pass, 4 output channels per vector, so that each xi's
// stores are contiguous; transforming into a row-major U (16 scattered scalar stores per filter, in
// float64) and packing it in a second pass took 0.9 of 1.1 ms of a 128 -> 128 channel 8x8 forward
// on one sample, and the scalar float64 version of this pass a fifth of 512 -> 512 at 7x7 on 8.
// G's entries are 0, +-1 and 1/2: float sums and an exact halving.
//
// One micro-panel (output channels q * mr .. + rows) of one k-block: kb input channels from k0,
// into dst (the panel in U_0's block; U_xi's is xi * xi_stride further).
void transform_panel(const IgemmConv& cv, const float* w, IgemmWeights form, index_t mr, index_t q, index_t rows,
                     index_t k0, index_t kb, index_t xi_stride, float* dst) {
  // Tap (r, s) of filter (co, ci) at w[co * co_stride + ci * ci_stride + r * 3 + s] (kForward), or
  // at 8 - (r * 3 + s) (kRotated).
  const bool fwd = form == IgemmWeights::kForward;
  const index_t co_stride = fwd ? cv.c * 9 : 9, ci_stride = fwd ? 9 : cv.m * 9;
  const index_t lanes = round_up(mr, 4);
  alignas(16) float part[9][4];  // a group of 4 channels past row `rows`: zero filters there
  alignas(16) float tail[16][4];
  for (index_t p = 0; p < kb; ++p) {
    const float* wp = w + (k0 + p) * ci_stride + q * mr * co_stride;
    float* d = dst + p * mr;
    for (index_t i0 = 0; i0 < lanes; i0 += 4) {
      // Tap t of the 4 channels i0 .. i0 + 3 (lanes), in registers: a 16-byte load of scalars just
      // stored would stall on store forwarding.
      v4 g[9];
      if (i0 + 4 <= rows) {
        for (int t = 0; t < 9; ++t) g[t] = gather(wp + i0 * co_stride + (fwd ? t : 8 - t), co_stride);
      } else {
        for (int t = 0; t < 9; ++t)
          for (index_t i = 0; i < 4; ++i)
            part[t][i] = i0 + i < rows ? wp[(i0 + i) * co_stride + (fwd ? t : 8 - t)] : 0.f;
        for (int t = 0; t < 9; ++t) g[t] = ld(part[t]);
      }
      v4 u[4][3];  // G g: rows 0 and 3 are g's rows 0 and 2
      for (int s = 0; s < 3; ++s) {
        const v4 g0 = g[s], g1 = g[3 + s], g2 = g[6 + s];
        u[0][s] = g0;
        u[1][s] = half(add(add(g0, g1), g2));
        u[2][s] = half(add(sub(g0, g1), g2));
        u[3][s] = g2;
      }
      const bool full = i0 + 4 <= mr;  // else the lanes past mr go to tail, not into the next row
      for (int r = 0; r < 4; ++r) {
        const v4 out[4] = {u[r][0], half(add(add(u[r][0], u[r][1]), u[r][2])),
                           half(add(sub(u[r][0], u[r][1]), u[r][2])), u[r][2]};
        for (int c = 0; c < 4; ++c) st(full ? d + (r * 4 + c) * xi_stride + i0 : tail[r * 4 + c], out[c]);
      }
      if (!full)
        for (int xi = 0; xi < 16; ++xi)
          for (index_t i = i0; i < mr; ++i) d[xi * xi_stride + i] = tail[xi][i - i0];
    }
  }
}

void transform_pack_filters(const Plan& pl, const float* w, IgemmWeights form, float* upack) {
  const IgemmConv& cv = pl.cv;
  const index_t mr = pl.bl.mr, panels = ceil_div(cv.m, mr), units = pl.bl.nblocks * panels;
  const index_t xi_stride = pl.u_xi;
  const int nt = threads_for(cv.m * cv.c, kMinFiltersPerThread);
  (void)nt;  // only the pragma reads it
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (index_t unit = 0; unit < units; ++unit) {
    const index_t b = unit / panels, q = unit % panels;
    const index_t k0 = b * pl.bl.kc, kb = min_i(pl.bl.kc, cv.c - k0);
    const index_t rows = min_i(mr, cv.m - q * mr);
    float* dst = upack + b * pl.u_block + q * sgemm_panel_floats(static_cast<int>(mr), kb);
    transform_panel(cv, w, form, mr, q, rows, k0, kb, xi_stride, dst);
  }
}

// ---- input and output transforms -------------------------------------------------------------------

// A run of tiles of one block: lanes lane .. lane+cnt-1 are tiles tx .. tx+cnt-1 of tile row ty of
// sample n, all in one micro-panel.
struct Segment {
  index_t n, ty, tx, lane, cnt;
};

// V for 4 tiles whose windows start at src, src + 2, src + 4, src + 6 (rows wp apart), stored as
// v[xi * xi_stride + 0..3].
inline void input_tile4(const float* src, index_t wp, float* v, index_t xi_stride) {
  v4 d[4][4];
  for (int r = 0; r < 4; ++r) {
    const float* p = src + r * wp;
    const v4 a = ld(p), b = ld(p + 4), c = ld(p + 2), e = ld(p + 6);
    d[r][0] = even(a, b);  // columns 2t
    d[r][1] = odd(a, b);   // 2t + 1
    d[r][2] = even(c, e);  // 2t + 2
    d[r][3] = odd(c, e);   // 2t + 3
  }
  winograd_input_math(d, [&](int xi, v4 value) { st(v + xi * xi_stride, value); });
}

// Outputs of 4 tiles from m[xi * xi_stride + 0..3]: y0 = row 0 (tile t's two columns at 2t, 2t+1),
// y1 = row 1, each 8 floats.
inline void output_tile4(const float* m, index_t xi_stride, v4 bias, float* y0, float* y1) {
  v4 c[2][2];
  winograd_output_math([&](int xi) { return ld(m + xi * xi_stride); }, bias, c);
  for (int i = 0; i < 2; ++i) {
    float* y = i == 0 ? y0 : y1;
    st(y, zip_lo(c[i][0], c[i][1]));
    st(y + 4, zip_hi(c[i][0], c[i][1]));
  }
}

// V of cnt tiles of one tile row (input_tile4's windows), with the ISA's kernel where it has one.
inline void input_tiles(const WinogradKernels& isa, const float* src, index_t wp, index_t cnt, float* v,
                        index_t xi_stride) {
  if (isa.input != nullptr) {
    for (index_t q = 0; q < cnt; q += isa.lanes) isa.input(src + 2 * q, wp, min_i(isa.lanes, cnt - q), v + q, xi_stride);
    return;
  }
  for (index_t q = 0; q < cnt; q += 4) input_tile4(src + 2 * q, wp, v + q, xi_stride);
}

struct Worker {
  const Plan& pl;
  const WinogradKernels& isa;
  const float* upack;
  const float* bias;
  float* out;
  PadRing pad;
  float* v;        // 16 regions of v_xi floats
  float* mbuf;     // 16 x m x tb
  Segment* segs;   // at most tb

  index_t segment(index_t t0, index_t t1) const {
    const index_t nr = pl.bl.nr;
    index_t ns = 0;
    for (index_t t = t0; t < t1;) {
      const index_t n = t / pl.tn, r = t % pl.tn, ty = r / pl.tw, tx = r % pl.tw;
      const index_t lane = t - t0;
      const index_t cnt = min_i(min_i(t1 - t, pl.tw - tx), nr - lane % nr);
      segs[ns++] = Segment{n, ty, tx, lane, cnt};
      t += cnt;
    }
    return ns;
  }

  // V of the block, panel by panel (so that a 4-tile group running past its segment only writes
  // lanes that a later segment, channel or panel overwrites, or the slack after the region).
  void input_transform(index_t ns, index_t ncols) const {
    const IgemmConv& cv = pl.cv;
    const index_t nr = pl.bl.nr;
    if (ncols < pl.np * nr) {
      // Lanes past the last tile: zero, so that the GEMM sees finite values there.
      for (int xi = 0; xi < 16; ++xi)
        for (index_t b = 0; b < pl.bl.nblocks; ++b)
          std::memset(v + xi * pl.v_xi + b * pl.v_kb + (pl.np - 1) * pl.psv, 0, sizeof(float) * pl.psv);
    }
    index_t s0 = 0;
    for (index_t jp = 0; jp < pl.np; ++jp) {
      index_t s1 = s0;
      while (s1 < ns && segs[s1].lane / nr == jp) ++s1;
      for (index_t b = 0; b < pl.bl.nblocks; ++b) {
        const index_t k0 = b * pl.bl.kc, kb = min_i(pl.bl.kc, cv.c - k0);
        float* vb = v + b * pl.v_kb + jp * pl.psv;
        for (index_t ci = k0; ci < k0 + kb; ++ci) {
          float* vrow = vb + (ci - k0) * nr;
          for (index_t sg = s0; sg < s1; ++sg) {
            const Segment& S = segs[sg];
            const float* src = pad.slot(S.n) + ci * pl.pg.plane + 2 * S.ty * pl.pg.wp + 2 * S.tx;
            input_tiles(isa, src, pl.pg.wp, S.cnt, vrow + S.lane % nr, pl.v_xi);
          }
        }
      }
      s0 = s1;
    }
  }

  void output_transform(index_t ns) const {
    const IgemmConv& cv = pl.cv;
    const index_t P = cv.oh * cv.ow, xs = pl.m_xi;
    alignas(16) float tmp[16];
    for (index_t co = 0; co < cv.m; ++co) {
      const v4 vb = splat(bias ? bias[co] : 0.f);
      const float* mrow = mbuf + co * pl.tb;
      for (index_t sg = 0; sg < ns; ++sg) {
        const Segment& S = segs[sg];
        float* y = out + S.n * cv.out_n_stride + co * P + 2 * S.ty * cv.ow;
        const bool row1 = 2 * S.ty + 1 < cv.oh;
        if (isa.output != nullptr) {
          for (index_t q = 0; q < S.cnt; q += isa.lanes) {
            const index_t col = 2 * (S.tx + q), cnt = min_i(isa.lanes, S.cnt - q);
            isa.output(mrow + S.lane + q, xs, bias ? bias[co] : 0.f, cnt, min_i(2 * cnt, cv.ow - col), y + col,
                       row1 ? y + cv.ow + col : nullptr);
          }
          continue;
        }
        for (index_t q = 0; q < S.cnt; q += 4) {
          const index_t col = 2 * (S.tx + q);  // first output column of the group
          const index_t ncols = min_i(8, min_i(2 * (S.cnt - q), cv.ow - col));
          if (ncols == 8) {
            output_tile4(mrow + S.lane + q, xs, vb, y + col, row1 ? y + cv.ow + col : tmp + 8);
          } else {
            output_tile4(mrow + S.lane + q, xs, vb, tmp, tmp + 8);
            for (index_t j = 0; j < ncols; ++j) y[col + j] = tmp[j];
            if (row1)
              for (index_t j = 0; j < ncols; ++j) y[cv.ow + col + j] = tmp[8 + j];
          }
        }
      }
    }
  }

  void block(index_t blk) {
    const IgemmConv& cv = pl.cv;
    const index_t t0 = blk * pl.tb, t1 = min_i(t0 + pl.tb, pl.T), ncols = t1 - t0;
    pad.ensure(t0 / pl.tn, (t1 - 1) / pl.tn);
    const index_t ns = segment(t0, t1);
    input_transform(ns, ncols);
    for (int xi = 0; xi < 16; ++xi)
      for (index_t b = 0; b < pl.bl.nblocks; ++b) {
        const index_t k0 = b * pl.bl.kc, kb = min_i(pl.bl.kc, cv.c - k0);
        sgemm_packed_block(pl.bl, cv.m, ncols, kb, 1.f, upack + xi * pl.u_xi + b * pl.u_block,
                           v + xi * pl.v_xi + b * pl.v_kb, b == 0 ? 0.f : 1.f,
                           mbuf + xi * pl.m_xi, pl.tb);
      }
    output_transform(ns);
  }
};


// ---- backward-filter -------------------------------------------------------------------------------
//
// dW = sum over tiles of G^T [ (B^T d B) (.) (A dY_t A^T) ] G (the gradient of the forward tile
// formula with respect to g). Per k-block of tiles: V_xi [c x tiles] = B^T d B (input_tile4) and
// Z_xi [m x tiles] = A dY_t A^T, both row-major over the block's tiles; then for each xi,
// S_xi [m x c] += Z_xi * V_xi^T (packed by sgemm_pack_a / sgemm_pack_b, multiplied by
// sgemm_packed_block), and at the end of the chunk dW = G^T S G per (co, ci).

// Z for 4 tiles from their dY values a (row 0, column 0), b (0, 1), c (1, 0), e (1, 1):
// A dY A^T with A = [1 0; 1 1; 1 -1; 0 -1], stored at z[xi * xi_stride + 0..3].
inline void grad_tile4(v4 a, v4 b, v4 c, v4 e, float* z, index_t xi_stride) {
  winograd_grad_math(a, b, c, e, splat(0.f), [&](int xi, v4 value) { st(z + xi * xi_stride, value); });
}

struct FilterPlan {
  IgemmConv cv;
  index_t th, tw, tn;
  PadGeom pg;
  index_t tb;          // tiles per k-block
  index_t v_xi, z_xi;  // floats from one xi's V [c x tb] / Z [m x tb] to the next (with slack)
  index_t s_xi;        // floats from one xi's S [m x c] to the next
  index_t apk, bpk;    // packed Z_xi and V_xi^T of one k-block
  GemmBlocking bl;     // the GEMM kernel of S_xi += Z_xi V_xi^T (its kc is not used: tb is the k-block)
  index_t row_floats;  // one zero-padded piece of a dY row (8 floats, padded)
  index_t cap;
  index_t ws_floats;
};

FilterPlan make_filter_plan(const IgemmConv& cv, index_t max_samples) {
  FilterPlan fp;
  fp.cv = cv;
  fp.th = ceil_div(cv.oh, 2);
  fp.tw = ceil_div(cv.ow, 2);
  fp.tn = fp.th * fp.tw;
  fp.pg.hp = 2 * fp.th + 2;
  fp.pg.wp = 2 * fp.tw + 2;
  fp.pg.plane = fp.pg.hp * fp.pg.wp;
  fp.pg.sample_pad = round_up(cv.c * fp.pg.plane, 16);
  const GemmBlocking bl = sgemm_blocking(kFilterTiles, cv.c);  // S_xi [m x c]
  fp.bl = bl;
  // V and Z of one k-block (16 * (c + m) * tb floats) around 256 KB; at most the GEMM's k-block.
  index_t tb = (index_t(1) << 16) / (16 * (cv.c + cv.m));
  tb = min_i(max_i(tb - tb % 4, 16), min_i(bl.kc, kFilterTiles));
  tb = min_i(tb, round_up(max_samples * fp.tn, 4));
  fp.tb = tb;
  fp.v_xi = cv.c * tb + 32;
  fp.z_xi = cv.m * tb + 32;
  fp.s_xi = cv.m * cv.c + 32;
  fp.apk = ceil_div(cv.m, bl.mr) * sgemm_panel_floats(bl.mr, tb);
  fp.bpk = ceil_div(cv.c, bl.nr) * sgemm_panel_floats(bl.nr, tb);
  fp.row_floats = 16;
  fp.cap = min_i(max_samples, (tb - 1) / fp.tn + 2);
  fp.ws_floats = round_up(fp.cap * fp.pg.sample_pad + kRingSlack, 16) + round_up(16 * fp.v_xi + kVecSlack, 16) +
                 round_up(16 * fp.z_xi + kVecSlack, 16) + round_up(16 * fp.s_xi, 16) + fp.apk + fp.bpk +
                 2 * fp.row_floats + round_up(tb * static_cast<index_t>(sizeof(Segment) / sizeof(float)), 16);
  return fp;
}

struct FilterWorker {
  const FilterPlan& fp;
  const WinogradKernels& isa;
  PadRing pad;
  const float* dy;
  float *v, *z, *s, *apk, *bpk, *row0, *row1;
  Segment* segs;

  index_t segment(index_t t0, index_t t1) const {  // runs of tiles in one tile row
    index_t ns = 0;
    for (index_t t = t0; t < t1;) {
      const index_t n = t / fp.tn, r = t % fp.tn, ty = r / fp.tw, tx = r % fp.tw;
      const index_t cnt = min_i(t1 - t, fp.tw - tx);
      segs[ns++] = Segment{n, ty, tx, t - t0, cnt};
      t += cnt;
    }
    return ns;
  }

  void transforms(index_t ns) const {
    const IgemmConv& cv = fp.cv;
    const index_t P = cv.oh * cv.ow;
    for (index_t ci = 0; ci < cv.c; ++ci)
      for (index_t sg = 0; sg < ns; ++sg) {
        const Segment& S = segs[sg];
        const float* src = pad.slot(S.n) + ci * fp.pg.plane + 2 * S.ty * fp.pg.wp + 2 * S.tx;
        input_tiles(isa, src, fp.pg.wp, S.cnt, v + ci * fp.tb + S.lane, fp.v_xi);
      }
    for (index_t co = 0; co < cv.m; ++co)
      for (index_t sg = 0; sg < ns; ++sg) {
        const Segment& S = segs[sg];
        // Groups of 4 tiles wholly inside the plane read dY in place; the rest (the row's end, or
        // a second row past oh) go through two zero-padded copies of the rows.
        const float* yr = dy + S.n * cv.out_n_stride + co * P + 2 * S.ty * cv.ow;
        const bool two_rows = 2 * S.ty + 1 < cv.oh;
        if (isa.grad != nullptr) {
          for (index_t q = 0; q < S.cnt; q += isa.lanes) {
            const index_t c0 = 2 * (S.tx + q), cnt = min_i(isa.lanes, S.cnt - q);
            isa.grad(yr + c0, two_rows ? yr + cv.ow + c0 : nullptr, min_i(2 * cnt, cv.ow - c0), cnt,
                     z + co * fp.tb + S.lane + q, fp.z_xi);
          }
          continue;
        }
        index_t q = 0;
        if (two_rows)
          for (; q + 4 <= S.cnt && 2 * (S.tx + q) + 8 <= cv.ow; q += 4) {
            const float* r0 = yr + 2 * (S.tx + q);
            const v4 p0 = ld(r0), p1 = ld(r0 + 4), p2 = ld(r0 + cv.ow), p3 = ld(r0 + cv.ow + 4);
            grad_tile4(even(p0, p1), odd(p0, p1), even(p2, p3), odd(p2, p3), z + co * fp.tb + S.lane + q, fp.z_xi);
          }
        if (q < S.cnt) {
          // One group: at most 8 columns (row0 and row1 hold 8 and a padding of 8; a tile row
          // with one output row left, or ending early, has more to go after it).
          const index_t c0 = 2 * (S.tx + q), len = min_i(min_i(2 * (S.cnt - q), 8), cv.ow - c0);
          for (index_t j = 0; j < len; ++j) {
            row0[j] = yr[c0 + j];
            row1[j] = two_rows ? yr[cv.ow + c0 + j] : 0.f;
          }
          for (index_t j = len; j < 8; ++j) row0[j] = row1[j] = 0.f;
          const v4 p0 = ld(row0), p1 = ld(row0 + 4), p2 = ld(row1), p3 = ld(row1 + 4);
          grad_tile4(even(p0, p1), odd(p0, p1), even(p2, p3), odd(p2, p3), z + co * fp.tb + S.lane + q, fp.z_xi);
          // A tile row's remaining tiles are fewer than 4 only at its end: done.
          for (q += 4; q < S.cnt; q += 4) {
            const index_t c2 = 2 * (S.tx + q), len2 = min_i(2 * (S.cnt - q), cv.ow - c2);
            for (index_t j = 0; j < 8; ++j) {
              row0[j] = j < len2 ? yr[c2 + j] : 0.f;
              row1[j] = j < len2 && two_rows ? yr[cv.ow + c2 + j] : 0.f;
            }
            const v4 a0 = ld(row0), a1 = ld(row0 + 4), a2 = ld(row1), a3 = ld(row1 + 4);
            grad_tile4(even(a0, a1), odd(a0, a1), even(a2, a3), odd(a2, a3), z + co * fp.tb + S.lane + q, fp.z_xi);
          }
        }
      }
  }

  // S (16 x [m x c]) = the sums over the tiles of samples n0 .. n1-1.
  void chunk(index_t n0, index_t n1) {
    const IgemmConv& cv = fp.cv;
    const index_t T0 = n0 * fp.tn, T1 = n1 * fp.tn;
    for (index_t t0 = T0; t0 < T1; t0 += fp.tb) {
      const index_t t1 = min_i(t0 + fp.tb, T1), kb = t1 - t0;
      pad.ensure(t0 / fp.tn, (t1 - 1) / fp.tn);
      const index_t ns = segment(t0, t1);
      transforms(ns);
      for (int xi = 0; xi < 16; ++xi) {
        sgemm_pack_a(fp.bl, false, cv.m, kb, z + xi * fp.z_xi, fp.tb, apk);
        sgemm_pack_b(fp.bl, true, cv.c, kb, v + xi * fp.v_xi, fp.tb, bpk);
        sgemm_packed_block(fp.bl, cv.m, cv.c, kb, 1.f, apk, bpk, t0 == T0 ? 0.f : 1.f, s + xi * fp.s_xi, cv.c);
      }
    }
  }

  // dw[co][ci][3][3] = G^T S G, in float64, rounded once.
  void finish(float* dw) const {
    const IgemmConv& cv = fp.cv;
    for (index_t co = 0; co < cv.m; ++co)
      for (index_t ci = 0; ci < cv.c; ++ci) {
        double S[4][4];
        for (int xi = 0; xi < 16; ++xi) S[xi / 4][xi % 4] = s[xi * fp.s_xi + co * cv.c + ci];
        double t[3][4];  // G^T S
        for (int j = 0; j < 4; ++j) {
          t[0][j] = S[0][j] + 0.5 * (S[1][j] + S[2][j]);
          t[1][j] = 0.5 * (S[1][j] - S[2][j]);
          t[2][j] = 0.5 * (S[1][j] + S[2][j]) + S[3][j];
        }
        float* d = dw + (co * cv.c + ci) * 9;
        for (int r = 0; r < 3; ++r) {  // (G^T S) G
          d[r * 3 + 0] = static_cast<float>(t[r][0] + 0.5 * (t[r][1] + t[r][2]));
          d[r * 3 + 1] = static_cast<float>(0.5 * (t[r][1] - t[r][2]));
          d[r * 3 + 2] = static_cast<float>(0.5 * (t[r][1] + t[r][2]) + t[r][3]);
        }
      }
  }
};

}  // namespace

bool conv_winograd_filter_applicable(const IgemmConv& cv) {
  return cv.groups == 1 && cv.kh == 3 && cv.kw == 3 && cv.sh == 1 && cv.sw == 1 && cv.dh == 1 &&
         cv.dw == 1 && cv.c >= kWinogradFilterMinChannels && cv.m >= kWinogradFilterMinChannels &&
         cv.batch * ceil_div(cv.oh, 2) * ceil_div(cv.ow, 2) >= g_filter_min_tiles.load(std::memory_order_relaxed);
}

index_t set_winograd_filter_min_tiles(index_t tiles) {
  return g_filter_min_tiles.exchange(tiles < 0 ? kWinogradFilterMinTiles : tiles);
}

WinogradFilterPlan winograd_filter_plan(const IgemmConv& cv, index_t max_samples) {
  WinogradFilterPlan p;
  p.cv = cv;
  p.max_samples = max_samples;
  p.ws_floats = make_filter_plan(cv, max_samples).ws_floats;
  return p;
}

void winograd_filter_chunk(const WinogradFilterPlan& p, const float* x, const float* dy, index_t n0,
                           index_t n1, float* dw, float* ws) {
  const FilterPlan fp = make_filter_plan(p.cv, p.max_samples);
  float* ring = ws;
  float* v = ring + round_up(fp.cap * fp.pg.sample_pad + kRingSlack, 16);
  float* z = v + round_up(16 * fp.v_xi + kVecSlack, 16);
  float* sm = z + round_up(16 * fp.z_xi + kVecSlack, 16);
  float* apk = sm + round_up(16 * fp.s_xi, 16);
  float* bpk = apk + fp.apk;
  float* row0 = bpk + fp.bpk;
  float* row1 = row0 + fp.row_floats;
  Segment* segs = reinterpret_cast<Segment*>(row1 + fp.row_floats);
  FilterWorker wk{fp, kernels().winograd, PadRing{&fp.cv, fp.pg, x, ring, fp.cap}, dy, v, z, sm, apk, bpk, row0, row1, segs};
  wk.chunk(n0, n1);
  wk.finish(dw);
}

bool conv_winograd_applicable(const IgemmConv& cv) {
  return cv.groups == 1 && cv.kh == 3 && cv.kw == 3 && cv.sh == 1 && cv.sw == 1 && cv.dh == 1 &&
         cv.dw == 1 && cv.c >= kWinogradMinInputChannels && cv.m >= kWinogradMinOutputChannels &&
         cv.batch * ceil_div(cv.oh, 2) * ceil_div(cv.ow, 2) >= kWinogradMinTiles;
}

void conv_winograd(const IgemmConv& cv, const float* in, const float* w, IgemmWeights form,
                   const float* bias, float* out) {
  const Plan pl = make_plan(cv);
  const index_t macs = cv.batch * cv.m * cv.oh * cv.ow * cv.c * 9;
  int nt = threads_for(macs, kMinMacsPerThread);
  if (nt > pl.nblocks) nt = static_cast<int>(pl.nblocks);
  if (nt < 1) nt = 1;

  // One allocation before any region: the transformed and packed U, each thread's buffers.
  const index_t upack_floats = 16 * pl.u_xi;
  const index_t seg_floats = round_up(pl.tb * static_cast<index_t>(sizeof(Segment) / sizeof(float)), 16);
  const index_t per_thread = pl.thread_floats + seg_floats;
  float* buf = scratch(kScratchConv, sizeof(float) * (upack_floats + nt * per_thread));
  float* upack = buf;
  float* threads_base = upack + upack_floats;

  transform_pack_filters(pl, w, form, upack);

  auto run = [&](int t, int nthr) {
    float* tb = threads_base + t * per_thread;
    float* ring = tb;
    float* v = ring + pl.cap * pl.pg.sample_pad + kRingSlack;
    float* mbuf = v + 16 * pl.v_xi;
    Segment* segs = reinterpret_cast<Segment*>(tb + pl.thread_floats);
    Worker wk{pl, kernels().winograd, upack, bias, out, PadRing{&cv, pl.pg, in, ring, pl.cap}, v, mbuf, segs};
    const index_t b0 = pl.nblocks * t / nthr, b1 = pl.nblocks * (t + 1) / nthr;
    for (index_t blk = b0; blk < b1; ++blk) wk.block(blk);
  };
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (int t = 0; t < nt; ++t) run(t, nt);
}

}  // namespace gn
