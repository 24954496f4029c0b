// im2col / col2im over whole batches or a tile of output pixels, and the convolution plan (tile
// size, 1x1 path).
#include "im2col.h"

#include <algorithm>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "../gemm/gemm.h"
#include "../isa.h"

namespace gn {
namespace {

// Column buffer target (backward-data's per-sample path): 64 Ki floats = 256 KB, so a tile stays
// in the 512 KB L2 of the target (Zen3) while col2im reads it back (KERNELS.md §3.3); 128 Ki floats
// = 512 KB on AVX-512 CPUs, whose L2 holds 1-2 MB. Measured on a 2-vCPU Xeon (2 MB L2), backward-
// data at 2 threads, targets of 256 KB -> 512 KB -> 1 MB (tiles rounded up to the GEMM's 32-column
// panels): 64 x 32 at 14x14 -> 64 5x5 7.1 -> 6.3 -> 6.2 ms (tiles of 80 + 80 + 36 columns, 8
// panels, -> 128 + 68, 7 panels -> the whole 196-pixel plane); 8 x 128 at 28x28 -> 256 3x3 s2
// 5.2 -> 4.2 -> 4.0 ms; 8 x 64 at 56x56 -> 128 3x3 s2 4.3 -> 3.9 -> 4.1 ms; 4 x 64 at 112x112 -> 64
// 3x3 s2 5.5 -> 4.7 -> 5.0 ms (2 MB: 5.7 ms); 16 x 64 at 27x27 -> 192 5x5 26.8 -> 25.2 -> 25.4 ms.
index_t col_target_floats() { return kernels().isa == Isa::kAvx512 ? index_t(1) << 17 : index_t(1) << 16; }
// Narrowest tile when K is large: below this the GEMM's n dimension gets too thin to be efficient.
constexpr index_t kMinTile = 32;

// Walks the tile's pixels one output-row segment at a time and calls
// seg(t, ih, j_begin, j_end) for row (c, r, s): columns t .. t + (j_end - j_begin) of the tile are
// output columns j_begin .. j_end of output row i, whose input row is ih (maybe out of range).
template <typename Segment>
inline void for_each_segment(const Im2colGeom& g, index_t r, index_t p0, index_t count, Segment seg) {
  index_t i = p0 / g.ow, j = p0 % g.ow, t = 0;
  const index_t row_off = r * g.dil_h - g.pad_h;
  while (t < count) {
    index_t j_end = g.ow;
    if (j_end - j > count - t) j_end = j + (count - t);
    seg(t, i * g.stride_h + row_off, j, j_end);
    t += j_end - j;
    j = 0;
    ++i;
  }
}

inline index_t clamp(index_t v, index_t lo, index_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

// Stride 1 with ow == w ("same"-width convolutions, most 3x3 layers): output pixel p = i * w + j
// of tap (r, s) reads input pixel p + shift of the flattened plane, shift = (r * dil_h - pad_h) * w
// + s * dil_w - pad_w, whenever row and column are both inside the input. So a column-matrix row is
// one contiguous stream over the flattened plane, with the columns that wrap around to a
// neighbouring input row masked to zero: no per-output-row library calls, which dominate small
// planes (8x8) otherwise. (FlatTap: col2im_ukernel.h.)
bool flat_layout(const Im2colGeom& g) { return g.stride_h == 1 && g.stride_w == 1 && g.ow == g.w; }

FlatTap flat_tap(const Im2colGeom& g, index_t r, index_t s, index_t p0, index_t count) {
  FlatTap f;
  const index_t row_off = r * g.dil_h - g.pad_h, col_off = s * g.dil_w - g.pad_w;
  f.shift = row_off * g.w + col_off;
  const index_t ilo = clamp(-row_off, 0, g.oh), ihi = clamp(g.h - row_off, ilo, g.oh);
  const index_t pend = p0 + count;
  const index_t q0 = clamp(ilo * g.ow, p0, pend), q1 = clamp(ihi * g.ow, q0, pend);
  f.c0 = clamp(-f.shift, q0, q1);
  f.c1 = clamp(g.h * g.w - f.shift, f.c0, q1);
  conv_valid_range(col_off, 1, g.w, g.ow, &f.jlo, &f.jhi);
  return f;
}

// Zeroes v[p - c0] for the pixels p in [c0, c1) whose output column lies outside [jlo, jhi) (their
// flat source index wrapped into a neighbouring input row): one strided pass per such column,
// since a short memset per output row would cost more than the rest on small planes.
void zero_wrapped_columns(const FlatTap& f, index_t ow, float* v) {
  const index_t first_row = f.c0 - f.c0 % ow;
  auto zero_column = [&](index_t j) {
    index_t p = first_row + j;
    if (p < f.c0) p += ow;
    for (; p < f.c1; p += ow) v[p - f.c0] = 0.f;
  };
  for (index_t j = 0; j < f.jlo; ++j) zero_column(j);
  for (index_t j = f.jhi; j < ow; ++j) zero_column(j);
}

// The ISA's kernel (col2im_ukernel.h) where there is one and the tile fits its tables; the loop
// below otherwise (generic, NEON). Backward-data, 2 threads, this loop -> AVX-512 kernel: 64 x 32
// at 14x14 -> 64 5x5 6.1 -> 5.2 ms (col2im 21 -> 9 % of the pass), 16 x 64 at 27x27 -> 192 5x5
// 26.8 -> 24.0 ms; the AVX2 kernel 7.8 -> 7.6 ms on the first.
bool col2im_flat_isa(const Im2colGeom& g, const float* col, index_t p0, index_t count, float* dx, index_t ld) {
  // The masks, built per tile, cost about as much as one channel's adds: LeNet's conv1 (one input
  // channel, 28x28, 5x5 pad 2) backward-data 0.25 -> 0.29 ms with the kernel; two channels gain.
  constexpr index_t kMinChannels = 2;
  const Col2imKernels& k = kernels().col2im;
  if (k.flat == nullptr || g.kh * g.kw > kCol2imMaxTaps || g.c < kMinChannels) return false;
  FlatTap taps[kCol2imMaxTaps];
  for (index_t r = 0; r < g.kh; ++r)
    for (index_t s = 0; s < g.kw; ++s) taps[r * g.kw + s] = flat_tap(g, r, s, p0, count);
  const Col2imFlat f{taps, g.kh * g.kw, g.kw, g.c, g.h * g.w, g.ow, p0};
  return k.flat(f, col, ld, dx);
}

void col2im_flat(const Im2colGeom& g, float* col, index_t p0, index_t count, float* dx, index_t ld) {
  if (col2im_flat_isa(g, col, p0, count, dx, ld)) return;
  const index_t hw = g.h * g.w, ow = g.ow;
  for (index_t r = 0; r < g.kh; ++r)
    for (index_t s = 0; s < g.kw; ++s) {
      const FlatTap f = flat_tap(g, r, s, p0, count);
      if (f.c1 <= f.c0) continue;
      for (index_t c = 0; c < g.c; ++c) {
        // Tile pixel p: col row entry p - p0, input pixel p + shift (both in range on [c0, c1)).
        float* src = col + ((c * g.kh + r) * g.kw + s) * ld + (f.c0 - p0);
        float* dst = dx + c * hw + (f.c0 + f.shift);
        // Wrapped entries become 0, so one contiguous add is right (they add 0 to a neighbour).
        zero_wrapped_columns(f, ow, src);
        for (index_t q = 0, n = f.c1 - f.c0; q < n; ++q) dst[q] += src[q];
      }
    }
}

// Valid ranges of a tile of whole output rows i0 .. i0 + rows - 1, per kernel row r: the output
// rows [lo, hi) whose input row is inside the input; per kernel column s: the output columns
// whose input column is. Kept for kernels of up to 32 x 32 taps (two divisions each, once per
// call, on the stack: col2im runs inside parallel regions, where nothing may allocate), worked
// out where they are used for larger ones.
struct RowRanges {
  static constexpr index_t kMaxTaps = 32;
  const Im2colGeom& g;
  index_t i0, rows;
  bool kept;
  index_t ilo[kMaxTaps], ihi[kMaxTaps], jlo[kMaxTaps], jhi[kMaxTaps];
  RowRanges(const Im2colGeom& geom, index_t first, index_t count)
      : g(geom), i0(first), rows(count), kept(geom.kh <= kMaxTaps && geom.kw <= kMaxTaps) {
    if (!kept) return;
    for (index_t r = 0; r < g.kh; ++r) compute_rows(r, &ilo[r], &ihi[r]);
    for (index_t s = 0; s < g.kw; ++s) compute_cols(s, &jlo[s], &jhi[s]);
  }
  void compute_rows(index_t r, index_t* lo, index_t* hi) const {
    conv_valid_range(r * g.dil_h - g.pad_h, g.stride_h, g.h, g.oh, lo, hi);
    *lo = clamp(*lo, i0, i0 + rows);
    *hi = clamp(*hi, *lo, i0 + rows);
  }
  void compute_cols(index_t s, index_t* lo, index_t* hi) const {
    conv_valid_range(s * g.dil_w - g.pad_w, g.stride_w, g.w, g.ow, lo, hi);
  }
  void rows_of(index_t r, index_t* lo, index_t* hi) const {
    if (kept) {
      *lo = ilo[r];
      *hi = ihi[r];
    } else {
      compute_rows(r, lo, hi);
    }
  }
  void cols_of(index_t s, index_t* lo, index_t* hi) const {
    if (kept) {
      *lo = jlo[s];
      *hi = jhi[s];
    } else {
      compute_cols(s, lo, hi);
    }
  }
};

// Whole output rows in the tile (col2im_rows' counterpart): per column-matrix row (c, r, s) the
// output rows whose input row is inside get their valid columns gathered and the rest zeroed in
// plain loops. Over samples 0 .. ns-1 (planes x_stride floats apart, columns b * rows * ow .. of
// each row) and channels c0 .. c1-1, each row of the column matrix is written front to back. Filled
// sample by sample, with a segment walk calling memset and memcpy per output row, a batch-wide
// matrix of small planes had every cache line touched once per sample: 26 % of the forward pass of
// 64 x 256 at 4x4 -> 512 at 2x2 (4x4 stride 2), which now takes 5.5 instead of 9.0 ms.
void im2col_rows(const Im2colGeom& g, const float* x, index_t x_stride, index_t ns, index_t c0, index_t c1,
                 index_t i0, index_t rows, float* col, index_t ld) {
  const index_t hw = g.h * g.w, ow = g.ow, sw = g.stride_w, run = rows * ow;
  const RowRanges rr(g, i0, rows);
  for (index_t c = c0; c < c1; ++c)
    for (index_t r = 0; r < g.kh; ++r) {
      const index_t row_off = r * g.dil_h - g.pad_h;
      index_t ilo, ihi;
      rr.rows_of(r, &ilo, &ihi);
      for (index_t s = 0; s < g.kw; ++s) {
        const index_t off = s * g.dil_w - g.pad_w;
        index_t jlo, jhi;
        rr.cols_of(s, &jlo, &jhi);
        for (index_t b = 0; b < ns; ++b) {
          const float* xc = x + b * x_stride + c * hw;
          float* GN_RESTRICT row = col + ((c * g.kh + r) * g.kw + s) * ld + b * run;
          for (index_t q = 0; q < (ilo - i0) * ow; ++q) row[q] = 0.f;
          for (index_t i = ilo; i < ihi; ++i) {
            float* GN_RESTRICT dst = row + (i - i0) * ow;
            const float* src = xc + (i * g.stride_h + row_off) * g.w + off;
            for (index_t j = 0; j < jlo; ++j) dst[j] = 0.f;
            if (sw == 1) {
              for (index_t j = jlo; j < jhi; ++j) dst[j] = src[j];
            } else {
              for (index_t j = jlo; j < jhi; ++j) dst[j] = src[j * sw];
            }
            for (index_t j = jhi; j < ow; ++j) dst[j] = 0.f;
          }
          for (index_t q = (ihi - i0) * ow; q < run; ++q) row[q] = 0.f;
        }
      }
    }
}

// GCC: loops aligned to 32 bytes. Where the linker happened to put col2im_rows' strided add, its
// six-instruction loop straddled a 64-byte line, and 1 x 8 at 28x28 -> 14x14 (3x3 stride 2)
// backward-data ran 14.2 instead of 10.8 us with the same instructions.
#if defined(__GNUC__) && !defined(__clang__)
#define GN_ALIGN_LOOPS_32 __attribute__((optimize("align-loops=32")))
#else
#define GN_ALIGN_LOOPS_32
#endif

// Whole output rows in the tile (the usual case: a tile is a sample's whole plane when the column
// buffer allows): for each column-matrix row (c, r, s), one 2-D strided add over the output rows
// whose input row is inside the input, with the same valid column range on every row. The inner
// loop is a plain contiguous (stride 1) add the compiler vectorises; the per-segment walk below
// costs more than the adds on narrow planes (6 -> 16 5x5 backward-data: 57% of the pass). Samples
// and channels as in im2col_rows; every dX element gets its adds in (r, s) order whatever the
// channel range.
// Stride 2, dilation 1: taps s and s + 1 add to the even and odd input columns of the same pairs,
// d[2j] += a[j] and d[2j + 1] += b[j] for j in [j0, j1), one interleaved contiguous add (SSE2:
// unpack and add 8 floats per step; the strided scalar adds cost a quarter of a 4x4 stride-2
// backward-data, 64 x 64 at 32x32 -> 128).
inline void add_interleaved(float* GN_RESTRICT d, const float* GN_RESTRICT a, const float* GN_RESTRICT b,
                            index_t j0, index_t j1) {
  index_t j = j0;
#if defined(__SSE2__)
  for (; j + 4 <= j1; j += 4) {
    const __m128 va = _mm_loadu_ps(a + j), vb = _mm_loadu_ps(b + j);
    float* p = d + 2 * j;
    _mm_storeu_ps(p, _mm_add_ps(_mm_loadu_ps(p), _mm_unpacklo_ps(va, vb)));
    _mm_storeu_ps(p + 4, _mm_add_ps(_mm_loadu_ps(p + 4), _mm_unpackhi_ps(va, vb)));
  }
#endif
  for (; j < j1; ++j) {
    d[2 * j] += a[j];
    d[2 * j + 1] += b[j];
  }
}

GN_ALIGN_LOOPS_32 void col2im_rows(const Im2colGeom& g, const float* col, index_t ld, index_t ns, index_t c0, index_t c1,
                 index_t i0, index_t rows, float* dx, index_t dx_stride) {
  const index_t hw = g.h * g.w, run = rows * g.ow, sw = g.stride_w;
  const RowRanges rr(g, i0, rows);
  // Column stride 2: the ISA's kernel, each dX row read and written once (col2im_ukernel.h).
  const auto rows2 = kernels().col2im.rows2;
  if (sw == 2 && rr.kept && rows2 != nullptr && c1 > c0) {
    const Col2imRows2 f{ns, run, dx_stride, c1 - c0, g.kh, g.kw, g.h, g.w, g.ow, g.stride_h, g.dil_h,
                        g.dil_w, g.pad_h, g.pad_w, i0, rr.ilo, rr.ihi, rr.jlo, rr.jhi};
    if (rows2(f, col + c0 * g.kh * g.kw * ld, ld, dx + c0 * hw)) return;
  }
  // One tap's strided (or contiguous) adds over output columns [j0, j1) of every row and sample.
  auto single = [&](index_t c, index_t r, index_t s, index_t j0, index_t j1) {
    if (j1 <= j0) return;
    const index_t row_off = r * g.dil_h - g.pad_h, off = s * g.dil_w - g.pad_w;
    index_t ilo, ihi;
    rr.rows_of(r, &ilo, &ihi);
    for (index_t b = 0; b < ns; ++b) {
      const float* row = col + ((c * g.kh + r) * g.kw + s) * ld + b * run;
      float* dxc = dx + b * dx_stride + c * hw;
      for (index_t i = ilo; i < ihi; ++i) {
        const float* GN_RESTRICT src = row + (i - i0) * g.ow;
        float* GN_RESTRICT dst = dxc + (i * g.stride_h + row_off) * g.w + off;
        if (sw == 1) {
          for (index_t j = j0; j < j1; ++j) dst[j] += src[j];
        } else {
          for (index_t j = j0; j < j1; ++j) dst[j * sw] += src[j];
        }
      }
    }
  };
  const bool pairs = sw == 2 && g.dil_w == 1;
  for (index_t c = c0; c < c1; ++c)
    for (index_t r = 0; r < g.kh; ++r)
      for (index_t s = 0; s < g.kw;) {
        index_t alo, ahi;
        rr.cols_of(s, &alo, &ahi);
        if (!pairs || s + 1 == g.kw) {
          single(c, r, s, alo, ahi);
          ++s;
          continue;
        }
        // Taps s and s + 1 together where both are inside; their other columns alone. Each dX
        // element still gets its adds in (r, s) order (the two taps never meet on one element).
        index_t blo, bhi;
        rr.cols_of(s + 1, &blo, &bhi);
        const index_t j0 = std::max(alo, blo), j1 = std::max(j0, std::min(ahi, bhi));
        single(c, r, s, alo, std::min(ahi, j0));
        single(c, r, s, std::max(alo, j1), ahi);
        single(c, r, s + 1, blo, std::min(bhi, j0));
        single(c, r, s + 1, std::max(blo, j1), bhi);
        if (j1 > j0) {
          const index_t row_off = r * g.dil_h - g.pad_h, off = s - g.pad_w;
          index_t ilo, ihi;
          rr.rows_of(r, &ilo, &ihi);
          for (index_t b = 0; b < ns; ++b) {
            const float* row_a = col + ((c * g.kh + r) * g.kw + s) * ld + b * run;
            const float* row_b = row_a + ld;
            float* dxc = dx + b * dx_stride + c * hw;
            for (index_t i = ilo; i < ihi; ++i)
              add_interleaved(dxc + (i * g.stride_h + row_off) * g.w + off, row_a + (i - i0) * g.ow,
                              row_b + (i - i0) * g.ow, j0, j1);
          }
        }
        s += 2;
      }
}

}  // namespace

void conv_valid_range(index_t off, index_t stride, index_t w, index_t ow, index_t* lo, index_t* hi) {
  index_t a = off >= 0 ? 0 : (-off + stride - 1) / stride;
  index_t b = w - off > 0 ? (w - off + stride - 1) / stride : 0;
  if (a > ow) a = ow;
  if (b > ow) b = ow;
  if (b < a) b = a;
  *lo = a;
  *hi = b;
}

void col2im_tile_add(const Im2colGeom& g, float* col, index_t p0, index_t count, float* dx, index_t ld) {
  if (flat_layout(g)) return col2im_flat(g, col, p0, count, dx, ld);
  if (p0 % g.ow == 0 && count % g.ow == 0) return col2im_rows(g, col, ld, 1, 0, g.c, p0 / g.ow, count / g.ow, dx, 0);
  const index_t hw = g.h * g.w;
  for (index_t c = 0; c < g.c; ++c) {
    float* dxc = dx + c * hw;
    for (index_t r = 0; r < g.kh; ++r) {
      for (index_t s = 0; s < g.kw; ++s) {
        const index_t off = s * g.dil_w - g.pad_w;
        index_t jlo, jhi;
        conv_valid_range(off, g.stride_w, g.w, g.ow, &jlo, &jhi);
        const float* row = col + ((c * g.kh + r) * g.kw + s) * ld;
        for_each_segment(g, r, p0, count, [&](index_t t, index_t ih, index_t jb, index_t je) {
          if (ih < 0 || ih >= g.h) return;
          const index_t a = clamp(jlo, jb, je), b = clamp(jhi, a, je);
          if (b == a) return;
          const float* src = row + t + (a - jb);  // the tile entries of output columns a .. b
          float* dst = dxc + ih * g.w + (a * g.stride_w + off);
          const index_t len = b - a;
          if (g.stride_w == 1) {
            for (index_t q = 0; q < len; ++q) dst[q] += src[q];
          } else {
            const index_t sw = g.stride_w;
            for (index_t q = 0; q < len; ++q) dst[q * sw] += src[q];
          }
        });
      }
    }
  }
}

ConvPlan conv_plan(const Conv2dShape& s) {
  ConvPlan p;
  p.cg_in = s.c_in / s.groups;
  p.cg_out = s.c_out / s.groups;
  p.K = p.cg_in * s.kh * s.kw;
  p.P = s.oh * s.ow;
  p.hw = s.h * s.w;
  p.direct = s.kh == 1 && s.kw == 1 && s.stride_h == 1 && s.stride_w == 1 && s.pad_h == 0 &&
             s.pad_w == 0 && s.ow == s.w && s.oh <= s.h;
  p.geom = Im2colGeom{p.cg_in, s.h, s.w, s.kh, s.kw, s.oh, s.ow, s.stride_h, s.stride_w,
                      s.pad_h, s.pad_w, s.dil_h, s.dil_w};
  if (p.direct) {
    p.tile = p.P;
    p.col_floats = 0;
    return p;
  }
  index_t max_tile = col_target_floats() / p.K;
  if (max_tile < kMinTile) max_tile = kMinTile;
  max_tile -= max_tile % 16;
  if (p.P <= max_tile) {
    p.tile = p.P;
  } else if (s.stride_w == 2 && s.ow <= max_tile) {
    // Column stride 2: equal tiles of whole output rows, so that col2im takes the ISA's stride-2
    // kernel (col2im_rows) rather than walking row segments with scalar strided adds, where the
    // ResNet-18 stem's backward-data (3 -> 64 7x7, 112x112, tiles of 400 pixels) spent a fifth of
    // its time. (Other strides gain nothing from whole rows, and the GEMM may then run more
    // panels: 11x11 stride 4 at 224x224, 19 tiles of 165 pixels for 18 of 176, 0.94x.)
    const index_t per = max_tile / s.ow;
    const index_t ntiles = (s.oh + per - 1) / per;
    p.tile = (s.oh + ntiles - 1) / ntiles * s.ow;
  } else {
    // Equal tiles, rounded up to whole GEMM panels (nr columns), rather than full tiles plus a
    // thin remainder.
    const index_t nr = sgemm_blocking(p.cg_out, p.P).nr;
    const index_t ntiles = (p.P + max_tile - 1) / max_tile;
    index_t t = (p.P + ntiles - 1) / ntiles;
    t = (t + nr - 1) / nr * nr;
    p.tile = t < p.P ? t : p.P;
  }
  p.col_floats = (p.K * p.tile + 15) / 16 * 16;
  return p;
}

void im2col_samples(const Im2colGeom& g, const float* x, index_t x_stride, index_t ns, index_t c0, index_t c1,
                    float* col, index_t ld) {
  im2col_rows(g, x, x_stride, ns, c0, c1, 0, g.oh, col, ld);
}

void col2im_samples_add(const Im2colGeom& g, const float* col, index_t ld, index_t ns, index_t c0, index_t c1,
                        float* dx, index_t dx_stride) {
  col2im_rows(g, col, ld, ns, c0, c1, 0, g.oh, dx, dx_stride);
}

}  // namespace gn
