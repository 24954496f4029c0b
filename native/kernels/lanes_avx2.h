// Loads and stores of the first n lanes of a ymm register (a row end), and the split of 16 floats
// into their even and odd lanes and back (stride-2 rows), for AVX2 units (compiled
// with -mavx2 -mfma; the functions live in gn::avx2 like everything those units define). Loads are
// masked (vmaskmovps from memory is as cheap as a plain load on Zen3 and never touches the lanes
// past n). A masked store (vmaskmovps / vpmaskmovd to memory) costs 12-15 cycles on Zen3 against one
// for a plain store (4 ns against 0.8 per store in a loop, whole or partial mask): a whole vector
// goes out as one plain store, a partial one in 4-, 2- and 1-lane pieces.
#ifndef GRADNODE_KERNELS_LANES_AVX2_H_
#define GRADNODE_KERNELS_LANES_AVX2_H_

#include <immintrin.h>
#include <stdint.h>

#include "common.h"

namespace gn {
namespace avx2 {

// All ones in lanes l < n (none for n <= 0, all for n >= 8).
inline __m256i first_lanes(index_t n) {
  const index_t c = n < 0 ? 0 : n > 8 ? 8 : n;
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int32_t>(c)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// p[0 .. n-1] in the first n lanes, zeros in the others (p[n..7] not read).
inline __m256 load_first(const float* p, index_t n) { return _mm256_maskload_ps(p, first_lanes(n)); }

// p[0 .. n-1] = v's first n lanes; nothing for n <= 0, all eight for n >= 8.
inline void store_first(float* p, __m256 v, index_t n) {
  if (n >= 8) {
    _mm256_storeu_ps(p, v);
    return;
  }
  __m128 x = _mm256_castps256_ps128(v);
  if (n >= 4) {
    _mm_storeu_ps(p, x);
    x = _mm256_extractf128_ps(v, 1);
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    _mm_storel_pi(reinterpret_cast<__m64*>(p), x);
    x = _mm_movehl_ps(x, x);
    p += 2;
    n -= 2;
  }
  if (n >= 1) _mm_store_ss(p, x);
}

inline void store_first(int32_t* p, __m256i v, index_t n) {
  if (n >= 8) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v);
    return;
  }
  __m128i x = _mm256_castsi256_si128(v);
  if (n >= 4) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), x);
    x = _mm256_extracti128_si256(v, 1);
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    _mm_storel_epi64(reinterpret_cast<__m128i*>(p), x);
    x = _mm_srli_si128(x, 8);
    p += 2;
    n -= 2;
  }
  if (n >= 1) *p = _mm_cvtsi128_si32(x);
}

// The 16 floats lo, hi split into their even lanes (lo0 lo2 .. lo6 hi0 .. hi6) and odd ones:
// shuffles give lo0 lo2 hi0 hi2 | lo4 lo6 hi4 hi6, then the 64-bit pairs are reordered 0 2 1 3.
inline void deinterleave(__m256 lo, __m256 hi, __m256* even, __m256* odd) {
  const __m256d e = _mm256_castps_pd(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0)));
  const __m256d o = _mm256_castps_pd(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1)));
  *even = _mm256_castpd_ps(_mm256_permute4x64_pd(e, _MM_SHUFFLE(3, 1, 2, 0)));
  *odd = _mm256_castpd_ps(_mm256_permute4x64_pd(o, _MM_SHUFFLE(3, 1, 2, 0)));
}

// The inverse: even0 odd0 even1 odd1 .. in lo (the first 8) and hi.
inline void interleave(__m256 even, __m256 odd, __m256* lo, __m256* hi) {
  const __m256 a = _mm256_unpacklo_ps(even, odd);  // e0 o0 e1 o1 | e4 o4 e5 o5
  const __m256 b = _mm256_unpackhi_ps(even, odd);  // e2 o2 e3 o3 | e6 o6 e7 o7
  *lo = _mm256_permute2f128_ps(a, b, 0x20);
  *hi = _mm256_permute2f128_ps(a, b, 0x31);
}

}  // namespace avx2
}  // namespace gn

#endif  // GRADNODE_KERNELS_LANES_AVX2_H_
