// GEMM micro-kernel for AVX2 + FMA: a 6x16 tile of C in 12 ymm accumulators (BLIS haswell/zen3
// sgemm shape). Per k step: 2 loads of B (16 floats), 6 broadcasts of A, 12 FMAs. Contract and
// packed layouts in ukernel.h.
//
// ISA unit (compiled with -mavx2 -mfma): everything lives in gn::avx2, helpers in an anonymous
// namespace, and only intrinsics and project headers are included (KERNELS.md §6.5).
#include <immintrin.h>

#include "../lanes_avx2.h"
#include "tile_6x16_avx2.h"
#include "ukernel.h"

namespace gn {
namespace avx2 {
namespace {

constexpr int kMr = 6;
constexpr int kNr = 16;

// Blocking for Zen3/Haswell (KERNELS.md §2.3): a 256 x 16 panel of B is 16 KB (half of L1), a
// 144 x 256 block of A is 144 KB (L2 is 512 KB), a 256 x 4080 panel of B is 4 MB (L3).
constexpr int kKc = 256;
constexpr int kMc = 144;
constexpr int kNc = 4080;

// C[0..7] = alpha * acc + beta * C, written so that beta == 0 never reads C and beta == 1 costs
// one FMA per vector.
inline void store_row8(float* c, __m256 acc, __m256 valpha, float beta) {
  if (beta == 0.f)
    _mm256_storeu_ps(c, _mm256_mul_ps(valpha, acc));
  else if (beta == 1.f)
    _mm256_storeu_ps(c, _mm256_fmadd_ps(valpha, acc, _mm256_loadu_ps(c)));
  else
    _mm256_storeu_ps(c, _mm256_fmadd_ps(valpha, acc,
                                        _mm256_mul_ps(_mm256_set1_ps(beta), _mm256_loadu_ps(c))));
}

// C[0..15], the same for each half.
inline void store_row(float* c, __m256 acc0, __m256 acc1, __m256 valpha, float beta) {
  store_row8(c, acc0, valpha, beta);
  store_row8(c + 8, acc1, valpha, beta);
}

// gemm_f32_ukernel_6x16__avx2_fma
void gemm_f32_ukernel_6x16(index_t kc, const float* GN_RESTRICT a, const float* GN_RESTRICT b,
                           float* GN_RESTRICT c, index_t ldc, float alpha, float beta) {
  // Bring the C tile towards L1 while the k loop runs (it is read or written only at the end).
  for (int i = 0; i < kMr; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + kNr - 1), _MM_HINT_T0);
  }

  __m256 c0x0 = _mm256_setzero_ps(), c0x8 = _mm256_setzero_ps();
  __m256 c1x0 = _mm256_setzero_ps(), c1x8 = _mm256_setzero_ps();
  __m256 c2x0 = _mm256_setzero_ps(), c2x8 = _mm256_setzero_ps();
  __m256 c3x0 = _mm256_setzero_ps(), c3x8 = _mm256_setzero_ps();
  __m256 c4x0 = _mm256_setzero_ps(), c4x8 = _mm256_setzero_ps();
  __m256 c5x0 = _mm256_setzero_ps(), c5x8 = _mm256_setzero_ps();

#pragma GCC unroll 4
  for (index_t p = 0; p < kc; ++p) {
    step_6x16(b, a, a + 1, a + 2, a + 3, a + 4, a + 5, c0x0, c0x8, c1x0, c1x8, c2x0, c2x8, c3x0, c3x8,
              c4x0, c4x8, c5x0, c5x8);
    a += kMr;
    b += kNr;
  }

  const __m256 valpha = _mm256_set1_ps(alpha);
  store_row(c + 0 * ldc, c0x0, c0x8, valpha, beta);
  store_row(c + 1 * ldc, c1x0, c1x8, valpha, beta);
  store_row(c + 2 * ldc, c2x0, c2x8, valpha, beta);
  store_row(c + 3 * ldc, c3x0, c3x8, valpha, beta);
  store_row(c + 4 * ldc, c4x0, c4x8, valpha, beta);
  store_row(c + 5 * ldc, c5x0, c5x8, valpha, beta);
}

// ---- unpacked-A micro-kernels (ukernel.h, GemmSupFn) -------------------------------------------

// c[0 .. nv-1] = alpha * acc + beta * c for nv in 1..7, by the operations of store_row8 (so that a
// column's result does not depend on whether its row is stored whole); beta == 0 never reads c.
inline void store_part(float* c, __m256 acc, int nv, __m256 valpha, float beta) {
  __m256 r;
  if (beta == 0.f) {
    r = _mm256_mul_ps(valpha, acc);
  } else {
    const __m256 cv = load_first(c, nv);
    r = beta == 1.f ? _mm256_fmadd_ps(valpha, acc, cv)
                    : _mm256_fmadd_ps(valpha, acc, _mm256_mul_ps(_mm256_set1_ps(beta), cv));
  }
  store_first(c, r, nv);
}

// Row pointers of the tile: rows at or past mv repeat row mv - 1 (read, computed, never stored), so
// that no row past the matrix is touched.
inline void tile_rows(const float* a, index_t rs_a, int mv, const float* rows[kMr]) {
  for (int i = 0; i < kMr; ++i) rows[i] = a + (i < mv ? i : mv - 1) * rs_a;
}

// 6 x 16: 12 accumulators; per k step 2 loads of B, 6 broadcasts of A, 12 FMAs.
void gemm_f32_sup_6x16(index_t k, const float* GN_RESTRICT a, index_t rs_a, index_t cs_a,
                       const float* GN_RESTRICT b, float* GN_RESTRICT c, index_t ldc, int mv,
                       int nv, float alpha, float beta) {
  const float* r[kMr];
  tile_rows(a, rs_a, mv, r);
  const float *a0 = r[0], *a1 = r[1], *a2 = r[2], *a3 = r[3], *a4 = r[4], *a5 = r[5];
  __m256 c0x0 = _mm256_setzero_ps(), c0x8 = _mm256_setzero_ps();
  __m256 c1x0 = _mm256_setzero_ps(), c1x8 = _mm256_setzero_ps();
  __m256 c2x0 = _mm256_setzero_ps(), c2x8 = _mm256_setzero_ps();
  __m256 c3x0 = _mm256_setzero_ps(), c3x8 = _mm256_setzero_ps();
  __m256 c4x0 = _mm256_setzero_ps(), c4x8 = _mm256_setzero_ps();
  __m256 c5x0 = _mm256_setzero_ps(), c5x8 = _mm256_setzero_ps();
#pragma GCC unroll 4
  for (index_t p = 0; p < k; ++p) {
    const index_t o = p * cs_a;
    step_6x16(b, a0 + o, a1 + o, a2 + o, a3 + o, a4 + o, a5 + o, c0x0, c0x8, c1x0, c1x8, c2x0, c2x8,
              c3x0, c3x8, c4x0, c4x8, c5x0, c5x8);
    b += 16;
  }
  const __m256 valpha = _mm256_set1_ps(alpha);
  const __m256 acc[kMr][2] = {{c0x0, c0x8}, {c1x0, c1x8}, {c2x0, c2x8},
                              {c3x0, c3x8}, {c4x0, c4x8}, {c5x0, c5x8}};
  for (int i = 0; i < mv; ++i) {
    float* ci = c + i * ldc;
    if (nv == 16) {
      store_row(ci, acc[i][0], acc[i][1], valpha, beta);
    } else if (nv > 8) {
      store_row8(ci, acc[i][0], valpha, beta);
      store_part(ci + 8, acc[i][1], nv - 8, valpha, beta);
    } else {
      store_part(ci, acc[i][0], nv, valpha, beta);
    }
  }
}

// 6 x 8 on the pair-interleaved panel (ukernel.h, run8): per two k steps, one 8-byte broadcast of
// (A(i, p), A(i, p+1)) per row against two vectors of B, each lane pair holding one column's even
// and odd step. That is the 6x16 kernel's mix (2 loads, 6 broadcasts, 12 FMAs per step) where one
// broadcast per FMA (a plain 6 x 8 tile, k-major panel) kept the FMA pipes half idle on Zen3. One
// thread, best of 8 alternating runs: 50176 x 6 x 25 406 -> 358 us, 12544 x 6 x 150 466 -> 391,
// 1000 x 8 x 512 107 -> 96. Even and odd steps still sum apart (12 chains of FMAs for a latency of
// 4 on two pipes) and are added at the end, even + odd, as the k-major kernel did.
// kUnitA: A(i, p + 1) follows A(i, p) (cs_a == 1), so one 8-byte broadcast loads the pair;
// otherwise two broadcasts and a blend.
template <bool kUnitA>
inline __m256 pair_of(const float* a, index_t o, index_t cs_a) {
  if (kUnitA) return _mm256_castpd_ps(_mm256_broadcast_sd(reinterpret_cast<const double*>(a + o)));
  return _mm256_blend_ps(_mm256_broadcast_ss(a + o), _mm256_broadcast_ss(a + o + cs_a), 0xAA);
}

// A row's two accumulators after one more step: lo (columns 0-3) += x * bl, hi (4-7) += x * bh.
inline void fma_pair(__m256 x, __m256 bl, __m256 bh, __m256& lo, __m256& hi) {
  lo = _mm256_fmadd_ps(x, bl, lo);
  hi = _mm256_fmadd_ps(x, bh, hi);
}

// A(i, p) in the even lanes, zero in the odd ones: an odd k's last step, alone (its odd slots of B
// are zero, and a copy of an infinite A(i, p) there would make 0 * inf = NaN).
inline __m256 even_only(const float* a) {
  return _mm256_blend_ps(_mm256_broadcast_ss(a), _mm256_setzero_ps(), 0xAA);
}

// The row's sums in column order: lo holds (even, odd) of columns 0-3, hi of columns 4-7; hadd
// gives columns 0 1 4 5 | 2 3 6 7 (each even + odd), and the 64-bit permute puts them in order.
inline __m256 fold_pairs(__m256 lo, __m256 hi) {
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_hadd_ps(lo, hi)), 0xD8));
}

template <bool kUnitA>
void sup_6x8(index_t k, const float* GN_RESTRICT a, index_t rs_a, index_t cs_a,
             const float* GN_RESTRICT b, float* GN_RESTRICT c, index_t ldc, int mv, int nv,
             float alpha, float beta) {
  const float* r[kMr];
  tile_rows(a, rs_a, mv, r);
  const float *a0 = r[0], *a1 = r[1], *a2 = r[2], *a3 = r[3], *a4 = r[4], *a5 = r[5];
  __m256 l0 = _mm256_setzero_ps(), l1 = _mm256_setzero_ps(), l2 = _mm256_setzero_ps();
  __m256 l3 = _mm256_setzero_ps(), l4 = _mm256_setzero_ps(), l5 = _mm256_setzero_ps();
  __m256 h0 = _mm256_setzero_ps(), h1 = _mm256_setzero_ps(), h2 = _mm256_setzero_ps();
  __m256 h3 = _mm256_setzero_ps(), h4 = _mm256_setzero_ps(), h5 = _mm256_setzero_ps();
  index_t p = 0;
#pragma GCC unroll 2
  for (; p + 2 <= k; p += 2) {
    const __m256 bl = _mm256_loadu_ps(b);
    const __m256 bh = _mm256_loadu_ps(b + 8);
    const index_t o = p * cs_a;
    fma_pair(pair_of<kUnitA>(a0, o, cs_a), bl, bh, l0, h0);
    fma_pair(pair_of<kUnitA>(a1, o, cs_a), bl, bh, l1, h1);
    fma_pair(pair_of<kUnitA>(a2, o, cs_a), bl, bh, l2, h2);
    fma_pair(pair_of<kUnitA>(a3, o, cs_a), bl, bh, l3, h3);
    fma_pair(pair_of<kUnitA>(a4, o, cs_a), bl, bh, l4, h4);
    fma_pair(pair_of<kUnitA>(a5, o, cs_a), bl, bh, l5, h5);
    b += 16;
  }
  if (p < k) {
    const __m256 bl = _mm256_loadu_ps(b);
    const __m256 bh = _mm256_loadu_ps(b + 8);
    const index_t o = p * cs_a;
    fma_pair(even_only(a0 + o), bl, bh, l0, h0);
    fma_pair(even_only(a1 + o), bl, bh, l1, h1);
    fma_pair(even_only(a2 + o), bl, bh, l2, h2);
    fma_pair(even_only(a3 + o), bl, bh, l3, h3);
    fma_pair(even_only(a4 + o), bl, bh, l4, h4);
    fma_pair(even_only(a5 + o), bl, bh, l5, h5);
  }
  const __m256 valpha = _mm256_set1_ps(alpha);
  if (mv == kMr && beta == 0.f && nv > 4) {
    // The common case, a whole tile of 5-8 columns and C only written, without the per-row tests of
    // the general path below (the same operations): 50176 x 6 x 25 334 -> 316 us, 50176 x 6 x 2
    // 181 -> 153 us (one thread, best of 5 alternating runs). With nv > 4 known, store_first's
    // first test folds away: 175 -> 159 us at k = 2 against the same path without the condition.
    store_first(c + 0 * ldc, _mm256_mul_ps(valpha, fold_pairs(l0, h0)), nv);
    store_first(c + 1 * ldc, _mm256_mul_ps(valpha, fold_pairs(l1, h1)), nv);
    store_first(c + 2 * ldc, _mm256_mul_ps(valpha, fold_pairs(l2, h2)), nv);
    store_first(c + 3 * ldc, _mm256_mul_ps(valpha, fold_pairs(l3, h3)), nv);
    store_first(c + 4 * ldc, _mm256_mul_ps(valpha, fold_pairs(l4, h4)), nv);
    store_first(c + 5 * ldc, _mm256_mul_ps(valpha, fold_pairs(l5, h5)), nv);
    return;
  }
  const __m256 acc[kMr] = {fold_pairs(l0, h0), fold_pairs(l1, h1), fold_pairs(l2, h2),
                           fold_pairs(l3, h3), fold_pairs(l4, h4), fold_pairs(l5, h5)};
  for (int i = 0; i < mv; ++i) {
    float* ci = c + i * ldc;
    if (nv == 8)
      store_row8(ci, acc[i], valpha, beta);
    else
      store_part(ci, acc[i], nv, valpha, beta);
  }
}

void gemm_f32_sup_6x8(index_t k, const float* GN_RESTRICT a, index_t rs_a, index_t cs_a,
                      const float* GN_RESTRICT b, float* GN_RESTRICT c, index_t ldc, int mv,
                      int nv, float alpha, float beta) {
  if (cs_a == 1)
    sup_6x8<true>(k, a, rs_a, cs_a, b, c, ldc, mv, nv, alpha, beta);
  else
    sup_6x8<false>(k, a, rs_a, cs_a, b, c, ldc, mv, nv, alpha, beta);
}

// 1 to 6 columns on the quad-interleaved panel (ukernel.h, run_quads), rows of A contiguous:
// per four k steps, one 16-byte broadcast of A(i, p .. p+3) per row against NV = ceil(nv / 2)
// vectors of B, each half holding one column's four steps. Every lane does useful work where the
// pair kernel's columns 7-8 (6 columns: a quarter of its FMAs) or 5-8 (4 columns: half) are
// padding, and one broadcast feeds NV FMAs. Rows go R at a time (R x NV <= 12 accumulators), the
// sums of steps p % 4 == 0, 1, 2, 3 apart, folded as (s0 + s1) + (s2 + s3) at the end.
// One thread, best of 4 alternating runs, pair kernel -> this one (us): 128x6x1024 25.8 -> 21.0,
// 1000x6x1024 174 -> 141, 4096x6x100 81 -> 73, 128x4x1024 25.2 -> 14.8, 4096x4x48 42.9 -> 34.5,
// 4096x3x32 31.3 -> 27.9. Its fold (three hadds per row of 6 columns, against one) loses on short
// k: 50176x6x25 346 -> 454, 4096x6x64 54 -> 55, 50176x4x25 338 -> 344, 8192x4x12 39 -> 47; the
// driver takes it from k = 32 (up to 4 columns) or k = 96 (5 or 6).
template <int NV>
inline __m256 fold_quads(const __m256 (&v)[NV]) {
  // hadd within each 128-bit half: column 2u in the low half, 2u + 1 in the high half, lane u;
  // the permute interleaves the halves into column order.
  __m256 q;
  if (NV == 1) {
    const __m256 h = _mm256_hadd_ps(v[0], v[0]);
    q = _mm256_hadd_ps(h, h);
  } else if (NV == 2) {
    const __m256 h = _mm256_hadd_ps(v[0], v[NV - 1]);
    q = _mm256_hadd_ps(h, h);
  } else {
    q = _mm256_hadd_ps(_mm256_hadd_ps(v[0], v[1]), _mm256_hadd_ps(v[NV - 1], v[NV - 1]));
  }
  return _mm256_permutevar8x32_ps(q, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

template <int NV, int R>
void quad_rows(index_t k, const float* const* rows, const float* GN_RESTRICT b, float* GN_RESTRICT c,
               index_t ldc, int mv, int nv, float alpha, float beta) {
  __m256 acc[R][NV];
#pragma GCC unroll 12
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 3
    for (int u = 0; u < NV; ++u) acc[r][u] = _mm256_setzero_ps();
  index_t p = 0;
  for (; p + 4 <= k; p += 4) {
    __m256 bv[NV];
#pragma GCC unroll 3
    for (int u = 0; u < NV; ++u) bv[u] = _mm256_loadu_ps(b + 8 * u);
#pragma GCC unroll 12
    for (int r = 0; r < R; ++r) {
      const __m256 x = _mm256_broadcast_ps(reinterpret_cast<const __m128*>(rows[r] + p));
#pragma GCC unroll 3
      for (int u = 0; u < NV; ++u) acc[r][u] = _mm256_fmadd_ps(x, bv[u], acc[r][u]);
    }
    b += 8 * NV;
  }
  if (p < k) {  // the last 1-3 steps; the lanes past k load zeros (B is zero there too)
    const __m128i m = _mm256_castsi256_si128(first_lanes(k - p));
    __m256 bv[NV];
#pragma GCC unroll 3
    for (int u = 0; u < NV; ++u) bv[u] = _mm256_loadu_ps(b + 8 * u);
#pragma GCC unroll 12
    for (int r = 0; r < R; ++r) {
      const __m128 x4 = _mm_maskload_ps(rows[r] + p, m);
      const __m256 x = _mm256_insertf128_ps(_mm256_castps128_ps256(x4), x4, 1);
#pragma GCC unroll 3
      for (int u = 0; u < NV; ++u) acc[r][u] = _mm256_fmadd_ps(x, bv[u], acc[r][u]);
    }
  }
  const __m256 valpha = _mm256_set1_ps(alpha);
#pragma GCC unroll 12
  for (int r = 0; r < R; ++r)
    if (r < mv) store_part(c + r * ldc, fold_quads<NV>(acc[r]), nv, valpha, beta);
}

void gemm_f32_sup_quads(index_t k, const float* GN_RESTRICT a, index_t rs_a, index_t /*cs_a == 1*/,
                        const float* GN_RESTRICT b, float* GN_RESTRICT c, index_t ldc, int mv, int nv,
                        float alpha, float beta) {
  const float* r[kMr];
  tile_rows(a, rs_a, mv, r);
  switch ((nv + 1) / 2) {
    case 1: quad_rows<1, 6>(k, r, b, c, ldc, mv, nv, alpha, beta); break;
    case 2: quad_rows<2, 6>(k, r, b, c, ldc, mv, nv, alpha, beta); break;
    default:
      quad_rows<3, 3>(k, r, b, c, ldc, mv, nv, alpha, beta);
      if (mv > 3) quad_rows<3, 3>(k, r + 3, b, c + 3 * ldc, ldc, mv - 3, nv, alpha, beta);
  }
}

}  // namespace

GemmUkernel gemm_ukernel() { return {kMr, kNr, kKc, kMc, kNc, gemm_f32_ukernel_6x16}; }

GemmSupKernels gemm_sup_kernels() { return {kMr, gemm_f32_sup_6x16, gemm_f32_sup_6x8, gemm_f32_sup_quads}; }

}  // namespace avx2
}  // namespace gn
