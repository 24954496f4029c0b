// The GEMM micro-kernel contract (BLIS: C11 := beta * C11 + alpha * A1 * B1).
//
// One micro-kernel per ISA (ukernel_generic.cc, ukernel_avx2.cc, ukernel_avx512.cc, ukernel_neon.cc)
// keeps an MR x NR tile of C in registers and walks the k dimension of two packed micro-panels:
//   a: MR x kc, packed k-major: a[p * MR + i] = A(i, p)   (rows past the matrix edge are zero)
//   b: kc x NR, packed k-major: b[p * NR + j] = B(p, j)   (columns past the edge are zero)
//   c: row-major tile with row stride ldc; every one of the MR x NR entries is written.
// It computes C = alpha * (A B) + beta * C; when beta == 0 it never reads C (C may hold NaN).
// Packed panels are 64-byte aligned; c may have any alignment. The driver (gemm.cc) handles edge
// tiles by running the same micro-kernel on a temporary tile, so every element of C is computed by
// the same sequence of operations wherever it sits: results do not depend on how the matrix is cut
// between threads.
#ifndef GRADNODE_KERNELS_GEMM_UKERNEL_H_
#define GRADNODE_KERNELS_GEMM_UKERNEL_H_

#include "../common.h"

namespace gn {

using GemmUkernelFn = void (*)(index_t kc, const float* GN_RESTRICT a, const float* GN_RESTRICT b,
                               float* GN_RESTRICT c, index_t ldc, float alpha, float beta);

struct GemmUkernel {
  int mr;  // rows of the register tile
  int nr;  // columns of the register tile
  int kc;  // k-block: a kc x NR panel of B stays in L1
  int mc;  // m-block: an mc x kc block of A stays in L2 (multiple of mr)
  int nc;  // n-block: a kc x nc panel of B stays in L3 (multiple of nr)
  GemmUkernelFn run;
  // Deep products (k >= 2 * kc_deep): k-blocks of at most kc_deep and m-blocks of mc_deep instead
  // (0: none). Longer k-blocks halve the passes over C, which then no longer fits in L2 beside the
  // panels (gemm.cc, block_kc).
  int kc_deep = 0;
  int mc_deep = 0;
};

// Micro-kernels of the unpacked-A path (BLIS calls its kind "sup", small/unpacked), for products
// with few columns, where packing A would cost more than it saves (each element of A is used only n
// times). A is read in place and B from one packed micro-panel:
//   a: MR rows, A(i, p) = a[i * rs_a + p * cs_a]; only rows i < mv are read;
//   b: k x NR, packed k-major with row stride NR (b[p * NR + j]; columns past n are zero) for
//      run16; for run8 two steps interleaved per column (b[(p / 2) * 16 + 2 * j + p % 2], zero
//      past n and in the odd slots of an odd k's last pair: gemm_detail::pack_interleaved); for
//      run_quads four (below);
//   c: row-major, row stride ldc; only rows i < mv and columns j < nv are written (and read when
//      beta != 0).
// The whole k in one pass (no k-blocks), terms added in order of p; run8 keeps even and odd p in
// separate sums and adds the two at the end, run_quads the four p % 4. The sequence of operations
// for an element depends only on k and on which kernel computes its column (chosen from the shape
// and strides), so results do not depend on m, on the cut between threads, or on the row's
// position within the tile.
using GemmSupFn = void (*)(index_t k, const float* GN_RESTRICT a, index_t rs_a, index_t cs_a,
                           const float* GN_RESTRICT b, float* GN_RESTRICT c, index_t ldc, int mv,
                           int nv, float alpha, float beta);

struct GemmSupKernels {
  int mr;          // rows of A per call
  GemmSupFn run16;  // NR = 16
  GemmSupFn run8;   // NR = 8 (the last columns when n % 16 is 1..8)
  // The last columns when n % 16 is 1..6, rows of A are contiguous (cs_a == 1) and k is long
  // enough (gemm.cc, sup_layout), instead of run8; null where an ISA has none. b: four steps
  // interleaved per column, the columns in pairs: b[(p / 4) * 8 * NV + (j / 2) * 8 + (j % 2) * 4 +
  // p % 4], NV = ceil(nv / 2), zero past k (gemm_detail::pack_interleaved). Sums of the steps p % 4 ==
  // 0..3 apart, added (s0 + s1) + (s2 + s3).
  GemmSupFn run_quads = nullptr;
};

// Each ISA unit defines its micro-kernel in its own namespace.
namespace generic { GemmUkernel gemm_ukernel(); }
namespace avx2 {
GemmUkernel gemm_ukernel();
GemmSupKernels gemm_sup_kernels();  // also used by the AVX-512 table (AVX-512 implies AVX2)
}
namespace avx512 { GemmUkernel gemm_ukernel(); }
namespace neon { GemmUkernel gemm_ukernel(); }

}  // namespace gn

#endif  // GRADNODE_KERNELS_GEMM_UKERNEL_H_
