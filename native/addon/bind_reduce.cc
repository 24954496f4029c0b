// reduce(op, x, y, outer, n, inner), argReduce(op, x, y, outer, n, inner),
// softmax(x, y, outer, n, inner, log), softmaxBackward(y, dy, dx, outer, n, inner, log),
// crossEntropyBackward(logp, labels, g, dx, outer, n, inner, smoothing), and the
// op-code table reduceOps. The reduced axis is the middle one of x viewed as [outer, n, inner].
// See kernels/reduce/reduce.h.
#include "args.h"
#include "kernels/reduce/reduce.h"

namespace gn_addon {
namespace {

constexpr index_t kMaxDim = index_t(1) << 40;

struct Dims {
  index_t outer, n, inner, in_size, out_size;
};

Dims dims_arg(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  Dims d{};
  d.outer = int_arg(info, i, fn, "outer", 0, kMaxDim);
  d.n = int_arg(info, i + 1, fn, "n", 0, kMaxDim);
  d.inner = int_arg(info, i + 2, fn, "inner", 0, kMaxDim);
  d.out_size = checked_mul(info.Env(), fn, d.outer, d.inner);
  d.in_size = checked_mul(info.Env(), fn, d.out_size, d.n);
  return d;
}

Napi::Value reduce_impl(const Napi::CallbackInfo& info, const char* fn, bool arg) {
  Napi::Env env = info.Env();
  require_args(info, 6, fn);
  const auto op = static_cast<gn::ReduceOp>(
      int_arg(info, 0, fn, "op", arg ? 1 : 0, static_cast<index_t>(gn::ReduceOp::kCount) - 1));
  const F32 x = float32_arg(info, 1, fn, "x");
  const F32 y = float32_arg(info, 2, fn, "y");
  const Dims d = dims_arg(info, 3, fn);
  if ((arg || op != gn::ReduceOp::kSum) && d.n == 0 && d.out_size > 0)
    throw_range(env, fn, std::string("cannot take ") + gn::reduce_op_name(op) + " over an empty dimension");
  require_length(env, fn, "x", x.length, d.in_size);
  require_length(env, fn, "y", y.length, d.out_size);
  if (d.out_size == 0) return env.Undefined();
  if (arg)
    gn::arg_reduce(op, x.data, y.data, d.outer, d.n, d.inner);
  else
    gn::reduce(op, x.data, y.data, d.outer, d.n, d.inner);
  return env.Undefined();
}

Napi::Value reduce(const Napi::CallbackInfo& info) { return reduce_impl(info, "reduce", false); }
Napi::Value arg_reduce(const Napi::CallbackInfo& info) { return reduce_impl(info, "argReduce", true); }

Napi::Value softmax(const Napi::CallbackInfo& info) {
  const char* fn = "softmax";
  Napi::Env env = info.Env();
  require_args(info, 6, fn);
  const F32 x = float32_arg(info, 0, fn, "x");
  const F32 y = float32_arg(info, 1, fn, "y");
  const Dims d = dims_arg(info, 2, fn);
  const bool log = bool_arg(info, 5, fn, "log");
  require_length(env, fn, "x", x.length, d.in_size);
  require_length(env, fn, "y", y.length, d.in_size);
  if (d.in_size > 0) gn::softmax(x.data, y.data, d.outer, d.n, d.inner, log);
  return env.Undefined();
}

Napi::Value softmax_backward(const Napi::CallbackInfo& info) {
  const char* fn = "softmaxBackward";
  Napi::Env env = info.Env();
  require_args(info, 7, fn);
  const F32 y = float32_arg(info, 0, fn, "y");
  const F32 dy = float32_arg(info, 1, fn, "dy");
  const F32 dx = float32_arg(info, 2, fn, "dx");
  const Dims d = dims_arg(info, 3, fn);
  const bool log = bool_arg(info, 6, fn, "log");
  require_length(env, fn, "y", y.length, d.in_size);
  require_length(env, fn, "dy", dy.length, d.in_size);
  require_length(env, fn, "dx", dx.length, d.in_size);
  if (d.in_size > 0) gn::softmax_backward(y.data, dy.data, dx.data, d.outer, d.n, d.inner, log);
  return env.Undefined();
}

Napi::Value cross_entropy_backward(const Napi::CallbackInfo& info) {
  const char* fn = "crossEntropyBackward";
  Napi::Env env = info.Env();
  require_args(info, 8, fn);
  const F32 logp = float32_arg(info, 0, fn, "logp");
  const I32 labels = int32_arg(info, 1, fn, "labels");
  const F32 g = float32_arg(info, 2, fn, "g");
  const F32 dx = float32_arg(info, 3, fn, "dx");
  const Dims d = dims_arg(info, 4, fn);
  const double smoothing = number_arg(info, 7, fn, "smoothing");
  if (!(smoothing >= 0 && smoothing <= 1)) throw_range(env, fn, "smoothing must be in [0, 1]");
  require_length(env, fn, "logp", logp.length, d.in_size);
  require_length(env, fn, "labels", labels.length, d.out_size);
  require_length(env, fn, "g", g.length, d.out_size);
  require_length(env, fn, "dx", dx.length, d.in_size);
  // A label out of range would write outside dx: check them all before anything is written.
  for (index_t i = 0; i < labels.length; ++i)
    if (labels.data[i] < 0 || labels.data[i] >= d.n)
      throw_range(env, fn, "class label " + std::to_string(labels.data[i]) + " at position " + std::to_string(i) +
                               " is out of range for " + std::to_string(d.n) + " classes");
  if (d.in_size > 0)
    gn::cross_entropy_backward(logp.data, labels.data, g.data, dx.data, d.outer, d.n, d.inner,
                               static_cast<float>(smoothing));
  return env.Undefined();
}

}  // namespace

void register_reduce(Napi::Env env, Napi::Object exports) {
  export_fn<reduce>(env, exports, "reduce");
  export_fn<arg_reduce>(env, exports, "argReduce");
  export_fn<softmax>(env, exports, "softmax");
  export_fn<softmax_backward>(env, exports, "softmaxBackward");
  export_fn<cross_entropy_backward>(env, exports, "crossEntropyBackward");
  Napi::Object t = Napi::Object::New(env);
  for (int i = 0; i < static_cast<int>(gn::ReduceOp::kCount); ++i)
    t.Set(gn::reduce_op_name(static_cast<gn::ReduceOp>(i)), i);
  exports.Set("reduceOps", t);
}

}  // namespace gn_addon
