// Reductions over the middle axis of [outer, n, inner] (reduce.h). Baseline flags only: threads and
// blocks here, the loops over each block in the ISA's units (reduce_blocks.inc, VmathKernels).
//
// Determinism: the reduced axis is cut into blocks of kBlock rows. Each block gives a partial result
// (a double sum, a max, or an (extreme, index) pair), and the partials of one output are combined in
// block order. Block boundaries depend only on n, so a result is bitwise the same whether the
// threads split the outputs or the blocks of a long axis, and for any thread count.
#include "reduce.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "../isa.h"
#include "../threads.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace gn {

const char* reduce_op_name(ReduceOp op) {
  static const char* const names[] = {"sum", "max", "min"};
  static_assert(sizeof(names) / sizeof(names[0]) == static_cast<int>(ReduceOp::kCount), "one name per op");
  return names[static_cast<int>(op)];
}

namespace {

constexpr index_t kBlock = 4096;  // rows of the reduced axis per partial result
constexpr index_t kTile = 256;    // columns per task when inner > 1
constexpr index_t kGrain = 32768; // input elements per thread, at least
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

index_t min_index(index_t a, index_t b) { return a < b ? a : b; }
bool is_nan(float v) { return v != v; }

// ---- the three kinds of partial result -----------------------------------------------------------
// Each Op has: a partial type P; block(x, rows, inner, w, r0, out) reducing rows [0, rows) of the
// columns [0, w) of a tile (row stride `inner`; w == 1 and inner == 1 for a contiguous row), whose
// first row is row r0 of the axis, by the ISA's loops (reduce_blocks.inc); combine(acc, next) with
// `next` from a later block; finish(P).

struct SumOp {
  using P = double;
  static void block(const float* x, index_t rows, index_t inner, index_t w, index_t, P* out) {
    kernels().vmath.reduce_sum(x, rows, inner, w, out);
  }
  static void combine(P& acc, const P& next) { acc += next; }
  static float finish(const P& p) { return static_cast<float>(p); }
};

// max (kMax) or min, NaN propagating: once a partial holds NaN it keeps it.
template <bool kMax>
struct ExtremeOp {
  using P = float;
  static void block(const float* x, index_t rows, index_t inner, index_t w, index_t, P* out) {
    (kMax ? kernels().vmath.reduce_max : kernels().vmath.reduce_min)(x, rows, inner, w, out);
  }
  static void combine(P& acc, const P& next) {
    acc = ((kMax ? next > acc : next < acc) | is_nan(next)) ? next : acc;
  }
  static float finish(const P& p) { return p; }
};

// Index of the first max (kMax) or min; the first NaN wins over everything.
template <bool kMax>
struct ArgOp {
  using P = ReduceArgPartial;
  static void block(const float* x, index_t rows, index_t inner, index_t w, index_t r0, P* out) {
    (kMax ? kernels().vmath.reduce_argmax : kernels().vmath.reduce_argmin)(x, rows, inner, w, r0, out);
  }
  // A later block's best replaces the current one when strictly better, or NaN over a number.
  static void combine(P& acc, const P& next) {
    if ((kMax ? next.v > acc.v : next.v < acc.v) | (is_nan(next.v) & !is_nan(acc.v))) acc = next;
  }
  static float finish(const P& p) { return static_cast<float>(p.i); }
};

// ---- the driver ----------------------------------------------------------------------------------

template <class Op>
void run(const float* x, float* y, index_t outer, index_t n, index_t inner) {
  using P = typename Op::P;
  const index_t tiles = (inner + kTile - 1) / kTile;
  const index_t tasks = outer * tiles;  // a task: one outer index and a tile of up to kTile columns
  const index_t blocks = (n + kBlock - 1) / kBlock;
  auto task_cols = [&](index_t t, index_t* o, index_t* i0, index_t* w) {
    *o = t / tiles;
    *i0 = (t - *o * tiles) * kTile;
    *w = min_index(kTile, inner - *i0);
  };
  auto block_of = [&](index_t o, index_t i0, index_t w, index_t b, P* out) {
    const index_t r0 = b * kBlock;
    Op::block(x + (o * n + r0) * inner + i0, min_index(kBlock, n - r0), inner, w, r0, out);
  };
  auto store = [&](index_t o, index_t i0, index_t w, const P* acc) {
    for (index_t i = 0; i < w; ++i) y[o * inner + i0 + i] = Op::finish(acc[i]);
  };
  // Mode 1: threads split the tasks; each task runs its blocks in order.
  auto tasks_range = [&](index_t t0, index_t t1) {
    P acc[kTile], part[kTile];
    for (index_t t = t0; t < t1; ++t) {
      index_t o, i0, w;
      task_cols(t, &o, &i0, &w);
      block_of(o, i0, w, 0, acc);
      for (index_t b = 1; b < blocks; ++b) {
        block_of(o, i0, w, b, part);
        for (index_t i = 0; i < w; ++i) Op::combine(acc[i], part[i]);
      }
      store(o, i0, w, acc);
    }
  };
  const int threads = threads_for(outer * n * inner, kGrain);
  if (threads <= 1 || blocks == 1 || tasks >= 4 * threads) {
#ifdef _OPENMP
    if (threads > 1) {
#pragma omp parallel num_threads(threads)
      {
        const index_t nt = omp_get_num_threads(), t = omp_get_thread_num();
        tasks_range(tasks * t / nt, tasks * (t + 1) / nt);
      }
      return;
    }
#endif
    tasks_range(0, tasks);
    return;
  }
  // Mode 2: few outputs, long axis: threads split the (task, block) pairs, writing partials; the
  // partials of each output are then combined in block order (the same operations as mode 1).
  // Partial for column c of output row o, block b: parts[(o * inner + c) * blocks + b * w + ...]:
  // each task's partials are contiguous, block after block.
  std::vector<P> parts(static_cast<std::size_t>(outer * inner * blocks));  // before any thread starts
  const index_t units = tasks * blocks;
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
#endif
  {
#ifdef _OPENMP
    const index_t nt = omp_get_num_threads(), t = omp_get_thread_num();
#else
    const index_t nt = 1, t = 0;
#endif
    for (index_t u = units * t / nt; u < units * (t + 1) / nt; ++u) {
      const index_t task = u / blocks, b = u - task * blocks;
      index_t o, i0, w;
      task_cols(task, &o, &i0, &w);
      block_of(o, i0, w, b, parts.data() + (o * inner + i0) * blocks + b * w);
    }
  }
  for (index_t task = 0; task < tasks; ++task) {
    index_t o, i0, w;
    task_cols(task, &o, &i0, &w);
    P* p = parts.data() + (o * inner + i0) * blocks;
    for (index_t b = 1; b < blocks; ++b)
      for (index_t i = 0; i < w; ++i) Op::combine(p[i], p[b * w + i]);
    store(o, i0, w, p);
  }
}

void fill(float* y, index_t count, float v) {
  for (index_t i = 0; i < count; ++i) y[i] = v;
}

}  // namespace

void reduce(ReduceOp op, const float* x, float* y, index_t outer, index_t n, index_t inner) {
  if (outer <= 0 || inner <= 0) return;
  if (n <= 0) {  // the empty sum is 0; max and min of nothing do not exist (callers reject n == 0)
    fill(y, outer * inner, op == ReduceOp::kSum ? 0.0f : kNaN);
    return;
  }
  switch (op) {
    case ReduceOp::kSum:
      run<SumOp>(x, y, outer, n, inner);
      break;
    case ReduceOp::kMax:
      run<ExtremeOp<true>>(x, y, outer, n, inner);
      break;
    case ReduceOp::kMin:
      run<ExtremeOp<false>>(x, y, outer, n, inner);
      break;
    case ReduceOp::kCount:
      break;
  }
}

void arg_reduce(ReduceOp op, const float* x, float* y, index_t outer, index_t n, index_t inner) {
  if (outer <= 0 || inner <= 0) return;
  if (n <= 0) {  // no index exists (callers reject n == 0)
    fill(y, outer * inner, kNaN);
    return;
  }
  if (op == ReduceOp::kMin)
    run<ArgOp<false>>(x, y, outer, n, inner);
  else
    run<ArgOp<true>>(x, y, outer, n, inner);
}

}  // namespace gn
