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

void cross_entropy_backward(const float* logp, const std::int32_t* labels, const float* g, float* dx,
                            index_t outer, index_t n, index_t inner, float smoothing) {
  if (outer <= 0 || n <= 0 || inner <= 0) return;
  const VmathKernels& k = kernels().vmath;
  const float c = smoothing / static_cast<float>(n), hit = 1.0f - smoothing;
  const index_t row = n * inner;
  int threads = threads_for(outer * row, kGrain);
  if (threads > outer) threads = static_cast<int>(outer);
  // Per row: the probabilities (the vectorised exp of vmath.h), then (p - c) * g in place; the
  // labelled entries are redone from their saved probability, so each gets ((p - c) - hit) * g.
  parallel_ranges(outer, threads, 1, [&](index_t o0, index_t o1) {
    for (index_t o = o0; o < o1; ++o) {
      const float* lp = logp + o * row;
      float* d = dx + o * row;
      const std::int32_t* lab = labels + o * inner;
      const float* go = g + o * inner;
      k.unary(UnaryOp::kExp, lp, d, row, 0.f, 0.f);
      if (inner == 1) {
        const float p = d[lab[0]], gi = go[0];
        for (index_t j = 0; j < n; ++j) d[j] = (d[j] - c) * gi;
        d[lab[0]] = ((p - c) - hit) * gi;
        continue;
      }
      for (index_t i = 0; i < inner; ++i) {
        float* e = d + static_cast<index_t>(lab[i]) * inner + i;
        *e = (*e - c) - hit;  // the same ((p - c) - hit) once multiplied below
      }
      for (index_t j = 0; j < n; ++j) {
        float* dr = d + j * inner;
        for (index_t i = 0; i < inner; ++i) {
          const bool labelled = lab[i] == j;
          dr[i] = (labelled ? dr[i] : dr[i] - c) * go[i];
        }
      }
    }
  });
}

}  // namespace gn
