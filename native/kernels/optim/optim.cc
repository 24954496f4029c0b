#include "optim.h"

#include <math.h>

#include "../threads.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace gn {
namespace {

// Parameters per thread before a step is split. 2^16 kept LeNet's fc1 (48 K parameters) on one
// thread; with the loader's spin a fork / join costs ~1 us. 2-vCPU Xeon, `npm run bench -- --only
// optim` alternating with 2^16: its SGD step 8.7 -> 6.1 us, Adam 31.0 -> 16.6 us; in a training
// step its operands come from L3, where one core's bandwidth is the limit.
constexpr index_t kGrain = index_t(1) << 14;

// Runs body(begin, end) over [0, n) split into one contiguous chunk per thread.
template <typename Body>
void chunked(index_t n, Body body) {
  const int nt = threads_for(n, kGrain);
  if (nt <= 1) {
    body(index_t(0), n);
    return;
  }
#pragma omp parallel num_threads(nt)
  {
#ifdef _OPENMP
    const int t = omp_get_thread_num();
#else
    const int t = 0;
#endif
    const index_t per = (n + nt - 1) / nt;
    const index_t b = t * per, e = b + per < n ? b + per : n;
    if (b < e) body(b, e);
  }
}

// The options are template parameters, so each variant is a branch-free loop the compiler vectorises.
template <bool kDecay, bool kMomentum, bool kNesterov>
void sgd_loop(float* p, const float* grad, float* buf, bool buf_is_new, index_t b, index_t e, float lr, float momentum,
              float one_minus_dampening, float wd) {
  for (index_t i = b; i < e; ++i) {
    float d = grad[i];
    if (kDecay) d += wd * p[i];
    if (kMomentum) {
      const float m = buf_is_new ? d : momentum * buf[i] + one_minus_dampening * d;
      buf[i] = m;
      d = kNesterov ? d + momentum * m : m;
    }
    p[i] -= lr * d;
  }
}

template <bool kShrink, bool kDecay, bool kAmsgrad>
void adam_loop(float* p, const float* grad, float* m, float* v, float* vmax, index_t b, index_t e, float step_size,
               float bc2_sqrt, float beta1, float beta2, float c1, float c2, float eps, float wd, float shrink) {
  for (index_t i = b; i < e; ++i) {
    if (kShrink) p[i] *= shrink;
    float g = grad[i];
    if (kDecay) g += wd * p[i];
    m[i] = beta1 * m[i] + c1 * g;
    v[i] = beta2 * v[i] + c2 * g * g;
    float vv = v[i];
    if (kAmsgrad) {
      const float old = vmax[i];
      vv = (vv > old || vv != vv) ? vv : old;
      vmax[i] = vv;
    }
    p[i] -= step_size * m[i] / (sqrtf(vv) / bc2_sqrt + eps);
  }
}

}  // namespace

void sgd_step(float* p, const float* grad, float* buf, bool buf_is_new, index_t n, float lr, float momentum,
              float one_minus_dampening, float weight_decay, bool nesterov) {
  const bool decay = weight_decay != 0.0f, mom = buf != nullptr;
  chunked(n, [&](index_t b, index_t e) {
    if (!mom) {
      if (decay) sgd_loop<true, false, false>(p, grad, buf, buf_is_new, b, e, lr, momentum, one_minus_dampening, weight_decay);
      else sgd_loop<false, false, false>(p, grad, buf, buf_is_new, b, e, lr, momentum, one_minus_dampening, weight_decay);
    } else if (nesterov) {
      if (decay) sgd_loop<true, true, true>(p, grad, buf, buf_is_new, b, e, lr, momentum, one_minus_dampening, weight_decay);
      else sgd_loop<false, true, true>(p, grad, buf, buf_is_new, b, e, lr, momentum, one_minus_dampening, weight_decay);
    } else {
      if (decay) sgd_loop<true, true, false>(p, grad, buf, buf_is_new, b, e, lr, momentum, one_minus_dampening, weight_decay);
      else sgd_loop<false, true, false>(p, grad, buf, buf_is_new, b, e, lr, momentum, one_minus_dampening, weight_decay);
    }
  });
}

void adam_step(float* p, const float* grad, float* m, float* v, float* vmax, index_t n, float step_size,
               float bc2_sqrt, float beta1, float beta2, float c1, float c2, float eps, float weight_decay, float shrink) {
  const bool sh = shrink != 1.0f, decay = weight_decay != 0.0f, ams = vmax != nullptr;
#define GN_ADAM(S, D, A) adam_loop<S, D, A>(p, grad, m, v, vmax, b, e, step_size, bc2_sqrt, beta1, beta2, c1, c2, eps, weight_decay, shrink)
  chunked(n, [&](index_t b, index_t e) {
    if (ams) {
      if (sh) { if (decay) GN_ADAM(true, true, true); else GN_ADAM(true, false, true); }
      else { if (decay) GN_ADAM(false, true, true); else GN_ADAM(false, false, true); }
    } else {
      if (sh) { if (decay) GN_ADAM(true, true, false); else GN_ADAM(true, false, false); }
      else { if (decay) GN_ADAM(false, true, false); else GN_ADAM(false, false, false); }
    }
  });
#undef GN_ADAM
}

}  // namespace gn
