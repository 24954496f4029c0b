// gradnode_gemm_time: gn::sgemm on given shapes, the driver's own path, best of 200 samples of
// ~10 ms of calls each. For A/B timings of a GEMM change: build this in two checkouts and run the
// two binaries alternately, several times, keeping each one's minimum (the development VM moves by
// 5-20 % between processes minutes apart). Built only with -DGRADNODE_BENCH=ON.
//
//   OMP_WAIT_POLICY=active OMP_NUM_THREADS=2 build-bench/gradnode_gemm_time 50176x6x25 64x512x784NN
//
// (Without OMP_WAIT_POLICY=active, libgomp's worker sleeps between calls here and two-thread
// figures read up to 2x slow; node's loader sets its own spin count.) A shape is MxNxK, optionally
// followed by NN / NT / TN / TT for op(A) and op(B). Prints "<shape> <us> us <GFLOP/s> GFLOP/s".
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "kernels/gemm/gemm.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: gradnode_gemm_time MxNxK[NT] ...\n");
    return 2;
  }
  using Clock = std::chrono::steady_clock;
  for (int i = 1; i < argc; ++i) {
    long m = 0, n = 0, k = 0;
    char t[3] = {'N', 'N', 0};
    if (std::sscanf(argv[i], "%ldx%ldx%ld%2[NT]", &m, &n, &k, t) < 3 || m <= 0 || n <= 0 || k <= 0) {
      std::fprintf(stderr, "gradnode_gemm_time: '%s' is not MxNxK with optional NN/NT/TN/TT\n", argv[i]);
      return 2;
    }
    const bool ta = t[0] == 'T', tb = t[1] == 'T';
    std::vector<float> a(static_cast<size_t>(m * k)), b(static_cast<size_t>(k * n)), c(static_cast<size_t>(m * n));
    for (auto& x : a) x = static_cast<float>(std::rand()) / RAND_MAX - 0.5f;
    for (auto& x : b) x = static_cast<float>(std::rand()) / RAND_MAX - 0.5f;
    const long lda = ta ? m : k, ldb = tb ? k : n;
    const int reps = std::max(1, static_cast<int>(2e7 / (2.0 * m * n * k)));
    double best = 1e30;
    for (int r = 0; r < 200; ++r) {
      const auto t0 = Clock::now();
      for (int q = 0; q < reps; ++q)
        gn::sgemm(ta, tb, m, n, k, 1.f, a.data(), lda, b.data(), ldb, 0.f, c.data(), n);
      best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count() / reps);
    }
    std::printf("%s %9.1f us %7.1f GFLOP/s\n", argv[i], best * 1e6, 2.0 * m * n * k / best * 1e-9);
  }
  return 0;
}
