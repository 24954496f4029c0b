// Tests of the single-precision GEMM (kernels/gemm): the four transpose cases, alpha/beta (beta == 0
// with NaN in C), sizes around the micro-kernel tile and the cache blocks of the ISA under test,
// both driver paths (packed and small), leading dimensions above the minimum, batches with shared
// operands, a BLIS-style residual check on a big product, and bitwise determinism across thread
// counts.
//
// Oracle: a float64 reference and the bound |got - ref| <= gamma_{K+2} * (|alpha| |A||B| +
// |beta| |C0|) elementwise (KERNELS.md §8.2 rule 1).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "harness.h"
#include "kernels/gemm/gemm.h"
#include "kernels/gemm/gemm_internal.h"
#include "kernels/isa.h"
#include "kernels/threads.h"

namespace {

using gn::index_t;
using gn::gemm_detail::GemmPath;

constexpr float kSentinel = 12345.f;  // fills the padding of C, which sgemm must not touch
const float kNaN = std::numeric_limits<float>::quiet_NaN();

struct Shape {
  bool ta, tb;
  index_t m, n, k;
  float alpha, beta;
  index_t pad_a, pad_b, pad_c;  // leading dimension minus its minimum
};

Shape shape(bool ta, bool tb, index_t m, index_t n, index_t k, float alpha = 1.f, float beta = 0.f,
            index_t pad = 0) {
  return {ta, tb, m, n, k, alpha, beta, pad, pad == 0 ? 0 : pad + 2, pad == 0 ? 0 : pad + 4};
}

const char* path_name(GemmPath p) {
  switch (p) {
    case GemmPath::kSmall: return "small";
    case GemmPath::kPacked: return "packed";
    case GemmPath::kSup: return "sup";
    default: return "auto";
  }
}

std::string describe(const Shape& s, GemmPath path) {
  std::ostringstream o;
  o << (s.ta ? 'T' : 'N') << (s.tb ? 'T' : 'N') << ' ' << s.m << 'x' << s.n << 'x' << s.k
    << " alpha=" << s.alpha << " beta=" << s.beta;
  if (s.pad_a || s.pad_b || s.pad_c) o << " pads=" << s.pad_a << '/' << s.pad_b << '/' << s.pad_c;
  o << " path=" << path_name(path);
  return o.str();
}

// Row-major storage of A, B and C for one product.
struct Operands {
  index_t lda, ldb, ldc;
  index_t rows_a, rows_b;
  std::vector<float> a, b, c0;
};

Operands make_operands(const Shape& s, std::uint64_t seed) {
  gn_test::Rng rng(seed);
  Operands o;
  o.lda = (s.ta ? s.m : s.k) + s.pad_a;
  o.ldb = (s.tb ? s.k : s.n) + s.pad_b;
  o.ldc = s.n + s.pad_c;
  o.rows_a = s.ta ? s.k : s.m;
  o.rows_b = s.tb ? s.n : s.k;
  o.a = rng.vector(static_cast<std::size_t>(o.rows_a * o.lda) + 1);
  o.b = rng.vector(static_cast<std::size_t>(o.rows_b * o.ldb) + 1);
  o.c0.assign(static_cast<std::size_t>(s.m * o.ldc) + 1, kSentinel);
  for (index_t i = 0; i < s.m; ++i)
    for (index_t j = 0; j < s.n; ++j)
      o.c0[i * o.ldc + j] = s.beta == 0.f ? kNaN : rng.uniform(-1.f, 1.f);
  return o;
}

double op_a(const Shape& s, const Operands& o, index_t i, index_t p) {
  return s.ta ? o.a[p * o.lda + i] : o.a[i * o.lda + p];
}
double op_b(const Shape& s, const Operands& o, index_t p, index_t j) {
  return s.tb ? o.b[j * o.ldb + p] : o.b[p * o.ldb + j];
}

// ref = alpha op(A) op(B) + beta C0 and absref = |alpha| |op(A)| |op(B)| + |beta| |C0|, m x n in
// float64 (C0 is not read when beta == 0).
void reference(const Shape& s, const Operands& o, std::vector<double>* ref,
               std::vector<double>* absref) {
  const index_t m = s.m, n = s.n, k = s.k;
  std::vector<double> bd(static_cast<std::size_t>(k * n));
  for (index_t p = 0; p < k; ++p)
    for (index_t j = 0; j < n; ++j) bd[p * n + j] = op_b(s, o, p, j);
  ref->assign(static_cast<std::size_t>(m * n), 0.0);
  absref->assign(static_cast<std::size_t>(m * n), 0.0);
  for (index_t i = 0; i < m; ++i) {
    double* r = ref->data() + i * n;
    double* ar = absref->data() + i * n;
    for (index_t p = 0; p < k; ++p) {
      const double aip = op_a(s, o, i, p);
      const double* bp = bd.data() + p * n;
      for (index_t j = 0; j < n; ++j) {
        r[j] += aip * bp[j];
        ar[j] += std::fabs(aip * bp[j]);
      }
    }
    for (index_t j = 0; j < n; ++j) {
      r[j] *= s.alpha;
      ar[j] *= std::fabs(static_cast<double>(s.alpha));
      if (s.beta != 0.f) {
        const double c0 = o.c0[i * o.ldc + j];
        r[j] += s.beta * c0;
        ar[j] += std::fabs(s.beta * c0);
      }
    }
  }
}

// Checks the m x n result inside `c` (row stride ldc) against the reference, and that the padding
// of C still holds the sentinel.
void check_result(const Shape& s, const Operands& o, const float* c, const std::vector<double>& ref,
                  const std::vector<double>& absref, const std::string& what) {
  std::vector<float> got(static_cast<std::size_t>(s.m * s.n));
  for (index_t i = 0; i < s.m; ++i)
    for (index_t j = 0; j < s.n; ++j) got[i * s.n + j] = c[i * o.ldc + j];
  gn_test::check_dot_bound(what, got.data(), ref.data(), absref.data(), got.size(), s.k);
  for (index_t i = 0; i < s.m; ++i)
    for (index_t j = s.n; j < o.ldc; ++j)
      GN_CHECK(c[i * o.ldc + j] == kSentinel) << what << ": padding of C written at " << i << "," << j;
  GN_CHECK(c[s.m * o.ldc] == kSentinel) << what << ": wrote past the end of C";
}

// Forces a driver path for the lifetime of the guard.
struct PathGuard {
  explicit PathGuard(GemmPath p) { gn::gemm_detail::set_forced_path(p); }
  ~PathGuard() { gn::gemm_detail::set_forced_path(GemmPath::kAuto); }
};

using gn_test::ThreadCountGuard;

void run_case(const Shape& s, GemmPath path, std::uint64_t seed) {
  PathGuard guard(path);
  const Operands o = make_operands(s, seed);
  std::vector<float> c = o.c0;
  gn::sgemm(s.ta, s.tb, s.m, s.n, s.k, s.alpha, o.a.data(), o.lda, o.b.data(), o.ldb, s.beta,
            c.data(), o.ldc);
  std::vector<double> ref, absref;
  reference(s, o, &ref, &absref);
  check_result(s, o, c.data(), ref, absref, describe(s, path));
}

// alpha/beta pairs the tests cycle through (beta == 0 runs with NaN in C).
struct AlphaBeta {
  float alpha, beta;
};
const AlphaBeta kAlphaBeta[] = {{1.f, 0.f}, {1.f, 1.f}, {-0.5f, 2.f}, {0.75f, -1.25f}, {2.f, 0.f}};
constexpr int kAlphaBetaCount = sizeof(kAlphaBeta) / sizeof(kAlphaBeta[0]);

const gn::GemmUkernel& tile() { return gn::kernels().gemm; }

}  // namespace

// Sizes around the register tile and the k-block, through both paths, every transpose case.
GN_TEST(gemm_tile_and_kc_edges) {
  const index_t mr = tile().mr, nr = tile().nr, kc = tile().kc;
  const index_t ms[] = {1, mr - 1, mr, mr + 1};
  const index_t ns[] = {1, nr - 1, nr, nr + 1};
  const index_t ks[] = {1, kc - 1, kc, kc + 1};
  int count = 0;
  for (GemmPath path : {GemmPath::kPacked, GemmPath::kSmall, GemmPath::kSup})
    for (int t = 0; t < 4; ++t)
      for (index_t m : ms)
        for (index_t n : ns)
          for (index_t k : ks) {
            const AlphaBeta ab = kAlphaBeta[count % kAlphaBetaCount];
            const index_t pad = (count % 3 == 0) ? 3 : 0;
            run_case(shape(t & 1, t & 2, m, n, k, ab.alpha, ab.beta, pad), path, 1000 + count);
            ++count;
          }
}

// The unpacked-A path at every column count up to 40 (16-wide panels cut anywhere, the 8-wide
// panel full and partial) and at 64, 100 and 128, with row counts around its tile of MR rows, short and long k,
// every transpose case. Where the ISA has no such kernels the forced path runs packed.
GN_TEST(gemm_sup_columns_and_rows) {
  const index_t mr = gn::kernels().gemm_sup.run16 != nullptr ? gn::kernels().gemm_sup.mr : 6;
  const index_t ms[] = {1, mr - 1, mr, mr + 1, 3 * mr + 2};
  // k from 33 takes the quad-interleaved tail kernel for up to 4 columns, from 99 for 5 or 6
  // (rows of A contiguous): every k % 4.
  const index_t ks[] = {1, 2, 3, 25, 33, 99, 128, 150};
  std::vector<index_t> ns;
  for (index_t n = 1; n <= 40; ++n) ns.push_back(n);
  for (index_t n : {64, 100, 128}) ns.push_back(n);
  int count = 0;
  for (index_t n : ns)
    for (index_t m : ms)
      for (index_t k : ks) {
        const int t = count % 4;
        const AlphaBeta ab = kAlphaBeta[count % kAlphaBetaCount];
        run_case(shape(t & 1, t & 2, m, n, k, ab.alpha, ab.beta, count % 3 == 0 ? 3 : 0),
                 GemmPath::kSup, 1500 + count);
        ++count;
      }
}

// An infinite A(i, p) makes row i of C infinite, never NaN, on every path, whichever k step holds it
// (the sup tail kernels hold two or four steps of a column in one register and run the last ones
// with zeros beside them: their B is zero, and inf * 0 there would be NaN). Both A layouts.
GN_TEST(gemm_infinite_a) {
  const float inf = std::numeric_limits<float>::infinity();
  for (GemmPath path : {GemmPath::kSup, GemmPath::kPacked, GemmPath::kSmall})
    for (bool ta : {false, true})
      for (index_t n : {4, 6, 8, 22})
        for (index_t k : {3, 4, 25, 99})
          for (index_t pinf : {index_t(0), k - 2, k - 1}) {
            PathGuard guard(path);
            const index_t m = 7, row = 2;
            std::vector<float> a(static_cast<std::size_t>(m * k), 0.5f);
            std::vector<float> b(static_cast<std::size_t>(k * n), 0.25f);
            a[ta ? pinf * m + row : row * k + pinf] = inf;
            std::vector<float> c(static_cast<std::size_t>(m * n), kNaN);
            gn::sgemm(ta, false, m, n, k, 1.f, a.data(), ta ? m : k, b.data(), n, 0.f, c.data(), n);
            for (index_t i = 0; i < m; ++i)
              for (index_t j = 0; j < n; ++j) {
                const float v = c[i * n + j];
                if (i == row)
                  GN_CHECK(v == inf) << path_name(path) << (ta ? " T" : " N") << " n=" << n << " k=" << k
                                     << " inf at " << pinf << ": C(" << i << "," << j << ") = " << v;
                else
                  GN_CHECK(v == 0.125f * k) << path_name(path) << " C(" << i << "," << j << ") = " << v;
              }
          }
}

// The small path's two later rules, on the driver's own choice: one column whose B is contiguous
// both ways (dots form, not the rows form's k one-element passes), and outer products (k <= 2)
// with many columns (rows form, its beta == 0 first step writing C without clearing it first).
GN_TEST(gemm_small_columns_and_outer_products) {
  using gn::gemm_detail::choose_path;
  GN_CHECK(choose_path(false, false, 120, 1, 400) == GemmPath::kSmall) << "matrix x column";
  GN_CHECK(choose_path(false, false, 64, 4096, 1) == GemmPath::kSmall) << "outer product";
  GN_CHECK(choose_path(true, false, 64, 4096, 2) == GemmPath::kSmall) << "k = 2, A^T";
  GN_CHECK(choose_path(false, true, 64, 4096, 2) != GemmPath::kSmall) << "k = 2, B^T: columns 2 apart";
  GN_CHECK(choose_path(false, false, 64, 255, 1) != GemmPath::kSmall) << "outer product, 255 columns";
  const Shape shapes[] = {
      shape(false, false, 120, 1, 400), shape(true, false, 37, 1, 301, -0.5f, 2.f),
      shape(false, false, 3, 1, 1000, 0.75f, -1.25f), shape(false, false, 64, 4096, 1),
      shape(false, false, 70, 300, 1, 2.f, 0.f, 3), shape(true, false, 33, 513, 2, -0.5f, 2.f),
      shape(false, false, 5, 4097, 2, 1.f, 1.f), shape(true, false, 9, 256, 1, 0.75f, 0.f, 3),
  };
  int count = 0;
  for (const Shape& s : shapes) run_case(s, GemmPath::kAuto, 1800 + count++);
}

// Shapes that cross the m-, n- and k-blocks, primes, degenerate vectors; forced packed and the
// automatic choice.
GN_TEST(gemm_blocks_and_primes) {
  const index_t mr = tile().mr, nr = tile().nr, kc = tile().kc, mc = tile().mc, nc = tile().nc;
  const index_t shapes[][3] = {
      {2 * mr + 1, 3 * nr + 5, 2 * kc + 3},  // several tiles, three k-blocks
      {mc + mr + 1, 2 * nr + 1, 37},         // two m-blocks
      {2 * mc + 5, nr + 3, 19},              // three m-blocks
      {13, nc + nr + 3, 41},                 // two n-blocks
      {37, 41, 43},       {97, 101, 103}, {61, 7, 389}, {5, 211, 67},
      {1, 1, 1},          {1, 1000, 3},   {1000, 1, 3}, {3, 3, 2000},
      {2, 300, 500},      {300, 3, 500},  {4, 129, 77}, {150, 4, 77},
      {1001, 6, 25},      {777, 16, 150}, {301, 64, 288}, {95, 40, 4096},  // sup shapes
      // Deep products (ukernel.h: kc_deep, mc_deep, where the kernel has them): longer k-blocks,
      // two m-blocks of mc_deep, the k-block cut at the threshold and just past it.
      {2 * std::max(tile().mc_deep, tile().mc) + 3, 2 * nr + 1, 2 * std::max(tile().kc_deep, tile().kc)},
      {mr + 3, nr + 5, 2 * std::max(tile().kc_deep, tile().kc) + 7},
  };
  int count = 0;
  for (GemmPath path : {GemmPath::kPacked, GemmPath::kAuto})
    for (const auto& mnk : shapes)
      for (int t = 0; t < 4; ++t) {
        const AlphaBeta ab = kAlphaBeta[count % kAlphaBetaCount];
        run_case(shape(t & 1, t & 2, mnk[0], mnk[1], mnk[2], ab.alpha, ab.beta, count % 2 ? 5 : 0),
                 path, 2000 + count);
        ++count;
      }
}

// A large product in every transpose case (multithreaded when the thread count allows).
GN_TEST(gemm_large) {
  int count = 0;
  for (int t = 0; t < 4; ++t) {
    const AlphaBeta ab = kAlphaBeta[(count + 2) % kAlphaBetaCount];
    run_case(shape(t & 1, t & 2, 517, 389, 611, ab.alpha, ab.beta, t == 3 ? 7 : 0), GemmPath::kAuto,
             3000 + count);
    ++count;
  }
}

// alpha == 0, k == 0, m == 0 or n == 0: C = beta C without reading A or B (BLAS semantics), or
// nothing at all.
GN_TEST(gemm_degenerate) {
  const index_t m = 23, n = 29, k = 31;
  gn_test::Rng rng(7);
  std::vector<float> a(m * k, kNaN), b(k * n, kNaN);  // must not be read
  for (float beta : {0.f, 1.f, -1.5f}) {
    for (index_t kk : {k, index_t(0)}) {
      const float alpha = kk == 0 ? 1.f : 0.f;
      std::vector<float> c0 = rng.vector(m * n), c = c0;
      if (beta == 0.f) c.assign(m * n, kNaN);
      gn::sgemm(false, false, m, n, kk, alpha, a.data(), k, b.data(), n, beta, c.data(), n);
      for (index_t i = 0; i < m * n; ++i) {
        const float want = beta == 0.f ? 0.f : beta * c0[i];
        GN_CHECK(c[i] == want) << "alpha=" << alpha << " k=" << kk << " beta=" << beta << " at " << i
                               << ": got " << c[i] << ", want " << want;
      }
    }
  }
  std::vector<float> c(16, kSentinel);
  gn::sgemm(false, false, 0, 4, 4, 1.f, a.data(), 4, b.data(), 4, 0.f, c.data(), 4);
  gn::sgemm(false, false, 4, 0, 4, 1.f, a.data(), 4, b.data(), 4, 0.f, c.data(), 4);
  gn::sgemm_batched(0, false, false, 4, 4, 4, 1.f, a.data(), 4, 16, b.data(), 4, 16, 0.f, c.data(),
                    4, 16);
  for (float x : c) GN_CHECK(x == kSentinel) << "an empty product wrote C";
}

// The automatic path choice depends on the shape (and the ISA) only: GEMV-like products skip
// packing, products with few columns skip packing A, unless the ISA's packed kernel is wider than
// the sup kernels (AVX-512) and would not pad the product by more than 20 %, or A is transposed
// and its k steps span 4 MB.
GN_TEST(gemm_path_choice) {
  using gn::gemm_detail::choose_path;
  const GemmPath sup = gn::kernels().gemm_sup.run16 != nullptr ? GemmPath::kSup : GemmPath::kPacked;
  const bool wide = gn::kernels().gemm.nr > 16;  // packed kernel for more than 16 columns
  const GemmPath sup_unless_wide = wide ? GemmPath::kPacked : sup;
  GN_CHECK(choose_path(false, false, 1, 4096, 4096) == GemmPath::kSmall) << "row vector x matrix";
  GN_CHECK(choose_path(true, false, 2, 4096, 4096) == GemmPath::kSmall) << "2 rows x matrix";
  GN_CHECK(choose_path(false, true, 1, 4096, 4096) == GemmPath::kSmall) << "row vector x matrix^T";
  GN_CHECK(choose_path(false, true, 4096, 2, 4096) == GemmPath::kSmall) << "matrix x column vectors";
  GN_CHECK(choose_path(true, true, 3, 4096, 4096) == GemmPath::kPacked);
  GN_CHECK(choose_path(false, false, 4096, 2, 4096) == sup) << "matrix x 2 columns, rows of B";
  GN_CHECK(choose_path(false, false, 8, 8, 8) == sup) << "tiny products skip packing A";
  GN_CHECK(choose_path(true, true, 512, 512, 512) == GemmPath::kPacked);
  // Few columns and enough rows: A read in place, where the ISA has the kernels.
  GN_CHECK(choose_path(false, false, 50176, 6, 25) == sup) << "im2col x 6 filters";
  GN_CHECK(choose_path(false, true, 16384, 64, 288) == sup_unless_wide) << "64 columns";
  // A transposed, its k steps spanning 4 MB or more (k * lda >= 2^20 floats): packed (the sup
  // kernels would read a new cache line and page per k step).
  GN_CHECK(choose_path(true, true, 16384, 64, 288) == GemmPath::kPacked) << "64 columns, A^T";
  GN_CHECK(choose_path(true, false, 4608, 16, 512) == GemmPath::kPacked) << "conv W^T dY, 512 channels";
  GN_CHECK(choose_path(true, false, 1000, 16, 512) == sup) << "A^T, rows 1000 apart";
  GN_CHECK(choose_path(true, false, 2048, 16, 256) == sup) << "A^T spanning 2 MB";
  GN_CHECK(choose_path(false, false, 1000, 16, 4096) == sup) << "one panel, long k";
  GN_CHECK(choose_path(false, false, 1000, 17, 4096) == GemmPath::kPacked) << "two panels, long k";
  GN_CHECK(choose_path(false, true, 64, 120, 400) == sup_unless_wide) << "LeNet fc1";
  GN_CHECK(choose_path(false, false, 64, 40, 300) == sup) << "40 columns (64 when padded to 32)";
  GN_CHECK(choose_path(false, false, 64, 27, 300) == sup_unless_wide) << "27 columns (32 padded)";
  GN_CHECK(choose_path(false, false, 64, 26, 300) == sup) << "26 columns (32 padded)";
  GN_CHECK(choose_path(false, false, 1000, 129, 64) == GemmPath::kPacked) << "129 columns";
  GN_CHECK(choose_path(false, false, 1000, 100, 801) == GemmPath::kPacked) << "100 columns, long k";
  GN_CHECK(choose_path(false, false, 3, 16, 64) == sup) << "3 rows";
}

namespace {

// One batched call checked matrix by matrix. A stride of 0 broadcasts that operand.
void run_batched(index_t batch, bool ta, bool tb, index_t m, index_t n, index_t k, bool share_a,
                 bool share_b, float alpha, float beta, std::uint64_t seed) {
  const Shape s = shape(ta, tb, m, n, k, alpha, beta, 2);
  std::vector<Operands> ops;
  for (index_t q = 0; q < batch; ++q) ops.push_back(make_operands(s, seed + q));
  const Operands& o = ops[0];
  // Strides above the matrix sizes, so that gaps between matrices are tested too.
  const index_t size_a = o.rows_a * o.lda + 1, size_b = o.rows_b * o.ldb + 1,
                size_c = m * o.ldc + 1;
  const index_t stride_a = share_a ? 0 : size_a + 3, stride_b = share_b ? 0 : size_b + 5,
                stride_c = size_c + 2;
  std::vector<float> a(static_cast<std::size_t>((batch - 1) * stride_a + size_a), kNaN);
  std::vector<float> b(static_cast<std::size_t>((batch - 1) * stride_b + size_b), kNaN);
  std::vector<float> c(static_cast<std::size_t>((batch - 1) * stride_c + size_c), kSentinel);
  for (index_t q = 0; q < batch; ++q) {
    // Shared operands come from matrix 0.
    if (share_a) ops[q].a = ops[0].a;
    if (share_b) ops[q].b = ops[0].b;
    for (index_t i = 0; i < size_a - 1; ++i) a[q * stride_a + i] = ops[q].a[i];
    for (index_t i = 0; i < size_b - 1; ++i) b[q * stride_b + i] = ops[q].b[i];
    for (index_t i = 0; i < size_c; ++i) c[q * stride_c + i] = ops[q].c0[i];
  }
  gn::sgemm_batched(batch, ta, tb, m, n, k, alpha, a.data(), o.lda, stride_a, b.data(), o.ldb,
                    stride_b, beta, c.data(), o.ldc, stride_c);
  std::vector<double> ref, absref;
  for (index_t q = 0; q < batch; ++q) {
    reference(s, ops[q], &ref, &absref);
    std::ostringstream what;
    what << "batched " << batch << (share_a ? " shared A" : "") << (share_b ? " shared B" : "")
         << " matrix " << q << ": " << describe(s, GemmPath::kAuto);
    check_result(s, ops[q], c.data() + q * stride_c, ref, absref, what.str());
  }
  for (index_t q = 0; q + 1 < batch; ++q)
    for (index_t i = size_c; i < stride_c; ++i)
      GN_CHECK(c[q * stride_c + i] == kSentinel) << "batched: gap after matrix " << q << " written";
}

}  // namespace

// Batches with A or B shared across the batch, for each schedule: many small products in
// parallel over the batch (packed, and on the small path), a few small products one after the
// other, and large products each split between threads.
GN_TEST(gemm_batched) {
  int count = 0;
  for (int t = 0; t < 4; ++t) {
    const bool ta = t & 1, tb = t & 2;
    const AlphaBeta ab = kAlphaBeta[count % kAlphaBetaCount];
    run_batched(600, ta, tb, 17, 19, 23, true, false, ab.alpha, ab.beta, 4000 + 1000 * count++);
    run_batched(64, ta, tb, 40, 50, 60, false, true, ab.alpha, ab.beta, 4000 + 1000 * count++);
    run_batched(200, ta, tb, 2, 300, 40, false, false, ab.alpha, ab.beta, 4000 + 1000 * count++);
    run_batched(5, ta, tb, 31, 45, 53, false, false, ab.alpha, ab.beta, 4000 + 1000 * count++);
    run_batched(3, ta, tb, 150, 170, 190, true, false, ab.alpha, ab.beta, 4000 + 1000 * count++);
  }
}

namespace {

// Runs the same call with 1 and 2 threads (and 2 threads twice): results must be bitwise equal.
// Returns the 2-thread result.
template <typename Call>
std::vector<float> check_deterministic(const std::string& what, std::size_t size, Call call) {
  ThreadCountGuard guard;
  std::vector<float> c1(size), c2(size), c3(size);
  gn::set_num_threads(1);
  call(c1.data());
  gn::set_num_threads(2);
  call(c2.data());
  call(c3.data());
  gn_test::check_equal(what + " (1 vs 2 threads)", c2.data(), c1.data(), size);
  gn_test::check_equal(what + " (2 threads, run to run)", c3.data(), c2.data(), size);
  return c2;
}

void check_deterministic_shape(const Shape& s) {
  const Operands o = make_operands(s, 77);
  const std::string what = describe(s, GemmPath::kAuto);
  const std::vector<float> c = check_deterministic(what, o.c0.size(), [&](float* out) {
    for (std::size_t i = 0; i < o.c0.size(); ++i) out[i] = o.c0[i];
    gn::sgemm(s.ta, s.tb, s.m, s.n, s.k, s.alpha, o.a.data(), o.lda, o.b.data(), o.ldb, s.beta,
              out, o.ldc);
  });
  std::vector<double> ref, absref;
  reference(s, o, &ref, &absref);
  check_result(s, o, c.data(), ref, absref, what + " (2 threads)");
}

}  // namespace

// Bitwise identical results for 1 and 2 threads, for every parallel schedule of the driver.
GN_TEST(gemm_deterministic_across_threads) {
  check_deterministic_shape(shape(false, false, 517, 389, 611, 1.f, 0.f));       // M split
  check_deterministic_shape(shape(true, true, 517, 389, 611, -0.5f, 2.f, 3));    // M split
  check_deterministic_shape(shape(false, true, 200, 4200, 100, 1.f, 1.f));       // M split, 2 n-blocks
  check_deterministic_shape(shape(false, true, 13, 3001, 300, 1.f, 1.f));        // N split
  check_deterministic_shape(shape(true, false, 7, 9001, 257, 0.75f, 0.f));       // N split, 2 n-blocks
  check_deterministic_shape(shape(false, false, 2, 5001, 400, 1.f, 1.f));        // small, rows form
  check_deterministic_shape(shape(false, true, 4001, 2, 300, 1.f, -1.25f));      // small, dots form
  check_deterministic_shape(shape(false, false, 4001, 1, 300, 1.f, 0.f));        // small, dots, one column
  check_deterministic_shape(shape(false, false, 300, 5001, 1, 1.f, 0.f));        // small, outer product
  check_deterministic_shape(shape(false, false, 20001, 6, 25, 1.f, 0.f));        // sup, 8-wide
  check_deterministic_shape(shape(true, true, 3001, 40, 150, 0.75f, 1.f, 3));    // sup, 16 + 8

  // Batch-parallel schedules (small products packed, and on the small path).
  const index_t batch_shapes[][3] = {{24, 24, 48}, {40, 50, 60}, {2, 300, 64}};
  for (const auto& mnk : batch_shapes) {
    const Shape s = shape(false, true, mnk[0], mnk[1], mnk[2], 1.f, 0.f);
    const index_t batch = 256;
    gn_test::Rng rng(99);
    const std::vector<float> a = rng.vector(mnk[0] * mnk[2]);
    const std::vector<float> b = rng.vector(batch * mnk[1] * mnk[2]);
    const index_t size_c = mnk[0] * mnk[1];
    std::ostringstream what;
    what << "batched " << batch << " x " << describe(s, GemmPath::kAuto);
    check_deterministic(what.str(), batch * size_c, [&](float* c) {
      gn::sgemm_batched(batch, s.ta, s.tb, s.m, s.n, s.k, 1.f, a.data(), s.k, 0, b.data(), s.k,
                        s.n * s.k, 0.f, c, s.n, size_c);
    });
  }
}

// Called from inside a parallel region (as the batch-parallel convolution does), sgemm runs on the
// calling thread and gives the same bits as a call from outside.
GN_TEST(gemm_inside_parallel_region) {
  for (index_t n : {150, 40}) {  // packed, and (where the ISA has it) sup
    const Shape s = shape(false, false, 200, n, 180, 1.f, 0.f);
    const Operands o = make_operands(s, 55);
    std::vector<float> want = o.c0;
    gn::sgemm(s.ta, s.tb, s.m, s.n, s.k, 1.f, o.a.data(), o.lda, o.b.data(), o.ldb, 0.f,
              want.data(), o.ldc);
    std::vector<std::vector<float>> got(2, o.c0);
#pragma omp parallel for num_threads(2) schedule(static)
    for (int t = 0; t < 2; ++t)
      gn::sgemm(s.ta, s.tb, s.m, s.n, s.k, 1.f, o.a.data(), o.lda, o.b.data(), o.ldb, 0.f,
                got[t].data(), o.ldc);
    for (int t = 0; t < 2; ++t)
      gn_test::check_equal("inside a parallel region, n " + std::to_string(n) + ", thread " +
                               std::to_string(t),
                           got[t].data(), want.data(), want.size());
  }
}

// BLIS-style residual on one big product (testsuite/src/test_gemm.c): v = C t against
// z = beta C0 t + alpha op(A) (op(B) t) for a random vector t, in O(n^2). With the elementwise bound
// on C, |v - z|_i <= gamma_{K+2} (|alpha| |A| (|B| |t|) + |beta| |C0| |t|)_i.
GN_TEST(gemm_residual_big) {
  const Shape s = shape(false, true, 1031, 1021, 1033, -0.75f, 0.5f, 1);
  const Operands o = make_operands(s, 4242);
  std::vector<float> c = o.c0;
  gn::sgemm(s.ta, s.tb, s.m, s.n, s.k, s.alpha, o.a.data(), o.lda, o.b.data(), o.ldb, s.beta,
            c.data(), o.ldc);
  gn_test::Rng rng(4343);
  std::vector<double> t(s.n), bt(s.k, 0.0), abs_bt(s.k, 0.0);
  for (auto& x : t) x = rng.uniform(-1.f, 1.f);
  for (index_t p = 0; p < s.k; ++p)
    for (index_t j = 0; j < s.n; ++j) {
      const double bpj = op_b(s, o, p, j);
      bt[p] += bpj * t[j];
      abs_bt[p] += std::fabs(bpj * t[j]);
    }
  std::vector<float> v_f(s.m);
  std::vector<double> z(s.m), bound(s.m);
  const double g = gn_test::gamma_bound(s.k);
  const double u64 = std::ldexp(1.0, -53) * static_cast<double>(s.n + s.k + 4);
  for (index_t i = 0; i < s.m; ++i) {
    double v = 0, abs_v = 0, c0t = 0, abs_c0t = 0, abt = 0, abs_abt = 0;
    for (index_t j = 0; j < s.n; ++j) {
      v += c[i * o.ldc + j] * t[j];
      abs_v += std::fabs(c[i * o.ldc + j] * t[j]);
      c0t += o.c0[i * o.ldc + j] * t[j];
      abs_c0t += std::fabs(o.c0[i * o.ldc + j] * t[j]);
    }
    for (index_t p = 0; p < s.k; ++p) {
      const double aip = op_a(s, o, i, p);
      abt += aip * bt[p];
      abs_abt += std::fabs(aip) * abs_bt[p];
    }
    const double zi = s.beta * c0t + s.alpha * abt;
    const double scale = std::fabs(static_cast<double>(s.alpha)) * abs_abt +
                         std::fabs(static_cast<double>(s.beta)) * abs_c0t;
    // The float64 sums here add their own rounding, far below the fp32 bound.
    const double b = g * scale + u64 * (scale + abs_v);
    GN_CHECK(std::fabs(v - zi) <= b) << "residual row " << i << ": |Ct - z| = " << std::fabs(v - zi)
                                     << " > " << b << " (" << describe(s, GemmPath::kAuto) << ")";
  }
}

// The prepacked-operand API (sgemm_blocking / sgemm_pack_a / sgemm_pack_b / sgemm_packed_block):
// packing each k-block and multiplying block by block gives exactly sgemm's packed-path bits, for
// every transpose case, edge sizes around the tile and the k-block, and alpha/beta pairs; products
// of at most kNarrowCols columns with the ISA's narrow kernel (isa.h), both in sgemm and here.
GN_TEST(gemm_prepacked_blocks) {
  const index_t nr = tile().nr;
  const index_t ms[] = {1, tile().mr + 1, 3 * tile().mr, 151};
  const index_t ns[] = {1, gn::kNarrowCols, gn::kNarrowCols + 1, nr - 1, 2 * nr + 3};
  // Deep products (ukernel.h: kc_deep) take longer k-blocks: one past the threshold, where the
  // kernel has one.
  const index_t deep_k = 2 * std::max(tile().kc_deep, tile().kc) + 5;
  const index_t ks[] = {1, 7, tile().kc, tile().kc + 1, 2 * tile().kc + 5, gn::kernels().gemm_narrow.kc + 1, deep_k};
  std::uint64_t seed = 7000;
  int variant = 0;
  for (index_t m : ms)
    for (index_t n : ns)
      for (index_t k : ks) {
        const AlphaBeta ab = kAlphaBeta[variant % kAlphaBetaCount];
        const bool ta = variant & 1, tb = (variant >> 1) & 1;
        ++variant;
        const Shape s = shape(ta, tb, m, n, k, ab.alpha, ab.beta, variant % 3 == 0 ? 3 : 0);
        const Operands o = make_operands(s, seed++);
        std::vector<float> want = o.c0;
        {
          PathGuard guard(GemmPath::kPacked);
          gn::sgemm(ta, tb, m, n, k, s.alpha, o.a.data(), o.lda, o.b.data(), o.ldb, s.beta,
                    want.data(), o.ldc);
        }
        const gn::GemmBlocking bl = gn::sgemm_blocking(k, n);
        const gn::GemmUkernel& uk = n <= gn::kNarrowCols ? gn::kernels().gemm_narrow : gn::kernels().gemm;
        const index_t mr = uk.mr, kc = k >= 2 * index_t(uk.kc_deep) && uk.kc_deep > 0 ? uk.kc_deep : uk.kc;
        GN_CHECK(bl.uk->run == uk.run && bl.mr == mr && bl.nr == uk.nr && bl.kc <= kc && bl.nblocks * bl.kc >= k &&
                 (bl.nblocks - 1) * bl.kc < k)
            << describe(s, GemmPath::kPacked) << ": blocking " << bl.kc << " x " << bl.nblocks;
        const index_t pa = (m + mr - 1) / mr * gn::sgemm_panel_floats(bl.mr, bl.kc);
        const index_t pb = (n + bl.nr - 1) / bl.nr * gn::sgemm_panel_floats(bl.nr, bl.kc);
        float* ap = gn::scratch(gn::kScratchPool, sizeof(float) * (pa + pb));  // 64-byte aligned
        float* bp = ap + pa;
        std::vector<float> got = o.c0;
        for (index_t b = 0; b < bl.nblocks; ++b) {
          const index_t k0 = b * bl.kc, kb = k - k0 < bl.kc ? k - k0 : bl.kc;
          gn::sgemm_pack_a(bl, ta, m, kb, o.a.data() + (ta ? k0 * o.lda : k0), o.lda, ap);
          gn::sgemm_pack_b(bl, tb, n, kb, o.b.data() + (tb ? k0 : k0 * o.ldb), o.ldb, bp);
          gn::sgemm_packed_block(bl, m, n, kb, s.alpha, ap, bp, b == 0 ? s.beta : 1.f, got.data(), o.ldc);
        }
        gn_test::check_equal(describe(s, GemmPath::kPacked) + " prepacked blocks", got.data(),
                             want.data(), want.size());
      }
}

// ---- the epilogue: bias per column and ReLU once a product is complete ----------------------------

namespace {

// c = act(alpha op(A) op(B) + beta C0 + bias[j]) against float64, on one forced path (or the
// driver's own choice with 1 and 2 threads, bitwise equal).
void check_epilogue(const Shape& s, GemmPath path, bool with_bias, bool relu) {
  const Operands o = make_operands(s, 91);
  gn_test::Rng rng(92);
  const std::vector<float> bias = rng.vector(static_cast<std::size_t>(s.n), -2.f, 2.f);
  gn::GemmEpilogue ep;
  ep.bias = with_bias ? bias.data() : nullptr;
  ep.relu = relu;
  std::ostringstream what;
  what << describe(s, path) << (with_bias ? " +bias" : "") << (relu ? " relu" : "");
  std::vector<float> c;
  {
    PathGuard guard(path);
    c = check_deterministic(what.str(), o.c0.size(), [&](float* out) {
      for (std::size_t i = 0; i < o.c0.size(); ++i) out[i] = o.c0[i];
      gn::sgemm(s.ta, s.tb, s.m, s.n, s.k, s.alpha, o.a.data(), o.lda, o.b.data(), o.ldb, s.beta, out, o.ldc, ep);
    });
  }
  std::vector<double> ref, absref;
  reference(s, o, &ref, &absref);
  for (index_t i = 0; i < s.m; ++i)
    for (index_t j = 0; j < s.n; ++j) {
      double& r = ref[i * s.n + j];
      if (with_bias) {
        r += bias[j];
        absref[i * s.n + j] += std::fabs(static_cast<double>(bias[j]));
      }
      if (relu && r < 0) r = 0;  // max(., 0) moves no value further from the reference
    }
  check_result(s, o, c.data(), ref, absref, what.str());
}

}  // namespace

// Every path and parallel schedule, edge tiles, k-blocks, a product with k = 0 (the epilogue on
// beta C alone), every combination of bias and ReLU.
GN_TEST(gemm_epilogue) {
  const struct {
    Shape s;
    GemmPath path;
  } cases[] = {
      {shape(false, true, 64, 120, 400, 1.f, 1.f), GemmPath::kPacked},   // LeNet's fc1, beta 1
      {shape(false, true, 64, 120, 400), GemmPath::kAuto},               // the driver's choice
      {shape(true, false, 37, 45, 300, -0.5f, 2.f, 3), GemmPath::kPacked},  // edge tiles, padding
      {shape(false, false, 517, 389, 611, 0.75f, 0.f), GemmPath::kAuto},    // M split, 3 k-blocks
      {shape(false, true, 13, 3001, 300, 1.f, 1.f), GemmPath::kAuto},       // N split: bias offset
      {shape(true, true, 301, 40, 150, 0.75f, 1.f), GemmPath::kSup},        // sup, 16 + 8 wide
      {shape(false, false, 2, 501, 40, 1.f, -1.25f), GemmPath::kSmall},     // small, rows form
      {shape(false, true, 401, 2, 30, 1.f, 0.f), GemmPath::kSmall},         // small, dots form
      {shape(false, false, 401, 1, 30, 1.f, 0.f), GemmPath::kAuto},         // small, one column
      {shape(false, false, 40, 700, 1, 1.f, 0.f), GemmPath::kAuto},         // small, outer product
      {shape(false, false, 9, 7, 0, 1.f, 0.5f), GemmPath::kAuto},           // k = 0: beta C only
  };
  for (const auto& cs : cases)
    for (int v = 1; v < 4; ++v) check_epilogue(cs.s, cs.path, (v & 1) != 0, (v & 2) != 0);
}
