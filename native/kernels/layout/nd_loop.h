// N-d strided loops and static thread partitions for the baseline drivers (elementwise.cc,
// copy_strided.cc). Baseline translation units only: never include this from a per-ISA unit (it
// defines inline templates, which must not be compiled with different -m flags; KERNELS.md §6.5).
#ifndef GRADNODE_KERNELS_LAYOUT_ND_LOOP_H_
#define GRADNODE_KERNELS_LAYOUT_ND_LOOP_H_

#include "../common.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace gn {

constexpr int kNdMaxDims = 16;

// K operands walked over one index space: shape[d] and, per operand, element strides.
template <int K>
struct NdLayout {
  int ndim = 0;  // >= 1 once simplified
  index_t shape[kNdMaxDims];
  index_t stride[K][kNdMaxDims];
  index_t numel = 0;
};

// Drops size-1 dimensions and merges adjacent dimensions that every operand walks as one
// (stride[d] == stride[d + 1] * shape[d + 1], which includes two broadcast dimensions). Returns false
// when the index space is empty. A 0-d (or all-ones) shape becomes one dimension of size 1.
template <int K>
inline bool nd_simplify(int ndim, const index_t* shape, const index_t* const* strides, NdLayout<K>* out) {
  NdLayout<K>& l = *out;
  l.ndim = 0;
  l.numel = 1;
  for (int d = 0; d < ndim; ++d) {
    if (shape[d] == 0) {
      l.numel = 0;
      return false;
    }
    if (shape[d] == 1) continue;
    l.numel *= shape[d];
    bool merge = l.ndim > 0;
    for (int k = 0; k < K && merge; ++k)
      merge = l.stride[k][l.ndim - 1] == strides[k][d] * shape[d];
    if (merge) {
      l.shape[l.ndim - 1] *= shape[d];
      for (int k = 0; k < K; ++k) l.stride[k][l.ndim - 1] = strides[k][d];
    } else {
      l.shape[l.ndim] = shape[d];
      for (int k = 0; k < K; ++k) l.stride[k][l.ndim] = strides[k][d];
      ++l.ndim;
    }
  }
  if (l.ndim == 0) {
    l.ndim = 1;
    l.shape[0] = 1;
    for (int k = 0; k < K; ++k) l.stride[k][0] = 0;
  }
  return true;
}

// Calls body(off, len) for the pieces of innermost runs that cover the row-major flat indices
// [begin, end): off[k] is operand k's element offset of the piece's first element, len its length
// (the piece continues with the innermost stride).
template <int K, class Body>
inline void nd_for_range(const NdLayout<K>& l, index_t begin, index_t end, const Body& body) {
  if (begin >= end) return;
  const int in = l.ndim - 1;
  const index_t run = l.shape[in];
  index_t outer = begin / run;
  index_t j = begin - outer * run;
  index_t idx[kNdMaxDims];
  index_t off[K];
  for (int k = 0; k < K; ++k) off[k] = 0;
  for (int d = in - 1; d >= 0; --d) {
    idx[d] = outer % l.shape[d];
    outer /= l.shape[d];
    for (int k = 0; k < K; ++k) off[k] += idx[d] * l.stride[k][d];
  }
  index_t left = end - begin;
  while (left > 0) {
    const index_t len = run - j < left ? run - j : left;
    index_t piece[K];
    for (int k = 0; k < K; ++k) piece[k] = off[k] + j * l.stride[k][in];
    body(static_cast<const index_t*>(piece), len);
    left -= len;
    j = 0;
    for (int d = in - 1; d >= 0 && left > 0; --d) {  // next outer index, with carry
      for (int k = 0; k < K; ++k) off[k] += l.stride[k][d];
      if (++idx[d] < l.shape[d]) break;
      for (int k = 0; k < K; ++k) off[k] -= idx[d] * l.stride[k][d];
      idx[d] = 0;
    }
  }
}

// Runs f(begin, end) on `threads` threads over a static partition of [0, total) into contiguous
// ranges whose boundaries are multiples of `align` (so that vector loops keep whole vectors). With
// one thread, or without OpenMP, f(0, total) runs on the calling thread. The partition follows the
// team size OpenMP actually provides, so no range is ever left out.
template <class F>
inline void parallel_ranges(index_t total, int threads, index_t align, const F& f) {
  if (total <= 0) return;
#ifdef _OPENMP
  if (threads > 1 && total > align) {
#pragma omp parallel num_threads(threads)
    {
      const index_t nt = omp_get_num_threads();
      const index_t t = omp_get_thread_num();
      index_t chunk = (total + nt - 1) / nt;
      chunk = (chunk + align - 1) / align * align;
      const index_t b = t * chunk;
      const index_t e = b + chunk < total ? b + chunk : total;
      if (b < e) f(b, e);
    }
    return;
  }
#else
  (void)threads;
  (void)align;
#endif
  f(0, total);
}

}  // namespace gn

#endif  // GRADNODE_KERNELS_LAYOUT_ND_LOOP_H_
