// Data movement: one strided copy serves permute/transpose, slicing with steps, cat, stack, pad and
// materialising a broadcast (stride 0); nearest-neighbour upsampling has its own loops.
#ifndef GRADNODE_KERNELS_LAYOUT_LAYOUT_H_
#define GRADNODE_KERNELS_LAYOUT_LAYOUT_H_

#include "../common.h"

namespace gn {

// dst[idx . dst_strides] = src[idx . src_strides] for every index idx of `shape` (ndim <= 16).
// Strides are in elements and non-negative. dst must not overlap src.
void copy_strided(int ndim, const index_t* shape, const float* src, const index_t* src_strides,
                  float* dst, const index_t* dst_strides);

// Nearest-neighbour upsampling of `planes` planes [h, w] by integer factors (fh, fw) (upsample.cc):
// y[q][i fh + a][j fw + b] = x[q][i][j]. Its backward: dx[q][i][j] = the sum over a < fh (in
// order) of the sums over b < fw (in order) of dy[q][i fh + a][j fw + b]. No overlap.
void upsample_nearest(const float* x, float* y, index_t planes, index_t h, index_t w, index_t fh, index_t fw);
void upsample_nearest_backward(const float* dy, float* dx, index_t planes, index_t h, index_t w, index_t fh,
                               index_t fw);

}  // namespace gn

#endif  // GRADNODE_KERNELS_LAYOUT_LAYOUT_H_
