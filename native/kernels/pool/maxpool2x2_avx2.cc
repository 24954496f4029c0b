// 2x2 / stride-2 max pooling for AVX2 (pool_ukernel.h): 8 outputs of a row per step, the baseline
// SSE2 path (maxpool2d.cc) widened. The even and odd columns of a window row come out of two loads
// through vshufps + vpermpd; the selection rule is two compares and two blends per candidate. A row
// ends with a group that overlaps the one before (it recomputes, and rewrites, the same values), so
// rows need at least 8 outputs (MaxPool2x2Kernels::min_ow); shorter ones take the SSE2 path.
//
// ISA unit (compiled with -mavx2 -mfma): everything lives in gn::avx2, helpers in an anonymous
// namespace, and only intrinsics and project headers are included (KERNELS.md §6.5).
#include <immintrin.h>

#include "pool_ukernel.h"

namespace gn {
namespace avx2 {
namespace {

constexpr index_t kStep = 8;

// Columns c, c + 2, ..., c + 14 (even) or c + 1, ..., c + 15 (odd) of a row.
inline __m256 even_cols(__m256 a0, __m256 a1) {
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a0, a1, _MM_SHUFFLE(2, 0, 2, 0))), 0xD8));
}
inline __m256 odd_cols(__m256 a0, __m256 a1) {
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a0, a1, _MM_SHUFFLE(3, 1, 3, 1))), 0xD8));
}

// take_max on 8 lanes (baseline take_max4: "v > best or unordered", and "best is ordered").
inline void take_max8(__m256 v, __m256i at_v, __m256& best, __m256i& at) {
  const __m256 better = _mm256_and_ps(_mm256_cmp_ps(v, best, _CMP_NLE_UQ), _mm256_cmp_ps(best, best, _CMP_ORD_Q));
  best = _mm256_blendv_ps(best, v, better);
  at = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(at), _mm256_castsi256_ps(at_v), better));
}

// The sizes are copied into locals: the intrinsic stores may alias anything, so s's fields would
// otherwise be reloaded after every store. LeNet's pool1, 2 threads, alternating builds: 36.3 ->
// 34.0 us (the AVX-512 kernel gained as much; in its backward the change was lost in the noise).
void forward(const Pool2dShape& s, const float* x, float* y, std::int32_t* argmax) {
  const index_t w = s.w, oh = s.oh, ow = s.ow;
  const __m256i even = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14), one = _mm256_set1_epi32(1);
  const __m256i down = _mm256_set1_epi32(static_cast<std::int32_t>(w));
  for (index_t i = 0; i < oh; ++i) {
    const float* r0 = x + 2 * i * w;
    const float* r1 = r0 + w;
    float* yo = y + i * ow;
    std::int32_t* ao = argmax + i * ow;
    for (index_t j = 0;; j += kStep) {
      if (j > ow - kStep) j = ow - kStep;
      const index_t c = 2 * j;
      const __m256 a0 = _mm256_loadu_ps(r0 + c), a1 = _mm256_loadu_ps(r0 + c + 8);
      const __m256 b0 = _mm256_loadu_ps(r1 + c), b1 = _mm256_loadu_ps(r1 + c + 8);
      const __m256i at_top = _mm256_add_epi32(even, _mm256_set1_epi32(static_cast<std::int32_t>(2 * i * w + c)));
      const __m256i at_bottom = _mm256_add_epi32(at_top, down);
      __m256 best = even_cols(a0, a1);
      __m256i at = at_top;
      take_max8(odd_cols(a0, a1), _mm256_add_epi32(at_top, one), best, at);
      take_max8(even_cols(b0, b1), at_bottom, best, at);
      take_max8(odd_cols(b0, b1), _mm256_add_epi32(at_bottom, one), best, at);
      _mm256_storeu_ps(yo + j, best);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(ao + j), at);
      if (j == ow - kStep) break;
    }
  }
}

void backward(const Pool2dShape& s, const float* dy, const std::int32_t* argmax, const float* gate, float* dx) {
  const __m256i dup_lo = _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3), dup_hi = _mm256_setr_epi32(4, 4, 5, 5, 6, 6, 7, 7);
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), eight = _mm256_set1_epi32(8);
  const __m256i down = _mm256_set1_epi32(static_cast<std::int32_t>(s.w));
  for (index_t i = 0; i < s.oh; ++i) {
    const float* gi = dy + i * s.ow;
    const std::int32_t* ai = argmax + i * s.ow;
    float* r0 = dx + 2 * i * s.w;
    float* r1 = r0 + s.w;
    for (index_t j = 0;; j += kStep) {
      if (j > s.ow - kStep) j = s.ow - kStep;
      const index_t c = 2 * j;
      const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ai + j));
      __m256 g = _mm256_loadu_ps(gi + j);
      if (gate)  // dy where gate > 0 (ordered: NaN closes it)
        g = _mm256_and_ps(g, _mm256_cmp_ps(_mm256_loadu_ps(gate + i * s.ow + j), _mm256_setzero_ps(), _CMP_GT_OQ));
      const __m256i a_lo = _mm256_permutevar8x32_epi32(a, dup_lo), a_hi = _mm256_permutevar8x32_epi32(a, dup_hi);
      const __m256 g_lo = _mm256_permutevar8x32_ps(g, dup_lo), g_hi = _mm256_permutevar8x32_ps(g, dup_hi);
      const __m256i at = _mm256_add_epi32(lane, _mm256_set1_epi32(static_cast<std::int32_t>(2 * i * s.w + c)));
      const __m256i at8 = _mm256_add_epi32(at, eight);
      _mm256_storeu_ps(r0 + c, _mm256_and_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(a_lo, at)), g_lo));
      _mm256_storeu_ps(r0 + c + 8, _mm256_and_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(a_hi, at8)), g_hi));
      _mm256_storeu_ps(r1 + c, _mm256_and_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(a_lo, _mm256_add_epi32(at, down))), g_lo));
      _mm256_storeu_ps(r1 + c + 8, _mm256_and_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(a_hi, _mm256_add_epi32(at8, down))), g_hi));
      if (j == s.ow - kStep) break;
    }
    for (index_t c = 2 * s.ow; c < s.w; ++c) r0[c] = r1[c] = 0.f;
  }
  for (index_t k = 2 * s.oh * s.w; k < s.h * s.w; ++k) dx[k] = 0.f;  // the row an odd height leaves
}

}  // namespace

MaxPool2x2Kernels maxpool2x2_kernels() { return {forward, backward, kStep}; }

}  // namespace avx2
}  // namespace gn
