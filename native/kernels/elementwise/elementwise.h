// Elementwise drivers: threading and NumPy broadcasting around the per-ISA loops of vmath.h.
//
// Broadcast operands are described by an output shape and, for each operand, element strides over
// that shape (0 along broadcast dimensions). Dimensions are merged where both operands allow it, and
// the innermost run goes to the vectorised loop.
#ifndef GRADNODE_KERNELS_ELEMENTWISE_ELEMENTWISE_H_
#define GRADNODE_KERNELS_ELEMENTWISE_ELEMENTWISE_H_

#include "../common.h"
#include "vmath.h"

namespace gn {

constexpr int kMaxDims = 16;

void unary(UnaryOp op, const float* x, float* y, index_t n, float alpha, float beta);
void unary_backward(UnaryOp op, const float* x, const float* y, const float* dy, float* dx, index_t n,
                    float alpha, float beta);

// y[idx] = a[idx . stride_a] op b[idx . stride_b] for every index idx of `shape` (ndim <= kMaxDims).
// y is contiguous.
void binary_broadcast(BinaryOp op, int ndim, const index_t* shape, const float* a,
                      const index_t* stride_a, const float* b, const index_t* stride_b, float* y);

// y[idx] = cond[...] != 0 ? a[...] : b[...], broadcasting as above.
void where_broadcast(int ndim, const index_t* shape, const float* cond, const index_t* stride_c,
                     const float* a, const index_t* stride_a, const float* b, const index_t* stride_b,
                     float* y);

}  // namespace gn

#endif  // GRADNODE_KERNELS_ELEMENTWISE_ELEMENTWISE_H_
