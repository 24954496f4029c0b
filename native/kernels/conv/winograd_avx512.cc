// Winograd F(2x2, 3x3) tile transforms for AVX-512 (winograd_ukernel.h): 16 tiles of a tile row
// per call, one per lane. The even / odd columns of a window row come out of two masked loads
// through vpermt2ps, the outputs' two columns per tile are interleaved back the same way, and row
// ends are masked loads and stores. The arithmetic is winograd_tiles.inc, which conv_winograd.cc's
// 4-lane transforms share.
//
// ISA unit (compiled with -mavx512f ...): everything lives in gn::avx512, helpers in an anonymous
// namespace, and only intrinsics and project headers are included (KERNELS.md §6.5).
#include <immintrin.h>

#include "winograd_ukernel.h"

namespace gn {
namespace avx512 {
namespace {

inline __mmask16 first(index_t n) {
  if (n <= 0) return 0;
  return n >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << n) - 1u);
}

inline __m512 add(__m512 a, __m512 b) { return _mm512_add_ps(a, b); }
inline __m512 sub(__m512 a, __m512 b) { return _mm512_sub_ps(a, b); }

#include "winograd_tiles.inc"

// Columns 2t (even) and 2t + 1 (odd) of 16 tiles from the 2 len columns at p (zeros past len).
inline void even_odd(const float* p, index_t len, __m512& even, __m512& odd) {
  const __m512i ie = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i io = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  const __m512 a = _mm512_maskz_loadu_ps(first(len), p), b = _mm512_maskz_loadu_ps(first(len - 16), p + 16);
  even = _mm512_permutex2var_ps(a, ie, b);
  odd = _mm512_permutex2var_ps(a, io, b);
}

void input(const float* src, index_t wp, index_t cnt, float* v, index_t xs) {
  const __mmask16 out = first(cnt);
  __m512 d[4][4];
  for (int r = 0; r < 4; ++r) {
    const float* p = src + r * wp;
    even_odd(p, 2 * cnt, d[r][0], d[r][1]);      // columns 2t, 2t + 1
    even_odd(p + 2, 2 * cnt, d[r][2], d[r][3]);  // 2t + 2, 2t + 3
  }
  winograd_input_math(d, [&](int xi, __m512 value) { _mm512_mask_storeu_ps(v + xi * xs, out, value); });
}

void output(const float* m, index_t xs, float bias, index_t cnt, index_t ncols, float* y0, float* y1) {
  const __mmask16 in = first(cnt);
  const __m512 vb = _mm512_set1_ps(bias);
  __m512 c[2][2];
  winograd_output_math([&](int xi) { return _mm512_maskz_loadu_ps(in, m + xi * xs); }, vb, c);
  // Tile t's columns c[i][0][t], c[i][1][t] go to 2t, 2t + 1.
  const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  for (int i = 0; i < 2; ++i) {
    float* y = i == 0 ? y0 : y1;
    if (y == nullptr) break;
    _mm512_mask_storeu_ps(y, first(ncols), _mm512_permutex2var_ps(c[i][0], lo, c[i][1]));
    _mm512_mask_storeu_ps(y + 16, first(ncols - 16), _mm512_permutex2var_ps(c[i][0], hi, c[i][1]));
  }
}

void grad(const float* y0, const float* y1, index_t len, index_t cnt, float* z, index_t xs) {
  const __mmask16 out = first(cnt);
  const __m512 zero = _mm512_setzero_ps();
  __m512 a, b, c = zero, e = zero;  // dY of the tiles: row 0 columns 0 / 1, row 1 columns 0 / 1
  even_odd(y0, len, a, b);
  if (y1 != nullptr) even_odd(y1, len, c, e);
  winograd_grad_math(a, b, c, e, zero, [&](int xi, __m512 value) {
    _mm512_mask_storeu_ps(z + xi * xs, out, value);
  });
}

}  // namespace

WinogradKernels winograd_kernels() { return {16, input, output, grad}; }

}  // namespace avx512
}  // namespace gn
