// Implicit-GEMM convolution (conv_igemm.h). Baseline unit: the arithmetic is the GEMM
// micro-kernel of the ISA in use (through gn::sgemm_packed_block); this file only moves data.
//
// Per call:
//   1. W (with the bias as one more column) is laid out as A_g [m x Kb] and packed once, k-block by
//      k-block, into the micro-kernel's A layout; shared read-only by every thread.
//   2. The Q = batch * oh * ow output columns are cut into blocks of nb columns (a multiple of NR);
//      threads take contiguous ranges of blocks. For each block, group and k-block, a thread packs
//      the B slice (kb x nb) straight from zero-padded copies of the samples the block touches,
//      then multiplies it with the packed A block into the output (ldc = oh * ow), or into a
//      buffer scattered to the output afterwards when the block spans two or more samples.
//
// Padded samples: row R, column C of a channel's padded plane holds input row R - ph, column
// C - pw (zero outside the input), for R < hp, C < wp: exactly the positions the windows read. So
// output pixel (i, j) and tap (r, s) read padded position (i*sh + r*dh, j*sw + s*dw), and a panel
// row is one copy per run of columns of one output row (one run of NR columns, mostly). With a
// column stride sw > 1 each padded row is stored as sw phases (conv_pad.h: pad_geom_phased), in
// which the columns a tap reads for consecutive output columns are adjacent: every stride packs
// with the same plain copies. (Stride-2 packing was a strided gather before, 4 pixels per step:
// ResNet-20's 32 -> 64 3x3 stride-2 forward spent 18 % of its time in it.)
#include "conv_igemm.h"

#include <cstring>

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#define GN_CONV_SSE2 1
#elif defined(__aarch64__) || defined(_M_ARM64)
#include <arm_neon.h>
#define GN_CONV_NEON 1
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
using conv_detail::max_i;
using conv_detail::min_i;
using conv_detail::pad_geom_phased;
using conv_detail::PadGeom;
using conv_detail::PadRing;
using conv_detail::round_up;

// One packed B slice (kc x nb) of about 128 KB: stays in L2 next to the packed W while the
// micro-kernels sweep it.
constexpr index_t kBSliceFloats = index_t(1) << 15;
// Weights of more than 1 MB (m x Kb floats) do not stay in L2 from one block to the next: each
// block then streams all of packed W from L3, so blocks get 4x wider (512 KB slices) and span
// samples (no block narrower than nb but the last of a thread's share). Forward, 2 threads:
// 8 x 256 at 14x14 -> 256 5x5 (W 6.4 MB) 21.5 -> 19.0 ms (PyTorch 15.6), 8 x 128 at 28x28 -> 256
// 3x3 s2 (W 1.2 MB) 4.07 -> 3.64 ms.
constexpr index_t kWideWeightsFloats = index_t(1) << 18;
constexpr index_t kBSliceWideFloats = index_t(1) << 17;
constexpr index_t kMaxBlockCols = 512;
// Multiply-adds a thread should at least get (~25-50 us).
constexpr index_t kMinMacsPerThread = index_t(1) << 20;
// Memory for the padded samples of one thread's ring, beyond which blocks get narrower.
constexpr index_t kRingBudgetFloats = index_t(1) << 22;
// The widest micro-panel (gemm/ukernel.h): at most this many runs per panel.
constexpr index_t kMaxPanelCols = 32;
// Slack after the ring and after the B slice: at least the widest micro-panel (NR <= 32).
constexpr index_t kSlack = conv_detail::kRingSlack;
// Slack after a B panel of the backward-filter engine: 3 panel rows (NR <= 32).
constexpr index_t kPanelSlack = 96;

// a[u] = x[2u] for 2u < n, b[u] = x[2u + 1] for 2u + 1 < n: one input row into a phased ring's
// two phases (stride 2), eight floats per step.
inline void deinterleave2(const float* GN_RESTRICT x, index_t n, float* GN_RESTRICT a, float* GN_RESTRICT b) {
  index_t v = 0;
#if GN_CONV_SSE2
  for (; v + 8 <= n; v += 8) {
    const __m128 lo = _mm_loadu_ps(x + v), hi = _mm_loadu_ps(x + v + 4);
    _mm_storeu_ps(a + v / 2, _mm_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0)));
    _mm_storeu_ps(b + v / 2, _mm_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1)));
  }
#elif GN_CONV_NEON
  for (; v + 8 <= n; v += 8) {
    const float32x4x2_t ab = vld2q_f32(x + v);
    vst1q_f32(a + v / 2, ab.val[0]);
    vst1q_f32(b + v / 2, ab.val[1]);
  }
#endif
  for (; v + 1 < n; v += 2) {
    a[v / 2] = x[v];
    b[v / 2] = x[v + 1];
  }
  if (v < n) a[v / 2] = x[v];
}

// d[u] = x[2u] for u < cnt (one phase of a stride-2 row), reading nothing past x[2 * cnt - 2].
inline void gather2(const float* GN_RESTRICT x, index_t cnt, float* GN_RESTRICT d) {
  index_t u = 0;
#if GN_CONV_SSE2
  for (; u + 5 <= cnt; u += 4) {
    const __m128 lo = _mm_loadu_ps(x + 2 * u), hi = _mm_loadu_ps(x + 2 * u + 4);
    _mm_storeu_ps(d + u, _mm_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0)));
  }
#elif GN_CONV_NEON
  for (; u + 5 <= cnt; u += 4) vst1q_f32(d + u, vld2q_f32(x + 2 * u).val[0]);
#endif
  for (; u < cnt; ++u) d[u] = x[2 * u];
}

}  // namespace

// A row of zeros, then input column c_lo + v - pw (v < copy) at col(c_lo + v): columns v = f,
// f + S, f + 2S, ... land side by side. A window one column wide reads only phase 0, one row tall
// only every sh-th row (both: ResNet's 1x1 stride-2 shortcuts): the rest is left as it was (reads
// past a run's end may see it, but the engines overwrite or zero what such reads copy; see pack_b
// and pack_taps).
void conv_detail::PadRing::pad_sample_phased(index_t n) const {
  const float* src = in + n * cv->in_n_stride;
  float* dst = slot(n);
  const index_t c_lo = max_i(cv->pw, 0), c_hi = min_i(cv->w + cv->pw, pg.wp);
  const index_t copy = c_hi > c_lo ? c_hi - c_lo : 0;
  const index_t wp = pg.wp, S = pg.phases;
  const index_t to0 = pg.col(c_lo), to1 = pg.col(c_lo + 1);  // stride 2: where each phase starts
  // One column wide: the input columns in phase 0 (padded columns that are multiples of S), and
  // their count.
  const bool one_col = cv->kw == 1, one_row = cv->kh == 1;
  const index_t f0 = (S - c_lo % S) % S, cnt0 = copy > f0 ? (copy - f0 + S - 1) / S : 0;
  for (index_t ch = 0; ch < cv->groups * cv->c; ++ch) {
    const float* xc = src + ch * cv->h * cv->w;
    float* pc = dst + ch * pg.plane;
    for (index_t R = 0; R < pg.hp; ++R) {
      if (one_row && R % cv->sh != 0) continue;
      float* GN_RESTRICT prow = pc + R * wp;
      const index_t zeros = one_col ? pg.phase : wp;
      for (index_t C = 0; C < zeros; ++C) prow[C] = 0.f;
      const index_t ih = R - cv->ph;
      if (ih < 0 || ih >= cv->h) continue;
      const float* GN_RESTRICT xrow = xc + ih * cv->w + (c_lo - cv->pw);
      if (one_col) {
        float* GN_RESTRICT d = prow + (c_lo + f0) / S;
        if (S == 2) {
          gather2(xrow + f0, cnt0, d);
        } else {
          for (index_t u = 0; u < cnt0; ++u) d[u] = xrow[f0 + u * S];
        }
        continue;
      }
      if (S == 2) {
        deinterleave2(xrow, copy, prow + to0, prow + to1);
        continue;
      }
      for (index_t f = 0; f < S && f < copy; ++f) {
        float* GN_RESTRICT d = prow + pg.col(c_lo + f);  // strides above 2: rare, divisions per row
        for (index_t v = f, u = 0; v < copy; v += S, ++u) d[u] = xrow[v];
      }
    }
  }
}

namespace {

// Columns dst .. dst+len-1 of a panel come from one output row of one sample: column dst + t reads
// ring[src + t + tap offset] (the ring's columns are split into stride phases, conv_pad.h: output
// column j's tap (0, 0) is at col(j * sw) = j in its row, for every stride).
struct Segment {
  index_t src;
  int dst, len;
};

// Tap offsets in a padded sample, per reduction row (ci, r, s) of one group.
void tap_offsets(const IgemmConv& cv, const PadGeom& pg, index_t* toff) {
  for (index_t ci = 0, k = 0; ci < cv.c; ++ci)
    for (index_t r = 0; r < cv.kh; ++r)
      for (index_t s = 0; s < cv.kw; ++s, ++k) toff[k] = (ci * pg.hp + r * cv.dh) * pg.wp + pg.col(s * cv.dw);
}

struct Plan {
  IgemmConv cv;
  index_t K, Kb;         // reduction length without / with the bias row
  GemmBlocking bl;
  index_t P, Q;          // output pixels per sample; columns in all
  PadGeom pg;
  index_t nb;            // columns per block
  index_t per_sample;    // blocks per sample when blocks stay within samples, else 0
  index_t nblocks;       // blocks of columns
  index_t a_block;       // floats of one packed k-block of A (one group)
  index_t b_slice;       // floats of one packed k-block of B (one column block)
  index_t cap;           // padded samples in a thread's ring
  index_t thread_floats; // per-thread scratch: ring, B slice, C buffer
  bool cross;            // some block spans two or more samples
};

Plan make_plan(const IgemmConv& cv, bool bias, int nt) {
  Plan pl;
  pl.cv = cv;
  pl.K = cv.c * cv.kh * cv.kw;
  pl.Kb = pl.K + (bias ? 1 : 0);
  pl.bl = sgemm_blocking(pl.Kb, cv.batch * cv.oh * cv.ow);
  pl.P = cv.oh * cv.ow;
  pl.Q = cv.batch * pl.P;
  pl.pg = pad_geom_phased(cv);
  const index_t nr = pl.bl.nr;
  const bool wide = cv.m * pl.Kb >= kWideWeightsFloats;
  index_t nb = (wide ? kBSliceWideFloats : kBSliceFloats) / pl.bl.kc;
  nb = min_i(max_i(nb - nb % nr, nr), kMaxBlockCols - kMaxBlockCols % nr);
  nb = min_i(nb, round_up(pl.Q, nr));
  // Wide blocks: at least one per thread.
  if (wide) nb = min_i(nb, round_up(ceil_div(pl.Q, nt), nr));
  // Blocks spanning many small samples need many padded samples at once: keep the ring bounded.
  while (nb > nr && ((nb - 1) / pl.P + 2) * pl.pg.sample_pad > kRingBudgetFloats) nb -= nr;
  pl.nb = nb;
  // Planes of at least nb pixels: blocks never span two samples (each sample in ceil(P / nb)
  // blocks, the last one shorter), so every block writes straight into the output. Spanning
  // blocks go through a buffer and a scatter, which 1 -> 32 3x3 at 28x28 (output-bound: 6 MB per
  // call) paid with 0.39 -> 0.65 ms on 2 threads. But a sample's last block pads its columns to a
  // whole panel and sweeps all of W for them: with K >= 512 and m >= 32 the scatter costs less
  // (2 threads: 64 x 32 at 14x14 -> 64 5x5, 196 pixels in blocks of 128 + 68, 6.25 -> 5.42 ms;
  // its backward-data with 64 input channels 6.38 -> 5.45 ms), with m = 8 more (2 x 256 at 28x28
  // -> 8 3x3 s2 0.31 -> 0.38 ms).
  pl.per_sample = pl.P >= nb && !wide && (pl.K < 512 || cv.m < 32) ? ceil_div(pl.P, nb) : 0;
  pl.nblocks = pl.per_sample ? cv.batch * pl.per_sample : ceil_div(pl.Q, nb);
  pl.a_block = ceil_div(cv.m, pl.bl.mr) * sgemm_panel_floats(pl.bl.mr, pl.bl.kc);
  pl.b_slice = (nb / nr) * sgemm_panel_floats(nr, pl.bl.kc);
  pl.cap = min_i(cv.batch, (nb - 1) / pl.P + 2);
  // Otherwise blocks may span samples (threads' shares start anywhere).
  pl.cross = !pl.per_sample && cv.batch > 1;
  // The ring and the B slice each with kSlack floats at the end (see pack_b).
  pl.thread_floats = pl.cap * pl.pg.sample_pad + kSlack + pl.b_slice + kSlack +
                     (pl.cross ? round_up(cv.m * nb, 16) : 0);
  return pl;
}

// A_g [m x Kb] for every group, row-major (row stride Kb): W in the engine's order, then the bias.
void layout_weights(const Plan& pl, const float* w, IgemmWeights form, const float* bias, float* a) {
  const IgemmConv& cv = pl.cv;
  const index_t taps = cv.kh * cv.kw;
  for (index_t g = 0; g < cv.groups; ++g)
    for (index_t co = 0; co < cv.m; ++co) {
      float* row = a + (g * cv.m + co) * pl.Kb;
      if (form == IgemmWeights::kForward) {
        std::memcpy(row, w + (g * cv.m + co) * pl.K, sizeof(float) * pl.K);
      } else {
        for (index_t ci = 0; ci < cv.c; ++ci) {
          const float* src = w + ((g * cv.c + ci) * cv.m + co) * taps;
          float* dst = row + ci * taps;
          for (index_t t = 0; t < taps; ++t) dst[t] = src[taps - 1 - t];  // (r, s) -> (kh-1-r, kw-1-s)
        }
      }
      if (bias) row[pl.K] = bias[g * cv.m + co];
    }
}

// One thread's view of the call.
struct Worker {
  const Plan& pl;
  const float* apack;
  const index_t* toff;  // tap offsets in a padded sample, per row of the reduction (< K)
  float* out;
  PadRing pad;
  float* bslice;
  float* cbuf;
  Segment* segs;   // at most nb
  index_t* first;  // per panel of the block, its first segment (npanels + 1 entries)

  // Segments of the panels of columns [q0, q1); returns the panel count.
  index_t segment(index_t q0, index_t q1) {
    const IgemmConv& cv = pl.cv;
    const index_t nr = pl.bl.nr, np = ceil_div(q1 - q0, nr);
    index_t ns = 0;
    for (index_t jp = 0; jp < np; ++jp) {
      first[jp] = ns;
      const index_t start = q0 + jp * nr, end = min_i(start + nr, q1);
      for (index_t q = start; q < end;) {
        const index_t n = q / pl.P, pix = q % pl.P, i = pix / cv.ow, j = pix % cv.ow;
        const index_t len = min_i(end - q, cv.ow - j);
        segs[ns].src = (n % pl.cap) * pl.pg.sample_pad + i * cv.sh * pl.pg.wp + j;
        segs[ns].dst = static_cast<int>(q - start);
        segs[ns].len = static_cast<int>(len);
        ++ns;
        q += len;
      }
    }
    first[np] = ns;
    return np;
  }

  // B slice of group g, reduction rows [k0, k0 + kb), for the np panels of the block (ncols columns).
  // kNr: the micro-kernel's panel width as a constant (0: read it at run time).
  template <int kNr>
  void pack_b(index_t g, index_t k0, index_t kb, index_t np, index_t ncols) const {
    const int NR = kNr > 0 ? kNr : pl.bl.nr;
    const index_t ps = sgemm_panel_floats(NR, kb);
    const float* base = pad.ring + g * pl.cv.c * pl.pg.plane;
    const index_t kend = min_i(k0 + kb, pl.K);
    for (index_t jp = 0; jp < np; ++jp) {
      float* dst = bslice + jp * ps;
      const index_t s0 = first[jp], s1 = first[jp + 1];
      const index_t valid = min_i(NR, ncols - jp * NR);
      if (s1 - s0 == 1 && valid == NR) {
        const float* src = base + segs[s0].src;
        for (index_t k = k0; k < kend; ++k) std::memcpy(dst + (k - k0) * NR, src + toff[k], sizeof(float) * NR);
      } else {
        // Several runs (output rows or samples) in the panel: each run copies a full NR floats (or
        // 16, below) from its source, in increasing column order, so that a run's excess is
        // overwritten by the next run, or spills into the next panel row, which is written
        // afterwards (the slice and the ring have NR floats of slack at their ends for the last row
        // and the last read).
        // The runs' offsets in locals: the copies' stores may alias any member's memory, which
        // made the compiler reload segs and each run's fields for every copy (4 x 64 at 28x28 -> 8
        // 7x7 forward, where this loop is half the time: 1.39 -> 1.65 ms when the loop moved).
        index_t so[kMaxPanelCols];
        index_t dof[kMaxPanelCols];
        const index_t ns = s1 - s0;
        for (index_t i = 0; i < ns; ++i) {
          so[i] = segs[s0 + i].src;
          dof[i] = segs[s0 + i].dst;
        }
        if (ns == 2) {  // most panels of 17-31 pixel rows
          for (index_t k = k0; k < kend; ++k) {
            float* d = dst + (k - k0) * NR;
            const float* src = base + toff[k];
            std::memcpy(d + dof[0], src + so[0], sizeof(float) * NR);
            std::memcpy(d + dof[1], src + so[1], sizeof(float) * NR);
          }
        } else {
          // Three or more runs (rows of at most 16 pixels, or samples): a run of up to H floats
          // copies H (its excess overwritten as above: the next run writes at least H), a longer
          // one NR. 64 x 32 at 14x14 -> 64 5x5 forward, 2 threads: 5.5 -> 4.9 ms.
          constexpr int H = kNr > 0 && kNr < 16 ? kNr : 16;
          bool longer[kMaxPanelCols];
          for (index_t i = 0; i < ns; ++i) longer[i] = segs[s0 + i].len > H;
          for (index_t k = k0; k < kend; ++k) {
            float* d = dst + (k - k0) * NR;
            const float* src = base + toff[k];
            for (index_t i = 0; i < ns; ++i) {
              if (NR <= H || longer[i]) {
                std::memcpy(d + dof[i], src + so[i], sizeof(float) * NR);
              } else {
                std::memcpy(d + dof[i], src + so[i], sizeof(float) * H);
              }
            }
          }
        }
        if (valid < NR)
          for (index_t k = k0; k < kend; ++k)
            for (index_t j = valid; j < NR; ++j) dst[(k - k0) * NR + j] = 0.f;
      }
      // The bias row: ones in the valid columns.
      for (index_t k = kend; k < k0 + kb; ++k) {
        float* d = dst + (k - k0) * NR;
        for (index_t j = 0; j < NR; ++j) d[j] = j < valid ? 1.f : 0.f;
      }
    }
  }

  void pack_b_any(index_t g, index_t k0, index_t kb, index_t np, index_t ncols) const {
    switch (pl.bl.nr) {
      case 8: return pack_b<8>(g, k0, kb, np, ncols);
      case 12: return pack_b<12>(g, k0, kb, np, ncols);
      case 16: return pack_b<16>(g, k0, kb, np, ncols);
      case 32: return pack_b<32>(g, k0, kb, np, ncols);
      default: return pack_b<0>(g, k0, kb, np, ncols);
    }
  }

  // Block blk of a sample's columns (per-sample blocks).
  void sample_block(index_t blk) {
    const index_t n = blk / pl.per_sample, part = blk % pl.per_sample;
    const index_t q0 = n * pl.P + part * pl.nb;
    columns(q0, min_i(q0 + pl.nb, (n + 1) * pl.P));
  }

  // Columns [q0, q1), at most nb of them.
  void columns(index_t q0, index_t q1) {
    const IgemmConv& cv = pl.cv;
    const index_t ncols = q1 - q0;
    const index_t n0 = q0 / pl.P, n1 = (q1 - 1) / pl.P;
    pad.ensure(n0, n1);
    const index_t np = segment(q0, q1);
    const bool direct = n0 == n1;
    for (index_t g = 0; g < cv.groups; ++g) {
      float* c;
      index_t ldc;
      if (direct) {
        c = out + n0 * cv.out_n_stride + g * cv.m * pl.P + (q0 - n0 * pl.P);
        ldc = pl.P;
      } else {
        c = cbuf;
        ldc = pl.nb;
      }
      for (index_t b = 0; b < pl.bl.nblocks; ++b) {
        const index_t k0 = b * pl.bl.kc, kb = min_i(pl.bl.kc, pl.Kb - k0);
        pack_b_any(g, k0, kb, np, ncols);
        sgemm_packed_block(pl.bl, cv.m, ncols, kb, 1.f, apack + (g * pl.bl.nblocks + b) * pl.a_block,
                           bslice, b == 0 ? 0.f : 1.f, c, ldc);
      }
      if (!direct) {
        // Scatter the block's columns to their samples.
        for (index_t q = q0; q < q1;) {
          const index_t n = q / pl.P, pix = q % pl.P, len = min_i(q1 - q, pl.P - pix);
          float* dst = out + n * cv.out_n_stride + g * cv.m * pl.P + pix;
          for (index_t co = 0; co < cv.m; ++co)
            std::memcpy(dst + co * pl.P, cbuf + co * pl.nb + (q - q0), sizeof(float) * len);
          q += len;
        }
      }
    }
  }
};

// ---- backward-filter -----------------------------------------------------------------------------

// d[q * ldd + i] = rows[i][q] for i, q < 4 (rows of the source become columns of d).
inline void transpose_4x4(const float* r0, const float* r1, const float* r2, const float* r3, float* d,
                          index_t ldd) {
#if GN_CONV_SSE2
  __m128 a = _mm_loadu_ps(r0), b = _mm_loadu_ps(r1), c = _mm_loadu_ps(r2), e = _mm_loadu_ps(r3);
  _MM_TRANSPOSE4_PS(a, b, c, e);
  _mm_storeu_ps(d, a);
  _mm_storeu_ps(d + ldd, b);
  _mm_storeu_ps(d + 2 * ldd, c);
  _mm_storeu_ps(d + 3 * ldd, e);
#elif GN_CONV_NEON
  const float32x4x2_t t01 = vtrnq_f32(vld1q_f32(r0), vld1q_f32(r1));
  const float32x4x2_t t23 = vtrnq_f32(vld1q_f32(r2), vld1q_f32(r3));
  vst1q_f32(d, vcombine_f32(vget_low_f32(t01.val[0]), vget_low_f32(t23.val[0])));
  vst1q_f32(d + ldd, vcombine_f32(vget_low_f32(t01.val[1]), vget_low_f32(t23.val[1])));
  vst1q_f32(d + 2 * ldd, vcombine_f32(vget_high_f32(t01.val[0]), vget_high_f32(t23.val[0])));
  vst1q_f32(d + 3 * ldd, vcombine_f32(vget_high_f32(t01.val[1]), vget_high_f32(t23.val[1])));
#else
  const float* r[4] = {r0, r1, r2, r3};
  for (int q = 0; q < 4; ++q)
    for (int i = 0; i < 4; ++i) d[q * ldd + i] = r[i][q];
#endif
}

// The same for a 2x4 block: d[q * ldd + i] = rows[i][q] for i < 2, q < 4.
inline void transpose_2x4(const float* r0, const float* r1, float* d, index_t ldd) {
#if GN_CONV_SSE2
  const __m128 a = _mm_loadu_ps(r0), b = _mm_loadu_ps(r1);
  const __m128 lo = _mm_unpacklo_ps(a, b), hi = _mm_unpackhi_ps(a, b);
  _mm_storel_pi(reinterpret_cast<__m64*>(d), lo);
  _mm_storeh_pi(reinterpret_cast<__m64*>(d + ldd), lo);
  _mm_storel_pi(reinterpret_cast<__m64*>(d + 2 * ldd), hi);
  _mm_storeh_pi(reinterpret_cast<__m64*>(d + 3 * ldd), hi);
#else
  for (int q = 0; q < 4; ++q) {
    d[q * ldd] = r0[q];
    d[q * ldd + 1] = r1[q];
  }
#endif
}

// d[q * R + i] = rows[i][q] for q < len, i < nrows, and 0 for nrows <= i < R: R source rows
// (nrows of them real) written k-major, as a micro-panel of the GEMM.
void transpose_rows(const float* const* rows, int nrows, int R, index_t len, float* d) {
  index_t q = 0;
  for (; q + 4 <= len; q += 4) {
    int i = 0;
    for (; i + 4 <= nrows; i += 4)
      transpose_4x4(rows[i] + q, rows[i + 1] + q, rows[i + 2] + q, rows[i + 3] + q, d + q * R + i, R);
    if (i + 2 <= nrows) {
      transpose_2x4(rows[i] + q, rows[i + 1] + q, d + q * R + i, R);
      i += 2;
    }
    for (; i < nrows; ++i)
      for (int u = 0; u < 4; ++u) d[(q + u) * R + i] = rows[i][q + u];
    for (; i < R; ++i)
      for (int u = 0; u < 4; ++u) d[(q + u) * R + i] = 0.f;
  }
  for (; q < len; ++q) {
    int i = 0;
    for (; i < nrows; ++i) d[q * R + i] = rows[i][q];
    for (; i < R; ++i) d[q * R + i] = 0.f;
  }
}

// A run of the k-block's pixels: local positions p .. p+len-1 are output pixels pix .. pix+len-1
// of sample n, all in one output row (x runs) or anywhere in the plane (dY runs).
struct Run {
  index_t p, len;
  index_t off;  // x runs: offset in the ring of tap (0, 0), channel 0; dY runs: offset in dY
  index_t pad_;
};

struct FilterWorker {
  const IgemmFilterPlan& fp;
  const GemmBlocking& bl;   // of the chunk's reduction length
  PadRing pad;
  const float* dy;
  const index_t* toff;
  float* apack;
  float* bpanel;
  Run* xruns;
  Run* yruns;

  // Runs of the pixels [l0, l0 + kb) of the chunk starting at sample n0; returns the counts.
  void runs(index_t n0, index_t l0, index_t kb, index_t g, index_t* nx, index_t* ny) {
    const IgemmConv& cv = fp.cv;
    const index_t P = cv.oh * cv.ow;
    index_t cx = 0, cy = 0;
    for (index_t l = l0; l < l0 + kb;) {
      const index_t n = n0 + l / P, pix = l % P;
      const index_t len = min_i(l0 + kb - l, P - pix);
      yruns[cy++] = Run{l - l0, len, n * cv.out_n_stride + g * cv.m * P + pix, 0};
      for (index_t t = pix; t < pix + len;) {
        const index_t i = t / cv.ow, j = t % cv.ow, seg = min_i(pix + len - t, cv.ow - j);
        xruns[cx++] = Run{l - l0 + (t - pix), seg,
                          (n % pad.cap) * pad.pg.sample_pad + g * cv.c * pad.pg.plane +
                              i * cv.sh * pad.pg.wp + j, 0};
        t += seg;
      }
      l += len;
    }
    *nx = cx;
    *ny = cy;
  }

  // The B panel of taps t0 .. t0+taps-1 (a run's pixels are adjacent in the ring for every
  // stride: conv_pad.h's phases): four taps at a time, 4x4 transposes along each run, or eight at
  // a time where the ISA has 8x8 transposes (gemm/pack.h: pack_rows8), with 4x4 blocks for a
  // run's last 1-4 pixels. Runs come in increasing order, each ending with one block
  // that may reach up to 3 pixels past its end (reads stay in the ring's slack; writes are
  // overwritten by the next run or land in the panel's slack). A missing tap of the last group
  // re-reads a present one; its column is zeroed afterwards. 8x8 blocks, 64 x 32 at 14x14 -> 64
  // 5x5 backward-filter, 2 threads: 5.8 -> 5.4 ms (the packing 28 -> 17 % of the pass).
  void pack_taps(index_t t0, int taps, index_t nx, index_t kb) {
    const int nr = bl.nr;
    const PackRows8Fn rows8 = nr % 8 == 0 ? kernels().pack_rows8 : nullptr;
    int j = 0;
    if (rows8) {
      for (; j < taps; j += 8) {
        const float* r[8];
        for (int u = 0; u < 8; ++u) r[u] = pad.ring + toff[t0 + (j + u < taps ? j + u : j)];
        for (index_t u = 0; u < nx; ++u) {
          const index_t off = xruns[u].off, len = xruns[u].len;
          float* d = bpanel + xruns[u].p * nr + j;
          // 8-wide blocks, the last one up to 3 pixels past the run; else a 4-wide one per half.
          const index_t len8 = len % 8 > 4 ? (len + 7) / 8 * 8 : len / 8 * 8;
          const float* rr[8];
          for (int i = 0; i < 8; ++i) rr[i] = r[i] + off;
          if (len8 > 0) rows8(rr, len8, d, nr);
          if (len8 < len) {
            transpose_4x4(rr[0] + len8, rr[1] + len8, rr[2] + len8, rr[3] + len8, d + len8 * nr, nr);
            transpose_4x4(rr[4] + len8, rr[5] + len8, rr[6] + len8, rr[7] + len8, d + len8 * nr + 4, nr);
          }
        }
      }
    }
    for (; j < taps; j += 4) {
      const float* r[4];
      for (int u = 0; u < 4; ++u) r[u] = pad.ring + toff[t0 + (j + u < taps ? j + u : j)];
      for (index_t u = 0; u < nx; ++u) {
        const index_t off = xruns[u].off, len = xruns[u].len;
        float* d = bpanel + xruns[u].p * nr + j;
        for (index_t q = 0; q < len; q += 4)
          transpose_4x4(r[0] + off + q, r[1] + off + q, r[2] + off + q, r[3] + off + q, d + q * nr, nr);
      }
    }
    if (taps < nr)
      for (index_t q = 0; q < kb; ++q)
        for (int j = taps; j < nr; ++j) bpanel[q * nr + j] = 0.f;
  }

  void chunk(index_t n0, index_t n1, index_t panel0, index_t panel1, float* dw) {
    const IgemmConv& cv = fp.cv;
    const index_t P = cv.oh * cv.ow, L = (n1 - n0) * P;
    const int mr = bl.mr, nr = bl.nr;
    const float* rows[32];
    // k-blocks outside, groups inside: the ring pads each sample (all groups) once.
    for (index_t b = 0; b < bl.nblocks; ++b) {
      const index_t l0 = b * bl.kc, kb = min_i(bl.kc, L - l0);
      pad.ensure(n0 + l0 / P, n0 + (l0 + kb - 1) / P);
      for (index_t g = 0; g < cv.groups; ++g) {
        index_t nx, ny;
        runs(n0, l0, kb, g, &nx, &ny);
        // A = dY^T: micro-panel ip holds output channels ip*mr .. of group g.
        const index_t psa = sgemm_panel_floats(mr, kb);
        for (index_t ip = 0; ip * mr < cv.m; ++ip) {
          const int rows_here = static_cast<int>(min_i(mr, cv.m - ip * mr));
          for (index_t u = 0; u < ny; ++u) {
            for (int i = 0; i < rows_here; ++i) rows[i] = dy + yruns[u].off + (ip * mr + i) * P;
            transpose_rows(rows, rows_here, mr, yruns[u].len, apack + ip * psa + yruns[u].p * mr);
          }
        }
        // B: panel jp holds taps jp*nr .. of group g, read from the padded samples.
        for (index_t jp = panel0; jp < panel1; ++jp) {
          const index_t t0 = jp * nr;
          const int taps_here = static_cast<int>(min_i(nr, fp.K - t0));
          pack_taps(t0, taps_here, nx, kb);
          sgemm_packed_block(bl, cv.m, taps_here, kb, 1.f, apack, bpanel, b == 0 ? 0.f : 1.f,
                             dw + g * cv.m * fp.K + t0, fp.K);
        }
      }
    }
  }
};

}  // namespace

IgemmFilterPlan igemm_filter_plan(const IgemmConv& cv, index_t max_samples) {
  IgemmFilterPlan fp;
  fp.cv = cv;
  fp.K = cv.c * cv.kh * cv.kw;
  const index_t P = cv.oh * cv.ow;
  // dW [m x K]: the kernel for K columns, as igemm_filter_chunk's sgemm_blocking picks it.
  const GemmUkernel& uk = *sgemm_blocking(max_samples * P, fp.K).uk;
  fp.panels = ceil_div(fp.K, uk.nr);
  fp.max_samples = max_samples;
  // The longest k-block of any chunk (up to max_samples * P positions; deep ones take longer blocks).
  const index_t kc = sgemm_max_kc(max_samples * P, fp.K);
  const PadGeom pg = pad_geom_phased(cv);
  fp.cap = min_i(max_samples, (kc - 1) / P + 2);
  fp.a_floats = ceil_div(cv.m, uk.mr) * sgemm_panel_floats(uk.mr, kc);
  fp.b_floats = sgemm_panel_floats(uk.nr, kc);
  fp.run_floats = round_up(2 * kc * static_cast<index_t>(sizeof(Run) / sizeof(float)), 16);
  fp.toff_floats = round_up(2 * fp.K, 16);
  fp.ws_floats = fp.cap * pg.sample_pad + kSlack + fp.a_floats + fp.b_floats + kPanelSlack +
                 fp.run_floats + fp.toff_floats;
  return fp;
}

void igemm_filter_chunk(const IgemmFilterPlan& fp, const float* x, const float* dy, index_t n0,
                        index_t n1, index_t panel0, index_t panel1, float* dw, float* ws) {
  const IgemmConv& cv = fp.cv;
  const GemmBlocking bl = sgemm_blocking((n1 - n0) * cv.oh * cv.ow, fp.K);
  const PadGeom pg = pad_geom_phased(cv);
  float* ring = ws;
  float* apack = ring + fp.cap * pg.sample_pad + kSlack;
  float* bpanel = apack + fp.a_floats;
  Run* xruns = reinterpret_cast<Run*>(bpanel + fp.b_floats + kPanelSlack);
  Run* yruns = xruns + bl.kc;
  index_t* toff = reinterpret_cast<index_t*>(bpanel + fp.b_floats + kPanelSlack + fp.run_floats);
  tap_offsets(cv, pg, toff);
  FilterWorker wk{fp, bl, PadRing{&fp.cv, pg, x, ring, fp.cap}, dy, toff, apack, bpanel, xruns, yruns};
  wk.chunk(n0, n1, panel0, panel1, dw);
}

void conv_igemm(const IgemmConv& cv, const float* in, const float* w, IgemmWeights form,
                const float* bias, float* out) {
  const index_t macs = cv.batch * cv.groups * cv.m * cv.oh * cv.ow * cv.c * cv.kh * cv.kw;
  int nt = threads_for(macs, kMinMacsPerThread);
  const Plan pl = make_plan(cv, bias != nullptr, nt);
  if (nt > pl.nblocks) nt = static_cast<int>(pl.nblocks);
  if (nt < 1) nt = 1;

  // One scratch allocation, made before any parallel region: the weights laid out and packed, the
  // tap offsets, and each thread's ring, B slice, C buffer, segments and panel index.
  const index_t wa_floats = round_up(cv.groups * cv.m * pl.Kb, 16);
  const index_t apack_floats = cv.groups * pl.bl.nblocks * pl.a_block;
  const index_t toff_floats = round_up(pl.K * 2, 16);  // index_t = 2 floats
  const index_t seg_floats = round_up(pl.nb * static_cast<index_t>(sizeof(Segment) / sizeof(float)), 16);
  const index_t first_floats = round_up((pl.nb + 1) * 2, 16);
  const index_t per_thread = pl.thread_floats + seg_floats + first_floats;
  float* buf = scratch(kScratchConv, sizeof(float) * (wa_floats + apack_floats + toff_floats + nt * per_thread));
  float* wa = buf;
  float* apack = wa + wa_floats;
  index_t* toff = reinterpret_cast<index_t*>(apack + apack_floats);
  float* threads_base = apack + apack_floats + toff_floats;

  layout_weights(pl, w, form, bias, wa);
  for (index_t g = 0; g < cv.groups; ++g)
    for (index_t b = 0; b < pl.bl.nblocks; ++b) {
      const index_t k0 = b * pl.bl.kc, kb = min_i(pl.bl.kc, pl.Kb - k0);
      sgemm_pack_a(pl.bl, false, cv.m, kb, wa + g * cv.m * pl.Kb + k0, pl.Kb,
                   apack + (g * pl.bl.nblocks + b) * pl.a_block);
    }
  tap_offsets(cv, pl.pg, toff);

  auto run = [&](int t, int nthr) {
    float* tb = threads_base + t * per_thread;
    float* bslice = tb + pl.cap * pl.pg.sample_pad + kSlack;
    Worker wk{pl, apack, toff, out, PadRing{&cv, pl.pg, in, tb, pl.cap}, bslice,
              pl.cross ? bslice + pl.b_slice + kSlack : nullptr,
              reinterpret_cast<Segment*>(tb + pl.thread_floats),
              reinterpret_cast<index_t*>(tb + pl.thread_floats + seg_floats)};
    if (pl.per_sample) {
      const index_t b0 = pl.nblocks * t / nthr, b1 = pl.nblocks * (t + 1) / nthr;
      for (index_t blk = b0; blk < b1; ++blk) wk.sample_block(blk);
    } else {
      // Equal shares of whole panels, each cut into blocks of nb columns: the last block of a
      // share may be narrower, which changes no result (see conv_igemm.h).
      const index_t nr = pl.bl.nr, panels = ceil_div(pl.Q, nr);
      const index_t c0 = min_i(panels * t / nthr * nr, pl.Q), c1 = min_i(panels * (t + 1) / nthr * nr, pl.Q);
      for (index_t q0 = c0; q0 < c1; q0 += pl.nb) wk.columns(q0, min_i(q0 + pl.nb, c1));
    }
  };
  // One iteration per share of blocks (and set of buffers), whatever team OpenMP provides.
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (int t = 0; t < nt; ++t) run(t, nt);
}

}  // namespace gn
