#include "threads.h"

#include <atomic>
#include <cstdlib>
#include <new>
#include <thread>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace gn {
namespace {

int initial_threads() {
#ifdef _OPENMP
  // omp_get_max_threads() honours OMP_NUM_THREADS and otherwise returns the available cores.
  int n = omp_get_max_threads();
#else
  int n = static_cast<int>(std::thread::hardware_concurrency());
#endif
  return n < 1 ? 1 : n;
}

std::atomic<int>& thread_setting() {
  static std::atomic<int> setting{initial_threads()};
  return setting;
}

struct ScratchBuffer {
  void* ptr = nullptr;
  std::size_t bytes = 0;
};

struct ThreadScratch {
  ScratchBuffer slots[kScratchSlots];
  ~ThreadScratch() {
    for (auto& s : slots) std::free(s.ptr);
  }
};

ThreadScratch& thread_scratch() {
  thread_local ThreadScratch scratch;
  return scratch;
}

std::atomic<std::size_t>& scratch_limit() {
  static std::atomic<std::size_t> limit{0};
  return limit;
}

}  // namespace

int num_threads() { return thread_setting().load(std::memory_order_relaxed); }

int set_num_threads(int n) {
  if (n < 1) n = 1;
  thread_setting().store(n, std::memory_order_relaxed);
  return n;
}

int threads_for(index_t work, index_t min_per_thread) {
#ifdef _OPENMP
  if (omp_in_parallel()) return 1;
#endif
  index_t t = min_per_thread > 0 ? work / min_per_thread : work;
  int n = num_threads();
  if (t < n) n = static_cast<int>(t);
  return n < 1 ? 1 : n;
}

int thread_rank() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

const char* openmp_runtime() {
#ifdef _OPENMP
  return "openmp";
#else
  return "none";
#endif
}

float* scratch(ScratchSlot slot, std::size_t bytes) {
  ScratchBuffer& s = thread_scratch().slots[slot];
  if (bytes == 0) bytes = 64;
  const std::size_t limit = scratch_limit().load(std::memory_order_relaxed);
  if (limit != 0 && bytes > limit) throw std::bad_alloc();
  if (s.bytes < bytes) {
    // Grow by at least 1.5x so that slowly growing requests do not reallocate every call.
    std::size_t want = bytes + bytes / 2;
    want = (want + 63) / 64 * 64;
    void* p = std::aligned_alloc(64, want);
    if (p == nullptr) throw std::bad_alloc();
    std::free(s.ptr);
    s.ptr = p;
    s.bytes = want;
  }
  return static_cast<float*>(s.ptr);
}

std::size_t scratch_bytes_held() {
  std::size_t total = 0;
  for (auto& s : thread_scratch().slots) total += s.bytes;
  return total;
}

void scratch_release() {
  for (auto& s : thread_scratch().slots) {
    std::free(s.ptr);
    s.ptr = nullptr;
    s.bytes = 0;
  }
}

void set_scratch_limit(std::size_t bytes) { scratch_limit().store(bytes, std::memory_order_relaxed); }

}  // namespace gn
