// unary(op, x, y, alpha, beta), unaryBackward(op, x | null, y | null, dy, dx, alpha, beta),
// binary(op, a, aStrides, b, bStrides, y, shape), where(cond, cStrides, a, aStrides, b, bStrides, y, shape)
// and the op-code tables unaryOps / binaryOps ({name: code}). Broadcast operands are described by
// the output shape and per-operand element strides (Int32Arrays, 0 along broadcast dims).
// See kernels/elementwise/elementwise.h.
#include "args.h"
#include "kernels/elementwise/elementwise.h"

namespace gn_addon {
namespace {

struct Layout {
  int ndim;
  index_t shape[gn::kMaxDims];
  index_t numel;
};

Layout shape_arg(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  const I32 s = int32_arg(info, i, fn, "shape");
  if (s.length > gn::kMaxDims) throw_range(info.Env(), fn, "at most 16 dimensions are supported");
  Layout l{static_cast<int>(s.length), {}, 1};
  for (int d = 0; d < l.ndim; ++d) {
    if (s.data[d] < 0) throw_range(info.Env(), fn, "shape has a negative size");
    l.shape[d] = s.data[d];
    l.numel = checked_mul(info.Env(), fn, l.numel, l.shape[d]);
  }
  return l;
}

// Reads an operand's strides and checks that every index it will read lies inside `len`.
void strides_arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name, const Layout& l,
                 index_t len, index_t* out) {
  const I32 s = int32_arg(info, i, fn, name);
  require_length(info.Env(), fn, name, s.length, l.ndim);
  index_t last = 0;
  for (int d = 0; d < l.ndim; ++d) {
    if (s.data[d] < 0) throw_range(info.Env(), fn, std::string(name) + " has a negative stride");
    out[d] = s.data[d];
    if (l.shape[d] > 0) last += (l.shape[d] - 1) * out[d];
  }
  if (l.numel > 0 && last >= len)
    throw_range(info.Env(), fn, std::string("strides ") + name + " reach past the end of the operand");
}

template <typename Op>
Op op_arg(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  return static_cast<Op>(int_arg(info, i, fn, "op", 0, static_cast<index_t>(Op::kCount) - 1));
}

Napi::Value unary(const Napi::CallbackInfo& info) {
  const char* fn = "unary";
  require_args(info, 5, fn);
  const auto op = op_arg<gn::UnaryOp>(info, 0, fn);
  const F32 x = float32_arg(info, 1, fn, "x");
  const F32 y = float32_arg(info, 2, fn, "y");
  const float alpha = static_cast<float>(number_arg(info, 3, fn, "alpha"));
  const float beta = static_cast<float>(number_arg(info, 4, fn, "beta"));
  require_length(info.Env(), fn, "y", y.length, x.length);
  gn::unary(op, x.data, y.data, x.length, alpha, beta);
  return info.Env().Undefined();
}

Napi::Value unary_backward(const Napi::CallbackInfo& info) {
  const char* fn = "unaryBackward";
  Napi::Env env = info.Env();
  require_args(info, 7, fn);
  const auto op = op_arg<gn::UnaryOp>(info, 0, fn);
  const F32 x = optional_float32_arg(info, 1, fn, "x");
  const F32 y = optional_float32_arg(info, 2, fn, "y");
  const F32 dy = float32_arg(info, 3, fn, "dy");
  const F32 dx = float32_arg(info, 4, fn, "dx");
  const float alpha = static_cast<float>(number_arg(info, 5, fn, "alpha"));
  const float beta = static_cast<float>(number_arg(info, 6, fn, "beta"));
  using U = gn::UnaryOp;
  const bool needs_x = op == U::kRelu || op == U::kLeakyRelu || op == U::kClamp || op == U::kAbs ||
                       op == U::kLog || op == U::kSign || op == U::kElu;
  const bool needs_y = op == U::kSigmoid || op == U::kTanh || op == U::kExp || op == U::kSqrt || op == U::kElu;
  if (needs_x && !x.data) throw_type(env, fn, std::string("x is required for ") + gn::unary_op_name(op));
  if (needs_y && !y.data) throw_type(env, fn, std::string("y is required for ") + gn::unary_op_name(op));
  require_length(env, fn, "dx", dx.length, dy.length);
  if (needs_x) require_length(env, fn, "x", x.length, dy.length);
  if (needs_y) require_length(env, fn, "y", y.length, dy.length);
  gn::unary_backward(op, needs_x ? x.data : nullptr, needs_y ? y.data : nullptr, dy.data, dx.data, dy.length,
                     alpha, beta);
  return env.Undefined();
}

Napi::Value binary(const Napi::CallbackInfo& info) {
  const char* fn = "binary";
  require_args(info, 7, fn);
  const auto op = op_arg<gn::BinaryOp>(info, 0, fn);
  const Layout l = shape_arg(info, 6, fn);
  const F32 a = float32_arg(info, 1, fn, "a");
  const F32 b = float32_arg(info, 3, fn, "b");
  const F32 y = float32_arg(info, 5, fn, "y");
  index_t sa[gn::kMaxDims], sb[gn::kMaxDims];
  strides_arg(info, 2, fn, "aStrides", l, a.length, sa);
  strides_arg(info, 4, fn, "bStrides", l, b.length, sb);
  require_length(info.Env(), fn, "y", y.length, l.numel);
  if (l.numel > 0) gn::binary_broadcast(op, l.ndim, l.shape, a.data, sa, b.data, sb, y.data);
  return info.Env().Undefined();
}

Napi::Value where(const Napi::CallbackInfo& info) {
  const char* fn = "where";
  require_args(info, 8, fn);
  const Layout l = shape_arg(info, 7, fn);
  const F32 c = float32_arg(info, 0, fn, "cond");
  const F32 a = float32_arg(info, 2, fn, "a");
  const F32 b = float32_arg(info, 4, fn, "b");
  const F32 y = float32_arg(info, 6, fn, "y");
  index_t sc[gn::kMaxDims], sa[gn::kMaxDims], sb[gn::kMaxDims];
  strides_arg(info, 1, fn, "condStrides", l, c.length, sc);
  strides_arg(info, 3, fn, "aStrides", l, a.length, sa);
  strides_arg(info, 5, fn, "bStrides", l, b.length, sb);
  require_length(info.Env(), fn, "y", y.length, l.numel);
  if (l.numel > 0) gn::where_broadcast(l.ndim, l.shape, c.data, sc, a.data, sa, b.data, sb, y.data);
  return info.Env().Undefined();
}

template <typename Op, const char* (*Name)(Op)>
Napi::Object op_table(Napi::Env env) {
  Napi::Object t = Napi::Object::New(env);
  for (int i = 0; i < static_cast<int>(Op::kCount); ++i) t.Set(Name(static_cast<Op>(i)), i);
  return t;
}

}  // namespace

void register_elementwise(Napi::Env env, Napi::Object exports) {
  export_fn<unary>(env, exports, "unary");
  export_fn<unary_backward>(env, exports, "unaryBackward");
  export_fn<binary>(env, exports, "binary");
  export_fn<where>(env, exports, "where");
  exports.Set("unaryOps", op_table<gn::UnaryOp, gn::unary_op_name>(env));
  exports.Set("binaryOps", op_table<gn::BinaryOp, gn::binary_op_name>(env));
}

}  // namespace gn_addon
