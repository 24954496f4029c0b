// N-d strided copy (layout.h). Baseline flags only.
//
// The index space is first put in the order of decreasing destination stride (so that writes are
// sequential, whatever order the caller listed the dimensions in), then size-1 dimensions are dropped
// and dimensions both sides walk as one are merged. The innermost run is then a memcpy (both sides
// contiguous), a fill (a broadcast source) or a strided loop; a transpose of the two innermost
// dimensions (source contiguous along one, destination along the other) is copied in square tiles
// staged through a small buffer, so that both sides use whole cache lines. Large copies split the outer index space between
// threads (a copy does no arithmetic: any partition gives the same bytes).
#include <cstring>

#include "../gemm/pack.h"
#include "../isa.h"
#include "../threads.h"
#include "layout.h"
#include "nd_loop.h"

namespace gn {
namespace {

constexpr index_t kGrain = 65536;  // elements per thread, at least (pure data movement)
constexpr index_t kTileT = 32;     // transpose tile edge

void copy_run(const float* s, index_t ss, float* d, index_t ds, index_t n) {
  if (ss == 1 && ds == 1) {
    std::memcpy(d, s, static_cast<std::size_t>(n) * sizeof(float));
  } else if (ds == 1 && ss == 0) {
    const float v = *s;
    for (index_t j = 0; j < n; ++j) d[j] = v;
  } else if (ds == 1) {
    for (index_t j = 0; j < n; ++j) d[j] = s[j * ss];
  } else {
    for (index_t j = 0; j < n; ++j) d[j * ds] = s[j * ss];
  }
}

// Rows [p0, p1) of one [P, Q] transpose: dst[p * dp + q] = src[p + q * sq]. Each tile goes through
// a small contiguous buffer, so that every source line (fixed q) and every destination line (fixed
// p) is read or written in one burst: with power-of-two strides all the lines of a tile fall in the
// same L1 set, and a direct tile walk would thrash it. Tiles of a multiple of 8 columns move into the
// buffer through the ISA's 8 x 8 register transposes (GEMM's transposing pack, gemm/pack.h) and out
// of it in 8-float rows; the plain loops below took a scalar load and store per element and a
// memcpy call per source row. Zen3, 2 threads, alternating: a [1000, 784] transpose 0.39-0.70 ->
// 0.12-0.18 ms, [64, 16, 32, 32] NCHW -> NHWC 0.46-0.87 -> 0.34-0.39 ms; [2048, 2048] (DRAM, a
// page per source row) stays at 4.5-5 ms. (Tiles of 64: 2048^2 12 % faster, 16 channels 5x slower.)
void transpose_rows(const float* src, index_t sq, float* dst, index_t dp, index_t p0, index_t p1, index_t q_count) {
  float buf[kTileT * kTileT];
  const PackTransposeFn isa_transpose = kernels().pack_transpose;
  for (index_t pb = p0; pb < p1; pb += kTileT) {
    const index_t pw = pb + kTileT < p1 ? kTileT : p1 - pb;
    for (index_t qb = 0; qb < q_count; qb += kTileT) {
      const index_t qw = qb + kTileT < q_count ? kTileT : q_count - qb;
      if (isa_transpose && qw % 8 == 0) {
        isa_transpose(static_cast<int>(qw), pw, src + qb * sq + pb, sq, buf);  // buf[p * qw + q]
        for (index_t p = 0; p < pw; ++p)
          for (index_t q = 0; q < qw; q += 8)
            std::memcpy(dst + (pb + p) * dp + qb + q, buf + p * qw + q, 8 * sizeof(float));
        continue;
      }
      for (index_t q = 0; q < qw; ++q) {  // buf[q * kTileT + p]
        const float* s = src + (qb + q) * sq + pb;
        for (index_t p = 0; p < pw; ++p) buf[q * kTileT + p] = s[p];
      }
      for (index_t p = 0; p < pw; ++p) {
        float* d = dst + (pb + p) * dp + qb;
        for (index_t q = 0; q < qw; ++q) d[q] = buf[q * kTileT + p];
      }
    }
  }
}

}  // namespace

void copy_strided(int ndim, const index_t* shape, const float* src, const index_t* src_strides, float* dst,
                  const index_t* dst_strides) {
  // Dimensions that matter, sorted by decreasing destination stride (stable; ties by source stride).
  index_t sh[kNdMaxDims], ss[kNdMaxDims], ds[kNdMaxDims];
  int m = 0;
  for (int d = 0; d < ndim; ++d) {
    if (shape[d] == 0) return;
    if (shape[d] == 1) continue;
    if (dst_strides[d] == 0) {
      // Every index of this dimension writes the same element: in index order, the last one wins.
      src += (shape[d] - 1) * src_strides[d];
      continue;
    }
    int at = m;
    while (at > 0 && (ds[at - 1] < dst_strides[d] || (ds[at - 1] == dst_strides[d] && ss[at - 1] < src_strides[d]))) {
      sh[at] = sh[at - 1];
      ss[at] = ss[at - 1];
      ds[at] = ds[at - 1];
      --at;
    }
    sh[at] = shape[d];
    ss[at] = src_strides[d];
    ds[at] = dst_strides[d];
    ++m;
  }
  const index_t* strides[2] = {ss, ds};
  NdLayout<2> l;
  if (!nd_simplify(m, sh, strides, &l)) return;
  const int in = l.ndim - 1;
  const int threads = threads_for(l.numel, kGrain);

  // Transpose of the two innermost dimensions: source contiguous along p, destination along q.
  if (l.ndim >= 2 && l.stride[1][in] == 1 && l.stride[0][in - 1] == 1 && l.stride[0][in] != 1 &&
      l.shape[in] >= kTileT / 2 && l.shape[in - 1] >= kTileT / 2) {
    const index_t p_count = l.shape[in - 1], q_count = l.shape[in];
    const index_t sq = l.stride[0][in], dp = l.stride[1][in - 1];
    const index_t row_blocks = (p_count + kTileT - 1) / kTileT;
    // Outer dimensions [0, in - 1) as their own layout, walked one index at a time.
    NdLayout<2> outer;
    outer.ndim = in - 1 > 0 ? in - 1 : 1;
    outer.numel = 1;
    if (in - 1 > 0) {
      for (int d = 0; d < in - 1; ++d) {
        outer.shape[d] = l.shape[d];
        outer.stride[0][d] = l.stride[0][d];
        outer.stride[1][d] = l.stride[1][d];
        outer.numel *= l.shape[d];
      }
    } else {
      outer.shape[0] = 1;
      outer.stride[0][0] = outer.stride[1][0] = 0;
    }
    const index_t units = outer.numel * row_blocks;  // (outer index, block of kTileT rows of p)
    parallel_ranges(units, threads, 1, [&](index_t u0, index_t u1) {
      for (index_t u = u0; u < u1;) {
        const index_t o = u / row_blocks, rb = u - o * row_blocks;
        const index_t rb_end = u1 - o * row_blocks < row_blocks ? u1 - o * row_blocks : row_blocks;
        nd_for_range(outer, o, o + 1, [&](const index_t* off, index_t) {
          const index_t p1 = rb_end * kTileT < p_count ? rb_end * kTileT : p_count;
          transpose_rows(src + off[0], sq, dst + off[1], dp, rb * kTileT, p1, q_count);
        });
        u += rb_end - rb;
      }
    });
    return;
  }

  const index_t s_in = l.stride[0][in], d_in = l.stride[1][in];
  parallel_ranges(l.numel, threads, 16, [&](index_t begin, index_t end) {
    nd_for_range(l, begin, end, [&](const index_t* off, index_t len) {
      copy_run(src + off[0], s_in, dst + off[1], d_in, len);
    });
  });
}

}  // namespace gn
