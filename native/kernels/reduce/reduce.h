// Reductions and softmax over one axis of a tensor viewed as [outer, n, inner].
//
// Sums accumulate in double and, for long rows, over fixed-size blocks combined in order, so a result
// is the same for any thread count. Max and min propagate NaN; arg-reductions return the first
// index of the extreme value (the first NaN if any), as a float (exact below 2^24).
#ifndef GRADNODE_KERNELS_REDUCE_REDUCE_H_
#define GRADNODE_KERNELS_REDUCE_REDUCE_H_

#include "../common.h"

namespace gn {

enum class ReduceOp : int { kSum = 0, kMax, kMin, kCount };
const char* reduce_op_name(ReduceOp op);

// y [outer, inner] = reduce over n. n >= 1 for max / min.
void reduce(ReduceOp op, const float* x, float* y, index_t outer, index_t n, index_t inner);
// y [outer, inner] = index of the max (kMax) or min (kMin) over n (n >= 1).
void arg_reduce(ReduceOp op, const float* x, float* y, index_t outer, index_t n, index_t inner);

// Softmax / log-softmax over n, and their backward from the forward output y (see vmath.h).
void softmax(const float* x, float* y, index_t outer, index_t n, index_t inner, bool log);
void softmax_backward(const float* y, const float* dy, float* dx, index_t outer, index_t n,
                      index_t inner, bool log);

// Cross-entropy of softmax(x) over n against integer labels, backward, from the forward's
// log-softmax logp [outer, n, inner]: with c = smoothing / n,
//   dx[o][j][i] = g[o][i] * (exp(logp[o][j][i]) - c - (j == labels[o][i] ? 1 - smoothing : 0)).
// Every label must be in [0, n) (the binding checks).
void cross_entropy_backward(const float* logp, const std::int32_t* labels, const float* g, float* dx,
                            index_t outer, index_t n, index_t inner, float smoothing);

}  // namespace gn

#endif  // GRADNODE_KERNELS_REDUCE_REDUCE_H_
