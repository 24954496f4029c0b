#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "harness.h"
#include "kernels/threads.h"

namespace gn_test {
namespace {
gn::Isa g_isa = gn::Isa::kGeneric;

bool both_nan(double a, double b) { return std::isnan(a) && std::isnan(b); }
}  // namespace

std::vector<TestCase>& registry() {
  static std::vector<TestCase> r;
  return r;
}

gn::Isa current_isa() { return g_isa; }

void check_dot_bound(const std::string& what, const float* got, const double* ref, const double* absref,
                     std::size_t n, std::int64_t k, double floor) {
  const double g = gamma_bound(k);
  for (std::size_t i = 0; i < n; ++i) {
    const double err = std::fabs(static_cast<double>(got[i]) - ref[i]);
    const double bound = g * absref[i] + floor;
    if (!(err <= bound) && !both_nan(got[i], ref[i])) {
      std::ostringstream m;
      m << what << ": at " << i << ": reference = " << ref[i] << ", got = " << got[i]
        << ", |error| = " << err << " > bound " << bound << " (k = " << k << ", isa "
        << gn::isa_name(g_isa) << ")";
      throw Failure(m.str());
    }
  }
}

void check_equal(const std::string& what, const float* got, const float* want, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const bool same = got[i] == want[i] || both_nan(got[i], want[i]);
    if (!same) {
      std::ostringstream m;
      m << what << ": at " << i << ": want " << want[i] << ", got " << got[i] << " (isa "
        << gn::isa_name(g_isa) << ")";
      throw Failure(m.str());
    }
  }
}

void check_close(const std::string& what, const float* got, const double* want, std::size_t n,
                 double rtol, double atol) {
  for (std::size_t i = 0; i < n; ++i) {
    const double err = std::fabs(static_cast<double>(got[i]) - want[i]);
    const bool inf_match = std::isinf(want[i]) && static_cast<double>(got[i]) == want[i];
    if (!(err <= atol + rtol * std::fabs(want[i])) && !both_nan(got[i], want[i]) && !inf_match) {
      std::ostringstream m;
      m << what << ": at " << i << ": want " << want[i] << ", got " << got[i] << " (rtol " << rtol
        << ", atol " << atol << ", isa " << gn::isa_name(g_isa) << ")";
      throw Failure(m.str());
    }
  }
}

}  // namespace gn_test

int main(int argc, char** argv) {
  using namespace gn_test;
  const char* filter = argc > 1 ? argv[1] : nullptr;
  const char* only = std::getenv("GRADNODE_ISA");
  int failures = 0, runs = 0;
  std::string tested, skipped;
  for (int i = 0; i < gn::kIsaCount; ++i) {
    const gn::Isa isa = static_cast<gn::Isa>(i);
    if (!gn::isa_compiled(isa)) continue;
    if (only && *only && std::strcmp(only, gn::isa_name(isa)) != 0) continue;
    if (!gn::select_isa(isa)) {
      skipped += std::string(" ") + gn::isa_name(isa);
      continue;
    }
    g_isa = isa;
    tested += std::string(" ") + gn::isa_name(isa);
    for (const TestCase& t : registry()) {
      if (filter && !std::strstr(t.name, filter)) continue;
      ++runs;
      try {
        t.fn();
        std::printf("ok    %-7s %s\n", gn::isa_name(isa), t.name);
      } catch (const std::exception& e) {
        ++failures;
        std::printf("FAIL  %-7s %s\n      %s\n", gn::isa_name(isa), t.name, e.what());
      }
    }
  }
  std::printf("\n%d test runs, %d failed; ISAs tested:%s; threads %d", runs, failures,
              tested.empty() ? " none" : tested.c_str(), gn::num_threads());
  if (!skipped.empty()) std::printf("; compiled in but not runnable on this CPU:%s", skipped.c_str());
  std::printf("\n");
  if (runs == 0) {
    std::printf("no test ran\n");
    return 1;
  }
  return failures == 0 ? 0 : 1;
}
