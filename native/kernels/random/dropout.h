// Dropout with a counter-based random stream: element i is dropped when the 24-bit value
// hash(i, seed0, seed1) >> 8 is below `threshold` (round(p * 2^24)), so the mask depends only on
// the seeds and the index: the same on every backend (src/backend/reference/random.ts computes the
// same hash) and for any thread count. The seeds come from the library's generator.
#ifndef GRADNODE_KERNELS_RANDOM_DROPOUT_H_
#define GRADNODE_KERNELS_RANDOM_DROPOUT_H_

#include <stdint.h>

#include "../common.h"

namespace gn {

#include "dropout_hash.inc"

// mask[i] = bits(i) < threshold ? 0 : scale; y[i] = x[i] * mask[i].
void dropout_forward(const float* x, float* y, float* mask, index_t n, std::uint32_t threshold, float scale,
                     std::uint32_t seed0, std::uint32_t seed1);

}  // namespace gn

#endif  // GRADNODE_KERNELS_RANDOM_DROPOUT_H_
