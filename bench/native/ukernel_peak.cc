// gradnode_ukernel_peak: one GEMM micro-kernel call repeated on L1/L2-resident packed panels, to
// separate the kernel's own speed from the driver's (packing, blocking, C traffic). The AVX-512
// figures in native/kernels/gemm/ukernel_avx512.cc come from it. Built only with
// -DGRADNODE_BENCH=ON.
//
//   OMP_NUM_THREADS=1 build-bench/gradnode_ukernel_peak [wide|narrow] [kc] [A panels]
//
// wide: the ISA's GEMM kernel (isa.h: gemm); narrow: gemm_narrow. A panels > 1 streams that many
// A micro-panels past one B micro-panel, as the driver's innermost loop does. GRADNODE_ISA caps
// the ISA. Prints the best of 5 rounds in GFLOP/s.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "kernels/isa.h"

int main(int argc, char** argv) {
  const gn::IsaKernels& k = gn::kernels();
  const bool narrow = argc > 1 && std::strcmp(argv[1], "narrow") == 0;
  const gn::GemmUkernel& uk = narrow ? k.gemm_narrow : k.gemm;
  const gn::index_t kc = argc > 2 ? std::atol(argv[2]) : uk.kc;
  const int panels = argc > 3 ? std::atoi(argv[3]) : 1;
  if (kc <= 0 || panels <= 0) {
    std::fprintf(stderr, "usage: gradnode_ukernel_peak [wide|narrow] [kc > 0] [A panels > 0]\n");
    return 2;
  }
  std::vector<float> a(static_cast<std::size_t>(uk.mr * kc * panels) + 16, 1.f);
  std::vector<float> b(static_cast<std::size_t>(uk.nr * kc) + 16, 0.5f);
  std::vector<float> c(static_cast<std::size_t>(uk.mr * uk.nr * panels));
  auto aligned = [](float* p) { return reinterpret_cast<float*>((reinterpret_cast<std::uintptr_t>(p) + 63) & ~std::uintptr_t(63)); };
  float* ap = aligned(a.data());
  float* bp = aligned(b.data());
  const long reps = std::max(1L, 200000L / panels);
  double best = 1e30;
  for (int round = 0; round < 5; ++round) {
    const auto t0 = std::chrono::steady_clock::now();
    for (long r = 0; r < reps; ++r)
      for (int i = 0; i < panels; ++i)
        uk.run(kc, ap + static_cast<gn::index_t>(i) * uk.mr * kc, bp, c.data() + i * uk.mr * uk.nr, uk.nr, 1.f, 0.f);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s < best) best = s;
  }
  std::printf("%s %dx%d kc %ld, %d A panel(s): %.1f GFLOP/s\n", k.name, uk.mr, uk.nr, static_cast<long>(kc), panels,
              2.0 * uk.mr * uk.nr * static_cast<double>(kc) * static_cast<double>(reps) * panels / best / 1e9);
  return 0;
}
