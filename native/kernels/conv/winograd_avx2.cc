// Winograd F(2x2, 3x3) tile transforms for AVX2 (winograd_ukernel.h): winograd_avx512.cc on 8 lanes.
// The even / odd window columns come out of two masked loads through vshufps and vpermpd, the
// outputs' two columns per tile are interleaved back with vunpck[lh]ps and vperm2f128; row ends go
// through ../lanes_avx2.h (masked loads, piecewise stores: a masked store costs 12-15 cycles on
// Zen3). The arithmetic is winograd_tiles.inc, shared with conv_winograd.cc's 4-lane transforms.
//
// ISA unit (compiled with -mavx2 -mfma): everything lives in gn::avx2, helpers in an anonymous
// namespace, and only intrinsics and project headers are included (KERNELS.md §6.5).
#include <immintrin.h>

#include "../lanes_avx2.h"
#include "winograd_ukernel.h"

namespace gn {
namespace avx2 {
namespace {

inline __m256 add(__m256 a, __m256 b) { return _mm256_add_ps(a, b); }
inline __m256 sub(__m256 a, __m256 b) { return _mm256_sub_ps(a, b); }

#include "winograd_tiles.inc"

// Columns 2t (even) and 2t + 1 (odd) of 8 tiles from the len columns at p (zeros past len).
inline void even_odd(const float* p, index_t len, __m256& even, __m256& odd) {
  deinterleave(load_first(p, len), load_first(p + 8, len - 8), &even, &odd);
}

void input(const float* src, index_t wp, index_t cnt, float* v, index_t xs) {
  __m256 d[4][4];
  for (int r = 0; r < 4; ++r) {
    const float* p = src + r * wp;
    even_odd(p, 2 * cnt, d[r][0], d[r][1]);      // columns 2t, 2t + 1
    even_odd(p + 2, 2 * cnt, d[r][2], d[r][3]);  // 2t + 2, 2t + 3
  }
  winograd_input_math(d, [&](int xi, __m256 value) { store_first(v + xi * xs, value, cnt); });
}

void output(const float* m, index_t xs, float bias, index_t cnt, index_t ncols, float* y0, float* y1) {
  const __m256 vb = _mm256_set1_ps(bias);
  __m256 c[2][2];
  winograd_output_math([&](int xi) { return load_first(m + xi * xs, cnt); }, vb, c);
  for (int i = 0; i < 2; ++i) {
    float* y = i == 0 ? y0 : y1;
    if (y == nullptr) break;
    // Tile t's columns c[i][0][t], c[i][1][t] go to 2t, 2t + 1.
    __m256 lo, hi;
    interleave(c[i][0], c[i][1], &lo, &hi);
    store_first(y, lo, ncols);
    store_first(y + 8, hi, ncols - 8);
  }
}

void grad(const float* y0, const float* y1, index_t len, index_t cnt, float* z, index_t xs) {
  const __m256 zero = _mm256_setzero_ps();
  __m256 a, b, c = zero, e = zero;  // dY of the tiles: row 0 columns 0 / 1, row 1 columns 0 / 1
  even_odd(y0, len, a, b);
  if (y1 != nullptr) even_odd(y1, len, c, e);
  winograd_grad_math(a, b, c, e, zero, [&](int xi, __m256 value) {
    store_first(z + xi * xs, value, cnt);
  });
}

}  // namespace

WinogradKernels winograd_kernels() { return {8, input, output, grad}; }

}  // namespace avx2
}  // namespace gn
