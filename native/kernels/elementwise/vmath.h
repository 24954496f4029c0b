// Vectorised elementwise math: the per-ISA part of the elementwise, activation, softmax, batch norm
// and reduction kernels.
//
// vmath_impl.inc holds plain loops written so that the compiler vectorises them (no libm calls in the
// hot ops: exp, tanh, sigmoid and elu use polynomial approximations accurate to a few ulp; AVX-512
// spells those four out in intrinsics, with the same bits). It is compiled once per ISA
// (vmath_generic.cc, vmath_avx2.cc, ...) inside that ISA's namespace. The functions here are
// serial; the drivers in elementwise.cc and softmax.cc split the work between threads and handle
// broadcasting.
//
// NaN propagates through every op (relu, maximum, minimum and clamp included), as in PyTorch, except
// where C99 pow defines otherwise (pow(1, NaN) = 1, pow(x, 0) = 1).
#ifndef GRADNODE_KERNELS_ELEMENTWISE_VMATH_H_
#define GRADNODE_KERNELS_ELEMENTWISE_VMATH_H_

#include "../common.h"

namespace gn {

// y = f(x; alpha, beta). The names (unary_op_name) are the strings the TS backend uses.
enum class UnaryOp : int {
  kNeg = 0,
  kExp,
  kLog,
  kSqrt,
  kAbs,
  kRelu,
  kLeakyRelu,  // x > 0 ? x : alpha * x
  kElu,        // x > 0 ? x : alpha * (exp(x) - 1)
  kSigmoid,
  kTanh,
  kClamp,      // min(max(x, alpha), beta)
  kSign,
  kCount
};

// y = a op b. Comparisons give 1 or 0.
enum class BinaryOp : int {
  kAdd = 0,
  kSub,
  kMul,
  kDiv,
  kPow,
  kMaximum,
  kMinimum,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kCount
};

const char* unary_op_name(UnaryOp op);
const char* binary_op_name(BinaryOp op);

// One output's partial result of an arg-reduction (reduce.cc): the best value and its index on
// the reduced axis.
struct ReduceArgPartial {
  float v;
  index_t i;
};

struct VmathKernels {
  // y[i] = f(x[i]) for i < n. y may alias x.
  void (*unary)(UnaryOp op, const float* x, float* y, index_t n, float alpha, float beta);
  // dx[i] = dy[i] * f'(x[i]) for i < n, from the input x or the output y of the forward op, whichever
  // the derivative needs (relu, leaky_relu, clamp, abs, log, sign: x; sigmoid, tanh, exp, sqrt: y;
  // elu: x and y; neg: neither). Pointers the op does not need may be null. dx may alias dy.
  void (*unary_backward)(UnaryOp op, const float* x, const float* y, const float* dy, float* dx,
                         index_t n, float alpha, float beta);
  // y[i] = a[i * sa] op b[i * sb] for i < n, with sa, sb in {0, 1}. y may alias a or b.
  void (*binary)(BinaryOp op, const float* a, index_t sa, const float* b, index_t sb, float* y,
                 index_t n);
  // y[i] = c[i] != 0 ? a[i] : b[i] for i < n (contiguous operands). y may alias any of them.
  void (*where)(const float* c, const float* a, const float* b, float* y, index_t n);
  // Softmax (log_softmax when log != 0) over the middle axis of x viewed as [outer, n, inner],
  // for outer rows [o0, o1).
  void (*softmax)(const float* x, float* y, index_t o0, index_t o1, index_t n, index_t inner, int log);
  // Its backward from the forward output y: softmax: dx = y * (dy - sum(dy * y));
  // log_softmax: dx = dy - exp(y) * sum(dy). Rows [o0, o1).
  void (*softmax_backward)(const float* y, const float* dy, float* dx, index_t o0, index_t o1,
                           index_t n, index_t inner, int log);

  // Batch norm rows (norm/batchnorm_rows.inc; driven by norm/batchnorm.cc) over a block of `runs`
  // runs of `len` floats, run r at x + r * stride, summed in double in an order that depends only on
  // (runs, len). bn_moments: sums[0] = sum (x - shift), sums[1] = sum (x - shift)^2. bn_dot_sums:
  // sums[0] += sum dy, sums[1] += sum dy * (x - mean). bn_backward_dx: dx = k * (dy - mean_dy -
  // (x - mu) * a).
  void (*bn_moments)(const float* x, index_t runs, index_t stride, index_t len, double shift, double* sums);
  void (*bn_dot_sums)(const float* x, const float* dy, index_t runs, index_t stride, index_t len, double mean,
                      double* sums);
  void (*bn_backward_dx)(const float* x, const float* dy, float* dx, index_t runs, index_t stride, index_t len,
                         float k, float mean_dy, float mu, float a);
  // y = x * scale[p % c] + shift[p % c] on the planes p in [p0, p1) of [n * c, inner]; y may be x.
  void (*bn_affine)(const float* x, const float* scale, const float* shift, float* y, index_t p0, index_t p1,
                    index_t c, index_t inner);
  // LSTM cell rows (recurrent/lstm_rows.inc; driven by recurrent/lstm.cc), rows [0, rows) of the
  // batch: see lstm.h for what they compute.
  void (*lstm_cell)(float* gates, const float* c_prev, float* c, float* tc, float* h, index_t rows, index_t hidden);
  void (*lstm_cell_backward)(const float* gates, const float* c_prev, const float* tc, const float* dh,
                             const float* dc, float* dgates, float* dc_prev, index_t rows, index_t hidden);
  // Dropout (random/dropout.h) of elements i0 .. i0 + n - 1, at x + 0 .. n - 1: mask = bits(i) <
  // threshold ? 0 : scale, y = x * mask.
  void (*dropout)(const float* x, float* y, float* mask, index_t i0, index_t n, std::uint32_t threshold, float scale,
                  std::uint32_t seed0, std::uint32_t seed1);
  // Reduction blocks (reduce/reduce_blocks.inc; driven by reduce/reduce.cc): rows [0, rows) of the
  // columns [0, w) of a tile with row stride `inner` (w == inner == 1: one contiguous row). Sums in
  // double; max / min propagate NaN; arg: the first extreme (or first NaN), its row offset by r0.
  void (*reduce_sum)(const float* x, index_t rows, index_t inner, index_t w, double* out);
  void (*reduce_max)(const float* x, index_t rows, index_t inner, index_t w, float* out);
  void (*reduce_min)(const float* x, index_t rows, index_t inner, index_t w, float* out);
  void (*reduce_argmax)(const float* x, index_t rows, index_t inner, index_t w, index_t r0, ReduceArgPartial* out);
  void (*reduce_argmin)(const float* x, index_t rows, index_t inner, index_t w, index_t r0, ReduceArgPartial* out);
};

namespace generic { VmathKernels vmath_kernels(); }
namespace avx2 { VmathKernels vmath_kernels(); }
namespace avx512 { VmathKernels vmath_kernels(); }
namespace neon { VmathKernels vmath_kernels(); }

}  // namespace gn

#endif  // GRADNODE_KERNELS_ELEMENTWISE_VMATH_H_
