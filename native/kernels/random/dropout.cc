#include "dropout.h"

#include "../threads.h"

namespace gn {

void dropout_forward(const float* x, float* y, float* mask, index_t n, std::uint32_t threshold, float scale,
                     std::uint32_t seed0, std::uint32_t seed1) {
  const int nt = threads_for(n, index_t(1) << 16);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (index_t i = 0; i < n; ++i) {
    const float m = dropout_bits(static_cast<std::uint64_t>(i), seed0, seed1) < threshold ? 0.0f : scale;
    mask[i] = m;
    y[i] = x[i] * m;
  }
}

}  // namespace gn
