// batchNormStats(x, mean, variance, n, c, inner), channelAffine(x, scale, shift, y, n, c, inner),
// batchNormBackward(x, dy, mean, invstd, weight | null, dx | null, dweight | null, dbias | null, n, c, inner, training)
// over x viewed as [n, c, inner]. See kernels/norm/batchnorm.h.
#include "args.h"
#include "kernels/norm/batchnorm.h"

namespace gn_addon {
namespace {

constexpr index_t kMaxDim = index_t(1) << 40;

struct Ncx {
  index_t n, c, inner, size;
};

Ncx ncx_arg(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  Ncx d{};
  d.n = int_arg(info, i, fn, "n", 0, kMaxDim);
  d.c = int_arg(info, i + 1, fn, "c", 0, kMaxDim);
  d.inner = int_arg(info, i + 2, fn, "inner", 0, kMaxDim);
  d.size = checked_mul(info.Env(), fn, checked_mul(info.Env(), fn, d.n, d.c), d.inner);
  return d;
}

Napi::Value stats(const Napi::CallbackInfo& info) {
  const char* fn = "batchNormStats";
  Napi::Env env = info.Env();
  require_args(info, 6, fn);
  const F32 x = float32_arg(info, 0, fn, "x");
  const F32 mean = float32_arg(info, 1, fn, "mean");
  const F32 var = float32_arg(info, 2, fn, "variance");
  const Ncx d = ncx_arg(info, 3, fn);
  require_length(env, fn, "x", x.length, d.size);
  require_length(env, fn, "mean", mean.length, d.c);
  require_length(env, fn, "variance", var.length, d.c);
  gn::batchnorm_stats(x.data, mean.data, var.data, d.n, d.c, d.inner);
  return env.Undefined();
}

Napi::Value affine(const Napi::CallbackInfo& info) {
  const char* fn = "channelAffine";
  Napi::Env env = info.Env();
  require_args(info, 7, fn);
  const F32 x = float32_arg(info, 0, fn, "x");
  const F32 scale = float32_arg(info, 1, fn, "scale");
  const F32 shift = float32_arg(info, 2, fn, "shift");
  const F32 y = float32_arg(info, 3, fn, "y");
  const Ncx d = ncx_arg(info, 4, fn);
  require_length(env, fn, "x", x.length, d.size);
  require_length(env, fn, "y", y.length, d.size);
  require_length(env, fn, "scale", scale.length, d.c);
  require_length(env, fn, "shift", shift.length, d.c);
  gn::channel_affine(x.data, scale.data, shift.data, y.data, d.n, d.c, d.inner);
  return env.Undefined();
}

Napi::Value backward(const Napi::CallbackInfo& info) {
  const char* fn = "batchNormBackward";
  Napi::Env env = info.Env();
  require_args(info, 12, fn);
  const F32 x = float32_arg(info, 0, fn, "x");
  const F32 dy = float32_arg(info, 1, fn, "dy");
  const F32 mean = float32_arg(info, 2, fn, "mean");
  const F32 invstd = float32_arg(info, 3, fn, "invstd");
  const F32 weight = optional_float32_arg(info, 4, fn, "weight");
  const F32 dx = optional_float32_arg(info, 5, fn, "dx");
  const F32 dweight = optional_float32_arg(info, 6, fn, "dweight");
  const F32 dbias = optional_float32_arg(info, 7, fn, "dbias");
  const Ncx d = ncx_arg(info, 8, fn);
  const bool training = bool_arg(info, 11, fn, "training");
  require_length(env, fn, "x", x.length, d.size);
  require_length(env, fn, "dy", dy.length, d.size);
  require_length(env, fn, "mean", mean.length, d.c);
  require_length(env, fn, "invstd", invstd.length, d.c);
  if (weight.data) require_length(env, fn, "weight", weight.length, d.c);
  if (dx.data) require_length(env, fn, "dx", dx.length, d.size);
  if (dweight.data) require_length(env, fn, "dweight", dweight.length, d.c);
  if (dbias.data) require_length(env, fn, "dbias", dbias.length, d.c);
  gn::batchnorm_backward(x.data, dy.data, mean.data, invstd.data, weight.data, dx.data, dweight.data, dbias.data,
                         d.n, d.c, d.inner, training);
  return env.Undefined();
}

}  // namespace

void register_norm(Napi::Env env, Napi::Object exports) {
  export_fn<stats>(env, exports, "batchNormStats");
  export_fn<affine>(env, exports, "channelAffine");
  export_fn<backward>(env, exports, "batchNormBackward");
}

}  // namespace gn_addon
