// Internal to the pooling kernels (maxpool2d.cc, avgpool2d.cc): window clipping, the fast-path
// shape tests, the padded row geometry and the loop over the n * c planes. Not part of the kernel API.
#ifndef GRADNODE_KERNELS_POOL_POOL_INTERNAL_H_
#define GRADNODE_KERNELS_POOL_POOL_INTERNAL_H_

#include "../threads.h"
#include "pool2d.h"

namespace gn {

// Input pixels one thread should at least get before a second thread is worth waking (KERNELS.md §4).
// A plain pass (average, backward) runs 32 K pixels in about 4-5 us. 2^17 dates from when a fork /
// join cost 6-9 us (threads asleep at once, OMP_WAIT_POLICY=PASSIVE); with the loader's spin
// (src/backend/native.ts) it costs about 1 us, and at 2^15 the passes that had stayed on one thread
// take two: 2-vCPU Xeon, `npm run bench -- --only pool` alternating with 2^17, LeNet pool2 (N64 C16
// 10x10) max backward 19.7 -> 12.1 us, avg forward / backward 18.0 / 17.2 -> 10.4 / 10.1 us;
// global 8x8 pooling of N32 C64 avg forward / backward 14.5 / 15.7 -> 8.3 / 9.5 us, max backward
// 16.1 -> 9.8 us; the rows already on two threads unchanged.
constexpr index_t kPoolGrain = index_t(1) << 15;

// Threads for a loop over the planes; each plane is handled by exactly one thread. cost: work per
// pixel relative to a plain pass (max forward, a compare-and-blend of value and index per tap, is
// several times an average or a backward pass, so it is worth a second thread on less data).
inline int pool_threads(const Pool2dShape& s, index_t cost = 1) {
  const index_t per_plane = (s.h * s.w + s.oh * s.ow) * cost;
  const index_t min_planes = per_plane >= kPoolGrain ? 1 : kPoolGrain / per_plane;
  return threads_for(s.n * s.c, min_planes);
}

// One window covers the whole plane (global pooling, e.g. ResNet's 8x8 -> 1x1): the kernels reduce
// each plane as one contiguous run instead of going through the row machinery, whose setup cost
// more than the 64 pixels of an 8x8 plane.
inline bool is_global(const Pool2dShape& s) {
  return s.oh == 1 && s.ow == 1 && s.kh == s.h && s.kw == s.w && s.pad_h == 0 && s.pad_w == 0;
}

// 2x2 windows, stride 2, no padding, every window inside the input: every pooling layer of LeNet
// and VGG. Both kernels have an SSE2 path for it.
inline bool is_2x2_stride2(const Pool2dShape& s) {
  return s.kh == 2 && s.kw == 2 && s.stride_h == 2 && s.stride_w == 2 && s.pad_h == 0 && s.pad_w == 0 &&
         2 * s.oh <= s.h && 2 * s.ow <= s.w;
}

// The window of output index i along one axis, clipped to the input: [*lo, *hi). Also, as PyTorch
// defines it for average pooling, the window clipped to the padded input instead: *padded_len.
inline void pool_window(index_t i, index_t stride, index_t pad, index_t k, index_t size, index_t* lo,
                        index_t* hi, index_t* padded_len) {
  index_t a = i * stride - pad;
  index_t b = a + k;
  if (b > size + pad) b = size + pad;
  *padded_len = b - a;
  if (a < 0) a = 0;
  if (b > size) b = size;
  *lo = a;
  *hi = b;
}

// The columns that one output row's windows read, in padded coordinates p = c + pad_w: window j
// reads p = j * stride_w + t for t < kw, all in [0, len). Real columns c in [0, real_end) are read;
// the rest of [0, len) is padding (or, in ceil mode, past it), which the general kernels fill with
// the identity of their reduction so that every window is reduced the same way, tap by tap across
// the outputs. With stride 2 they split the row into its even and odd entries: tap t of outputs
// j.. is then the contiguous run starting at entry j + t / 2 of the even (t even) or odd half.
struct PaddedRow {
  index_t len, real_end, half;  // half: entries of the even half, (len + 1) / 2
  explicit PaddedRow(const Pool2dShape& s)
      : len((s.ow - 1) * s.stride_w + s.kw), real_end(len - s.pad_w < s.w ? len - s.pad_w : s.w), half((len + 1) / 2) {}
};

// Runs plane(q, row_buffer) for q in [0, planes) on nt threads (a static partition: each plane is
// handled by exactly one thread); row_buffer is that thread's `row_bytes` of scratch, taken before
// the region.
template <typename F>
void for_each_plane(index_t planes, int nt, std::size_t row_bytes, F plane) {
  row_bytes = (row_bytes + 63) / 64 * 64;
  char* rows = reinterpret_cast<char*>(scratch(kScratchPool, row_bytes * static_cast<std::size_t>(nt)));
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (index_t q = 0; q < planes; ++q) plane(q, rows + row_bytes * static_cast<std::size_t>(thread_rank()));
}

}  // namespace gn

#endif  // GRADNODE_KERNELS_POOL_POOL_INTERNAL_H_
