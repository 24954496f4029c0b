// 2x2 / stride-2 max pooling for AVX-512 (pool_ukernel.h): 16 outputs of a row per step. The even
// and odd columns of the two window rows come out of two masked loads each through vpermt2ps, the
// selection rule is one masked compare and two masked moves per candidate, and row ends are masked
// loads and stores, so rows of any length (LeNet's 14 and 5 outputs) take the vector path. The
// baseline SSE2 path does 4 outputs per step and overlapping groups or scalar code at row ends.
//
// ISA unit (compiled with -mavx512f ...): everything lives in gn::avx512, helpers in an anonymous
// namespace, and only intrinsics and project headers are included (KERNELS.md §6.5).
#include <immintrin.h>

#include "pool_ukernel.h"

namespace gn {
namespace avx512 {
namespace {

// Lanes 0 .. n-1 (n <= 16).
inline __mmask16 first(index_t n) { return static_cast<__mmask16>((1u << n) - 1u); }

// take_max on 16 lanes: v wins where v > best, or v is NaN and best is not (baseline take_max4:
// NLE_UQ is "v > best or unordered", masked by "best is ordered").
inline void take_max16(__m512 v, __m512i at_v, __m512& best, __m512i& at) {
  const __mmask16 better = _mm512_mask_cmp_ps_mask(_mm512_cmp_ps_mask(best, best, _CMP_ORD_Q), v, best, _CMP_NLE_UQ);
  best = _mm512_mask_mov_ps(best, better, v);
  at = _mm512_mask_mov_epi32(at, better, at_v);
}

// The sizes are copied into locals: the intrinsic stores may alias anything, so s's fields would
// otherwise be reloaded after every store. LeNet's pool1, 2 threads, alternating builds:
// 16.6-17.1 -> 15.7-16.4 us. (In backward the change could not be told from the noise, 23.7-26 us
// either way, so backward is left as it was.)
void forward(const Pool2dShape& s, const float* x, float* y, std::int32_t* argmax) {
  const index_t w = s.w, oh = s.oh, ow = s.ow;
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const __m512i down = _mm512_set1_epi32(static_cast<std::int32_t>(w));
  const __m512i one = _mm512_set1_epi32(1);
  // Output row i, outputs j .. j + n - 1.
  auto step = [&](index_t i, index_t j, index_t n) {
    const float* r0 = x + 2 * i * w;
    const float* r1 = r0 + w;
    const index_t c = 2 * j;
    // Columns c .. c + 2n - 1 of both rows.
    const __mmask16 lo = first(2 * n < 16 ? 2 * n : 16), hi = first(2 * n > 16 ? 2 * n - 16 : 0);
    const __m512 a0 = _mm512_maskz_loadu_ps(lo, r0 + c), a1 = _mm512_maskz_loadu_ps(hi, r0 + c + 16);
    const __m512 b0 = _mm512_maskz_loadu_ps(lo, r1 + c), b1 = _mm512_maskz_loadu_ps(hi, r1 + c + 16);
    const __m512i at_top = _mm512_add_epi32(even, _mm512_set1_epi32(static_cast<std::int32_t>(2 * i * w + c)));
    const __m512i at_bottom = _mm512_add_epi32(at_top, down);
    __m512 best = _mm512_permutex2var_ps(a0, even, a1);
    __m512i at = at_top;
    take_max16(_mm512_permutex2var_ps(a0, odd, a1), _mm512_add_epi32(at_top, one), best, at);
    take_max16(_mm512_permutex2var_ps(b0, even, b1), at_bottom, best, at);
    take_max16(_mm512_permutex2var_ps(b0, odd, b1), _mm512_add_epi32(at_bottom, one), best, at);
    const __mmask16 out = first(n);
    _mm512_mask_storeu_ps(y + i * ow + j, out, best);
    _mm512_mask_storeu_epi32(argmax + i * ow + j, out, at);
  };
  for (index_t j = 0; j < ow; j += 16) {
    const index_t n = ow - j < 16 ? ow - j : 16;  // outputs in this step
    index_t i = 0;
    for (; i + 2 <= oh; i += 2) {  // two rows' chains of compares interleaved
      step(i, j, n);
      step(i + 1, j, n);
    }
    if (i < oh) step(i, j, n);
  }
}

void backward(const Pool2dShape& s, const float* dy, const std::int32_t* argmax, const float* gate, float* dx) {
  // Each output's gradient and argmax go to the two lanes of its window's columns.
  const __m512i dup_lo = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
  const __m512i dup_hi = _mm512_add_epi32(dup_lo, _mm512_set1_epi32(8));
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i down = _mm512_set1_epi32(static_cast<std::int32_t>(s.w));
  const __m512i sixteen = _mm512_set1_epi32(16);
  for (index_t i = 0; i < s.oh; ++i) {
    const float* gi = dy + i * s.ow;
    const std::int32_t* ai = argmax + i * s.ow;
    float* r0 = dx + 2 * i * s.w;
    float* r1 = r0 + s.w;
    for (index_t j = 0; j < s.ow; j += 16) {
      const index_t n = s.ow - j < 16 ? s.ow - j : 16;
      const index_t c = 2 * j;
      const __mmask16 in = first(n);
      const __mmask16 lo = first(2 * n < 16 ? 2 * n : 16), hi = first(2 * n > 16 ? 2 * n - 16 : 0);
      const __m512i a = _mm512_maskz_loadu_epi32(in, ai + j);
      __m512 g = _mm512_maskz_loadu_ps(in, gi + j);
      if (gate)  // dy where gate > 0 (ordered: NaN closes it)
        g = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(_mm512_maskz_loadu_ps(in, gate + i * s.ow + j), _mm512_setzero_ps(), _CMP_GT_OQ), g);
      // (permutex2var with one source twice: GCC 12's permutexvar trips -Wmaybe-uninitialized.)
      const __m512i a_lo = _mm512_permutex2var_epi32(a, dup_lo, a), a_hi = _mm512_permutex2var_epi32(a, dup_hi, a);
      const __m512 g_lo = _mm512_permutex2var_ps(g, dup_lo, g), g_hi = _mm512_permutex2var_ps(g, dup_hi, g);
      const __m512i at = _mm512_add_epi32(lane, _mm512_set1_epi32(static_cast<std::int32_t>(2 * i * s.w + c)));
      const __m512i at16 = _mm512_add_epi32(at, sixteen);
      _mm512_mask_storeu_ps(r0 + c, lo, _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(a_lo, at), g_lo));
      _mm512_mask_storeu_ps(r1 + c, lo, _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(a_lo, _mm512_add_epi32(at, down)), g_lo));
      if (hi != 0) {
        _mm512_mask_storeu_ps(r0 + c + 16, hi, _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(a_hi, at16), g_hi));
        _mm512_mask_storeu_ps(r1 + c + 16, hi,
                              _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(a_hi, _mm512_add_epi32(at16, down)), g_hi));
      }
    }
    for (index_t c = 2 * s.ow; c < s.w; ++c) r0[c] = r1[c] = 0.f;
  }
  for (index_t k = 2 * s.oh * s.w; k < s.h * s.w; ++k) dx[k] = 0.f;  // the row an odd height leaves
}

}  // namespace

MaxPool2x2Kernels maxpool2x2_kernels() { return {forward, backward, 1}; }

}  // namespace avx512
}  // namespace gn
