// Transposing packs with AVX2 (pack.h): a panel of r rows (r a multiple of 8) whose rows are
// contiguous along k, moved as 8 x 8 blocks through ymm registers (8 loads, 24 shuffles, 8 stores
// per 64 floats, where the baseline's SSE2 4 x 4 blocks take 16, 32 and 16). Used by the AVX2 and
// AVX-512 tables for op(A) = A and op(B) = B^T: the Winograd backward-filter products and the
// forward of fully connected layers (x W^T).
//
// ISA unit (compiled with -mavx2 -mfma): everything lives in gn::avx2, helpers in an anonymous
// namespace, and only intrinsics and project headers are included (KERNELS.md §6.5).
#include <immintrin.h>

#include "pack.h"

namespace gn {
namespace avx2 {
namespace {

// d[q * ldd + i] = row i [q] for i, q < 8.
inline void transpose_8x8(__m256 r0, __m256 r1, __m256 r2, __m256 r3, __m256 r4, __m256 r5, __m256 r6,
                          __m256 r7, float* d, index_t ldd) {
  const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
  const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
  const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
  const __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  _mm256_storeu_ps(d, _mm256_permute2f128_ps(u0, u4, 0x20));
  _mm256_storeu_ps(d + ldd, _mm256_permute2f128_ps(u1, u5, 0x20));
  _mm256_storeu_ps(d + 2 * ldd, _mm256_permute2f128_ps(u2, u6, 0x20));
  _mm256_storeu_ps(d + 3 * ldd, _mm256_permute2f128_ps(u3, u7, 0x20));
  _mm256_storeu_ps(d + 4 * ldd, _mm256_permute2f128_ps(u0, u4, 0x31));
  _mm256_storeu_ps(d + 5 * ldd, _mm256_permute2f128_ps(u1, u5, 0x31));
  _mm256_storeu_ps(d + 6 * ldd, _mm256_permute2f128_ps(u2, u6, 0x31));
  _mm256_storeu_ps(d + 7 * ldd, _mm256_permute2f128_ps(u3, u7, 0x31));
}

// d[q * ldd + i] = s[i * lds + q] for i, q < 8.
inline void transpose_8x8(const float* s, index_t lds, float* d, index_t ldd) {
  transpose_8x8(_mm256_loadu_ps(s), _mm256_loadu_ps(s + lds), _mm256_loadu_ps(s + 2 * lds),
                _mm256_loadu_ps(s + 3 * lds), _mm256_loadu_ps(s + 4 * lds), _mm256_loadu_ps(s + 5 * lds),
                _mm256_loadu_ps(s + 6 * lds), _mm256_loadu_ps(s + 7 * lds), d, ldd);
}

}  // namespace

void pack_rows8(const float* const* rows, index_t len, float* dst, index_t ldd) {
  const float *r0 = rows[0], *r1 = rows[1], *r2 = rows[2], *r3 = rows[3];
  const float *r4 = rows[4], *r5 = rows[5], *r6 = rows[6], *r7 = rows[7];
  for (index_t q = 0; q < len; q += 8)
    transpose_8x8(_mm256_loadu_ps(r0 + q), _mm256_loadu_ps(r1 + q), _mm256_loadu_ps(r2 + q),
                  _mm256_loadu_ps(r3 + q), _mm256_loadu_ps(r4 + q), _mm256_loadu_ps(r5 + q),
                  _mm256_loadu_ps(r6 + q), _mm256_loadu_ps(r7 + q), dst + q * ldd, ldd);
}

void pack_transpose(int r, index_t kc, const float* src, index_t stride_r, float* dst) {
  index_t p = 0;
  for (; p + 8 <= kc; p += 8)
    for (int i = 0; i < r; i += 8) transpose_8x8(src + i * stride_r + p, stride_r, dst + p * r + i, r);
  for (; p < kc; ++p)
    for (int i = 0; i < r; ++i) dst[p * r + i] = src[i * stride_r + p];
}

}  // namespace avx2
}  // namespace gn
