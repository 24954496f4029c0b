// Batch normalisation kernels over x viewed as [n, c, inner] (NCHW: inner = h * w; [N, C]: inner = 1).
// Each channel is reduced by one thread in a fixed order (double accumulation), so results are the
// same for any thread count. Semantics as in src/backend/backend.ts. [n, c] input (inner == 1,
// BatchNorm1d) goes along the rows with the channels in the vector lanes (batchnorm.cc).
#ifndef GRADNODE_KERNELS_NORM_BATCHNORM_H_
#define GRADNODE_KERNELS_NORM_BATCHNORM_H_

#include "../common.h"

namespace gn {

// mean[ch] and the biased variance var[ch] (divided by n * inner).
void batchnorm_stats(const float* x, float* mean, float* var, index_t n, index_t c, index_t inner);
// y = x * scale[ch] + shift[ch]; y may be x.
void channel_affine(const float* x, const float* scale, const float* shift, float* y, index_t n, index_t c,
                    index_t inner);
// dbias = sum dy; dweight = sum dy (x - mean) * invstd; dx = weight invstd (dy - sdy/m - (x - mean) invstd^2 sdx/m)
// in training mode, weight invstd dy otherwise. weight may be null (1); dx, dweight, dbias may be null.
void batchnorm_backward(const float* x, const float* dy, const float* mean, const float* invstd,
                        const float* weight, float* dx, float* dweight, float* dbias, index_t n, index_t c,
                        index_t inner, bool training);

}  // namespace gn

#endif  // GRADNODE_KERNELS_NORM_BATCHNORM_H_
