// Winograd F(2x2, 3x3) tile transforms for AVX2 (winograd_ukernel.h): winograd_avx512.cc on 8 lanes.
// The even / odd window columns come out of two masked loads through vshufps and vpermpd, the
// outputs' two columns per tile are interleaved back with vunpck[lh]ps and vperm2f128, and row ends
// are vmaskmovps loads and stores. The arithmetic is conv_winograd.cc's input_tile4 /
// output_tile4 / grad_tile4, operation for operation.
//
// ISA unit (compiled with -mavx2 -mfma): everything lives in gn::avx2, helpers in an anonymous
// namespace, and only intrinsics and project headers are included (KERNELS.md §6.5).
#include <immintrin.h>

#include "winograd_ukernel.h"

namespace gn {
namespace avx2 {
namespace {

// All ones in lanes l < n.
inline __m256i first(index_t n) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const index_t c = n < 0 ? 0 : n > 8 ? 8 : n;
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<std::int32_t>(c)), lane);
}

// Columns 2t (even) and 2t + 1 (odd) of 8 tiles from the len columns at p (zeros past len).
inline void even_odd(const float* p, index_t len, __m256& even, __m256& odd) {
  const __m256 a = _mm256_maskload_ps(p, first(len)), b = _mm256_maskload_ps(p + 8, first(len - 8));
  // a0 a2 b0 b2 | a4 a6 b4 b6, then the 64-bit pairs reordered: a0 a2 a4 a6 b0 b2 b4 b6.
  even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0))),
                                                _MM_SHUFFLE(3, 1, 2, 0)));
  odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1))),
                                               _MM_SHUFFLE(3, 1, 2, 0)));
}

void input(const float* src, index_t wp, index_t cnt, float* v, index_t xs) {
  const __m256i out = first(cnt);
  __m256 d[4][4];
  for (int r = 0; r < 4; ++r) {
    const float* p = src + r * wp;
    even_odd(p, 2 * cnt, d[r][0], d[r][1]);      // columns 2t, 2t + 1
    even_odd(p + 2, 2 * cnt, d[r][2], d[r][3]);  // 2t + 2, 2t + 3
  }
  __m256 t[4][4];  // B^T d
  for (int j = 0; j < 4; ++j) {
    t[0][j] = _mm256_sub_ps(d[0][j], d[2][j]);
    t[1][j] = _mm256_add_ps(d[1][j], d[2][j]);
    t[2][j] = _mm256_sub_ps(d[2][j], d[1][j]);
    t[3][j] = _mm256_sub_ps(d[1][j], d[3][j]);
  }
  for (int i = 0; i < 4; ++i) {  // (B^T d) B
    _mm256_maskstore_ps(v + (i * 4 + 0) * xs, out, _mm256_sub_ps(t[i][0], t[i][2]));
    _mm256_maskstore_ps(v + (i * 4 + 1) * xs, out, _mm256_add_ps(t[i][1], t[i][2]));
    _mm256_maskstore_ps(v + (i * 4 + 2) * xs, out, _mm256_sub_ps(t[i][2], t[i][1]));
    _mm256_maskstore_ps(v + (i * 4 + 3) * xs, out, _mm256_sub_ps(t[i][1], t[i][3]));
  }
}

void output(const float* m, index_t xs, float bias, index_t cnt, index_t ncols, float* y0, float* y1) {
  const __m256i in = first(cnt);
  const __m256 vb = _mm256_set1_ps(bias);
  __m256 s[2][4];  // A^T m
  for (int j = 0; j < 4; ++j) {
    const __m256 m0 = _mm256_maskload_ps(m + (0 * 4 + j) * xs, in), m1 = _mm256_maskload_ps(m + (1 * 4 + j) * xs, in);
    const __m256 m2 = _mm256_maskload_ps(m + (2 * 4 + j) * xs, in), m3 = _mm256_maskload_ps(m + (3 * 4 + j) * xs, in);
    s[0][j] = _mm256_add_ps(_mm256_add_ps(m0, m1), m2);
    s[1][j] = _mm256_sub_ps(_mm256_sub_ps(m1, m2), m3);
  }
  for (int i = 0; i < 2; ++i) {  // (A^T m) A
    float* y = i == 0 ? y0 : y1;
    if (y == nullptr) break;
    const __m256 c0 = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s[i][0], s[i][1]), s[i][2]), vb);
    const __m256 c1 = _mm256_add_ps(_mm256_sub_ps(_mm256_sub_ps(s[i][1], s[i][2]), s[i][3]), vb);
    // Tile t's columns c0[t], c1[t] go to 2t, 2t + 1.
    const __m256 lo = _mm256_unpacklo_ps(c0, c1), hi = _mm256_unpackhi_ps(c0, c1);
    _mm256_maskstore_ps(y, first(ncols), _mm256_permute2f128_ps(lo, hi, 0x20));
    _mm256_maskstore_ps(y + 8, first(ncols - 8), _mm256_permute2f128_ps(lo, hi, 0x31));
  }
}

void grad(const float* y0, const float* y1, index_t len, index_t cnt, float* z, index_t xs) {
  const __m256i out = first(cnt);
  const __m256 zero = _mm256_setzero_ps();
  __m256 a, b, c = zero, e = zero;  // dY of the tiles: row 0 columns 0 / 1, row 1 columns 0 / 1
  even_odd(y0, len, a, b);
  if (y1 != nullptr) even_odd(y1, len, c, e);
  __m256 r[4][2];  // A dY: rows (x, y)
  r[0][0] = a;
  r[0][1] = b;
  r[1][0] = _mm256_add_ps(a, c);
  r[1][1] = _mm256_add_ps(b, e);
  r[2][0] = _mm256_sub_ps(a, c);
  r[2][1] = _mm256_sub_ps(b, e);
  r[3][0] = _mm256_sub_ps(zero, c);
  r[3][1] = _mm256_sub_ps(zero, e);
  for (int i = 0; i < 4; ++i) {  // (A dY) A^T: (x, y) -> (x, x + y, x - y, -y)
    _mm256_maskstore_ps(z + (i * 4 + 0) * xs, out, r[i][0]);
    _mm256_maskstore_ps(z + (i * 4 + 1) * xs, out, _mm256_add_ps(r[i][0], r[i][1]));
    _mm256_maskstore_ps(z + (i * 4 + 2) * xs, out, _mm256_sub_ps(r[i][0], r[i][1]));
    _mm256_maskstore_ps(z + (i * 4 + 3) * xs, out, _mm256_sub_ps(zero, r[i][1]));
  }
}

}  // namespace

WinogradKernels winograd_kernels() { return {8, input, output, grad}; }

}  // namespace avx2
}  // namespace gn
