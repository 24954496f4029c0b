// conv2dForward(x, w, bias | null, y, p), conv2dBackwardData(dy, w, dx, p),
// conv2dBackwardFilter(x, dy, dw, dbias | null, p)
// p is an Int32Array [n, cIn, h, w, cOut, kh, kw, oh, ow, strideH, strideW, padH, padW, dilH, dilW,
// groups]. See kernels/conv/conv2d.h.
#include "args.h"
#include "kernels/conv/conv2d.h"

namespace gn_addon {
namespace {

gn::Conv2dShape conv_shape(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  const I32 p = int32_arg(info, i, fn, "params");
  require_length(info.Env(), fn, "params", p.length, 16);
  const std::int32_t* v = p.data;
  gn::Conv2dShape s{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15]};
  const char* why = nullptr;
  if (!gn::conv2d_shape_valid(s, &why)) throw_range(info.Env(), fn, why);
  return s;
}

Napi::Value conv2d_forward(const Napi::CallbackInfo& info) {
  const char* fn = "conv2dForward";
  Napi::Env env = info.Env();
  require_args(info, 5, fn);
  const gn::Conv2dShape s = conv_shape(info, 4, fn);
  const F32 x = float32_arg(info, 0, fn, "x");
  const F32 w = float32_arg(info, 1, fn, "w");
  const F32 bias = optional_float32_arg(info, 2, fn, "bias");
  const F32 y = float32_arg(info, 3, fn, "y");
  require_length(env, fn, "x", x.length, gn::conv2d_x_size(s));
  require_length(env, fn, "w", w.length, gn::conv2d_w_size(s));
  if (bias.data) require_length(env, fn, "bias", bias.length, s.c_out);
  require_length(env, fn, "y", y.length, gn::conv2d_y_size(s));
  gn::conv2d_forward(s, x.data, w.data, bias.data, y.data);
  return env.Undefined();
}

Napi::Value conv2d_backward_data(const Napi::CallbackInfo& info) {
  const char* fn = "conv2dBackwardData";
  Napi::Env env = info.Env();
  require_args(info, 4, fn);
  const gn::Conv2dShape s = conv_shape(info, 3, fn);
  const F32 dy = float32_arg(info, 0, fn, "dy");
  const F32 w = float32_arg(info, 1, fn, "w");
  const F32 dx = float32_arg(info, 2, fn, "dx");
  require_length(env, fn, "dy", dy.length, gn::conv2d_y_size(s));
  require_length(env, fn, "w", w.length, gn::conv2d_w_size(s));
  require_length(env, fn, "dx", dx.length, gn::conv2d_x_size(s));
  gn::conv2d_backward_data(s, dy.data, w.data, dx.data);
  return env.Undefined();
}

Napi::Value conv2d_backward_filter(const Napi::CallbackInfo& info) {
  const char* fn = "conv2dBackwardFilter";
  Napi::Env env = info.Env();
  require_args(info, 5, fn);
  const gn::Conv2dShape s = conv_shape(info, 4, fn);
  const F32 x = float32_arg(info, 0, fn, "x");
  const F32 dy = float32_arg(info, 1, fn, "dy");
  const F32 dw = float32_arg(info, 2, fn, "dw");
  const F32 dbias = optional_float32_arg(info, 3, fn, "dbias");
  require_length(env, fn, "x", x.length, gn::conv2d_x_size(s));
  require_length(env, fn, "dy", dy.length, gn::conv2d_y_size(s));
  require_length(env, fn, "dw", dw.length, gn::conv2d_w_size(s));
  if (dbias.data) require_length(env, fn, "dbias", dbias.length, s.c_out);
  gn::conv2d_backward_filter(s, x.data, dy.data, dw.data, dbias.data);
  return env.Undefined();
}

}  // namespace

void register_conv(Napi::Env env, Napi::Object exports) {
  export_fn<conv2d_forward>(env, exports, "conv2dForward");
  export_fn<conv2d_backward_data>(env, exports, "conv2dBackwardData");
  export_fn<conv2d_backward_filter>(env, exports, "conv2dBackwardFilter");
}

}  // namespace gn_addon
