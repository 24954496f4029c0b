// Elementwise drivers (elementwise.h): thread partitions and NumPy broadcasting around the per-ISA
// loops of vmath.h. Baseline flags only.
//
// Every elementwise result is a pure function of its inputs (vmath_impl.inc), so the static
// partition between threads never changes a value: results are bitwise the same for any thread
// count.
#include "elementwise.h"

#include <cstdint>

#include "../isa.h"
#include "../layout/nd_loop.h"
#include "../threads.h"

namespace gn {

const char* unary_op_name(UnaryOp op) {
  // The order of UnaryOp; the strings are the TS backend's op names.
  static const char* const names[] = {"neg",       "exp", "log",     "sqrt", "abs",   "relu",
                                      "leakyRelu", "elu", "sigmoid", "tanh", "clamp", "sign"};
  static_assert(sizeof(names) / sizeof(names[0]) == static_cast<int>(UnaryOp::kCount), "one name per op");
  return names[static_cast<int>(op)];
}

const char* binary_op_name(BinaryOp op) {
  static const char* const names[] = {"add", "sub", "mul", "div", "pow", "maximum", "minimum",
                                      "eq",  "ne",  "lt",  "le",  "gt",  "ge"};
  static_assert(sizeof(names) / sizeof(names[0]) == static_cast<int>(BinaryOp::kCount), "one name per op");
  return names[static_cast<int>(op)];
}

namespace {

// Elements per thread below which another thread costs more than it saves. Loads and stores
// dominate the cheap ops: ~0.09 ns per element on one thread of the 2-vCPU Xeon (relu, L2), where a
// GOMP fork/join with spinning workers costs ~0.75 us (an empty parallel region), so two threads
// pay from ~17 K elements. 2 threads, alternating with a grain of 32768 (one thread below 64 K):
// at 32 K elements relu 2.9-3.2 -> 2.8-3.1 us, relu backward 3.5-3.9 -> 3.1-3.6, where 6.4-6.6 ->
// 5.7-5.8, add 4.3-4.6 either way; at 48 K 15-20 % faster. The polynomial and libm ops cost several
// times more per element, so they split earlier.
constexpr index_t kGrainCheap = 16384;
constexpr index_t kGrainHeavy = 8192;
constexpr index_t kAlign = 16;  // partition boundaries: whole 64-byte lines of floats

index_t grain(UnaryOp op) {
  switch (op) {
    case UnaryOp::kExp:
    case UnaryOp::kLog:
    case UnaryOp::kElu:
    case UnaryOp::kSigmoid:
    case UnaryOp::kTanh:
      return kGrainHeavy;
    default:
      return kGrainCheap;
  }
}

index_t grain(BinaryOp op) { return op == BinaryOp::kPow ? kGrainHeavy : kGrainCheap; }

const float* offset(const float* p, index_t i) { return p ? p + i : nullptr; }

// Runs f(0, h) and f(h, n): h elements bring y to a 64-byte line boundary, so that the vector loop
// after them stores whole lines (and loads whole lines from inputs with the same offset in a line,
// as large arrays have: glibc puts them 16 bytes past a page boundary). Unaligned, every AVX-512
// store of such an array straddles two lines: ReLU of 301 K floats (LeNet conv1's output), 2 threads,
// took 19.6 us instead of 14.5. Short runs are not split: the second call costs more than it saves.
template <class F>
inline void split_at_line(const float* y, index_t n, const F& f) {
  const auto addr = reinterpret_cast<std::uintptr_t>(y);
  index_t h = addr % 4 != 0 || n < 256 ? 0 : static_cast<index_t>((64 - addr % 64) % 64 / 4);
  if (h > 0) f(0, h);
  f(h, n - h);
}

bool unit_or_zero(index_t s) { return s == 0 || s == 1; }

// Runs of operands whose innermost stride is neither 0 nor 1 are gathered into a contiguous buffer
// of this many floats (on the stack) and handed to the same vector loop.
constexpr index_t kGatherChunk = 512;

void gather(const float* src, index_t stride, index_t n, float* dst) {
  for (index_t i = 0; i < n; ++i) dst[i] = src[i * stride];
}

// y[i] = cond[i * sc] != 0 ? a[i * sa] : b[i * sb], strides known at compile time where they are 0
// or 1 (SC/SA/SB = -1: read at run time).
template <int SC, int SA, int SB>
void where_run(const float* c, index_t sc, const float* a, index_t sa, const float* b, index_t sb, float* y,
               index_t n) {
  const index_t tc = SC >= 0 ? SC : sc, ta = SA >= 0 ? SA : sa, tb = SB >= 0 ? SB : sb;
  // Both sides loaded, then selected: with the loads inside the ?: arms GCC keeps a branch per
  // element (mispredicted half the time on real masks) instead of a vector blend.
  for (index_t i = 0; i < n; ++i) {
    const float av = a[i * ta], bv = b[i * tb];
    y[i] = c[i * tc] != 0.0f ? av : bv;
  }
}

template <int SC, int SA>
void where_dispatch_b(const float* c, index_t sc, const float* a, index_t sa, const float* b, index_t sb,
                      float* y, index_t n) {
  if (sb == 0)
    where_run<SC, SA, 0>(c, sc, a, sa, b, sb, y, n);
  else if (sb != 1)
    where_run<SC, SA, -1>(c, sc, a, sa, b, sb, y, n);
  else if constexpr (SC == 1 && SA == 1)
    kernels().vmath.where(c, a, b, y, n);  // all contiguous: the ISA's loop
  else
    where_run<SC, SA, 1>(c, sc, a, sa, b, sb, y, n);
}

template <int SC>
void where_dispatch_a(const float* c, index_t sc, const float* a, index_t sa, const float* b, index_t sb,
                      float* y, index_t n) {
  if (sa == 0)
    where_dispatch_b<SC, 0>(c, sc, a, sa, b, sb, y, n);
  else if (sa == 1)
    where_dispatch_b<SC, 1>(c, sc, a, sa, b, sb, y, n);
  else
    where_dispatch_b<SC, -1>(c, sc, a, sa, b, sb, y, n);
}

void where_inner(const float* c, index_t sc, const float* a, index_t sa, const float* b, index_t sb, float* y,
                 index_t n) {
  if (sc == 0)  // one condition for the whole run: a copy of one side
    where_dispatch_a<0>(c, sc, a, sa, b, sb, y, n);
  else if (sc == 1)
    where_dispatch_a<1>(c, sc, a, sa, b, sb, y, n);
  else
    where_dispatch_a<-1>(c, sc, a, sa, b, sb, y, n);
}

}  // namespace

void unary(UnaryOp op, const float* x, float* y, index_t n, float alpha, float beta) {
  if (n <= 0) return;
  const VmathKernels& k = kernels().vmath;
  const int threads = threads_for(n, grain(op));
  parallel_ranges(n, threads, kAlign, [&](index_t b, index_t e) {
    split_at_line(y + b, e - b, [&](index_t i, index_t m) { k.unary(op, x + b + i, y + b + i, m, alpha, beta); });
  });
}

void unary_backward(UnaryOp op, const float* x, const float* y, const float* dy, float* dx, index_t n,
                    float alpha, float beta) {
  if (n <= 0) return;
  const VmathKernels& k = kernels().vmath;
  const int threads = threads_for(n, kGrainCheap);  // every backward formula is a few multiplies
  parallel_ranges(n, threads, kAlign, [&](index_t b, index_t e) {
    split_at_line(dx + b, e - b, [&](index_t i, index_t m) {
      k.unary_backward(op, offset(x, b + i), offset(y, b + i), dy + b + i, dx + b + i, m, alpha, beta);
    });
  });
}

void binary_broadcast(BinaryOp op, int ndim, const index_t* shape, const float* a, const index_t* stride_a,
                      const float* b, const index_t* stride_b, float* y) {
  index_t stride_y[kMaxDims];
  index_t acc = 1;
  for (int d = ndim - 1; d >= 0; --d) {
    stride_y[d] = acc;
    acc *= shape[d];
  }
  const index_t* strides[3] = {stride_a, stride_b, stride_y};
  NdLayout<3> l;
  if (!nd_simplify(ndim, shape, strides, &l)) return;
  const int in = l.ndim - 1;
  const index_t sa = l.stride[0][in], sb = l.stride[1][in];  // y's innermost stride is 1
  const VmathKernels& k = kernels().vmath;
  auto run = [&](const index_t* off, index_t len) {
    const float* ap = a + off[0];
    const float* bp = b + off[1];
    float* yp = y + off[2];
    if (unit_or_zero(sa) && unit_or_zero(sb)) {
      split_at_line(yp, len, [&](index_t i, index_t m) { k.binary(op, ap + i * sa, sa, bp + i * sb, sb, yp + i, m); });
      return;
    }
    float abuf[kGatherChunk], bbuf[kGatherChunk];
    for (index_t i0 = 0; i0 < len; i0 += kGatherChunk) {
      const index_t w = len - i0 < kGatherChunk ? len - i0 : kGatherChunk;
      const float* ac = ap + i0 * sa;
      const float* bc = bp + i0 * sb;
      index_t sa1 = sa, sb1 = sb;
      if (!unit_or_zero(sa)) {
        gather(ac, sa, w, abuf);
        ac = abuf;
        sa1 = 1;
      }
      if (!unit_or_zero(sb)) {
        gather(bc, sb, w, bbuf);
        bc = bbuf;
        sb1 = 1;
      }
      k.binary(op, ac, sa1, bc, sb1, yp + i0, w);
    }
  };
  const int threads = threads_for(l.numel, grain(op));
  parallel_ranges(l.numel, threads, kAlign, [&](index_t begin, index_t end) { nd_for_range(l, begin, end, run); });
}

void where_broadcast(int ndim, const index_t* shape, const float* cond, const index_t* stride_c, const float* a,
                     const index_t* stride_a, const float* b, const index_t* stride_b, float* y) {
  index_t stride_y[kMaxDims];
  index_t acc = 1;
  for (int d = ndim - 1; d >= 0; --d) {
    stride_y[d] = acc;
    acc *= shape[d];
  }
  const index_t* strides[4] = {stride_c, stride_a, stride_b, stride_y};
  NdLayout<4> l;
  if (!nd_simplify(ndim, shape, strides, &l)) return;
  const int in = l.ndim - 1;
  const index_t sc = l.stride[0][in], sa = l.stride[1][in], sb = l.stride[2][in];
  auto run = [&](const index_t* off, index_t len) {
    where_inner(cond + off[0], sc, a + off[1], sa, b + off[2], sb, y + off[3], len);
  };
  const int threads = threads_for(l.numel, kGrainCheap);
  parallel_ranges(l.numel, threads, kAlign, [&](index_t begin, index_t end) { nd_for_range(l, begin, end, run); });
}

}  // namespace gn
