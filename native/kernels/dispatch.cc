// CPU feature detection and the choice of kernel table (see isa.h). Baseline flags only.
#include "isa.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) || defined(_M_X64)
#define GN_X64 1
#if defined(_MSC_VER)
#include <immintrin.h>
#include <intrin.h>
#else
#include <cpuid.h>
#endif
#elif defined(__aarch64__) || defined(_M_ARM64)
#define GN_ARM64 1
#endif

namespace gn {
namespace {

#if GN_X64
void cpuid(unsigned leaf, unsigned subleaf, unsigned r[4]) {
#if defined(_MSC_VER)
  int regs[4];
  __cpuidex(regs, static_cast<int>(leaf), static_cast<int>(subleaf));
  for (int i = 0; i < 4; ++i) r[i] = static_cast<unsigned>(regs[i]);
#else
  __cpuid_count(leaf, subleaf, r[0], r[1], r[2], r[3]);
#endif
}

unsigned long long xgetbv0() {
#if defined(_MSC_VER)
  return _xgetbv(0);
#else
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<unsigned long long>(hi) << 32) | lo;
#endif
}

struct X64Features {
  bool avx2_fma = false;
  bool avx512 = false;  // F + BW + DQ + VL, with the OS saving opmask and ZMM state
};

X64Features detect_x64() {
  X64Features f;
  unsigned r[4];
  cpuid(0, 0, r);
  const unsigned max_leaf = r[0];
  if (max_leaf < 7) return f;
  cpuid(1, 0, r);
  const bool osxsave = (r[2] >> 27) & 1;
  const bool avx = (r[2] >> 28) & 1;
  const bool fma = (r[2] >> 12) & 1;
  if (!osxsave || !avx) return f;
  const unsigned long long xcr0 = xgetbv0();
  const bool os_ymm = (xcr0 & 0x6) == 0x6;             // XMM and YMM state
  const bool os_zmm = (xcr0 & 0xE6) == 0xE6;           // plus opmask, ZMM_Hi256, Hi16_ZMM
  cpuid(7, 0, r);
  const bool avx2 = (r[1] >> 5) & 1;
  const bool avx512f = (r[1] >> 16) & 1;
  const bool avx512dq = (r[1] >> 17) & 1;
  const bool avx512bw = (r[1] >> 30) & 1;
  const bool avx512vl = (r[1] >> 31) & 1;
  f.avx2_fma = os_ymm && avx2 && fma;
  f.avx512 = f.avx2_fma && os_zmm && avx512f && avx512dq && avx512bw && avx512vl;
  return f;
}
#endif

bool cpu_can_run(Isa isa) {
  switch (isa) {
    case Isa::kGeneric:
      return true;
#if GN_X64
    case Isa::kAvx2: {
      static const X64Features f = detect_x64();
      return f.avx2_fma;
    }
    case Isa::kAvx512: {
      static const X64Features f = detect_x64();
      return f.avx512;
    }
#endif
#if GN_ARM64
    case Isa::kNeon:
      return true;  // Advanced SIMD is part of the ARMv8-A baseline
#endif
    default:
      return false;
  }
}

IsaKernels make_kernels(Isa isa) {
  IsaKernels k{};
  k.isa = isa;
  k.name = isa_name(isa);
  switch (isa) {
#if GN_X64
    case Isa::kAvx2:
      k.gemm = avx2::gemm_ukernel();
      k.gemm_sup = avx2::gemm_sup_kernels();
      k.vmath = avx2::vmath_kernels();
      k.conv = avx2::conv_ukernel();
      k.maxpool2x2 = avx2::maxpool2x2_kernels();
      k.pool_window = avx2::pool_window_kernels();
      k.winograd = avx2::winograd_kernels();
      k.depthwise = avx2::depthwise_kernels();
      k.col2im = avx2::col2im_kernels();
      k.pack_transpose = avx2::pack_transpose;
      k.pack_rows8 = avx2::pack_rows8;
      break;
    case Isa::kAvx512:
      k.gemm = avx512::gemm_ukernel();
      k.gemm_narrow = avx2::gemm_ukernel();
      k.gemm_sup = avx2::gemm_sup_kernels();
      k.vmath = avx512::vmath_kernels();
      // Loops that stream memory with one operation per element ran 4-17 % slower with 64-byte
      // vectors than with AVX2's 32 on the 2-vCPU Xeon (add of 301 K floats 27.3 against 30.1 us,
      // [64, 16, 100] channel affine 6.6 against 8.2 us; docs/benchmarks.md): they take AVX2's.
      k.vmath.binary = avx2::vmath_kernels().binary;
      k.vmath.bn_affine = avx2::vmath_kernels().bn_affine;
      k.conv = avx512::conv_ukernel();
      k.maxpool2x2 = avx512::maxpool2x2_kernels();
      k.pool_window = avx512::pool_window_kernels();
      k.winograd = avx512::winograd_kernels();
      k.depthwise = avx512::depthwise_kernels();
      k.col2im = avx512::col2im_kernels();
      k.pack_transpose = avx2::pack_transpose;
      k.pack_rows8 = avx2::pack_rows8;
      break;
#endif
#if GN_ARM64
    case Isa::kNeon:
      k.gemm = neon::gemm_ukernel();
      k.vmath = neon::vmath_kernels();
      k.depthwise = generic::depthwise_kernels();  // the aarch64 baseline is NEON
      break;
#endif
    default:
      k.isa = Isa::kGeneric;
      k.name = isa_name(Isa::kGeneric);
      k.gemm = generic::gemm_ukernel();
      k.vmath = generic::vmath_kernels();
      k.conv = generic::conv_ukernel();
      k.depthwise = generic::depthwise_kernels();
      break;
  }
  if (k.gemm_narrow.run == nullptr) k.gemm_narrow = k.gemm;
  return k;
}

struct Tables {
  IsaKernels by_isa[kIsaCount];
  bool runnable[kIsaCount];
  Tables() {
    for (int i = 0; i < kIsaCount; ++i) {
      Isa isa = static_cast<Isa>(i);
      runnable[i] = isa_compiled(isa) && cpu_can_run(isa);
      if (runnable[i]) by_isa[i] = make_kernels(isa);
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

// Preference order, best first.
const Isa kPreference[] = {Isa::kAvx512, Isa::kAvx2, Isa::kNeon, Isa::kGeneric};

int rank_of(Isa isa) {
  for (int i = 0; i < kIsaCount; ++i)
    if (kPreference[i] == isa) return i;
  return kIsaCount;
}

std::atomic<const IsaKernels*>& active_slot() {
  static std::atomic<const IsaKernels*> slot{&tables().by_isa[static_cast<int>(initial_isa_choice().isa)]};
  return slot;
}

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kGeneric: return "generic";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512: return "avx512";
    case Isa::kNeon: return "neon";
  }
  return "unknown";
}

bool isa_from_name(const char* name, Isa* out) {
  for (int i = 0; i < kIsaCount; ++i) {
    Isa isa = static_cast<Isa>(i);
    if (std::strcmp(name, isa_name(isa)) == 0) {
      *out = isa;
      return true;
    }
  }
  return false;
}

bool isa_compiled(Isa isa) {
  switch (isa) {
    case Isa::kGeneric: return true;
#if GN_X64
    case Isa::kAvx2: return true;
    case Isa::kAvx512: return true;
#endif
#if GN_ARM64
    case Isa::kNeon: return true;
#endif
    default: return false;
  }
}

bool isa_runnable(Isa isa) { return tables().runnable[static_cast<int>(isa)]; }

Isa best_isa() {
  for (Isa isa : kPreference)
    if (isa_runnable(isa)) return isa;
  return Isa::kGeneric;
}

IsaChoice initial_isa_choice() {
  const Isa best = best_isa();
  const char* env = std::getenv("GRADNODE_ISA");
  if (env == nullptr || env[0] == '\0') return {true, best, nullptr};
  Isa cap;
  if (!isa_from_name(env, &cap)) {
    return {false, best, "GRADNODE_ISA must be one of generic, avx2, avx512, neon"};
  }
  // The cap: the best runnable ISA that is not better than the one asked for.
  for (Isa isa : kPreference) {
    if (rank_of(isa) >= rank_of(cap) && isa_runnable(isa)) return {true, isa, nullptr};
  }
  return {true, Isa::kGeneric, nullptr};
}

const IsaKernels& kernels() { return *active_slot().load(std::memory_order_acquire); }

const IsaKernels* kernels_for(Isa isa) {
  return isa_runnable(isa) ? &tables().by_isa[static_cast<int>(isa)] : nullptr;
}

bool select_isa(Isa isa) {
  const IsaKernels* k = kernels_for(isa);
  if (k == nullptr) return false;
  active_slot().store(k, std::memory_order_release);
  return true;
}

}  // namespace gn
