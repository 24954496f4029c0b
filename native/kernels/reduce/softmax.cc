// Softmax and log-softmax drivers (reduce.h): threads split the outer rows, and each range of rows
// goes to the per-ISA loops of vmath.h (vmath_impl.inc: max-subtracted exponentials, sums in
// double, log-softmax as x - max - log(sum)). Every row is computed by one thread with the same
// operations wherever it sits, so results are bitwise the same for any thread count.
// Baseline flags only.
#include "../isa.h"
#include "../layout/nd_loop.h"
#include "../threads.h"
#include "reduce.h"

namespace gn {
namespace {
// Elements per thread, at least: each costs an exponential (~20 flops) and two or three passes.
constexpr index_t kGrain = 8192;
}  // namespace

void softmax(const float* x, float* y, index_t outer, index_t n, index_t inner, bool log) {
  if (outer <= 0 || n <= 0 || inner <= 0) return;
  const VmathKernels& k = kernels().vmath;
  int threads = threads_for(outer * n * inner, kGrain);
  if (threads > outer) threads = static_cast<int>(outer);
  parallel_ranges(outer, threads, 1, [&](index_t o0, index_t o1) { k.softmax(x, y, o0, o1, n, inner, log ? 1 : 0); });
}

void softmax_backward(const float* y, const float* dy, float* dx, index_t outer, index_t n, index_t inner,
                      bool log) {
  if (outer <= 0 || n <= 0 || inner <= 0) return;
  const VmathKernels& k = kernels().vmath;
  int threads = threads_for(outer * n * inner, kGrain);
  if (threads > outer) threads = static_cast<int>(outer);
  parallel_ranges(outer, threads, 1,
                  [&](index_t o0, index_t o1) { k.softmax_backward(y, dy, dx, o0, o1, n, inner, log ? 1 : 0); });
}

}  // namespace gn
