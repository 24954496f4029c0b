// Data movement: one strided copy serves permute/transpose, slicing with steps, cat, stack, pad and
// materialising a broadcast (stride 0).
#ifndef GRADNODE_KERNELS_LAYOUT_LAYOUT_H_
#define GRADNODE_KERNELS_LAYOUT_LAYOUT_H_

#include "../common.h"

namespace gn {

// dst[idx . dst_strides] = src[idx . src_strides] for every index idx of `shape` (ndim <= 16).
// Strides are in elements and non-negative. dst must not overlap src.
void copy_strided(int ndim, const index_t* shape, const float* src, const index_t* src_strides,
                  float* dst, const index_t* dst_strides);

}  // namespace gn

#endif  // GRADNODE_KERNELS_LAYOUT_LAYOUT_H_
