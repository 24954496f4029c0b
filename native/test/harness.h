// A minimal test harness for the kernel tests (no dependency beyond the standard library).
//
//   GN_TEST(gemm_square) { ... GN_CHECK(cond) << "context"; ... }
//
// test_main.cc runs every registered test once per ISA this CPU can execute (gn::select_isa), so a
// test body is written once and exercises every micro-kernel. `gradnode_kernel_tests [filter]` runs
// the tests whose name contains `filter`; GRADNODE_ISA=<isa> restricts the run to one ISA.
#ifndef GRADNODE_TEST_HARNESS_H_
#define GRADNODE_TEST_HARNESS_H_

#include <cmath>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/isa.h"
#include "kernels/threads.h"

namespace gn_test {

struct TestCase {
  const char* name;
  void (*fn)();
};
std::vector<TestCase>& registry();
struct Registrar {
  Registrar(const char* name, void (*fn)()) { registry().push_back({name, fn}); }
};

struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Collects a failure message; throws when it goes out of scope (after the << chain).
class Check {
 public:
  Check(bool ok, const char* expr, const char* file, int line) : ok_(ok) {
    if (!ok_) msg_ << file << ":" << line << ": check failed: " << expr << " ";
  }
  template <typename T>
  Check& operator<<(const T& v) {
    if (!ok_) msg_ << v;
    return *this;
  }
  ~Check() noexcept(false) {
    if (!ok_) throw Failure(msg_.str());
  }

 private:
  bool ok_;
  std::ostringstream msg_;
};

// Deterministic pseudo-random numbers (SplitMix64), uniform in [lo, hi).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  float uniform(float lo, float hi) {
    return lo + (hi - lo) * static_cast<float>((next() >> 40) * (1.0 / 16777216.0));
  }
  std::int64_t integer(std::int64_t lo, std::int64_t hi) {  // inclusive
    return lo + static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  std::vector<float> vector(std::size_t n, float lo = -1.f, float hi = 1.f) {
    std::vector<float> v(n);
    for (auto& x : v) x = uniform(lo, hi);
    return v;
  }

 private:
  std::uint64_t s_;
};

// fp32 error bound for a dot product of length k computed in any order, with or without FMA
// (Higham §3.1): |got - exact| <= gamma_{k+2} * sum |a_i b_i|, gamma_n = n u / (1 - n u).
inline double gamma_bound(std::int64_t k) {
  const double u = std::ldexp(1.0, -24);
  const double n = static_cast<double>(k + 2);
  return n * u / (1.0 - n * u);
}

// Checks got[i] against a float64 reference with the bound above: |got - ref| <= gamma(k) * absref
// + floor. Reports the first offending index with both values and the case name.
void check_dot_bound(const std::string& what, const float* got, const double* ref, const double* absref,
                     std::size_t n, std::int64_t k, double floor = 1e-30);
// Exact equality (for data movement, max pooling and other ops that do no arithmetic).
void check_equal(const std::string& what, const float* got, const float* want, std::size_t n);
// |got - want| <= atol + rtol * |want|, NaN matching NaN.
void check_close(const std::string& what, const float* got, const double* want, std::size_t n,
                 double rtol, double atol);

// The ISA the current test run uses.
gn::Isa current_isa();

// Restores the kernel thread count when it goes out of scope (also when a check throws).
struct ThreadCountGuard {
  int saved = gn::num_threads();
  ~ThreadCountGuard() { gn::set_num_threads(saved); }
};

// Runs f with n kernel threads, then restores the setting.
template <class F>
void with_threads(int n, F f) {
  ThreadCountGuard guard;
  gn::set_num_threads(n);
  f();
}

// Bitwise equality of two float vectors (determinism checks).
inline bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace gn_test

#define GN_TEST(name)                                                 \
  static void gn_test_##name();                                       \
  static ::gn_test::Registrar gn_test_reg_##name(#name, gn_test_##name); \
  static void gn_test_##name()

#define GN_CHECK(cond) ::gn_test::Check((cond), #cond, __FILE__, __LINE__)

#endif  // GRADNODE_TEST_HARNESS_H_
