// gradnode_gemm_paths: GEMM's packed path against its unpacked-A ("sup") path on given shapes, in
// one process, the two calls interleaved so that a busy host slows both alike. The measurements
// behind the sup thresholds in native/kernels/gemm/gemm.cc. Built only with -DGRADNODE_BENCH=ON.
//
//   OMP_NUM_THREADS=1 build-bench/gradnode_gemm_paths 64x120x400NT 50176x6x25 ...
//
// A shape is MxNxK, optionally followed by two letters for op(A) and op(B): N (as stored) or T
// (transposed); default NN. Prints the best time of each path over 20 rounds and their ratio.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "kernels/gemm/gemm.h"
#include "kernels/gemm/gemm_internal.h"

namespace {

using Clock = std::chrono::steady_clock;
using gn::gemm_detail::GemmPath;

struct Shape {
  long m, n, k;
  bool ta, tb;
};

bool parse(const char* s, Shape* out) {
  char t[3] = {'N', 'N', 0};
  const int got = std::sscanf(s, "%ldx%ldx%ld%2[NT]", &out->m, &out->n, &out->k, t);
  if (got < 3 || out->m <= 0 || out->n <= 0 || out->k <= 0) return false;
  out->ta = t[0] == 'T';
  out->tb = t[1] == 'T';
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: gradnode_gemm_paths MxNxK[NT] ...\n");
    return 2;
  }
  for (int i = 1; i < argc; ++i) {
    Shape s;
    if (!parse(argv[i], &s)) {
      std::fprintf(stderr, "gradnode_gemm_paths: '%s' is not MxNxK with optional NN/NT/TN/TT\n", argv[i]);
      return 2;
    }
    std::vector<float> a(static_cast<size_t>(s.m * s.k)), b(static_cast<size_t>(s.k * s.n)),
        c(static_cast<size_t>(s.m * s.n));
    for (auto& x : a) x = static_cast<float>(std::rand()) / RAND_MAX - 0.5f;
    for (auto& x : b) x = static_cast<float>(std::rand()) / RAND_MAX - 0.5f;
    const long lda = s.ta ? s.m : s.k, ldb = s.tb ? s.k : s.n;
    // Enough calls per sample for ~2 ms of work at 50 GFLOP/s.
    const int reps = std::max(1, static_cast<int>(5e7 / (2.0 * s.m * s.n * s.k)));
    double best[2] = {1e30, 1e30};
    const GemmPath paths[2] = {GemmPath::kPacked, GemmPath::kSup};
    for (int round = 0; round < 20; ++round) {
      for (int p = 0; p < 2; ++p) {
        gn::gemm_detail::set_forced_path(paths[p]);
        const auto t0 = Clock::now();
        for (int r = 0; r < reps; ++r)
          gn::sgemm(s.ta, s.tb, s.m, s.n, s.k, 1.f, a.data(), lda, b.data(), ldb, 0.f, c.data(), s.n);
        best[p] = std::min(best[p], std::chrono::duration<double>(Clock::now() - t0).count() / reps);
      }
    }
    gn::gemm_detail::set_forced_path(GemmPath::kAuto);
    const GemmPath chosen = gn::gemm_detail::choose_path(s.ta, s.tb, s.m, s.n, s.k);
    std::printf("%ldx%ldx%ld%c%c  packed %9.2f us  sup %9.2f us  packed/sup %.2fx  (auto: %s)\n", s.m,
                s.n, s.k, s.ta ? 'T' : 'N', s.tb ? 'T' : 'N', best[0] * 1e6, best[1] * 1e6,
                best[0] / best[1],
                chosen == GemmPath::kSup ? "sup" : chosen == GemmPath::kPacked ? "packed" : "small");
  }
  return 0;
}
