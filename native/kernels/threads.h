// Threading and scratch memory for kernels.
//
// Kernels parallelise with OpenMP over static partitions, so that a result never depends on
// scheduling. The thread count is one process-wide setting (not OpenMP's per-thread ICV, which would
// differ between worker_threads): set_num_threads() from JS, initialised from OMP_NUM_THREADS or the
// number of available cores.
//
// Scratch memory (packing buffers, im2col tiles, per-thread partial sums) comes from buffers owned by
// the calling thread and reused across calls, taken before a parallel region starts, so an
// allocation failure surfaces as std::bad_alloc before any thread starts. An exception escaping an
// OpenMP region would terminate the process: a region whose threads call a kernel that takes its
// own thread's scratch (conv's batch-parallel loops calling gn::sgemm) runs its body through a
// RegionGuard, which carries the first exception out of the region.
#ifndef GRADNODE_KERNELS_THREADS_H_
#define GRADNODE_KERNELS_THREADS_H_

#include <atomic>
#include <exception>

#include "common.h"

namespace gn {

// Threads a kernel may use (>= 1).
int num_threads();
// Set the thread count; values < 1 are clamped to 1. Returns the value now in effect.
int set_num_threads(int n);
// Threads for a loop of `work` units when each thread should get at least `min_per_thread` units:
// 1 inside an enclosing parallel region (no nesting), otherwise min(num_threads(), work/min).
int threads_for(index_t work, index_t min_per_thread);
// Rank of the calling thread in the innermost parallel region (0 outside any region).
int thread_rank();
// Name of the OpenMP runtime in use, or "none" when built without OpenMP.
const char* openmp_runtime();

// Carries an exception out of a parallel region:
//   RegionGuard guard;
//   #pragma omp parallel for
//   for (...) guard.run([&] { body; });
//   guard.rethrow();
// The first exception is kept (later ones dropped) and bodies not yet started are skipped.
class RegionGuard {
 public:
  template <class F>
  void run(F&& body) noexcept {
    if (failed_.load(std::memory_order_relaxed)) return;
    try {
      body();
    } catch (...) {
      bool expected = false;
      if (failed_.compare_exchange_strong(expected, true)) error_ = std::current_exception();
    }
  }
  // After the region (whose end orders the threads' writes before this read).
  void rethrow() const {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  std::atomic<bool> failed_{false};
  std::exception_ptr error_;
};

// Scratch buffers of the calling thread, 64-byte aligned, at least `bytes` long. Slots are
// independent, so a kernel and a kernel it calls (conv -> gemm) can each hold one. Contents are
// unspecified. Valid until the same slot is requested again on the same thread.
enum ScratchSlot { kScratchConv = 0, kScratchGemm = 1, kScratchPool = 2, kScratchSlots = 3 };
float* scratch(ScratchSlot slot, std::size_t bytes);
// Bytes currently held by the calling thread's scratch buffers (for memory tests).
std::size_t scratch_bytes_held();
// Release the calling thread's scratch buffers.
void scratch_release();
// For tests: scratch requests above `bytes` fail with std::bad_alloc, as an allocation would when
// memory runs out (0, the default, lifts the limit). Process-wide.
void set_scratch_limit(std::size_t bytes);

}  // namespace gn

#endif  // GRADNODE_KERNELS_THREADS_H_
