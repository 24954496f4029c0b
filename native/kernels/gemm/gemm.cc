// Single-precision GEMM driver (gemm.h). Baseline unit: no ISA flags, no intrinsics.
//
// Three paths, chosen by shape only (gemm_internal.h):
//
//  * packed (Goto/BLIS, KERNELS.md §2.1): five loops around the selected ISA's micro-kernel
//
//      for jc in 0..n step NC                  JC: a kc x nc panel of B lives in L3
//        for pc in 0..k step KC                PC: pack B(pc, jc) into NR-wide micro-panels
//          for ic in 0..m step MC              IC: pack A(ic, pc) into MR-tall micro-panels (L2)
//            for jr in 0..nc step NR           JR: one kc x NR micro-panel of B stays in L1
//              for ir in 0..mc step MR         IR: micro-kernel on an MR x NR tile of C
//
//    Transposes are handled by the packing (pack.h). Edge tiles run the same micro-kernel on a
//    temporary MR x NR tile, so every element of C goes through the same operations wherever it
//    sits; with K cut into the same blocks for any thread count, results are bitwise identical
//    across runs and thread counts.
//
//  * sup (unpacked A): for products with few columns (n <= 128), where each element of A is used
//    only n times and packing it would cost about as much as the product. B is packed once, whole
//    k, into 16- (and one 8-) wide micro-panels; the ISA's sup micro-kernels (ukernel.h) read MR
//    rows of A in place and run them against every panel while the rows sit in L1. Threads split
//    the rows of C. (BLIS's "sup" path.)
//
//  * small: no packing, for skinny products (m <= 2 with rows of B contiguous; m <= 2 or n <= 2
//    with rows of A and columns of B contiguous: GEMV-like shapes; k <= 2 with many contiguous
//    columns: outer products), where packing would cost more than the product. Plain loops the
//    compiler vectorises at the baseline ISA. (Tiny products go through the ISA's micro-kernels,
//    sup or packed: faster down to 8^3, see kSkinny.)
//
// Epilogue (GemmEpilogue, gemm.h; KERNELS.md §2.7): a per-column bias and a ReLU applied to each
// piece of C as soon as its product is complete, while it is in cache: per tile after the last
// k-block (packed), per row block and panel (sup), per block of rows (small). Every element gets
// the same operations on any path split, so results stay bitwise the same for any thread count.
//
// Threads (KERNELS.md §2.4): one OpenMP region per product when each thread gets >= ~50 us of
// work. Either the threads share each packed B panel (packed cooperatively) and split the IC loop
// (each thread packs its own rows of A), or, when m fits in one MC block, each thread computes its
// own range of columns with its own buffers and no barrier at all (see Split). Static partitions
// only; inside an enclosing parallel region threads_for() returns 1 and the product runs on the
// calling thread. sgemm_batched runs the batch in parallel when the
// products are too small to split. Packing buffers come from the calling thread's scratch, sized
// for all threads before the region starts.
#include "gemm.h"

#include <atomic>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "../isa.h"
#include "../threads.h"
#include "gemm_internal.h"
#include "pack.h"

namespace gn {
namespace {

using gemm_detail::GemmPath;

// Work per thread before a product is split: ~25 us on one AVX2 core (the packed path runs ~40 G
// multiply-adds/s there, the small path ~5-10 G), ~10 us with AVX-512. With the loader's spin
// (src/backend/native.ts) the worker is usually awake and a fork / join costs 1-2 us; 2^21 kept
// LeNet's fc1 (64x120x400 A·Bᵀ, 3.1 M) and its backward products on one thread: 58 / 45 / 43 us,
// against 40 / 30 / 29 us on two (2-vCPU Xeon, AVX-512, gemm_paths). The sup path keeps 2^21: on
// those 64-row products it gained nothing from a second thread (AVX2 kernels: 62-64 us on one,
// 62-70 on two, where the packed path went from 60-75 to 37-47).
constexpr index_t kMinMacsPerThread = index_t(1) << 20;
constexpr index_t kMinMacsPerThreadSup = index_t(1) << 21;
constexpr index_t kMinMacsPerThreadSmall = index_t(1) << 19;
// Rows (or columns) of C up to which a product with suitably contiguous operands skips packing.
// Measured on Zen3 (AVX2): the unpacked path is 2-3x faster for 1 x 4096 x 4096 (B streamed once
// instead of packed), slower for m = 4 or for any tiny product (at 8^3 to 32^3 the packed AVX2
// path is 1.4-5x faster: packing a tiny operand costs little, the baseline loops run at SSE2 speed).
constexpr index_t kSkinny = 2;
// Columns from which products with k <= kSkinny (outer products) take the small path's rows form:
// C is written once, row by row, where the packed path packs both operands and runs its micro-
// kernel a step or two deep per tile. Measured (2-vCPU Xeon, 2 threads, from node): 64 x 4096 x 1
// (the backward-data of a one-channel convolution head) 65 us packed, 21 us here.
constexpr index_t kSmallMinColsOuter = 256;
// Shapes of the unpacked-A path: at most 128 columns; k bounded so that the packed B stays in L2
// and, with several panels, MR rows of A (24 bytes per k step) stay in L1 from one panel to the
// next. Measured on Zen3, one thread, against the packed path (m x n x k): 1.5-2.7x faster for
// m <= 16 or n <= 16 (3x3x3 to 64x16x64), 1.6x at 64x40x300, 1.04-1.2x at n = 64 (64^3, 120x64x64,
// 200x64x500), 1.2x for LeNet's fully connected layers (64x120x400, 64x84x120), 1.04-1.11x at
// n = 96..128 (64x128x512, 1024x128x300, 4096x96x144); 1.3-1.8x on the CNN-shaped products of the
// benchmarks (50176x6x25, 12544x16x150, 16384x64x288). Up to n = 256 it still won by 2-5 %, left
// to the packed path, whose threads can also split n. Reproduce with bench/native/gemm_paths.cc
// (cmake -DGRADNODE_BENCH=ON; OMP_NUM_THREADS=1 build-bench/gradnode_gemm_paths 64x120x400NT ...).
//
// Those figures pit the sup kernels (AVX2 6x16) against a packed kernel of the same width. Where the
// packed kernel is wider (AVX-512's 8x32, for products of more than 16 columns), it wins whenever
// its last panel is not mostly padding; measured on a 2-vCPU Xeon, 2 threads (gemm_paths): packed
// / sup time 0.48 at 64x128x512, 0.74-0.80 at 4096x96x144, 1024x128x300, 200x64x500, 64^3,
// 0.90-0.93 for LeNet's fc1 and fc2 (64x120x400 A·Bᵀ, 64x84x120 A·Bᵀ), 0.97 at 16384x64x288; but 1.52
// at 64x40x300 (40 columns padded to 64). So sup there only when padding would add over 20 %
// (sup_beats_packed).
constexpr index_t kSupMaxN = 128;
constexpr index_t kSupMaxKOnePanel = 4096;
constexpr index_t kSupMaxKPanels = 800;
// The sup kernels read MR rows of op(A) per k step; with A transposed (op(A)(i, p) at p * lda)
// that is a cache line and, lda floats apart, often a new page per k step. Once those k steps span
// 4 MB or more (k * lda >= 2^20 floats) the packed path wins: measured (2-vCPU Xeon, 2 threads,
// gemm_paths, m x n x k A^T, packed / sup time) 2048 x 16 x 512 0.79, 4608 x 16 x 512 0.52-0.58,
// 4608 x 16 x 256 0.66, 3072 / 4096 x 16 x 512 0.47 / 0.66, 16384 x 64 x 288 0.64-0.85; below it
// sup stays ahead: 2048 x 16 x 256 1.49, 2048 x 10 x 256 1.44, 1000 / 1024 x 16 x 512 1.65 / 1.2.
// (Misjudged by a few %: 2304 x 16 x 512 and 8192 x 16 x 256, sup 7 % faster.) Convolution
// backward-data's W^T dY with W 512 x 4608 (512 channels, 3x3) is such a product.
constexpr index_t kSupMaxSpanA = index_t(1) << 20;
// Floats of A from which the sup path prefetches its rows (sup_rows).
constexpr index_t kSupPrefetchA = index_t(1) << 21;

std::atomic<int> g_forced_path{static_cast<int>(GemmPath::kAuto)};

// One product C = alpha * op(A) op(B) + beta * C, with op(A) and op(B) given by element strides:
//   op(A)(i, p) = a[i * rs_a + p * cs_a],   op(B)(p, j) = b[p * rs_b + j * cs_b].
struct Product {
  index_t m, n, k;
  float alpha, beta;
  const float* a;
  index_t rs_a, cs_a;
  const float* b;
  index_t rs_b, cs_b;
  float* c;
  index_t ldc;
  GemmEpilogue ep;  // ep.bias points at column 0 of this product's C
};

Product make_product(bool trans_a, bool trans_b, index_t m, index_t n, index_t k, float alpha,
                     const float* a, index_t lda, const float* b, index_t ldb, float beta, float* c,
                     index_t ldc) {
  Product g;
  g.m = m;
  g.n = n;
  g.k = k;
  g.alpha = alpha;
  g.beta = beta;
  g.a = a;
  g.rs_a = trans_a ? 1 : lda;
  g.cs_a = trans_a ? lda : 1;
  g.b = b;
  g.rs_b = trans_b ? 1 : ldb;
  g.cs_b = trans_b ? ldb : 1;
  g.c = c;
  g.ldc = ldc;
  g.ep = GemmEpilogue();
  return g;
}

// The epilogue on rows x cols of C from c (columns j0 .. j0 + cols - 1 of the product). Written
// with selects the baseline build vectorises; `v < 0 ? 0 : v` keeps NaN.
void epilogue_apply(const GemmEpilogue& ep, float* c, index_t ldc, index_t rows, index_t cols, index_t j0) {
  const float* GN_RESTRICT bias = ep.bias ? ep.bias + j0 : nullptr;
  for (index_t i = 0; i < rows; ++i) {
    float* GN_RESTRICT ci = c + i * ldc;
    if (bias && ep.relu) {
      for (index_t j = 0; j < cols; ++j) {
        const float v = ci[j] + bias[j];
        ci[j] = v < 0.f ? 0.f : v;
      }
    } else if (bias) {
      for (index_t j = 0; j < cols; ++j) ci[j] += bias[j];
    } else {
      for (index_t j = 0; j < cols; ++j) ci[j] = ci[j] < 0.f ? 0.f : ci[j];
    }
  }
}

// The epilogue where one is set; inline, so that the sup path's per-tile call costs nothing
// without one (a call per 6 x 8 tile was 2-3 % of 50176 x 6 x 25).
inline void epilogue_block(const GemmEpilogue& ep, float* c, index_t ldc, index_t rows, index_t cols,
                           index_t j0) {
  if (ep.active()) epilogue_apply(ep, c, ldc, rows, cols, j0);
}

inline index_t min_i(index_t x, index_t y) { return x < y ? x : y; }
inline index_t ceil_div(index_t x, index_t y) { return (x + y - 1) / y; }
inline index_t round_up(index_t x, index_t y) { return ceil_div(x, y) * y; }

// Multiply-adds of a product, saturated so that it fits threads_for().
index_t macs(index_t m, index_t n, index_t k) {
  const double w = static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  return w > 4e18 ? index_t(4000000000000000000) : static_cast<index_t>(w);
}

int threads_for_work(index_t work, index_t min_per_thread) {
#ifdef _OPENMP
  return threads_for(work, min_per_thread);
#else
  return 1;
#endif
}

int team_size() {
#ifdef _OPENMP
  return omp_get_num_threads();
#else
  return 1;
#endif
}

// Waits for the whole team. Must not run when the product is computed by one thread: an orphaned
// barrier would bind to an enclosing parallel region (a batch-parallel caller) and deadlock.
inline void team_barrier(int nthr) {
  if (nthr > 1) {
#pragma omp barrier
  }
}

// Thread `t` of `nthr` gets [*lo, *hi) of 0..count (contiguous, sizes differ by at most one).
inline void share(index_t count, int t, int nthr, index_t* lo, index_t* hi) {
  *lo = count * t / nthr;
  *hi = count * (t + 1) / nthr;
}

bool have_sup() { return kernels().gemm_sup.run16 != nullptr; }

// The packed path's micro-kernel for a product of n columns (isa.h: gemm_narrow). Chosen from the
// whole product's n, never from a thread's share of it, so results do not depend on the split.
const GemmUkernel& packed_ukernel(index_t n) {
  const IsaKernels& k = kernels();
  return n <= kNarrowCols ? k.gemm_narrow : k.gemm;
}

// Whether the sup path is worth taking over the packed one for n columns (see kSupMaxN).
bool sup_beats_packed(index_t n) {
  const index_t nr = packed_ukernel(n).nr;
  return nr <= 16 || round_up(n, nr) * 5 > n * 6;
}

GemmPath shape_path(index_t m, index_t n, index_t k, index_t cs_a, index_t rs_b, index_t cs_b) {
  const int forced = g_forced_path.load(std::memory_order_relaxed);
  if (forced == static_cast<int>(GemmPath::kSup) && !have_sup()) return GemmPath::kPacked;
  if (forced != static_cast<int>(GemmPath::kAuto)) return static_cast<GemmPath>(forced);
  // One or two rows times B with contiguous rows: one pass over B instead of packing all of it
  // for a single micro-panel of A.
  if (m <= kSkinny && cs_b == 1) return GemmPath::kSmall;
  // Contiguous rows of A times contiguous columns of B, one or two of either: dot products.
  if ((m <= kSkinny || n <= kSkinny) && cs_a == 1 && rs_b == 1) return GemmPath::kSmall;
  // Outer products (k of one or two) with many contiguous columns: C written once, row by row.
  if (k <= kSkinny && cs_b == 1 && n >= kSmallMinColsOuter) return GemmPath::kSmall;
  // Few columns: A read in place.
  if (have_sup() && n <= kSupMaxN && k <= (n <= 16 ? kSupMaxKOnePanel : kSupMaxKPanels) && sup_beats_packed(n) &&
      (cs_a == 1 || k * cs_a < kSupMaxSpanA))
    return GemmPath::kSup;
  return GemmPath::kPacked;
}

// C = beta * C (k == 0 or alpha == 0, where BLAS does not read A and B). beta == 0 writes zeros.
void scale_c(const Product& g) {
  if (g.beta == 1.f) return;
  for (index_t i = 0; i < g.m; ++i) {
    float* ci = g.c + i * g.ldc;
    if (g.beta == 0.f) {
      for (index_t j = 0; j < g.n; ++j) ci[j] = 0.f;
    } else {
      for (index_t j = 0; j < g.n; ++j) ci[j] = g.beta * ci[j];
    }
  }
}

// ---- small path -------------------------------------------------------------------------------
//
// Two forms, both computing every element by a sequence of operations that depends only on the
// shape, never on how the work is split between threads:
//   rows (B rows contiguous): C = beta C, then C += (alpha A(i, p)) B(p, :) for p = 0, 1, ..., k-1,
//     accumulated in C itself, so that B is streamed row by row (KERNELS.md §8.2: each term gets at
//     most k + 2 roundings, within the bound of the packed path);
//   dots (columns of B contiguous): C = alpha * (sum over eight interleaved partial sums) + beta C.

// Columns per block of the rows form: R rows of C x 4096 columns stay in L1/L2 while B streams.
constexpr index_t kSmallCols = 4096;

// Rows i0 .. i0+R-1, columns j0 .. j1-1 of C (rows form).
template <int R>
void small_rows_block(const Product& g, index_t i0, index_t j0, index_t j1) {
  float* c[R];
  const float* a[R];
  for (int r = 0; r < R; ++r) {
    c[r] = g.c + (i0 + r) * g.ldc;
    a[r] = g.a + (i0 + r) * g.rs_a;
  }
  for (index_t j = j0; j < j1; j += kSmallCols) {
    const index_t jend = min_i(j + kSmallCols, j1);
    // beta == 0: the first step writes C (0 + x is x), so C is not written twice.
    index_t p0 = 0;
    if (g.beta == 0.f && g.k > 0) {
      const float* GN_RESTRICT bp = g.b;
      for (int r = 0; r < R; ++r) {
        const float ar = g.alpha * a[r][0];
        float* GN_RESTRICT cr = c[r];
        for (index_t jj = j; jj < jend; ++jj) cr[jj] = ar * bp[jj];
      }
      p0 = 1;
    } else if (g.beta != 1.f) {
      for (int r = 0; r < R; ++r) {
        float* GN_RESTRICT cr = c[r];
        if (g.beta == 0.f) {
          for (index_t jj = j; jj < jend; ++jj) cr[jj] = 0.f;
        } else {
          for (index_t jj = j; jj < jend; ++jj) cr[jj] = g.beta * cr[jj];
        }
      }
    }
    for (index_t p = p0; p < g.k; ++p) {
      const float* GN_RESTRICT bp = g.b + p * g.rs_b;
      for (int r = 0; r < R; ++r) {
        const float ar = g.alpha * a[r][p * g.cs_a];
        float* GN_RESTRICT cr = c[r];
        for (index_t jj = j; jj < jend; ++jj) cr[jj] += ar * bp[jj];
      }
    }
    epilogue_block(g.ep, c[0] + j, g.ldc, R, jend - j, j);
  }
}

void small_rows(const Product& g, index_t j0, index_t j1) {
  index_t i = 0;
  for (; i + 4 <= g.m; i += 4) small_rows_block<4>(g, i, j0, j1);
  switch (g.m - i) {
    case 3: small_rows_block<3>(g, i, j0, j1); break;
    case 2: small_rows_block<2>(g, i, j0, j1); break;
    case 1: small_rows_block<1>(g, i, j0, j1); break;
    default: break;
  }
}

// sum_p x[p * incx] * y[p], y contiguous, in eight interleaved partial sums.
template <bool kUnitX>
float dot8(const float* x, index_t incx, const float* y, index_t k) {
  float s[8] = {};
  index_t p = 0;
  for (; p + 8 <= k; p += 8)
    for (int l = 0; l < 8; ++l) s[l] += x[(kUnitX ? 1 : incx) * (p + l)] * y[p + l];
  for (int l = 0; p < k; ++p, ++l) s[l] += x[(kUnitX ? 1 : incx) * p] * y[p];
  return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
}

// Elements e0 .. e1-1 of C in row-major order (e = i * n + j) when columns of B are contiguous
// (rs_b == 1): one dot product per element.
void small_dots(const Product& g, index_t e0, index_t e1) {
  for (index_t e = e0; e < e1; ++e) {
    const index_t i = e / g.n, j = e % g.n;
    const float* a = g.a + i * g.rs_a;
    const float* b = g.b + j * g.cs_b;
    const float s = g.cs_a == 1 ? dot8<true>(a, 1, b, g.k) : dot8<false>(a, g.cs_a, b, g.k);
    float* c = g.c + i * g.ldc + j;
    *c = g.beta == 0.f ? g.alpha * s : g.alpha * s + g.beta * *c;
    epilogue_block(g.ep, c, g.ldc, 1, 1, j);
  }
}

void small_product(const Product& g, bool may_thread) {
  // A single column with both strides 1 can take either form; the rows form would run k passes
  // of one element each (120 x 1 x 400 from node: 76 us against 6).
  const bool rows_form = g.cs_b == 1 && !(g.n == 1 && g.rs_b == 1);
  // Units of work that threads can split: 16 columns (rows form) or elements (dots form).
  const index_t units = rows_form ? ceil_div(g.n, 16) : g.m * g.n;
  int nt = may_thread ? threads_for_work(macs(g.m, g.n, g.k), kMinMacsPerThreadSmall) : 1;
  if (nt > units) nt = static_cast<int>(units);
  if (nt <= 1) {
    if (rows_form)
      small_rows(g, 0, g.n);
    else
      small_dots(g, 0, g.m * g.n);
    return;
  }
#pragma omp parallel num_threads(nt)
  {
    index_t lo, hi;
    share(units, thread_rank(), team_size(), &lo, &hi);
    if (lo < hi) {
      if (rows_form)
        small_rows(g, lo * 16, min_i(hi * 16, g.n));
      else
        small_dots(g, lo, hi);
    }
  }
}

// ---- unpacked-A (sup) path --------------------------------------------------------------------

// Packed B of the sup path: n16 micro-panels 16 wide, then (when n % 16 is 1..8) one narrower
// panel for the last columns: quad-interleaved for run_quads (1..6 columns, rows of A contiguous,
// k long enough, where the ISA has it), else pair-interleaved 8 wide for run8.
struct SupLayout {
  index_t n16, tail;  // panel counts (tail is 0 or 1)
  bool quads;          // the tail panel is run_quads' layout
  int tail_steps;       // its k steps per column and vectors per group (gemm_detail::pack_interleaved)
  index_t tail_vectors;
  index_t ps16, ps_tail;  // floats per panel
  index_t floats() const { return n16 * ps16 + tail * ps_tail; }
};

SupLayout sup_layout(const Product& g) {
  SupLayout L;
  const index_t rem = g.n % 16;
  L.n16 = g.n / 16 + (rem > 8 ? 1 : 0);
  L.tail = rem >= 1 && rem <= 8 ? 1 : 0;
  // run_quads' fold costs more per row than run8's; it pays from these k (ukernel_avx2.cc).
  L.quads = L.tail && rem <= 6 && g.cs_a == 1 && g.k >= (rem <= 4 ? 32 : 96) &&
            kernels().gemm_sup.run_quads != nullptr;
  L.ps16 = sgemm_panel_floats(16, g.k);
  L.tail_steps = L.quads ? 4 : 2;
  L.tail_vectors = L.quads ? (rem + 1) / 2 : 2;
  L.ps_tail = round_up(gemm_detail::interleaved_floats(L.tail_steps, L.tail_vectors, g.k), 16);
  return L;
}

void sup_pack_b(const Product& g, const SupLayout& L, float* bpack) {
  const index_t cols16 = min_i(g.n, L.n16 * 16);
  if (cols16 > 0) gemm_detail::pack_panels(16, cols16, g.k, g.b, g.cs_b, g.rs_b, bpack, L.ps16);
  if (L.tail)
    gemm_detail::pack_interleaved(L.tail_steps, L.tail_vectors, g.n - cols16, g.k, g.b + cols16 * g.cs_b, g.cs_b,
                                  g.rs_b, bpack + L.n16 * L.ps16);
}

// Row blocks t0 .. t1-1 (MR rows each) of C, every panel of B.
//
// A block's rows are first read on the first panel, so an A too big for the caches streams in at
// the pace of the hardware prefetcher, which follows MR rows poorly. With several panels, rows of A
// contiguous and A over 8 MB (kSupPrefetchA floats), the next block's rows are prefetched (a line
// per 16 floats) while this one runs. Measured on Zen3 (best of 10 alternating runs): 16384 x 64 x
// 288 (A 19 MB, 4 panels) 3.81 -> 3.62 ms on 2 threads, 7.97 -> 7.56 on one; 32768 x 32 x 144
// 1.81 -> 1.79 and 5.16 -> 4.09 ms. Where A sits in L2 or L3 (4096 x 96 x 144, 2048 x 64 x 576)
// or with one panel (50176 x 6 x 25: +15 %) the prefetches cost more than they save.
void sup_rows(const Product& g, const SupLayout& L, const float* bpack, index_t t0, index_t t1) {
  const GemmSupKernels& sk = kernels().gemm_sup;
  const bool prefetch = g.cs_a == 1 && L.n16 >= 2 && g.m * g.k >= kSupPrefetchA;
  for (index_t t = t0; t < t1; ++t) {
    const index_t i = t * sk.mr;
    const int mv = static_cast<int>(min_i(sk.mr, g.m - i));
    if (prefetch && t + 1 < t1) {
      const index_t next_end = min_i(i + 2 * sk.mr, g.m);
      for (index_t r = i + sk.mr; r < next_end; ++r)
        for (index_t p = 0; p < g.k; p += 16) GN_PREFETCH(g.a + r * g.rs_a + p);
    }
    const float* a = g.a + i * g.rs_a;
    float* c = g.c + i * g.ldc;
    for (index_t q = 0; q < L.n16; ++q) {
      const index_t j = q * 16;
      const index_t nv = min_i(16, g.n - j);
      sk.run16(g.k, a, g.rs_a, g.cs_a, bpack + q * L.ps16, c + j, g.ldc, mv, static_cast<int>(nv), g.alpha,
               g.beta);
      epilogue_block(g.ep, c + j, g.ldc, mv, nv, j);
    }
    if (L.tail) {
      const index_t j = L.n16 * 16;
      const GemmSupFn run = L.quads ? sk.run_quads : sk.run8;
      run(g.k, a, g.rs_a, g.cs_a, bpack + L.n16 * L.ps16, c + j, g.ldc, mv, static_cast<int>(g.n - j),
          g.alpha, g.beta);
      epilogue_block(g.ep, c + j, g.ldc, mv, g.n - j, j);
    }
  }
}

void sup_product(const Product& g, bool may_thread, float* ws) {
  const SupLayout L = sup_layout(g);
  if (ws == nullptr)
    ws = scratch(kScratchGemm, static_cast<std::size_t>(L.floats()) * sizeof(float));
  sup_pack_b(g, L, ws);
  const index_t blocks = ceil_div(g.m, kernels().gemm_sup.mr);
  int nt = may_thread ? threads_for_work(macs(g.m, g.n, g.k), kMinMacsPerThreadSup) : 1;
  if (nt > blocks) nt = static_cast<int>(blocks);
  if (nt <= 1) {
    sup_rows(g, L, ws, 0, blocks);
    return;
  }
#pragma omp parallel num_threads(nt)
  {
    index_t lo, hi;
    share(blocks, thread_rank(), team_size(), &lo, &hi);
    sup_rows(g, L, ws, lo, hi);
  }
}

// ---- packed path ------------------------------------------------------------------------------

// Block sizes and buffer layout of one packed product.
struct Plan {
  GemmUkernel uk;
  index_t kc, mc, nc;    // k-, m-, n-blocks (mc a multiple of mr, nc of nr)
  index_t ps_a, ps_b;    // floats from one packed micro-panel to the next (sgemm_panel_floats)
  index_t a_floats;      // one packed mc x kc block of A
  index_t b_floats;      // one packed kc x nc panel of B
  index_t tile_floats;   // one MR x NR edge tile
  // Workspace of one run: one B panel shared by `threads` threads, each with its own A block and
  // edge tile.
  index_t workspace_floats(int threads) const {
    return b_floats + threads * (a_floats + tile_floats);
  }
};

// Whether k takes the kernel's deep blocking (ukernel.h: kc_deep, mc_deep).
inline bool deep(const GemmUkernel& uk, index_t k) { return uk.kc_deep > 0 && k >= 2 * index_t(uk.kc_deep); }

// K in equal blocks of at most KC (k = 257 gives 129 + 128, not 256 + 1), or of at most kc_deep for
// deep products. Depends on k alone (and the ISA), so the summation blocks, hence the results, are
// the same for any thread count and for the prepacked API (sgemm_blocking).
index_t block_kc(const GemmUkernel& uk, index_t k) {
  const index_t kc = deep(uk, k) ? uk.kc_deep : uk.kc;
  return ceil_div(k, ceil_div(k, kc));
}

// Results do not depend on mc and nc (each element sees the same k-blocks and the same position
// in its tile whatever the cut), so the driver may choose them per thread count; only kc, which
// sets the summation blocks, depends on k alone.
Plan make_plan(const Product& g, const GemmUkernel& uk) {
  Plan pl;
  pl.uk = uk;
  const index_t mr = uk.mr, nr = uk.nr;
  pl.kc = block_kc(uk, g.k);
  pl.nc = round_up(ceil_div(g.n, ceil_div(g.n, uk.nc)), nr);
  pl.mc = min_i(deep(uk, g.k) ? uk.mc_deep : uk.mc, round_up(g.m, mr));
  pl.ps_a = sgemm_panel_floats(uk.mr, pl.kc);
  pl.ps_b = sgemm_panel_floats(uk.nr, pl.kc);
  pl.a_floats = (pl.mc / mr) * pl.ps_a;
  pl.b_floats = (pl.nc / nr) * pl.ps_b;
  pl.tile_floats = round_up(mr * nr, 16);
  return pl;
}

// C tile = micro-kernel, through a temporary MR x NR tile when the tile is cut by the edge of C.
inline void run_tile(const Plan& pl, index_t kc, const float* ap, const float* bp, float* c,
                     index_t ldc, index_t mrem, index_t nrem, float alpha, float beta,
                     float* tile) {
  const int mr = pl.uk.mr, nr = pl.uk.nr;
  if (mrem == mr && nrem == nr) {
    pl.uk.run(kc, ap, bp, c, ldc, alpha, beta);
    return;
  }
  if (beta != 0.f) {
    for (int i = 0; i < mr; ++i)
      for (int j = 0; j < nr; ++j) tile[i * nr + j] = (i < mrem && j < nrem) ? c[i * ldc + j] : 0.f;
  }
  pl.uk.run(kc, ap, bp, tile, nr, alpha, beta);
  for (index_t i = 0; i < mrem; ++i)
    for (index_t j = 0; j < nrem; ++j) c[i * ldc + j] = tile[i * nr + j];
}

// The JR and IR loops: the np micro-panels of the packed B panel against every micro-panel of the
// packed mcur x kc block of A; c points at C(ic, jc). ep: the epilogue, on the last k-block only
// (null otherwise), applied to each tile as it leaves the micro-kernel; jc: the product's column
// of c, for the bias.
void macro_kernel(const Plan& pl, index_t kc, const float* apack, index_t mcur,
                  const float* bpack, index_t np, index_t ncur, float* c, index_t ldc,
                  float alpha, float beta, float* tile, const GemmEpilogue* ep = nullptr, index_t jc = 0) {
  const index_t mr = pl.uk.mr, nr = pl.uk.nr;
  for (index_t q = 0; q < np; ++q) {  // JR
    const index_t j = q * nr;
    const index_t nrem = min_i(nr, ncur - j);
    const float* bp = bpack + q * pl.ps_b;
    const float* ap = apack;
    for (index_t i = 0; i < mcur; i += mr, ap += pl.ps_a) {  // IR
      const index_t mrem = min_i(mr, mcur - i);
      run_tile(pl, kc, ap, bp, c + i * ldc + j, ldc, mrem, nrem, alpha, beta, tile);
      if (ep) epilogue_block(*ep, c + i * ldc + j, ldc, mrem, nrem, jc + j);
    }
  }
}

// The five loops, run by thread `t` of `nthr`. With several threads, the threads share the packed
// B panel (each packs a share of its micro-panels) and split the IC loop (each packs and computes
// its own rows); all threads run the same JC/PC loops and meet at the barriers.
void packed_loops(const Product& g, const Plan& pl, float* ws, int t, int nthr) {
  const index_t mr = pl.uk.mr, nr = pl.uk.nr;
  const index_t mp = ceil_div(g.m, mr);
  float* bpack = ws;
  float* apack = ws + pl.b_floats + t * (pl.a_floats + pl.tile_floats);
  float* tile = apack + pl.a_floats;
  index_t p0, p1;  // this thread's micro-panels of A (rows of C)
  share(mp, t, nthr, &p0, &p1);

  for (index_t jc = 0; jc < g.n; jc += pl.nc) {  // JC
    const index_t ncur = min_i(pl.nc, g.n - jc);
    const index_t np = ceil_div(ncur, nr);
    for (index_t pc = 0; pc < g.k; pc += pl.kc) {  // PC
      const index_t kc = min_i(pl.kc, g.k - pc);
      // beta applies once, on the first k-block; later blocks accumulate.
      const float beta = pc == 0 ? g.beta : 1.f;

      // Pack B(pc : pc+kc, jc : jc+ncur), each thread a share of the micro-panels.
      index_t q0, q1;
      share(np, t, nthr, &q0, &q1);
      if (q0 < q1) {
        gemm_detail::pack_panels(static_cast<int>(nr), min_i(q1 * nr, ncur) - q0 * nr, kc,
                                 g.b + pc * g.rs_b + (jc + q0 * nr) * g.cs_b, g.cs_b, g.rs_b,
                                 bpack + q0 * pl.ps_b, pl.ps_b);
      }
      team_barrier(nthr);

      for (index_t ip = p0; ip < p1; ip += pl.mc / mr) {  // IC
        const index_t ic = ip * mr;
        const index_t mcur = min_i(min_i(ip + pl.mc / mr, p1) * mr, g.m) - ic;
        gemm_detail::pack_panels(static_cast<int>(mr), mcur, kc, g.a + ic * g.rs_a + pc * g.cs_a,
                                 g.rs_a, g.cs_a, apack, pl.ps_a);
        macro_kernel(pl, kc, apack, mcur, bpack, np, ncur, g.c + ic * g.ldc + jc, g.ldc, g.alpha,
                     beta, tile, pc + kc >= g.k && g.ep.active() ? &g.ep : nullptr, jc);
      }
      // The next k- or n-block overwrites the shared B panel.
      if (pc + kc < g.k || jc + ncur < g.n) team_barrier(nthr);
    }
  }
}

int packed_threads(const Product& g, bool may_thread) {
  return may_thread ? threads_for_work(macs(g.m, g.n, g.k), kMinMacsPerThread) : 1;
}

// How several threads share a packed product.
//   kSplitM: IC split around a shared, cooperatively packed B panel (barriers per k-block);
//   kSplitN: each thread computes its own NR-aligned range of columns, start to finish, with its
//            own buffers (A packed once per thread, no barrier) - for m up to one MC block, where
//            the IC split would cut a single block of A into thin slices.
enum class Split { kSplitM, kSplitN };

Split choose_split(const Product& g, const GemmUkernel& uk, int nt) {
  const index_t mp = ceil_div(g.m, uk.mr), np = ceil_div(g.n, uk.nr);
  if (np < nt) return Split::kSplitM;
  if (g.m <= uk.mc) return Split::kSplitN;
  // Otherwise the better balanced split (M on ties: it packs A once).
  const double m_load = static_cast<double>(ceil_div(mp, nt)) * nt / static_cast<double>(mp);
  const double n_load = static_cast<double>(ceil_div(np, nt)) * nt / static_cast<double>(np);
  return n_load < 0.95 * m_load ? Split::kSplitN : Split::kSplitM;
}

// One product. `may_thread`: whether it may open a parallel region. `ws`: packing workspace of
// at least serial_workspace_floats(g), or null to use the calling thread's scratch.
void run_product(const Product& g, bool may_thread, float* ws) {
  if (g.m <= 0 || g.n <= 0) return;
  if (g.k <= 0 || g.alpha == 0.f) {
    scale_c(g);
    epilogue_block(g.ep, g.c, g.ldc, g.m, g.n, 0);
    return;
  }
  const GemmPath path = shape_path(g.m, g.n, g.k, g.cs_a, g.rs_b, g.cs_b);
  if (path == GemmPath::kSmall) {
    small_product(g, may_thread);
    return;
  }
  if (path == GemmPath::kSup) {
    sup_product(g, may_thread, ws);
    return;
  }
  const GemmUkernel& uk = packed_ukernel(g.n);  // from the whole product's n, before any split
  const int nt = packed_threads(g, may_thread);
  if (nt <= 1) {
    const Plan pl = make_plan(g, uk);
    if (ws == nullptr)
      ws = scratch(kScratchGemm, static_cast<std::size_t>(pl.workspace_floats(1)) * sizeof(float));
    packed_loops(g, pl, ws, 0, 1);
    return;
  }

  if (choose_split(g, uk, nt) == Split::kSplitM) {
    const Plan pl = make_plan(g, uk);
    ws = scratch(kScratchGemm, static_cast<std::size_t>(pl.workspace_floats(nt)) * sizeof(float));
#pragma omp parallel num_threads(nt)
    packed_loops(g, pl, ws, thread_rank(), team_size());
    return;
  }

  // N split: one plan (the widest thread's) for every thread, so that one workspace slice fits all.
  const index_t np = ceil_div(g.n, uk.nr);
  Product widest = g;
  widest.n = min_i(g.n, ceil_div(np, nt) * uk.nr);
  const Plan pl = make_plan(widest, uk);
  const index_t slice = pl.workspace_floats(1);
  ws = scratch(kScratchGemm, static_cast<std::size_t>(nt * slice) * sizeof(float));
#pragma omp parallel num_threads(nt)
  {
    const int t = thread_rank();
    index_t q0, q1;
    share(np, t, team_size(), &q0, &q1);
    if (q0 < q1) {
      Product part = g;
      part.b = g.b + q0 * uk.nr * g.cs_b;
      part.c = g.c + q0 * uk.nr;
      part.n = min_i(q1 * uk.nr, g.n) - q0 * uk.nr;
      if (g.ep.bias) part.ep.bias = g.ep.bias + q0 * uk.nr;
      packed_loops(part, pl, ws + t * slice, 0, 1);
    }
  }
}

// Workspace (floats) one single-threaded run of `g` needs.
index_t serial_workspace_floats(const Product& g) {
  if (g.m <= 0 || g.n <= 0 || g.k <= 0 || g.alpha == 0.f) return 0;
  const GemmPath path = shape_path(g.m, g.n, g.k, g.cs_a, g.rs_b, g.cs_b);
  if (path == GemmPath::kSmall) return 0;
  if (path == GemmPath::kSup) return sup_layout(g).floats();
  return make_plan(g, packed_ukernel(g.n)).workspace_floats(1);
}

}  // namespace

namespace gemm_detail {

GemmPath choose_path(bool trans_a, bool trans_b, index_t m, index_t n, index_t k) {
  const Product g = make_product(trans_a, trans_b, m, n, k, 1.f, nullptr, trans_a ? m : k, nullptr,
                                 trans_b ? k : n, 0.f, nullptr, n);
  return shape_path(m, n, k, g.cs_a, g.rs_b, g.cs_b);
}

void set_forced_path(GemmPath path) {
  g_forced_path.store(static_cast<int>(path), std::memory_order_relaxed);
}

}  // namespace gemm_detail

void sgemm(bool trans_a, bool trans_b, index_t m, index_t n, index_t k, float alpha, const float* a,
           index_t lda, const float* b, index_t ldb, float beta, float* c, index_t ldc, const GemmEpilogue& ep) {
  Product g = make_product(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  g.ep = ep;
  run_product(g, /*may_thread=*/true, nullptr);
}

void sgemm_batched(index_t batch, bool trans_a, bool trans_b, index_t m, index_t n, index_t k,
                   float alpha, const float* a, index_t lda, index_t stride_a, const float* b,
                   index_t ldb, index_t stride_b, float beta, float* c, index_t ldc,
                   index_t stride_c, const GemmEpilogue& ep) {
  if (batch <= 0 || m <= 0 || n <= 0) return;
  Product g0 = make_product(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  g0.ep = ep;
  auto product = [&](index_t q) {
    Product g = g0;
    g.a = a + q * stride_a;
    g.b = b + q * stride_b;
    g.c = c + q * stride_c;
    return g;
  };

  // Products big enough to split between threads: one after the other, each in parallel.
  const GemmPath path = shape_path(m, n, k, g0.cs_a, g0.rs_b, g0.cs_b);
  const bool small = path == GemmPath::kSmall;
  const index_t per_product = macs(m, n, k);
  const index_t min_per_thread = small                     ? kMinMacsPerThreadSmall
                                 : path == GemmPath::kSup ? kMinMacsPerThreadSup
                                                          : kMinMacsPerThread;
  int nt = threads_for_work(per_product, min_per_thread);
  if (batch == 1 || nt > 1) {
    for (index_t q = 0; q < batch; ++q) run_product(product(q), /*may_thread=*/true, nullptr);
    return;
  }

  // Small products: the batch in parallel, each product on one thread.
  const double total = static_cast<double>(per_product) * static_cast<double>(batch);
  nt = threads_for_work(total > 4e18 ? index_t(4000000000000000000) : static_cast<index_t>(total),
                        min_per_thread);
  if (nt > batch) nt = static_cast<int>(batch);
  if (nt <= 1) {
    for (index_t q = 0; q < batch; ++q) run_product(product(q), /*may_thread=*/false, nullptr);
    return;
  }
  const index_t ws_floats = serial_workspace_floats(g0);
  float* ws = ws_floats > 0
                  ? scratch(kScratchGemm, static_cast<std::size_t>(nt * ws_floats) * sizeof(float))
                  : nullptr;
#pragma omp parallel num_threads(nt)
  {
    float* my_ws = ws != nullptr ? ws + thread_rank() * ws_floats : nullptr;
#pragma omp for schedule(static)
    for (index_t q = 0; q < batch; ++q) run_product(product(q), /*may_thread=*/false, my_ws);
  }
}


GemmBlocking sgemm_blocking(index_t k, index_t n) {
  const GemmUkernel& uk = packed_ukernel(n);
  GemmBlocking b;
  b.uk = &uk;
  b.mr = uk.mr;
  b.nr = uk.nr;
  if (k <= 0) {
    b.kc = 0;
    b.nblocks = 0;
    return b;
  }
  b.kc = block_kc(uk, k);  // the cut of make_plan
  b.nblocks = ceil_div(k, b.kc);
  return b;
}

index_t sgemm_max_kc(index_t k_max, index_t n) {
  const GemmUkernel& uk = packed_ukernel(n);
  if (deep(uk, k_max)) return uk.kc_deep > uk.kc ? uk.kc_deep : uk.kc;
  return min_i(uk.kc, k_max);
}

void sgemm_pack_a(const GemmBlocking& bl, bool trans_a, index_t m, index_t kb, const float* a, index_t lda,
                  float* dst) {
  const int mr = bl.mr;
  if (m <= 0 || kb <= 0) return;
  gemm_detail::pack_panels(mr, m, kb, a, trans_a ? 1 : lda, trans_a ? lda : 1, dst,
                           sgemm_panel_floats(mr, kb));
}

void sgemm_pack_b(const GemmBlocking& bl, bool trans_b, index_t n, index_t kb, const float* b, index_t ldb,
                  float* dst) {
  const int nr = bl.nr;
  if (n <= 0 || kb <= 0) return;
  gemm_detail::pack_panels(nr, n, kb, b, trans_b ? ldb : 1, trans_b ? 1 : ldb, dst,
                           sgemm_panel_floats(nr, kb));
}

void sgemm_packed_block(const GemmBlocking& bl, index_t m, index_t n, index_t kb, float alpha,
                        const float* apack, const float* bpack, float beta, float* c, index_t ldc) {
  if (m <= 0 || n <= 0) return;
  if (kb <= 0 || alpha == 0.f) {
    Product g = make_product(false, false, m, n, 0, alpha, nullptr, 0, nullptr, n, beta, c, ldc);
    scale_c(g);
    return;
  }
  const GemmUkernel& uk = *bl.uk;
  Plan pl;
  pl.uk = uk;
  pl.kc = kb;
  pl.ps_a = sgemm_panel_floats(uk.mr, kb);
  pl.ps_b = sgemm_panel_floats(uk.nr, kb);
  // Edge tiles go through this temporary tile, as in run_tile (every ISA's tile fits).
  constexpr int kMaxTile = 1024;
  alignas(64) float tile[kMaxTile];
  if (uk.mr * uk.nr > kMaxTile) return;  // cannot happen with the shipped micro-kernels
  const index_t np = ceil_div(n, uk.nr);
  // IC blocks of MC rows (a multiple of MR) keep the part of A that the JR loop sweeps in L2.
  const index_t mc = uk.mc;
  for (index_t ic = 0; ic < m; ic += mc) {
    const index_t mcur = min_i(mc, m - ic);
    macro_kernel(pl, kb, apack + (ic / uk.mr) * pl.ps_a, mcur, bpack, np, n, c + ic * ldc, ldc,
                 alpha, beta, tile);
  }
}

}  // namespace gn
