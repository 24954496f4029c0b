// Convolution micro-kernel (conv_ukernel.h) in plain C++ for the platform baseline: the GEMM's 6x8
// scalar kernel (gemm/ukernel_generic.cc) with B rows read through the offset table.
//
// Compiled without ISA flags, but kept to the rules of the ISA units: namespace gn::generic, helpers
// in an anonymous namespace, no STL.
#include "conv_ukernel.h"

namespace gn {
namespace generic {
namespace {

constexpr int kMr = 6;
constexpr int kNr = 8;

// conv_f32_ukernel_6x8__scalar
void conv_f32_ukernel_6x8(index_t kc, const float* GN_RESTRICT a, const float* GN_RESTRICT b,
                          const index_t* GN_RESTRICT off, index_t half, float* GN_RESTRICT c, index_t ldc,
                          float beta) {
  float acc[kMr][kNr] = {};
  for (index_t p = 0; p < kc; ++p) {
    const float* bp_src = b + off[p];
    float bp[kNr];
    for (int j = 0; j < kNr / 2; ++j) bp[j] = bp_src[j];
    for (int j = kNr / 2; j < kNr; ++j) bp[j] = bp_src[half + j - kNr / 2];
    for (int i = 0; i < kMr; ++i) {
      const float ai = a[i];
      for (int j = 0; j < kNr; ++j) acc[i][j] += ai * bp[j];
    }
    a += kMr;
  }
  for (int i = 0; i < kMr; ++i) {
    float* ci = c + i * ldc;
    if (beta == 0.f) {
      for (int j = 0; j < kNr; ++j) ci[j] = acc[i][j];
    } else {
      for (int j = 0; j < kNr; ++j) ci[j] += acc[i][j];
    }
  }
}

// conv_filter_f32_ukernel_6x1__scalar: one tap at a time, the 8 lane partials of 6 rows.
void conv_filter_f32_ukernel_6x1(index_t len, const float* GN_RESTRICT dy, index_t ldd,
                                 const float* GN_RESTRICT x, const index_t* GN_RESTRICT off,
                                 index_t taps, const std::uint32_t* GN_RESTRICT mask,
                                 float* GN_RESTRICT part, bool accumulate) {
  for (index_t t = 0; t < taps; ++t) {
    const float* xt = x + off[t];
    float* pt = part + t * kFilterRows * 8;
    float acc[kFilterRows][8];
    for (int i = 0; i < kFilterRows; ++i)
      for (int l = 0; l < 8; ++l) acc[i][l] = accumulate ? pt[i * 8 + l] : 0.f;
    for (index_t q = 0; q < len; q += 8) {
      float b[8];
      for (int l = 0; l < 8; ++l) b[l] = mask[q + l] ? xt[q + l] : 0.f;
      for (int i = 0; i < kFilterRows; ++i)
        for (int l = 0; l < 8; ++l) acc[i][l] += dy[i * ldd + q + l] * b[l];
    }
    for (int i = 0; i < kFilterRows; ++i)
      for (int l = 0; l < 8; ++l) pt[i * 8 + l] = acc[i][l];
  }
}

constexpr int kChanRows = 6;

// conv_chan_f32_ukernel_6x16__scalar
void conv_chan_f32_ukernel_6x16(index_t kc, const float* GN_RESTRICT x, const index_t* GN_RESTRICT aoff,
                                const index_t* GN_RESTRICT off, const float* GN_RESTRICT b,
                                float* GN_RESTRICT c) {
  float acc[kChanRows][kChanCols] = {};
  for (index_t p = 0; p < kc; ++p) {
    for (int i = 0; i < kChanRows; ++i) {
      const float ai = x[aoff[i] + off[p]];
      for (int j = 0; j < kChanCols; ++j) acc[i][j] += ai * b[j];
    }
    b += kChanCols;
  }
  for (int i = 0; i < kChanRows; ++i)
    for (int j = 0; j < kChanCols; ++j) c[i * kChanCols + j] = acc[i][j];
}

}  // namespace

ConvUkernel conv_ukernel() {
  return {kMr, kNr, conv_f32_ukernel_6x8, conv_filter_f32_ukernel_6x1, 8, conv_chan_f32_ukernel_6x16, kChanRows};
}

}  // namespace generic
}  // namespace gn
