#include "dropout.h"

#include "../isa.h"
#include "../threads.h"

namespace gn {

void dropout_forward(const float* x, float* y, float* mask, index_t n, std::uint32_t threshold, float scale,
                     std::uint32_t seed0, std::uint32_t seed1) {
  const int nt = threads_for(n, index_t(1) << 16);
  const auto run = kernels().vmath.dropout;
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (int t = 0; t < nt; ++t) {
    const index_t i0 = n * t / nt, i1 = n * (t + 1) / nt;
    run(x + i0, y + i0, mask + i0, i0, i1 - i0, threshold, scale, seed0, seed1);
  }
}

}  // namespace gn
