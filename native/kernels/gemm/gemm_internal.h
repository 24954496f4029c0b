// Internals of the GEMM driver that the C++ tests reach into. Not part of the kernel API.
#ifndef GRADNODE_KERNELS_GEMM_GEMM_INTERNAL_H_
#define GRADNODE_KERNELS_GEMM_GEMM_INTERNAL_H_

#include "../common.h"

namespace gn {
namespace gemm_detail {

// The three ways gemm.cc computes a product:
//   kSmall:  no packing, plain loops over A and B in place (tiny and skinny shapes);
//   kPacked: the five Goto/BLIS loops around the ISA's micro-kernel;
//   kSup:    B packed, A read in place by the unpacked-A micro-kernels (few columns). Where the ISA
//            has no such kernels, forcing kSup runs kPacked.
enum class GemmPath : int { kAuto = 0, kSmall = 1, kPacked = 2, kSup = 3 };

// The path sgemm takes for this shape (never kAuto). It depends on the shape and the transposes
// only, never on the thread count.
GemmPath choose_path(bool trans_a, bool trans_b, index_t m, index_t n, index_t k);

// Test hook: every following sgemm/sgemm_batched call of the process takes `path` (kAuto restores
// the choice by shape). Lets the tests drive edge shapes through both paths.
void set_forced_path(GemmPath path);

}  // namespace gemm_detail
}  // namespace gn

#endif  // GRADNODE_KERNELS_GEMM_GEMM_INTERNAL_H_
