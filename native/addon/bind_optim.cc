// sgdStep(p, grad, buf | null, bufIsNew, lr, momentum, dampening, weightDecay, nesterov),
// adamStep(p, grad, m, v, vmax | null, stepSize, bc2Sqrt, beta1, beta2, eps, weightDecay, shrink),
// dropoutForward(x, y, mask, threshold, scale, seed0, seed1). See kernels/optim/optim.h and
// kernels/random/dropout.h.
#include "args.h"
#include "kernels/optim/optim.h"
#include "kernels/random/dropout.h"

namespace gn_addon {
namespace {

float f(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  return static_cast<float>(number_arg(info, i, fn, name));
}

Napi::Value sgd_step(const Napi::CallbackInfo& info) {
  const char* fn = "sgdStep";
  Napi::Env env = info.Env();
  require_args(info, 9, fn);
  const F32 p = float32_arg(info, 0, fn, "param");
  const F32 g = float32_arg(info, 1, fn, "grad");
  const F32 buf = optional_float32_arg(info, 2, fn, "momentumBuffer");
  const bool is_new = bool_arg(info, 3, fn, "bufIsNew");
  require_length(env, fn, "grad", g.length, p.length);
  if (buf.data) require_length(env, fn, "momentumBuffer", buf.length, p.length);
  // 1 - dampening in double, rounded once (as PyTorch computes its scalars).
  const float one_minus_dampening = static_cast<float>(1.0 - number_arg(info, 6, fn, "dampening"));
  gn::sgd_step(p.data, g.data, buf.data, is_new, p.length, f(info, 4, fn, "lr"), f(info, 5, fn, "momentum"),
               one_minus_dampening, f(info, 7, fn, "weightDecay"), bool_arg(info, 8, fn, "nesterov"));
  return env.Undefined();
}

Napi::Value adam_step(const Napi::CallbackInfo& info) {
  const char* fn = "adamStep";
  Napi::Env env = info.Env();
  require_args(info, 12, fn);
  const F32 p = float32_arg(info, 0, fn, "param");
  const F32 g = float32_arg(info, 1, fn, "grad");
  const F32 m = float32_arg(info, 2, fn, "expAvg");
  const F32 v = float32_arg(info, 3, fn, "expAvgSq");
  const F32 vmax = optional_float32_arg(info, 4, fn, "maxExpAvgSq");
  require_length(env, fn, "grad", g.length, p.length);
  require_length(env, fn, "expAvg", m.length, p.length);
  require_length(env, fn, "expAvgSq", v.length, p.length);
  if (vmax.data) require_length(env, fn, "maxExpAvgSq", vmax.length, p.length);
  const double beta1 = number_arg(info, 7, fn, "beta1"), beta2 = number_arg(info, 8, fn, "beta2");
  gn::adam_step(p.data, g.data, m.data, v.data, vmax.data, p.length, f(info, 5, fn, "stepSize"), f(info, 6, fn, "bc2Sqrt"),
                static_cast<float>(beta1), static_cast<float>(beta2), static_cast<float>(1.0 - beta1),
                static_cast<float>(1.0 - beta2), f(info, 9, fn, "eps"), f(info, 10, fn, "weightDecay"), f(info, 11, fn, "shrink"));
  return env.Undefined();
}

Napi::Value dropout_forward(const Napi::CallbackInfo& info) {
  const char* fn = "dropoutForward";
  Napi::Env env = info.Env();
  require_args(info, 7, fn);
  const F32 x = float32_arg(info, 0, fn, "x");
  const F32 y = float32_arg(info, 1, fn, "y");
  const F32 mask = float32_arg(info, 2, fn, "mask");
  require_length(env, fn, "y", y.length, x.length);
  require_length(env, fn, "mask", mask.length, x.length);
  const auto threshold = static_cast<std::uint32_t>(int_arg(info, 3, fn, "threshold", 0, index_t(1) << 24));
  const float scale = f(info, 4, fn, "scale");
  const auto s0 = static_cast<std::uint32_t>(int_arg(info, 5, fn, "seed0", 0, 0xffffffffll));
  const auto s1 = static_cast<std::uint32_t>(int_arg(info, 6, fn, "seed1", 0, 0xffffffffll));
  gn::dropout_forward(x.data, y.data, mask.data, x.length, threshold, scale, s0, s1);
  return env.Undefined();
}

}  // namespace

void register_optim(Napi::Env env, Napi::Object exports) {
  export_fn<sgd_step>(env, exports, "sgdStep");
  export_fn<adam_step>(env, exports, "adamStep");
  export_fn<dropout_forward>(env, exports, "dropoutForward");
}

}  // namespace gn_addon
