// im2col / col2im over a tile of output pixels, and the convolution plan (tile size, 1x1 path).
#include "im2col.h"

#include <cstring>

namespace gn {
namespace {

// Column buffer target: 64 Ki floats = 256 KB, so a tile stays in the 512 KB L2 of the target
// while the GEMM packs it (KERNELS.md §3.3).
constexpr index_t kColTargetFloats = index_t(1) << 16;
// Narrowest tile when K is large: below this the GEMM's n dimension gets too thin to be efficient.
constexpr index_t kMinTile = 32;

// Output columns j whose input column j * stride + off lies in [0, w): [*lo, *hi), within [0, ow].
void valid_range(index_t off, index_t stride, index_t w, index_t ow, index_t* lo, index_t* hi) {
  index_t a = off >= 0 ? 0 : (-off + stride - 1) / stride;
  index_t b = w - off > 0 ? (w - off + stride - 1) / stride : 0;
  if (a > ow) a = ow;
  if (b > ow) b = ow;
  if (b < a) b = a;
  *lo = a;
  *hi = b;
}

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

}  // namespace

void im2col_tile(const Im2colGeom& g, const float* x, index_t p0, index_t count, float* col) {
  const index_t hw = g.h * g.w;
  for (index_t s = 0; s < g.kw; ++s) {
    const index_t off = s * g.dil_w - g.pad_w;  // input column = j * stride_w + off
    index_t jlo, jhi;
    valid_range(off, g.stride_w, g.w, g.ow, &jlo, &jhi);
    for (index_t c = 0; c < g.c; ++c) {
      const float* xc = x + c * hw;
      for (index_t r = 0; r < g.kh; ++r) {
        float* row = col + ((c * g.kh + r) * g.kw + s) * count;
        for_each_segment(g, r, p0, count, [&](index_t t, index_t ih, index_t jb, index_t je) {
          float* dst = row + t;  // dst[j - jb] for output columns j in [jb, je)
          if (ih < 0 || ih >= g.h) {
            std::memset(dst, 0, sizeof(float) * (je - jb));
            return;
          }
          const index_t a = clamp(jlo, jb, je), b = clamp(jhi, a, je);
          const float* src = xc + ih * g.w;  // input column j * stride_w + off
          if (a > jb) std::memset(dst, 0, sizeof(float) * (a - jb));
          if (g.stride_w == 1) {
            if (b > a) std::memcpy(dst + (a - jb), src + (a + off), sizeof(float) * (b - a));
          } else {
            const index_t sw = g.stride_w;
            for (index_t j = a; j < b; ++j) dst[j - jb] = src[j * sw + off];
          }
          if (je > b) std::memset(dst + (b - jb), 0, sizeof(float) * (je - b));
        });
      }
    }
  }
}

void col2im_tile_add(const Im2colGeom& g, const float* col, index_t p0, index_t count, float* dx) {
  const index_t hw = g.h * g.w;
  for (index_t c = 0; c < g.c; ++c) {
    float* dxc = dx + c * hw;
    for (index_t r = 0; r < g.kh; ++r) {
      for (index_t s = 0; s < g.kw; ++s) {
        const index_t off = s * g.dil_w - g.pad_w;
        index_t jlo, jhi;
        valid_range(off, g.stride_w, g.w, g.ow, &jlo, &jhi);
        const float* row = col + ((c * g.kh + r) * g.kw + s) * count;
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
  index_t max_tile = kColTargetFloats / p.K;
  if (max_tile < kMinTile) max_tile = kMinTile;
  max_tile -= max_tile % 16;
  if (p.P <= max_tile) {
    p.tile = p.P;
  } else {
    // Equal tiles (rounded up to 16 columns) rather than full tiles plus a thin remainder.
    const index_t ntiles = (p.P + max_tile - 1) / max_tile;
    index_t t = (p.P + ntiles - 1) / ntiles;
    t = (t + 15) / 16 * 16;
    p.tile = t < p.P ? t : p.P;
  }
  p.col_floats = (p.K * p.tile + 15) / 16 * 16;
  return p;
}

}  // namespace gn
