#include "depthwise.h"

#include <cstring>

#include "../isa.h"
#include "../threads.h"
#include "conv2d.h"

namespace gn {
namespace {

// Multiply-adds one thread should at least get.
constexpr index_t kGrain = index_t(1) << 15;

DepthwisePlane plane_of(const Conv2dShape& s) {
  return {s.h, s.w, s.oh, s.ow, s.kh, s.kw, s.stride_h, s.stride_w, s.pad_h, s.pad_w, s.dil_h, s.dil_w, s.c_out / s.c_in};
}

// Each thread's buffer, zeroed: the kernels copy planes into its interior and rely on the zeros
// around it (depthwise_impl.inc, copy_plane).
float* zeroed_buffers(index_t floats, int nt) {
  const std::size_t bytes = sizeof(float) * static_cast<std::size_t>(floats) * static_cast<std::size_t>(nt);
  float* bufs = scratch(kScratchConv, bytes);
  std::memset(bufs, 0, bytes);
  return bufs;
}

// Threads for `units` units of `macs` multiply-adds each.
int threads_by_work(index_t units, index_t macs) {
  return threads_for(units, macs >= kGrain ? 1 : kGrain / (macs > 0 ? macs : 1));
}

}  // namespace

index_t depthwise_buffer_floats(const DepthwisePlane& g) {
  // The padded input (forward, backward-filter) or output (backward-data) plane, sized as
  // depthwise_impl.inc's padded_for, plus the rotated taps; generously rounded.
  auto padded = [&](index_t oh, index_t ow, index_t sh, index_t sw) {
    return ((oh - 1) * sh + (g.kh - 1) * g.dh + 1) * ((ow + 15) / 16 * 16 * sw + (g.kw - 1) * g.dw + 1);
  };
  const index_t a = padded(g.oh, g.ow, g.sh, g.sw), b = padded(g.h, g.w, 1, 1);
  return ((a > b ? a : b) + g.kh * g.kw + 15) / 16 * 16;
}

bool conv_is_depthwise(const Conv2dShape& s) { return s.groups > 1 && s.groups == s.c_in; }

namespace {

// Runs plane(q, c, buf) for the n * c_in input planes q (c: its channel) on a static partition of
// threads, buf being the thread's zeroed buffer.
template <class F>
void over_planes(const Conv2dShape& s, const DepthwisePlane& g, F plane) {
  const index_t planes = s.n * s.c_in, floats = depthwise_buffer_floats(g);
  const int nt = threads_by_work(planes, g.mult * s.oh * s.ow * s.kh * s.kw);
  float* bufs = zeroed_buffers(floats, nt);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (index_t q = 0; q < planes; ++q) plane(q, q % s.c_in, bufs + floats * thread_rank());
}

}  // namespace

void depthwise_forward(const Conv2dShape& s, const float* x, const float* w, const float* bias, float* y) {
  const DepthwisePlane g = plane_of(s);
  const index_t taps = s.kh * s.kw, P = s.oh * s.ow;
  const DepthwiseKernels& k = kernels().depthwise;
  over_planes(s, g, [&](index_t q, index_t c, float* buf) {
    k.forward(g, x + q * s.h * s.w, w + c * g.mult * taps, bias ? bias + c * g.mult : nullptr, y + q * g.mult * P, buf);
  });
}

void depthwise_backward_data(const Conv2dShape& s, const float* dy, const float* w, float* dx) {
  const DepthwisePlane g = plane_of(s);
  const index_t taps = s.kh * s.kw, P = s.oh * s.ow;
  const DepthwiseKernels& k = kernels().depthwise;
  over_planes(s, g, [&](index_t q, index_t c, float* buf) {
    k.backward_data(g, dy + q * g.mult * P, w + c * g.mult * taps, dx + q * s.h * s.w, buf);
  });
}

// Each channel is one thread's: its weights and bias sum the batch in sample order.
void depthwise_backward_filter(const Conv2dShape& s, const float* x, const float* dy, float* dw, float* dbias) {
  const DepthwisePlane g = plane_of(s);
  const index_t taps = s.kh * s.kw, P = s.oh * s.ow, floats = depthwise_buffer_floats(g);
  const int nt = threads_by_work(s.c_in, s.n * g.mult * P * taps);
  float* bufs = zeroed_buffers(floats, nt);
  const DepthwiseKernels& k = kernels().depthwise;
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (index_t c = 0; c < s.c_in; ++c) {
    float* dwc = dw + c * g.mult * taps;
    float* dbc = dbias ? dbias + c * g.mult : nullptr;
    for (index_t t = 0; t < g.mult * taps; ++t) dwc[t] = 0.0f;
    if (dbc)
      for (index_t m = 0; m < g.mult; ++m) dbc[m] = 0.0f;
    for (index_t n = 0; n < s.n; ++n) {
      const index_t q = n * s.c_in + c;
      k.backward_filter(g, x + q * s.h * s.w, dy + q * g.mult * P, dwc, dbc, bufs + floats * thread_rank());
    }
  }
}

}  // namespace gn
