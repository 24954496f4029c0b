// Fused optimizer updates: one pass over a parameter, its gradient and its state, in place
// (src/optim/sgd.ts and adam.ts state the algorithms; the reference backend has the same loops).
// Elementwise, so results do not depend on the thread count.
#ifndef GRADNODE_KERNELS_OPTIM_OPTIM_H_
#define GRADNODE_KERNELS_OPTIM_OPTIM_H_

#include "../common.h"

namespace gn {

// g = grad + weight_decay p; with momentum: buf = buf_is_new ? g : momentum buf + one_minus_dampening g,
// g = nesterov ? g + momentum buf : buf; then p -= lr g. buf is null without momentum.
// Complements such as 1 - dampening are passed in, computed in double and rounded once, as PyTorch
// does (1 - 0.9f in float is 0.10000002, not 0.1f).
void sgd_step(float* p, const float* grad, float* buf, bool buf_is_new, index_t n, float lr, float momentum,
              float one_minus_dampening, float weight_decay, bool nesterov);

// p *= shrink (AdamW's decoupled decay, 1 - lr wd; 1 for Adam); g = grad + weight_decay p (Adam's L2);
// m = beta1 m + c1 g; v = beta2 v + c2 g^2 (c1 = 1 - beta1, c2 = 1 - beta2 rounded from double); v' = vmax = max(vmax, v) with amsgrad
// (vmax non-null; NaN propagates), else v; p -= step_size m / (sqrt(v') / bc2_sqrt + eps).
void adam_step(float* p, const float* grad, float* m, float* v, float* vmax, index_t n, float step_size,
               float bc2_sqrt, float beta1, float beta2, float c1, float c2, float eps, float weight_decay, float shrink);

}  // namespace gn

#endif  // GRADNODE_KERNELS_OPTIM_OPTIM_H_
