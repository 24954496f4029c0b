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

index_t floor_mod(index_t u, index_t m) { return ((u % m) + m) % m; }

}  // namespace

bool depthwise_phases(const DepthwisePlane& g, DepthwisePhases* f) {
  const index_t S = g.sw, R = g.sh;
  if (S > kDepthwiseMaxPhases || R > kDepthwiseMaxPhases || g.kh * g.kw > kDepthwiseMaxTaps) return false;
  // Tap column q: phase (q dw - pw) mod S, dY column b + c.
  index_t cmin = 0, cmax = 0, lo = 0, hi = 0;
  for (index_t q = 0; q < g.kw; ++q) {
    const index_t t = q * g.dw - g.pw, c = (floor_mod(t, S) - t) / S;
    cmin = c < cmin ? c : cmin;
    cmax = c > cmax ? c : cmax;
  }
  // Tap row r reaches row phase pa when (pa + ph - r dh) mod R == 0, from dY row i + d. lo / hi:
  // the lowest and highest dY rows read, over the rows of dX.
  for (index_t pa = 0; pa < R && pa < g.h; ++pa)
    for (index_t r = 0; r < g.kh; ++r) {
      const index_t u = pa + g.ph - r * g.dh;
      if (floor_mod(u, R)) continue;
      const index_t d = u / R, last = (g.h - 1 - pa) / R + d;
      lo = d < lo ? d : lo;
      hi = last > hi ? last : hi;
    }
  const index_t np = (g.w + S - 1) / S;  // columns of phase 0, the longest
  f->top = -lo;
  f->lpad = -cmin;
  // One more row than read: the kernel runs dX rows in pairs and reads the second of a pair also
  // when it does not exist (into lanes never stored).
  f->rows = f->top + (g.oh > hi + 1 ? g.oh : hi + 1) + 1;
  f->pitch = f->lpad + (g.ow > np + cmax ? g.ow : np + cmax);
  f->plane = f->rows * f->pitch;
  f->ppitch = (np + 15) / 16 * 16;
  index_t e = 0;
  for (index_t pa = 0; pa < R; ++pa)
    for (index_t px = 0; px < S; ++px) {
      f->first[pa * S + px] = e;
      for (index_t r = 0; r < g.kh; ++r) {
        const index_t u = pa + g.ph - r * g.dh;
        if (floor_mod(u, R)) continue;
        for (index_t q = 0; q < g.kw; ++q) {
          const index_t t = q * g.dw - g.pw;
          if (floor_mod(t, S) != px) continue;
          f->tap[e] = r * g.kw + q;
          f->off[e] = (u / R + f->top) * f->pitch + f->lpad + (px - t) / S;
          ++e;
        }
      }
    }
  f->first[R * S] = e;
  for (index_t px = 0; px < S; ++px) f->cols[px] = (g.w - px + S - 1) / S;
  // The dY planes; then room for the whole-register reads of the last row's last chunk (up to
  // ppitch + cmax floats past the row's start at lpad), then two dX rows' phases.
  f->rowbuf = g.mult * f->plane + f->ppitch + cmax;
  f->floats = f->rowbuf + 2 * S * f->ppitch;
  return true;
}

index_t depthwise_buffer_floats(const DepthwisePlane& g) {
  // The padded input (forward, backward-filter) or output (backward-data, stride 1) plane, sized
  // as depthwise_impl.inc's padded_for (one more column: split rows), plus the rotated taps;
  // generously rounded. Strided backward-data: the layout of depthwise_phases.
  auto padded = [&](index_t oh, index_t ow, index_t sh, index_t sw) {
    return ((oh - 1) * sh + (g.kh - 1) * g.dh + 1) * ((ow + 15) / 16 * 16 * sw + (g.kw - 1) * g.dw + 2);
  };
  index_t a = padded(g.oh, g.ow, g.sh, g.sw), b = padded(g.h, g.w, 1, 1);
  if (g.sh > 1 || g.sw > 1) {
    DepthwisePhases f;
    if (depthwise_phases(g, &f) && f.floats > b) b = f.floats;
  }
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
  DepthwisePhases phases;
  const DepthwisePhases* f = (g.sh > 1 || g.sw > 1) && depthwise_phases(g, &phases) ? &phases : nullptr;
  const DepthwiseKernels& k = kernels().depthwise;
  over_planes(s, g, [&](index_t q, index_t c, float* buf) {
    k.backward_data(g, f, dy + q * g.mult * P, w + c * g.mult * taps, dx + q * s.h * s.w, buf);
  });
}

// Each channel is one thread's: its weights and bias sum the batch in sample order.
void depthwise_backward_filter(const Conv2dShape& s, const float* x, const float* dy, float* dw, float* dbias) {
  const DepthwisePlane g = plane_of(s);
  const index_t taps = s.kh * s.kw, P = s.oh * s.ow, floats = depthwise_buffer_floats(g);
  const int nt = threads_by_work(s.c_in, s.n * g.mult * P * taps);
  float* bufs = zeroed_buffers(floats, nt);
  const DepthwiseKernels& k = kernels().depthwise;
  const index_t xs = s.c_in * s.h * s.w, dys = s.c_in * g.mult * P;
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (index_t c = 0; c < s.c_in; ++c)
    k.backward_filter(g, s.n, x + c * s.h * s.w, xs, dy + c * g.mult * P, dys, dw + c * g.mult * taps,
                      dbias ? dbias + c * g.mult : nullptr, bufs + floats * thread_rank());
}

}  // namespace gn
