// gradnode_bench: the native half of the benchmark harness (bench/run.ts drives it). Never part of
// the shipped addon; built only with -DGRADNODE_BENCH=ON (see CMakeLists.txt).
//
//   gradnode_bench info
//       CPU model, cache sizes, the ISAs this binary can calibrate and which of them the CPU runs.
//   gradnode_bench calibrate [--isa avx2|avx512|sse2] [--threads 1,2] [--fma-seconds 0.2]
//       The measured peak (KERNELS.md §1.4, §9): an FMA loop with independent accumulators
//       (12 ymm for AVX2, 24 zmm for AVX-512; SSE2 has no FMA, so mul + add with 12 xmm), and
//       memory bandwidth with 1R (sum), 1R+1W (ReLU) and 2R+1W (triad) loops at an L2-, an L3- and
//       a DRAM-sized working set, for each thread count.
//   gradnode_bench gemm-openblas [--threads N] [--reps 5] [--min-time 0.3] name,m,n,k,transA,transB ...
//       cblas_sgemm (row-major, alpha 1, beta 0) on the given shapes: best and median seconds.
//   gradnode_bench forkjoin [--threads 2] [--calls 100000]
//       The cost of one OpenMP parallel region with an empty body (what every threaded kernel call
//       pays on top of its work): best and median microseconds per region over 7 batches. Run it
//       with the addon's settings, OMP_WAIT_POLICY=PASSIVE GOMP_SPINCOUNT=100000
//       (src/backend/native.ts), to see what the kernels see.
//
// Output: one JSON object on stdout. Byte counts are useful bytes (what the loop reads and writes);
// write-allocate traffic is invisible, as it is for the kernels they are compared with.
#include <immintrin.h>
#include <omp.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#ifdef GRADNODE_BENCH_OPENBLAS
#include <cblas.h>
extern "C" void openblas_set_num_threads(int);
extern "C" char* openblas_get_config(void);
#endif

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

volatile float g_sink = 0;

/** Seconds the whole machine spent busy (/proc/stat, 10 ms ticks), or -1. */
double machine_busy_seconds() {
  std::ifstream f("/proc/stat");
  std::string cpu;
  long long v[8] = {0};
  if (!(f >> cpu)) return -1;
  for (auto& x : v) f >> x;
  if (!f) return -1;
  return static_cast<double>(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / 100.0;
}

/** CPU seconds of this process, all threads. */
double process_cpu_seconds() {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

// ---------------------------------------------------------------------------------------------
// FMA peak: each accumulator is a dependency chain acc = acc * a + b; with more chains than
// latency x pipes (Zen3: 4 x 2 = 8), the loop runs at the FMA throughput.

__attribute__((target("avx2,fma"))) double fma_loop_avx2(long iters) {
  const __m256 a = _mm256_set1_ps(0.9999999f), b = _mm256_set1_ps(1e-7f);
  __m256 c0 = _mm256_set1_ps(0.1f), c1 = _mm256_set1_ps(0.2f), c2 = _mm256_set1_ps(0.3f), c3 = _mm256_set1_ps(0.4f);
  __m256 c4 = _mm256_set1_ps(0.5f), c5 = _mm256_set1_ps(0.6f), c6 = _mm256_set1_ps(0.7f), c7 = _mm256_set1_ps(0.8f);
  __m256 c8 = _mm256_set1_ps(0.9f), c9 = _mm256_set1_ps(1.0f), c10 = _mm256_set1_ps(1.1f), c11 = _mm256_set1_ps(1.2f);
  for (long i = 0; i < iters; i++) {
    c0 = _mm256_fmadd_ps(c0, a, b); c1 = _mm256_fmadd_ps(c1, a, b); c2 = _mm256_fmadd_ps(c2, a, b);
    c3 = _mm256_fmadd_ps(c3, a, b); c4 = _mm256_fmadd_ps(c4, a, b); c5 = _mm256_fmadd_ps(c5, a, b);
    c6 = _mm256_fmadd_ps(c6, a, b); c7 = _mm256_fmadd_ps(c7, a, b); c8 = _mm256_fmadd_ps(c8, a, b);
    c9 = _mm256_fmadd_ps(c9, a, b); c10 = _mm256_fmadd_ps(c10, a, b); c11 = _mm256_fmadd_ps(c11, a, b);
  }
  __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)),
                           _mm256_add_ps(_mm256_add_ps(c4, c5), _mm256_add_ps(c6, c7)));
  s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(c8, c9), _mm256_add_ps(c10, c11)));
  float out[8];
  _mm256_storeu_ps(out, s);
  g_sink = g_sink + out[0];
  return 12.0 * 8 * 2 * static_cast<double>(iters);  // flops
}

__attribute__((target("avx512f"))) double fma_loop_avx512(long iters) {
  const __m512 a = _mm512_set1_ps(0.9999999f), b = _mm512_set1_ps(1e-7f);
  __m512 c[24];
  for (int j = 0; j < 24; j++) c[j] = _mm512_set1_ps(0.05f * (j + 1));
  for (long i = 0; i < iters; i++) {
#pragma GCC unroll 24
    for (int j = 0; j < 24; j++) c[j] = _mm512_fmadd_ps(c[j], a, b);
  }
  __m512 s = c[0];
  for (int j = 1; j < 24; j++) s = _mm512_add_ps(s, c[j]);
  float out[16];
  _mm512_storeu_ps(out, s);
  g_sink = g_sink + out[0];
  return 24.0 * 16 * 2 * static_cast<double>(iters);
}

double fma_loop_sse2(long iters) {
  const __m128 a = _mm_set1_ps(0.9999999f), b = _mm_set1_ps(1e-7f);
  __m128 c[12];
  for (int j = 0; j < 12; j++) c[j] = _mm_set1_ps(0.1f * (j + 1));
  for (long i = 0; i < iters; i++) {
#pragma GCC unroll 12
    for (int j = 0; j < 12; j++) c[j] = _mm_add_ps(_mm_mul_ps(c[j], a), b);
  }
  __m128 s = c[0];
  for (int j = 1; j < 12; j++) s = _mm_add_ps(s, c[j]);
  float out[4];
  _mm_storeu_ps(out, s);
  g_sink = g_sink + out[0];
  return 12.0 * 4 * 2 * static_cast<double>(iters);
}

using FmaLoop = double (*)(long);

FmaLoop fma_loop_for(const std::string& isa) {
  if (isa == "avx512") return fma_loop_avx512;
  if (isa == "avx2") return fma_loop_avx2;
  return fma_loop_sse2;
}

bool cpu_runs(const std::string& isa) {
  __builtin_cpu_init();
  if (isa == "avx512") return __builtin_cpu_supports("avx512f");
  if (isa == "avx2") return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return isa == "sse2";
}

/** Total GFLOP/s of `threads` threads each running the loop for about `seconds`; best of `trials`. */
double fma_peak(const std::string& isa, int threads, double seconds, int trials, long* iters_out) {
  FmaLoop loop = fma_loop_for(isa);
  // Size the loop on one thread: ~10 ms probe.
  long iters = 100000;
  for (;;) {
    auto t0 = Clock::now();
    loop(iters);
    double t = seconds_since(t0);
    if (t > 0.01) {
      iters = static_cast<long>(iters * seconds / t);
      break;
    }
    iters *= 4;
  }
  double best = 0;
  for (int r = 0; r < trials; r++) {
    double flops = 0;
    auto t0 = Clock::now();
#pragma omp parallel num_threads(threads) reduction(+ : flops)
    { flops += loop(iters); }
    double t = seconds_since(t0);
    best = std::max(best, flops / t / 1e9);
  }
  *iters_out = iters;
  return best;
}

// ---------------------------------------------------------------------------------------------
// Bandwidth loops, each over a thread's contiguous chunk [lo, hi) (static partition, first-touched
// by the same thread).

__attribute__((target("avx2"))) float sum_avx2(const float* x, long lo, long hi) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  long i = lo;
  for (; i + 32 <= hi; i += 32) {
    s0 = _mm256_add_ps(s0, _mm256_loadu_ps(x + i));
    s1 = _mm256_add_ps(s1, _mm256_loadu_ps(x + i + 8));
    s2 = _mm256_add_ps(s2, _mm256_loadu_ps(x + i + 16));
    s3 = _mm256_add_ps(s3, _mm256_loadu_ps(x + i + 24));
  }
  float out[8];
  _mm256_storeu_ps(out, _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
  float s = out[0] + out[1] + out[2] + out[3] + out[4] + out[5] + out[6] + out[7];
  for (; i < hi; i++) s += x[i];
  return s;
}

__attribute__((target("avx2"))) void relu_avx2(const float* x, float* y, long lo, long hi) {
  const __m256 z = _mm256_setzero_ps();
  long i = lo;
  for (; i + 16 <= hi; i += 16) {
    _mm256_storeu_ps(y + i, _mm256_max_ps(_mm256_loadu_ps(x + i), z));
    _mm256_storeu_ps(y + i + 8, _mm256_max_ps(_mm256_loadu_ps(x + i + 8), z));
  }
  for (; i < hi; i++) y[i] = x[i] > 0 ? x[i] : 0;
}

__attribute__((target("avx2,fma"))) void triad_avx2(const float* x, const float* y, float* z, float s, long lo, long hi) {
  const __m256 vs = _mm256_set1_ps(s);
  long i = lo;
  for (; i + 16 <= hi; i += 16) {
    _mm256_storeu_ps(z + i, _mm256_fmadd_ps(_mm256_loadu_ps(y + i), vs, _mm256_loadu_ps(x + i)));
    _mm256_storeu_ps(z + i + 8, _mm256_fmadd_ps(_mm256_loadu_ps(y + i + 8), vs, _mm256_loadu_ps(x + i + 8)));
  }
  for (; i < hi; i++) z[i] = x[i] + s * y[i];
}

float sum_generic(const float* x, long lo, long hi) {
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  long i = lo;
  for (; i + 4 <= hi; i += 4) {
    s0 += x[i];
    s1 += x[i + 1];
    s2 += x[i + 2];
    s3 += x[i + 3];
  }
  for (; i < hi; i++) s0 += x[i];
  return s0 + s1 + s2 + s3;
}

void relu_generic(const float* x, float* y, long lo, long hi) {
  for (long i = lo; i < hi; i++) y[i] = x[i] > 0 ? x[i] : 0;
}

void triad_generic(const float* x, const float* y, float* z, float s, long lo, long hi) {
  for (long i = lo; i < hi; i++) z[i] = x[i] + s * y[i];
}

struct BwResult {
  std::string loop;   // "1R", "1R+1W", "2R+1W"
  std::string level;  // "L2", "L3", "DRAM"
  int threads;
  long bytes_ws;      // working set (all arrays)
  double gbs;         // best useful bytes / s
  double median_gbs;
};

float* alloc_floats(long n) {
  void* p = nullptr;
  if (posix_memalign(&p, 64, static_cast<size_t>(n) * sizeof(float)) != 0) {
    std::fprintf(stderr, "gradnode_bench: out of memory (%ld floats)\n", n);
    std::exit(1);
  }
  return static_cast<float*>(p);
}

/** One measurement: arrays of `n` floats each (1, 2 or 3 of them), `threads` threads. */
BwResult bandwidth(const std::string& loop, const std::string& level, long ws_bytes, int threads, bool avx2) {
  const int arrays = loop == "1R" ? 1 : loop == "1R+1W" ? 2 : 3;
  const long n = ws_bytes / (4L * arrays) / 64 * 64;
  float* x = alloc_floats(n);
  float* y = arrays >= 2 ? alloc_floats(n) : nullptr;
  float* z = arrays >= 3 ? alloc_floats(n) : nullptr;
  const double bytes_per_pass = 4.0 * arrays * n;
  // First touch by the thread that will use each chunk.
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    const long lo = n * t / nt, hi = n * (t + 1) / nt;
    for (long i = lo; i < hi; i++) {
      x[i] = static_cast<float>((i * 37) % 101) - 50.0f;
      if (y) y[i] = 0.5f;
      if (z) z[i] = 0.0f;
    }
  }
  const int kind = arrays;  // 1: sum, 2: ReLU, 3: triad
  auto run = [&](long reps) {
    float acc = 0;
#pragma omp parallel num_threads(threads) reduction(+ : acc)
    {
      const int t = omp_get_thread_num(), nt = omp_get_num_threads();
      const long lo = n * t / nt, hi = n * (t + 1) / nt;
      for (long r = 0; r < reps; r++) {
        if (kind == 1) {
          acc += avx2 ? sum_avx2(x, lo, hi) : sum_generic(x, lo, hi);
        } else if (kind == 2) {
          if (avx2) relu_avx2(x, y, lo, hi); else relu_generic(x, y, lo, hi);
        } else {
          if (avx2) triad_avx2(x, y, z, 1.0001f, lo, hi); else triad_generic(x, y, z, 1.0001f, lo, hi);
        }
        asm volatile("" ::: "memory");
      }
    }
    g_sink = g_sink + acc;
  };
  // Blocks of at least 25 ms: double the passes until one block takes that long. (Not extrapolated
  // from a shorter probe: on a busy machine the wake-up of a second thread alone can take ms.)
  long reps = 1;
  for (;;) {
    auto t0 = Clock::now();
    run(reps);
    if (seconds_since(t0) >= 0.025) break;
    reps *= 2;
  }
  std::vector<double> rates;
  for (int trial = 0; trial < 7; trial++) {
    auto t0 = Clock::now();
    run(reps);
    double t = seconds_since(t0);
    rates.push_back(bytes_per_pass * reps / t / 1e9);
  }
  std::sort(rates.begin(), rates.end());
  free(x);
  free(y);
  free(z);
  return {loop, level, threads, static_cast<long>(bytes_per_pass), rates.back(), rates[rates.size() / 2]};
}

// ---------------------------------------------------------------------------------------------

long cache_bytes(int level) {
  for (int idx = 0; idx < 8; idx++) {
    std::string base = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(idx) + "/";
    std::ifstream lf(base + "level"), tf(base + "type"), sf(base + "size");
    if (!lf || !tf || !sf) continue;
    int l = 0;
    std::string type, size;
    lf >> l;
    tf >> type;
    sf >> size;
    if (l != level || type == "Instruction") continue;
    long v = std::atol(size.c_str());
    if (!size.empty() && (size.back() == 'K')) v *= 1024;
    if (!size.empty() && (size.back() == 'M')) v *= 1024 * 1024;
    return v;
  }
  return 0;
}

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto p = line.find(':');
      if (p != std::string::npos) return line.substr(p + 2);
    }
  }
  return "unknown";
}

std::string json_str(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  return out + "\"";
}

std::vector<int> parse_ints(const std::string& s) {
  std::vector<int> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(std::atoi(item.c_str()));
  return out;
}

std::string best_isa() {
  if (cpu_runs("avx512")) return "avx512";
  if (cpu_runs("avx2")) return "avx2";
  return "sse2";
}

int cmd_info() {
  std::printf("{\"cpu\":%s,\"l1d\":%ld,\"l2\":%ld,\"l3\":%ld,\"isas\":[\"sse2\",\"avx2\",\"avx512\"],\"runnable\":[",
              json_str(cpu_model()).c_str(), cache_bytes(1), cache_bytes(2), cache_bytes(3));
  bool first = true;
  for (const char* isa : {"sse2", "avx2", "avx512"}) {
    if (!cpu_runs(isa)) continue;
    std::printf("%s\"%s\"", first ? "" : ",", isa);
    first = false;
  }
  std::printf("],\"best\":\"%s\",\"openblas\":%s}\n", best_isa().c_str(),
#ifdef GRADNODE_BENCH_OPENBLAS
              "true"
#else
              "false"
#endif
  );
  return 0;
}

int cmd_calibrate(int argc, char** argv) {
  std::string isa = best_isa();
  std::vector<int> threads = {1, 2};
  double fma_seconds = 0.2;
  bool skip_bw = false;
  for (int i = 0; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--isa" && i + 1 < argc) isa = argv[++i];
    else if (a == "--threads" && i + 1 < argc) threads = parse_ints(argv[++i]);
    else if (a == "--fma-seconds" && i + 1 < argc) fma_seconds = std::atof(argv[++i]);
    else if (a == "--no-bandwidth") skip_bw = true;
  }
  // The addon calls its baseline "generic"; here that is SSE2 (x86-64's baseline).
  if (isa == "generic") isa = "sse2";
  if (!cpu_runs(isa)) {
    std::fprintf(stderr, "gradnode_bench: this CPU cannot run %s\n", isa.c_str());
    return 2;
  }
  const bool avx2 = cpu_runs("avx2");
  const long l2 = cache_bytes(2) > 0 ? cache_bytes(2) : 512 * 1024;
  const long l3 = cache_bytes(3) > 0 ? cache_bytes(3) : 32L * 1024 * 1024;

  std::printf("{\"isa\":\"%s\",\"cpu\":%s,\"l2\":%ld,\"l3\":%ld,\"fma\":[", isa.c_str(), json_str(cpu_model()).c_str(), l2, l3);
  for (size_t k = 0; k < threads.size(); k++) {
    long iters = 0;
    double g = fma_peak(isa, threads[k], fma_seconds, 3, &iters);
    std::printf("%s{\"threads\":%d,\"gflops\":%.2f,\"iters\":%ld}", k ? "," : "", threads[k], g, iters);
    std::fflush(stdout);
  }
  std::printf("],\"bandwidth\":[");
  if (!skip_bw) {
    bool first = true;
    for (int t : threads) {
      // Working sets: half of each thread's L2; an eighth of the L3; four L3s (at least 128 MB).
      const struct { const char* level; long bytes; } levels[] = {
          {"L2", l2 / 2 * t}, {"L3", l3 / 8}, {"DRAM", std::max(128L << 20, 4 * l3)}};
      for (const auto& lv : levels) {
        for (const char* loop : {"1R", "1R+1W", "2R+1W"}) {
          BwResult r = bandwidth(loop, lv.level, lv.bytes, t, avx2);
          std::printf("%s{\"loop\":\"%s\",\"level\":\"%s\",\"threads\":%d,\"bytes\":%ld,\"gbs\":%.2f,\"medianGbs\":%.2f}",
                      first ? "" : ",", r.loop.c_str(), r.level.c_str(), r.threads, r.bytes_ws, r.gbs, r.median_gbs);
          first = false;
          std::fflush(stdout);
        }
      }
    }
  }
  std::printf("],\"vectorLoops\":\"%s\"}\n", avx2 ? "avx2" : "generic");
  return 0;
}

#ifdef GRADNODE_BENCH_OPENBLAS
int cmd_gemm_openblas(int argc, char** argv) {
  int threads = 1, reps = 5;
  double min_time = 0.3;
  std::vector<std::string> shapes;
  for (int i = 0; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (a == "--reps" && i + 1 < argc) reps = std::atoi(argv[++i]);
    else if (a == "--min-time" && i + 1 < argc) min_time = std::atof(argv[++i]);
    else shapes.push_back(a);
  }
  openblas_set_num_threads(threads);
  std::printf("{\"library\":\"OpenBLAS\",\"config\":%s,\"threads\":%d,\"results\":[", json_str(openblas_get_config()).c_str(), threads);
  for (size_t s = 0; s < shapes.size(); s++) {
    std::vector<std::string> f;
    std::stringstream ss(shapes[s]);
    std::string item;
    while (std::getline(ss, item, ',')) f.push_back(item);
    if (f.size() != 6) {
      std::fprintf(stderr, "gradnode_bench: bad shape %s (want name,m,n,k,transA,transB)\n", shapes[s].c_str());
      return 2;
    }
    const int m = std::atoi(f[1].c_str()), n = std::atoi(f[2].c_str()), k = std::atoi(f[3].c_str());
    const bool ta = f[4] == "1", tb = f[5] == "1";
    std::vector<float> A(static_cast<size_t>(m) * k), B(static_cast<size_t>(k) * n), C(static_cast<size_t>(m) * n);
    for (size_t i = 0; i < A.size(); i++) A[i] = static_cast<float>((i * 7) % 13) / 13.0f - 0.5f;
    for (size_t i = 0; i < B.size(); i++) B[i] = static_cast<float>((i * 5) % 11) / 11.0f - 0.5f;
    auto call = [&]() {
      cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0f,
                  A.data(), ta ? m : k, B.data(), tb ? k : n, 0.0f, C.data(), n);
    };
    // Warm-up; then samples of `inner` calls each (>= ~2 ms per sample, sized from a second call),
    // at least `reps` samples and at least `min_time` seconds (at most 200 samples). Retaken (after
    // pauses of 2, 5 and 10 s) while other processes keep >= 0.5 cores busy; the least contended
    // attempt is kept.
    struct Attempt {
      std::vector<double> times;
      int inner;
      double others;
    };
    auto attempt = [&]() {
      call();  // warm-up (thread start-up, first touch of C)
      auto t0 = Clock::now();
      call();
      double first = seconds_since(t0);
      Attempt a{{}, std::max(1, static_cast<int>(0.002 / std::max(first, 1e-9))), -1};
      double total = 0;
      const double busy0 = machine_busy_seconds(), own0 = process_cpu_seconds();
      const auto w0 = Clock::now();
      while ((static_cast<int>(a.times.size()) < reps || total < min_time) && a.times.size() < 200) {
        auto t1 = Clock::now();
        for (int i = 0; i < a.inner; i++) call();
        double t = seconds_since(t1);
        total += t;
        a.times.push_back(t / a.inner);
      }
      const double wall = seconds_since(w0), busy1 = machine_busy_seconds();
      if (busy0 >= 0 && busy1 >= 0 && wall >= 0.05) a.others = std::max(0.0, (busy1 - busy0 - (process_cpu_seconds() - own0)) / wall);
      std::sort(a.times.begin(), a.times.end());
      return a;
    };
    Attempt best = attempt();
    const int pauses[] = {2, 5, 10};
    for (int r = 0; r < 3 && best.others >= 0.5; r++) {
      std::this_thread::sleep_for(std::chrono::seconds(pauses[r]));
      Attempt a = attempt();
      if (a.others < best.others) best = a;
    }
    std::printf("%s{\"name\":%s,\"m\":%d,\"n\":%d,\"k\":%d,\"transA\":%s,\"transB\":%s,\"best\":%.9g,\"median\":%.9g,\"reps\":%zu,\"inner\":%d",
                s ? "," : "", json_str(f[0]).c_str(), m, n, k, ta ? "true" : "false", tb ? "true" : "false", best.times.front(),
                best.times[best.times.size() / 2], best.times.size(), best.inner);
    if (best.others >= 0) std::printf(",\"othersBusy\":%.3f", best.others);
    std::printf("}");
    std::fflush(stdout);
  }
  std::printf("]}\n");
  return 0;
}
#endif

int cmd_forkjoin(int argc, char** argv) {
  int threads = 2;
  long calls = 100000;
  for (int i = 0; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (a == "--calls" && i + 1 < argc) calls = std::atol(argv[++i]);
  }
  if (threads < 1 || calls < 1) {
    std::fprintf(stderr, "gradnode_bench forkjoin: --threads and --calls must be positive\n");
    return 2;
  }
  std::vector<double> us;
  volatile int sink = 0;
  for (int batch = 0; batch < 7; batch++) {
    const auto t0 = Clock::now();
    for (long c = 0; c < calls; c++) {
#pragma omp parallel num_threads(threads)
      { sink = omp_get_thread_num(); }
    }
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / static_cast<double>(calls));
  }
  if (sink < 0) return 1;  // (read, so that the stores stay and GCC does not warn)
  std::sort(us.begin(), us.end());
  std::printf("{\"threads\":%d,\"calls\":%ld,\"bestUs\":%.3f,\"medianUs\":%.3f}\n", threads, calls, us[0], us[us.size() / 2]);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "info") return cmd_info();
  if (cmd == "calibrate") return cmd_calibrate(argc - 2, argv + 2);
  if (cmd == "forkjoin") return cmd_forkjoin(argc - 2, argv + 2);
  if (cmd == "gemm-openblas") {
#ifdef GRADNODE_BENCH_OPENBLAS
    return cmd_gemm_openblas(argc - 2, argv + 2);
#else
    std::fprintf(stderr, "gradnode_bench: built without OpenBLAS (install libopenblas-dev and reconfigure)\n");
    return 3;
#endif
  }
  std::fprintf(stderr, "usage: gradnode_bench info | calibrate [--isa ISA] [--threads 1,2] | forkjoin [--threads N] [--calls N] | "
               "gemm-openblas [--threads N] name,m,n,k,ta,tb ...\n");
  return 2;
}
