// Internal to the convolution kernels: zero-padded copies of input samples, shared by the
// implicit-GEMM engine (conv_igemm.cc), the Winograd path (conv_winograd.cc) and the pack-free
// kernels (conv_direct.cc).
#ifndef GRADNODE_KERNELS_CONV_CONV_PAD_H_
#define GRADNODE_KERNELS_CONV_CONV_PAD_H_

#include <cstring>

#include "../common.h"
#include "conv_igemm.h"

namespace gn {
namespace conv_detail {

inline index_t ceil_div(index_t a, index_t b) { return (a + b - 1) / b; }
inline index_t round_up(index_t a, index_t b) { return ceil_div(a, b) * b; }
inline index_t min_i(index_t a, index_t b) { return a < b ? a : b; }
inline index_t max_i(index_t a, index_t b) { return a > b ? a : b; }

// Floats of slack after a ring of padded samples, for reads that run a little past a row's end.
constexpr index_t kRingSlack = 64;

// The padded plane of a convolution: row R, column C hold input row R - ph, column C - pw (zero
// outside the input), for R < hp, C < wp, exactly the positions the windows read.
//
// With phases = sw > 1 (pad_geom_phased), each row is stored as sw phases of `phase` floats:
// column C at col(C) = (C % sw) * phase + C / sw, so that output column j and tap column c read
// col(j * sw + c) = col(j * sw) + col(c) = j + col(c): the columns of an output row are contiguous
// for every tap, and the engines copy them as at stride 1 (wp is then sw * phase, a little wider
// than the windows need; the extra columns hold input or zero like the others). The fill for a
// window one column wide or one row tall writes only the phase or rows it reads
// (pad_sample_phased).
struct PadGeom {
  index_t hp, wp, plane;  // plane = hp * wp
  index_t sample_pad;     // floats of one padded sample (all groups), a multiple of 16
  index_t phases = 1, phase = 0;

  index_t col(index_t C) const { return phases == 1 ? C : C % phases * phase + C / phases; }
};

inline PadGeom pad_geom(const IgemmConv& cv) {
  PadGeom pg;
  pg.hp = (cv.oh - 1) * cv.sh + (cv.kh - 1) * cv.dh + 1;
  pg.wp = (cv.ow - 1) * cv.sw + (cv.kw - 1) * cv.dw + 1;
  pg.plane = pg.hp * pg.wp;
  pg.sample_pad = round_up(cv.groups * cv.c * pg.plane, 16);
  return pg;
}

// The same plane with its columns split into sw phases (above), for the implicit-GEMM engine.
inline PadGeom pad_geom_phased(const IgemmConv& cv) {
  PadGeom pg = pad_geom(cv);
  if (cv.sw > 1) {
    pg.phases = cv.sw;
    pg.phase = ceil_div(pg.wp, cv.sw);
    pg.wp = pg.phases * pg.phase;
    pg.plane = pg.hp * pg.wp;
    pg.sample_pad = round_up(cv.groups * cv.c * pg.plane, 16);
  }
  return pg;
}

// A thread's ring of `cap` padded samples (plus kRingSlack floats), filled on demand for samples taken
// in increasing order.
struct PadRing {
  const IgemmConv* cv;
  PadGeom pg;
  const float* in;
  float* ring;
  index_t cap;
  index_t next = -1;  // samples [next - cap, next) are in the ring (those at or above the first)

  float* slot(index_t n) const { return ring + (n % cap) * pg.sample_pad; }

  // Plain loops rather than memcpy / memset: rows are short (10-34 floats), where the library
  // calls cost more than the copies (~9% of a 32 -> 64 3x3 14x14 backward-filter).
  void pad_sample(index_t n) const {
    if (pg.phases > 1) return pad_sample_phased(n);
    const float* src = in + n * cv->in_n_stride;
    float* dst = slot(n);
    // Input columns that land in the padded row: padded column C = input column + pw.
    const index_t c_lo = max_i(cv->pw, 0), c_hi = min_i(cv->w + cv->pw, pg.wp);
    const index_t copy = c_hi > c_lo ? c_hi - c_lo : 0;
    const index_t wp = pg.wp;
    for (index_t ch = 0; ch < cv->groups * cv->c; ++ch) {
      const float* xc = src + ch * cv->h * cv->w;
      float* pc = dst + ch * pg.plane;
      for (index_t R = 0; R < pg.hp; ++R) {
        float* GN_RESTRICT prow = pc + R * wp;
        const index_t ih = R - cv->ph;
        if (ih < 0 || ih >= cv->h || copy == 0) {
          for (index_t C = 0; C < wp; ++C) prow[C] = 0.f;
          continue;
        }
        const float* GN_RESTRICT xrow = xc + ih * cv->w + (c_lo - cv->pw);
        for (index_t C = 0; C < c_lo; ++C) prow[C] = 0.f;
        for (index_t j = 0; j < copy; ++j) prow[c_lo + j] = xrow[j];
        for (index_t C = c_lo + copy; C < wp; ++C) prow[C] = 0.f;
      }
    }
  }

  // The same into rows split into phases (PadGeom); in conv_igemm.cc, the one engine that uses
  // them (out of line for the others).
  void pad_sample_phased(index_t n) const;

  // For a ring that only this code writes (and a geometry without phases): zero every slot once
  // (clear), then fill samples with copy_interior, which writes only the input's rows and columns
  // (their padding stays zero). Saves rewriting the padding for every sample: LeNet conv2's
  // backward-data pads 10x10 planes to 18x18, and the zero rows and columns cost a quarter of its
  // time.
  void clear() const { std::memset(ring, 0, sizeof(float) * static_cast<std::size_t>(cap * pg.sample_pad)); }
  void copy_interior(index_t n) const {
    const float* src = in + n * cv->in_n_stride;
    float* dst = slot(n);
    const index_t c_lo = max_i(cv->pw, 0), c_hi = min_i(cv->w + cv->pw, pg.wp);
    const index_t copy = c_hi > c_lo ? c_hi - c_lo : 0;
    const index_t r_lo = max_i(cv->ph, 0), r_hi = min_i(cv->h + cv->ph, pg.hp);
    if (copy == 0) return;
    for (index_t ch = 0; ch < cv->groups * cv->c; ++ch) {
      const float* xc = src + ch * cv->h * cv->w + (c_lo - cv->pw);
      float* pc = dst + ch * pg.plane + c_lo;
      for (index_t R = r_lo; R < r_hi; ++R) {
        const float* GN_RESTRICT xrow = xc + (R - cv->ph) * cv->w;
        float* GN_RESTRICT prow = pc + R * pg.wp;
        for (index_t j = 0; j < copy; ++j) prow[j] = xrow[j];
      }
    }
  }

  // Pads samples n0 .. n1 (inclusive; n1 - n0 < cap) unless already in the ring.
  void ensure(index_t n0, index_t n1) {
    if (next < 0 || n0 >= next) next = n0;
    for (; next <= n1; ++next) pad_sample(next);
  }
};

}  // namespace conv_detail
}  // namespace gn

#endif  // GRADNODE_KERNELS_CONV_CONV_PAD_H_
