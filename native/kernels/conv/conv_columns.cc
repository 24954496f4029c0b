// Few output columns: explicit column matrices and sgemm (conv_columns.h).
#include "conv_columns.h"

#include <cstring>

#include "../gemm/gemm.h"
#include "../threads.h"
#include "conv_pad.h"

namespace gn {
namespace {

constexpr index_t kColumnsMax = 128;
constexpr index_t kColumnsMaxFloats = index_t(1) << 22;
// Deep layers (K = cg_in * kh * kw): backward-data from K = 1024 up to 400 columns, forward from
// K = 1728 up to 256 (conv_columns.h).
constexpr index_t kColumnsMaxDeepData = 400;
constexpr index_t kDeepKData = 1024;
constexpr index_t kColumnsMaxDeepForward = 256;
constexpr index_t kDeepKForward = 1728;
// Multiply-adds per copied run of the column matrix (cg_out * ow: im2col / col2im move one output
// row of one sample per call) below which those copies outweigh the GEMM. Measured (2 threads,
// other engine -> here): a 4x4 plane -> 1 channel 1x1 head, 64 samples, backward-data 0.08 -> 1.9
// ms (cg_out * ow = 1); 4 x 256 at 7x7 -> 32 5x5 stride 2 forward 0.51 -> 0.76 ms (128); 8 x 128
// at 8x8 -> 128 stride 2 0.28 -> 0.38 ms (512); the gains above all have 1024 or more.
constexpr index_t kColumnsMinMacsPerRun = 1024;
// Backward-data of deeper layers (K >= 2048) with at most 512 output pixels per sample: column
// matrices of chunk samples, chunk * P <= 512 columns (conv_columns.h).
constexpr index_t kChunkMinK = 2048;
constexpr index_t kChunkColumns = 512;
// 1x1 / stride 1 / unpadded layers (p.direct, otherwise a GEMM per sample on X in place) with at
// least 512 input channels per group and at most 49 pixels per plane: chunks of samples too.
constexpr index_t kDirectMinChannels = 512;
constexpr index_t kDirectMaxPixels = 49;
// Backward-filter only up to 16 pixels: at 7x7 it measured even or slower (4 x 512 -> 512 0.51 ->
// 0.57 ms; 16 x 2048 -> 512 8.4 -> 8.1), at 2x2 3.6x faster.
constexpr index_t kDirectFilterMaxPixels = 16;
// Floats copied per thread before the copies between the column layout and the samples split
// between threads.
constexpr index_t kCopyGrainFloats = index_t(1) << 15;

struct Buffers {
  float* col;  // K x Q
  float* mat;  // cg_out x Q: Y or dY of one group, every sample
};

Buffers buffers(const ConvPlan& p, index_t q) {
  const index_t col_floats = conv_detail::round_up(p.K * q, 16);
  float* buf = scratch(kScratchConv, sizeof(float) * (col_floats + p.cg_out * q));
  return {buf, buf + col_floats};
}

// Threads for copying `floats` between the column layout and the samples, at most `units` (the
// samples or channels they split; each element has one writer).
int copy_threads(index_t floats, index_t units) {
  const int nt = threads_for(floats, kCopyGrainFloats);
  return nt < units ? nt : static_cast<int>(units);
}

// col(X) of group g, samples n0 .. n0 + ns - 1: [K x ns * P]; threads split the input channels.
void im2col_batch(const Conv2dShape& s, const ConvPlan& p, const float* x, index_t g, index_t n0, index_t ns,
                  float* col) {
  const index_t q = ns * p.P;
  const int nt = copy_threads(p.K * q, p.cg_in);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (int t = 0; t < nt; ++t)
    im2col_samples(p.geom, x + (n0 * s.c_in + g * p.cg_in) * p.hw, s.c_in * p.hw, ns, p.cg_in * t / nt,
                   p.cg_in * (t + 1) / nt, col, q);
}

// dY of group g, samples n0 .. n0 + ns - 1, as one matrix [cg_out x ns * P]. (Through
// im2col_samples with a 1x1 geometry, threads splitting the channels, it measured 5-10 % slower:
// one memcpy per plane beats a row loop on planes of 4-16 pixels.)
void gather_dy(const Conv2dShape& s, const ConvPlan& p, const float* dy, index_t g, index_t n0, index_t ns,
               float* mat) {
  const index_t q = ns * p.P;
  const int nt = copy_threads(p.cg_out * q, ns);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (index_t n = 0; n < ns; ++n)
    for (index_t co = 0; co < p.cg_out; ++co)
      std::memcpy(mat + co * q + n * p.P, dy + ((n0 + n) * s.c_out + g * p.cg_out + co) * p.P, sizeof(float) * p.P);
}

// Samples per column matrix, or 0 when the pass does not take this path (conv_columns.h).
index_t columns_chunk(const Conv2dShape& s, const ConvPlan& p, bool backward_data) {
  const index_t q = s.n * p.P;
  // Columns of a chunk: at most kChunkColumns and a kColumnsMaxFloats matrix.
  const index_t target = kColumnsMaxFloats / p.K < kChunkColumns ? kColumnsMaxFloats / p.K : kChunkColumns;
  index_t chunk = 0;
  if (p.direct) {
    if (p.cg_in >= kDirectMinChannels && p.P <= kDirectMaxPixels && p.P <= target) chunk = target / p.P;
  } else if (p.cg_out * s.ow >= kColumnsMinMacsPerRun) {
    const index_t max_q = backward_data ? (p.K >= kDeepKData ? kColumnsMaxDeepData : kColumnsMax)
                                        : (p.K >= kDeepKForward ? kColumnsMaxDeepForward : kColumnsMax);
    if (q <= max_q && p.K * q <= kColumnsMaxFloats)
      chunk = s.n;
    else if (backward_data && p.K >= kChunkMinK && p.P <= target)
      chunk = target / p.P;
  }
  return chunk < s.n ? chunk : s.n;
}

}  // namespace

index_t conv_columns_filter_chunk(const Conv2dShape& s, const ConvPlan& p) {
  return p.direct && p.P <= kDirectFilterMaxPixels ? columns_chunk(s, p, false) : 0;
}

index_t conv_columns_filter_floats(const Conv2dShape& s, const ConvPlan& p) {
  return conv_detail::round_up((p.cg_in + p.cg_out) * conv_columns_filter_chunk(s, p) * p.P, 16);
}

void conv_columns_filter_1x1(const Conv2dShape& s, const ConvPlan& p, const float* x, const float* dy, index_t n0,
                             index_t n1, float* dw, float* col) {
  const index_t chunk = conv_columns_filter_chunk(s, p);
  for (index_t b0 = n0; b0 < n1; b0 += chunk) {
    const index_t ns = n1 - b0 < chunk ? n1 - b0 : chunk, q = ns * p.P;
    float* xc = col;                // [cg_in x q]
    float* dyc = col + p.cg_in * q;  // [cg_out x q]
    for (index_t g = 0; g < s.groups; ++g) {
      im2col_batch(s, p, x, g, b0, ns, xc);
      gather_dy(s, p, dy, g, b0, ns, dyc);
      sgemm(false, true, p.cg_out, p.cg_in, q, 1.f, dyc, q, xc, q, b0 == n0 ? 0.f : 1.f, dw + g * p.cg_out * p.K, p.K);
    }
  }
}

bool conv_columns_before_winograd(const Conv2dShape& s, const ConvPlan& p, bool backward_data) {
  const index_t tiles = s.n * ((s.oh + 1) / 2) * ((s.ow + 1) / 2);
  const bool few = backward_data ? tiles < 64 || (tiles < 128 && p.K >= 4096) : tiles < 48 && p.K >= 2048;
  return few && columns_chunk(s, p, backward_data) > 0;
}

bool conv_columns_applicable(const Conv2dShape& s, const ConvPlan& p, bool backward_data) {
  return columns_chunk(s, p, backward_data) > 0;
}

void conv_columns_forward(const Conv2dShape& s, const ConvPlan& p, const float* x, const float* w,
                          const float* bias, float* y) {
  const index_t chunk = columns_chunk(s, p, false);
  const Buffers b = buffers(p, chunk * p.P);
  for (index_t n0 = 0; n0 < s.n; n0 += chunk) {
    const index_t ns = s.n - n0 < chunk ? s.n - n0 : chunk, q = ns * p.P;
    for (index_t g = 0; g < s.groups; ++g) {
      im2col_batch(s, p, x, g, n0, ns, b.col);
      sgemm(false, false, p.cg_out, q, p.K, 1.f, w + g * p.cg_out * p.K, p.K, b.col, q, 0.f, b.mat, q);
      const int nt = copy_threads(p.cg_out * q, ns);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
      for (index_t n = 0; n < ns; ++n)
        for (index_t co = 0; co < p.cg_out; ++co) {
          const float* src = b.mat + co * q + n * p.P;
          float* dst = y + ((n0 + n) * s.c_out + g * p.cg_out + co) * p.P;
          const float add = bias ? bias[g * p.cg_out + co] : 0.f;
          for (index_t j = 0; j < p.P; ++j) dst[j] = src[j] + add;
        }
    }
  }
}

void conv_columns_backward_data(const Conv2dShape& s, const ConvPlan& p, const float* dy, const float* w,
                                float* dx) {
  const index_t chunk = columns_chunk(s, p, true);
  const Buffers b = buffers(p, chunk * p.P);
  std::memset(dx, 0, sizeof(float) * s.n * s.c_in * p.hw);
  for (index_t n0 = 0; n0 < s.n; n0 += chunk) {
    const index_t ns = s.n - n0 < chunk ? s.n - n0 : chunk, q = ns * p.P;
    for (index_t g = 0; g < s.groups; ++g) {
      gather_dy(s, p, dy, g, n0, ns, b.mat);
      // dcol [K x Q] = W^T [K x cg_out] * dY [cg_out x Q]
      sgemm(true, false, p.K, q, p.cg_out, 1.f, w + g * p.cg_out * p.K, p.K, b.mat, q, 0.f, b.col, q);
      // Threads split the input channels; each dX element gets its adds in the same order.
      const int nt = copy_threads(p.K * q, p.cg_in);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
      for (int t = 0; t < nt; ++t)
        col2im_samples_add(p.geom, b.col, q, ns, p.cg_in * t / nt, p.cg_in * (t + 1) / nt,
                           dx + (n0 * s.c_in + g * p.cg_in) * p.hw, s.c_in * p.hw);
    }
  }
}

bool conv_whole_plane(const Conv2dShape& s) {
  return s.oh == 1 && s.ow == 1 && s.pad_h == 0 && s.pad_w == 0 && s.kh == s.h && s.kw == s.w &&
         (s.kh == 1 || s.dil_h == 1) && (s.kw == 1 || s.dil_w == 1);
}

// Per group g: X_g is columns g * K .. of X [n x c_in * h * w], W_g rows g * cg_out .. of
// W [c_out x K], Y_g columns g * cg_out .. of Y [n x c_out].
void conv_whole_plane_forward(const Conv2dShape& s, const float* x, const float* w, const float* bias, float* y) {
  const index_t cg_out = s.c_out / s.groups, K = s.c_in / s.groups * s.h * s.w, ldx = s.groups * K;
  for (index_t g = 0; g < s.groups; ++g) {
    GemmEpilogue ep;
    ep.bias = bias ? bias + g * cg_out : nullptr;
    sgemm(false, true, s.n, cg_out, K, 1.f, x + g * K, ldx, w + g * cg_out * K, K, 0.f, y + g * cg_out, s.c_out, ep);
  }
}

void conv_whole_plane_backward_data(const Conv2dShape& s, const float* dy, const float* w, float* dx) {
  const index_t cg_out = s.c_out / s.groups, K = s.c_in / s.groups * s.h * s.w, ldx = s.groups * K;
  for (index_t g = 0; g < s.groups; ++g)
    sgemm(false, false, s.n, K, cg_out, 1.f, dy + g * cg_out, s.c_out, w + g * cg_out * K, K, 0.f, dx + g * K, ldx);
}

void conv_whole_plane_backward_filter(const Conv2dShape& s, const float* x, const float* dy, float* dw,
                                      float* dbias) {
  const index_t cg_out = s.c_out / s.groups, K = s.c_in / s.groups * s.h * s.w, ldx = s.groups * K;
  for (index_t g = 0; g < s.groups; ++g)
    sgemm(true, false, cg_out, K, s.n, 1.f, dy + g * cg_out, s.c_out, x + g * K, ldx, 0.f, dw + g * cg_out * K, K);
  if (dbias) {
    std::memcpy(dbias, dy, sizeof(float) * s.c_out);
    for (index_t n = 1; n < s.n; ++n)
      for (index_t co = 0; co < s.c_out; ++co) dbias[co] += dy[n * s.c_out + co];
  }
}

}  // namespace gn
