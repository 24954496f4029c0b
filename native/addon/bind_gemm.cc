// gemm(transA, transB, batch, m, n, k, alpha, a, strideA, b, strideB, beta, c, strideC, bias, relu)
// Batched row-major GEMM on contiguous matrices (leading dimensions follow from the transpose
// flags); a stride of 0 shares an operand across the batch. bias (n floats, or null) and relu: the
// epilogue, c = max(c + bias[j], 0), applied to every product. See kernels/gemm/gemm.h.
#include "args.h"
#include "kernels/gemm/gemm.h"

namespace gn_addon {
namespace {

constexpr index_t kMaxDim = index_t(1) << 40;

// Elements an operand of `batch` matrices of `size` elements each, `stride` apart, spans.
index_t span(const Napi::Env& env, const char* fn, index_t batch, index_t stride, index_t size) {
  if (batch == 0 || size == 0) return 0;
  return checked_mul(env, fn, batch - 1, stride) + size;
}

Napi::Value gemm(const Napi::CallbackInfo& info) {
  const char* fn = "gemm";
  Napi::Env env = info.Env();
  require_args(info, 16, fn);
  const bool ta = bool_arg(info, 0, fn, "transA");
  const bool tb = bool_arg(info, 1, fn, "transB");
  const index_t batch = int_arg(info, 2, fn, "batch", 0, kMaxDim);
  const index_t m = int_arg(info, 3, fn, "m", 0, kMaxDim);
  const index_t n = int_arg(info, 4, fn, "n", 0, kMaxDim);
  const index_t k = int_arg(info, 5, fn, "k", 0, kMaxDim);
  const float alpha = static_cast<float>(number_arg(info, 6, fn, "alpha"));
  const F32 a = float32_arg(info, 7, fn, "a");
  const index_t sa = int_arg(info, 8, fn, "strideA", 0, kMaxDim);
  const F32 b = float32_arg(info, 9, fn, "b");
  const index_t sb = int_arg(info, 10, fn, "strideB", 0, kMaxDim);
  const float beta = static_cast<float>(number_arg(info, 11, fn, "beta"));
  const F32 c = float32_arg(info, 12, fn, "c");
  const index_t sc = int_arg(info, 13, fn, "strideC", 0, kMaxDim);
  const F32 bias = optional_float32_arg(info, 14, fn, "bias");
  gn::GemmEpilogue ep;
  ep.bias = bias.data;
  ep.relu = bool_arg(info, 15, fn, "relu");
  const index_t size_a = checked_mul(env, fn, m, k), size_b = checked_mul(env, fn, k, n),
                size_c = checked_mul(env, fn, m, n);
  if (batch > 1 && sc < size_c) throw_range(env, fn, "strideC must be at least m * n so that outputs do not overlap");
  require_min_length(env, fn, "a", a.length, span(env, fn, batch, sa, size_a));
  require_min_length(env, fn, "b", b.length, span(env, fn, batch, sb, size_b));
  require_min_length(env, fn, "c", c.length, span(env, fn, batch, sc, size_c));
  if (bias.data) require_min_length(env, fn, "bias", bias.length, n);
  if (batch == 0 || size_c == 0) return env.Undefined();
  gn::sgemm_batched(batch, ta, tb, m, n, k, alpha, a.data, ta ? m : k, sa, b.data, tb ? k : n, sb, beta,
                    c.data, n, sc, ep);
  return env.Undefined();
}

}  // namespace

void register_gemm(Napi::Env env, Napi::Object exports) { export_fn<gemm>(env, exports, "gemm"); }

}  // namespace gn_addon
