// Internal to the pooling kernels (maxpool2d.cc, avgpool2d.cc): window clipping and the thread
// count for a loop over the n * c planes. Not part of the kernel API.
#ifndef GRADNODE_KERNELS_POOL_POOL_INTERNAL_H_
#define GRADNODE_KERNELS_POOL_POOL_INTERNAL_H_

#include "../threads.h"
#include "pool2d.h"

namespace gn {

// Input pixels one thread should at least get before a second thread is worth waking (KERNELS.md §4).
constexpr index_t kPoolGrain = index_t(1) << 16;

// Threads for a loop over the planes; each plane is handled by exactly one thread.
inline int pool_threads(const Pool2dShape& s) {
  const index_t per_plane = s.h * s.w + s.oh * s.ow;
  const index_t min_planes = per_plane >= kPoolGrain ? 1 : kPoolGrain / per_plane;
  return threads_for(s.n * s.c, min_planes);
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

}  // namespace gn

#endif  // GRADNODE_KERNELS_POOL_POOL_INTERNAL_H_
