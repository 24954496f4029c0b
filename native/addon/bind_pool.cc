// maxPool2dForward(x, y, argmax, p), maxPool2dBackward(dy, argmax, dx, p, gate | null),
// avgPool2dForward(x, y, p, countIncludePad), avgPool2dBackward(dy, dx, p, countIncludePad)
// p is an Int32Array [n, c, h, w, oh, ow, kh, kw, strideH, strideW, padH, padW]; argmax an
// Int32Array with one entry per output. See kernels/pool/pool2d.h.
#include "args.h"
#include "kernels/pool/pool2d.h"

namespace gn_addon {
namespace {

gn::Pool2dShape pool_shape(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  const I32 p = int32_arg(info, i, fn, "params");
  require_length(info.Env(), fn, "params", p.length, 12);
  const std::int32_t* v = p.data;
  gn::Pool2dShape s{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11]};
  const char* why = nullptr;
  if (!gn::pool2d_shape_valid(s, &why)) throw_range(info.Env(), fn, why);
  return s;
}

index_t x_size(const gn::Pool2dShape& s) { return s.n * s.c * s.h * s.w; }
index_t y_size(const gn::Pool2dShape& s) { return s.n * s.c * s.oh * s.ow; }

Napi::Value maxpool_forward(const Napi::CallbackInfo& info) {
  const char* fn = "maxPool2dForward";
  Napi::Env env = info.Env();
  require_args(info, 4, fn);
  const gn::Pool2dShape s = pool_shape(info, 3, fn);
  const F32 x = float32_arg(info, 0, fn, "x");
  const F32 y = float32_arg(info, 1, fn, "y");
  const I32 am = int32_arg(info, 2, fn, "argmax");
  require_length(env, fn, "x", x.length, x_size(s));
  require_length(env, fn, "y", y.length, y_size(s));
  require_length(env, fn, "argmax", am.length, y_size(s));
  gn::maxpool2d_forward(s, x.data, y.data, am.data);
  return env.Undefined();
}

Napi::Value maxpool_backward(const Napi::CallbackInfo& info) {
  const char* fn = "maxPool2dBackward";
  Napi::Env env = info.Env();
  require_args(info, 5, fn);
  const gn::Pool2dShape s = pool_shape(info, 3, fn);
  const F32 dy = float32_arg(info, 0, fn, "dy");
  const I32 am = int32_arg(info, 1, fn, "argmax");
  const F32 dx = float32_arg(info, 2, fn, "dx");
  const F32 gate = optional_float32_arg(info, 4, fn, "gate");
  require_length(env, fn, "dy", dy.length, y_size(s));
  if (gate.data) require_length(env, fn, "gate", gate.length, y_size(s));
  require_length(env, fn, "argmax", am.length, y_size(s));
  require_length(env, fn, "dx", dx.length, x_size(s));
  // argmax comes from JS memory: the kernel checks every index before it writes dx, and returns
  // false (dx untouched) when one lies outside its plane.
  if (!gn::maxpool2d_backward(s, dy.data, am.data, gate.data, dx.data))
    throw_range(env, fn, "argmax holds an index outside the input plane");
  return env.Undefined();
}

Napi::Value avgpool_forward(const Napi::CallbackInfo& info) {
  const char* fn = "avgPool2dForward";
  Napi::Env env = info.Env();
  require_args(info, 4, fn);
  const gn::Pool2dShape s = pool_shape(info, 2, fn);
  const F32 x = float32_arg(info, 0, fn, "x");
  const F32 y = float32_arg(info, 1, fn, "y");
  const bool cip = bool_arg(info, 3, fn, "countIncludePad");
  require_length(env, fn, "x", x.length, x_size(s));
  require_length(env, fn, "y", y.length, y_size(s));
  gn::avgpool2d_forward(s, x.data, y.data, cip);
  return env.Undefined();
}

Napi::Value avgpool_backward(const Napi::CallbackInfo& info) {
  const char* fn = "avgPool2dBackward";
  Napi::Env env = info.Env();
  require_args(info, 4, fn);
  const gn::Pool2dShape s = pool_shape(info, 2, fn);
  const F32 dy = float32_arg(info, 0, fn, "dy");
  const F32 dx = float32_arg(info, 1, fn, "dx");
  const bool cip = bool_arg(info, 3, fn, "countIncludePad");
  require_length(env, fn, "dy", dy.length, y_size(s));
  require_length(env, fn, "dx", dx.length, x_size(s));
  gn::avgpool2d_backward(s, dy.data, dx.data, cip);
  return env.Undefined();
}

}  // namespace

void register_pool(Napi::Env env, Napi::Object exports) {
  export_fn<maxpool_forward>(env, exports, "maxPool2dForward");
  export_fn<maxpool_backward>(env, exports, "maxPool2dBackward");
  export_fn<avgpool_forward>(env, exports, "avgPool2dForward");
  export_fn<avgpool_backward>(env, exports, "avgPool2dBackward");
}

}  // namespace gn_addon
