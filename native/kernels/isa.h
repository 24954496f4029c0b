// Runtime ISA dispatch: one binary, the best kernels this CPU can run.
//
// Each ISA's kernels are compiled in their own translation units with their own flags
// (ukernel_avx2.cc with -mavx2 -mfma, ...), inside a namespace named after the ISA, and export one
// table of function pointers. The table is chosen once, when the library is first used: the best ISA
// the CPU (and the OS, for the wider registers) supports, capped by GRADNODE_ISA=generic|avx2|avx512|neon.
// Everything outside the ISA units is compiled for the platform baseline (SSE2 on x86-64), and
// scripts/check-isa-symbols.js fails the tests if AVX instructions leak out of the ISA units.
#ifndef GRADNODE_KERNELS_ISA_H_
#define GRADNODE_KERNELS_ISA_H_

#include "common.h"
#include "conv/col2im_ukernel.h"
#include "conv/conv_ukernel.h"
#include "conv/depthwise.h"
#include "conv/winograd_ukernel.h"
#include "elementwise/vmath.h"
#include "gemm/pack.h"
#include "gemm/ukernel.h"
#include "pool/pool_ukernel.h"

namespace gn {

enum class Isa : int { kGeneric = 0, kAvx2 = 1, kAvx512 = 2, kNeon = 3 };
constexpr int kIsaCount = 4;

const char* isa_name(Isa isa);
// Parses "generic", "avx2", "avx512", "neon"; returns false for anything else.
bool isa_from_name(const char* name, Isa* out);

// The kernels of one ISA.
struct IsaKernels {
  Isa isa;
  const char* name;
  GemmUkernel gemm;  // register-blocked GEMM micro-kernel (gemm/ukernel.h)
  // The packed path's kernel for products of at most kNarrowCols columns: gemm, except on AVX-512,
  // whose 32 columns would be half zero padding for 16 (the AVX2 6x16 kernel instead).
  GemmUkernel gemm_narrow;
  GemmSupKernels gemm_sup;  // unpacked-A GEMM micro-kernels; run16 == nullptr where an ISA has none
  VmathKernels vmath;  // vectorised elementwise math (elementwise/vmath.h)
  ConvUkernel conv;    // convolution micro-kernel, B through row offsets (conv/conv_ukernel.h);
                       // run == nullptr where an ISA has none
  PackTransposeFn pack_transpose;  // GEMM packing, transpose case (gemm/pack.h); nullptr: SSE2
  PackRows8Fn pack_rows8;  // eight rows at any addresses transposed (gemm/pack.h); nullptr: SSE2
  MaxPool2x2Kernels maxpool2x2;  // 2x2 / stride-2 max pooling (pool/pool_ukernel.h); nullptr where
                                 // an ISA has none (the baseline SSE2 path runs)
  WinogradKernels winograd;  // Winograd tile transforms (conv/winograd_ukernel.h); nullptr: the
                             // baseline's 4-lane ones
  PoolWindowKernels pool_window;  // max / average forward and average backward, any window, column
                                  // stride 1 or 2 (pool/pool_ukernel.h); nullptr: the baseline path
  DepthwiseKernels depthwise;  // depthwise convolution planes (conv/depthwise.h)
  Col2imKernels col2im;  // col2im of the flat layout and of column stride 2 (conv/col2im_ukernel.h);
                         // nullptr: the baseline
};

// True when this binary contains the ISA's kernels.
bool isa_compiled(Isa isa);
// True when the ISA is compiled in and this CPU and OS can execute it.
bool isa_runnable(Isa isa);
// Best runnable ISA, ignoring GRADNODE_ISA.
Isa best_isa();

// Result of reading GRADNODE_ISA: ok == false (with a message) when it names no known ISA.
struct IsaChoice {
  bool ok;
  Isa isa;
  const char* message;
};
// The ISA chosen at first use: best_isa() capped by GRADNODE_ISA. When the variable is invalid the
// choice falls back to best_isa() and ok is false, so that the addon can refuse to load with a clear
// message instead of silently ignoring the setting.
IsaChoice initial_isa_choice();

// The kernels in use (initially those of initial_isa_choice()).
const IsaKernels& kernels();
// Kernels of one ISA, or nullptr when that ISA is not runnable here.
const IsaKernels* kernels_for(Isa isa);
// Switch the kernels in use (C++ tests only; JS chooses by GRADNODE_ISA at load). Returns false and
// changes nothing when the ISA is not runnable.
bool select_isa(Isa isa);

}  // namespace gn

#endif  // GRADNODE_KERNELS_ISA_H_
