// Reductions over the middle axis of [outer, n, inner] (reduce.h). Baseline flags only; the loops
// are written so that the compiler vectorises them (independent lane accumulators along a
// contiguous row; across columns when inner > 1).
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
constexpr int kLanes = 8;         // independent accumulators along a contiguous row
// Strided rows (inner > 1) reduced in registers, 8 columns at a time, before out[] is updated:
// with 16 rows a group's row segments are still read nearly in order. Sum over the first axis of
// [4096, 1000], 2 threads, Xeon: 1.44-1.69 ms with out[] updated every row, 0.75-0.97 ms in
// groups of 16 (0.90-1.06 of 32, 1.06 of 64); max 1.43-1.46 -> 1.08-1.10 ms.
constexpr index_t kRowGroup = 16;
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

#if defined(__GNUC__)
#define GN_LANE_LOOP _Pragma("GCC unroll 1")  // see vmath_impl.inc
#else
#define GN_LANE_LOOP
#endif

index_t min_index(index_t a, index_t b) { return a < b ? a : b; }
bool is_nan(float v) { return v != v; }

// ---- the three kinds of partial result -----------------------------------------------------------
// Each Op has: a partial type P; block(x, rows, inner, w, r0, out) reducing rows [0, rows) of the
// columns [0, w) of a tile (row stride `inner`; w == 1 and inner == 1 for a contiguous row), whose
// first row is row r0 of the axis; combine(acc, next) with `next` from a later block; finish(P).

struct SumOp {
  using P = double;
  static void block(const float* x, index_t rows, index_t inner, index_t w, index_t, P* out) {
    if (inner == 1) {
      double s[kLanes] = {};
      index_t r = 0;
      for (; r + kLanes <= rows; r += kLanes)
        for (int j = 0; j < kLanes; ++j) s[j] += static_cast<double>(x[r + j]);
      for (int j = 0; r < rows; ++r, ++j) s[j] += static_cast<double>(x[r]);
      out[0] = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
      return;
    }
    // Strided rows: 8 columns at a time in register-held partial sums over groups of kRowGroup
    // rows, each group's sums then added to out[] (one read-modify-write of out per group, not per
    // row).
    for (index_t i = 0; i < w; ++i) out[i] = 0.0;
    for (index_t r0 = 0; r0 < rows; r0 += kRowGroup) {
      const index_t r1 = min_index(r0 + kRowGroup, rows);
      index_t i = 0;
      for (; i + 8 <= w; i += 8) {
        double s[8] = {};
        for (index_t r = r0; r < r1; ++r) {
          const float* xr = x + r * inner + i;
          for (int j = 0; j < 8; ++j) s[j] += static_cast<double>(xr[j]);
        }
        for (int j = 0; j < 8; ++j) out[i + j] += s[j];
      }
      for (; i < w; ++i) {
        double s = 0.0;
        for (index_t r = r0; r < r1; ++r) s += static_cast<double>(x[r * inner + i]);
        out[i] += s;
      }
    }
  }
  static void combine(P& acc, const P& next) { acc += next; }
  static float finish(const P& p) { return static_cast<float>(p); }
};

// max (kMax) or min over the block, NaN propagating: once a lane holds NaN it keeps it.
template <bool kMax>
struct ExtremeOp {
  using P = float;
  // `|`, not `||`: a short-circuit makes the second comparison conditional, and GCC then keeps the
  // loop scalar (it does not speculate a comparison under -ftrapping-math, the default).
  static float better(float v, float m) { return ((kMax ? v > m : v < m) | is_nan(v)) ? v : m; }
  static void block(const float* x, index_t rows, index_t inner, index_t w, index_t, P* out) {
    const float init = kMax ? -kInf : kInf;
    if (inner == 1) {
      float m[2 * kLanes];
      for (int j = 0; j < 2 * kLanes; ++j) m[j] = init;
      index_t r = 0;
      for (; r + 2 * kLanes <= rows; r += 2 * kLanes) {
        GN_LANE_LOOP
        for (int j = 0; j < 2 * kLanes; ++j) m[j] = better(x[r + j], m[j]);
      }
      for (int j = 0; r < rows; ++r, ++j) m[j] = better(x[r], m[j]);
      float v = m[0];
      for (int j = 1; j < 2 * kLanes; ++j) v = better(m[j], v);
      out[0] = v;
      return;
    }
    // Strided rows: as SumOp, 8 columns at a time over groups of kRowGroup rows in registers.
    for (index_t i = 0; i < w; ++i) out[i] = init;
    for (index_t r0 = 0; r0 < rows; r0 += kRowGroup) {
      const index_t r1 = min_index(r0 + kRowGroup, rows);
      index_t i = 0;
      for (; i + 8 <= w; i += 8) {
        float m[8];
        for (int j = 0; j < 8; ++j) m[j] = init;
        for (index_t r = r0; r < r1; ++r) {
          const float* xr = x + r * inner + i;
          GN_LANE_LOOP
          for (int j = 0; j < 8; ++j) m[j] = better(xr[j], m[j]);
        }
        for (int j = 0; j < 8; ++j) out[i + j] = better(m[j], out[i + j]);
      }
      for (; i < w; ++i)
        for (index_t r = r0; r < r1; ++r) out[i] = better(x[r * inner + i], out[i]);
    }
  }
  static void combine(P& acc, const P& next) { acc = better(next, acc); }
  static float finish(const P& p) { return p; }
};

// Index of the first max (kMax) or min; the first NaN wins over everything.
template <bool kMax>
struct ArgOp {
  struct P {
    float v;
    index_t i;
  };
  // Does candidate v, later in the scan, replace the current best m? Strictly better only, so that
  // ties keep the first index; a NaN replaces anything but an earlier NaN.
  static bool takes(float v, float m) { return (kMax ? v > m : v < m) | (is_nan(v) & !is_nan(m)); }
  // Lane merge, where either candidate may come first: prefer NaN, then the extreme, then the
  // smaller index.
  static bool lane_better(float v, std::int32_t i, float m, std::int32_t k) {
    if (is_nan(m)) return is_nan(v) && i < k;
    if (is_nan(v)) return true;
    return (kMax ? v > m : v < m) || (v == m && i < k);
  }
  static void block(const float* x, index_t rows, index_t inner, index_t w, index_t r0, P* out) {
    if (inner == 1) {
      float bv[kLanes];
      std::int32_t bi[kLanes];
      index_t r = 0;
      if (rows >= 2 * kLanes) {
        for (int j = 0; j < kLanes; ++j) {
          bv[j] = x[j];
          bi[j] = j;
        }
        for (r = kLanes; r + kLanes <= rows; r += kLanes) {
          GN_LANE_LOOP
          for (int j = 0; j < kLanes; ++j) {
            const float v = x[r + j];
            const bool t = takes(v, bv[j]);
            bv[j] = t ? v : bv[j];
            bi[j] = t ? static_cast<std::int32_t>(r + j) : bi[j];
          }
        }
        for (int j = 1; j < kLanes; ++j) {
          if (lane_better(bv[j], bi[j], bv[0], bi[0])) {
            bv[0] = bv[j];
            bi[0] = bi[j];
          }
        }
      } else {
        bv[0] = x[0];
        bi[0] = 0;
        r = 1;
      }
      for (; r < rows; ++r) {  // the rest, in order, after every lane's elements
        if (takes(x[r], bv[0])) {
          bv[0] = x[r];
          bi[0] = static_cast<std::int32_t>(r);
        }
      }
      out[0] = {bv[0], r0 + bi[0]};
      return;
    }
    float bv[kTile];
    std::int32_t bi[kTile];
    for (index_t i = 0; i < w; ++i) {
      bv[i] = x[i];
      bi[i] = 0;
    }
    for (index_t r = 1; r < rows; ++r) {
      const float* xr = x + r * inner;
      for (index_t i = 0; i < w; ++i) {
        const bool t = takes(xr[i], bv[i]);
        bv[i] = t ? xr[i] : bv[i];
        bi[i] = t ? static_cast<std::int32_t>(r) : bi[i];
      }
    }
    for (index_t i = 0; i < w; ++i) out[i] = {bv[i], r0 + bi[i]};
  }
  static void combine(P& acc, const P& next) {
    if (takes(next.v, acc.v)) acc = next;
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
