// copyStrided(src, srcOffset, srcStrides, dst, dstOffset, dstStrides, shape): the one data-movement
// kernel (permute, slicing, cat, pad, expand). Offsets and strides are in elements. Also the
// nearest-neighbour upsampling and its backward.
// See kernels/layout/layout.h.
#include "args.h"
#include "kernels/layout/layout.h"

namespace gn_addon {
namespace {

constexpr int kMaxDims = 16;
constexpr index_t kMaxOffset = index_t(1) << 40;

Napi::Value copy_strided(const Napi::CallbackInfo& info) {
  const char* fn = "copyStrided";
  Napi::Env env = info.Env();
  require_args(info, 7, fn);
  const F32 src = float32_arg(info, 0, fn, "src");
  const index_t src_off = int_arg(info, 1, fn, "srcOffset", 0, kMaxOffset);
  const I32 ss = int32_arg(info, 2, fn, "srcStrides");
  const F32 dst = float32_arg(info, 3, fn, "dst");
  const index_t dst_off = int_arg(info, 4, fn, "dstOffset", 0, kMaxOffset);
  const I32 ds = int32_arg(info, 5, fn, "dstStrides");
  const I32 sh = int32_arg(info, 6, fn, "shape");
  const int ndim = static_cast<int>(sh.length);
  if (ndim > kMaxDims) throw_range(env, fn, "at most 16 dimensions are supported");
  require_length(env, fn, "srcStrides", ss.length, ndim);
  require_length(env, fn, "dstStrides", ds.length, ndim);
  index_t shape[kMaxDims], src_st[kMaxDims], dst_st[kMaxDims];
  index_t numel = 1, src_last = src_off, dst_last = dst_off;
  for (int d = 0; d < ndim; ++d) {
    if (sh.data[d] < 0 || ss.data[d] < 0 || ds.data[d] < 0) throw_range(env, fn, "negative size or stride");
    shape[d] = sh.data[d];
    src_st[d] = ss.data[d];
    dst_st[d] = ds.data[d];
    numel = checked_mul(env, fn, numel, shape[d]);
    if (shape[d] > 0) {
      src_last += (shape[d] - 1) * src_st[d];
      dst_last += (shape[d] - 1) * dst_st[d];
    }
  }
  if (numel == 0) return env.Undefined();
  if (src_last >= src.length) throw_range(env, fn, "the copy reads past the end of src");
  if (dst_last >= dst.length) throw_range(env, fn, "the copy writes past the end of dst");
  if (src.data + src_off <= dst.data + dst_last && dst.data + dst_off <= src.data + src_last)
    throw_range(env, fn, "src and dst overlap");
  gn::copy_strided(ndim, shape, src.data + src_off, src_st, dst.data + dst_off, dst_st);
  return env.Undefined();
}

// upsampleNearest(x, y, planes, h, w, fh, fw) and upsampleNearestBackward(dy, dx, planes, h, w, fh, fw).
template <bool kBackward>
Napi::Value upsample(const Napi::CallbackInfo& info) {
  const char* fn = kBackward ? "upsampleNearestBackward" : "upsampleNearest";
  Napi::Env env = info.Env();
  require_args(info, 7, fn);
  const F32 a = float32_arg(info, 0, fn, kBackward ? "dy" : "x");
  const F32 b = float32_arg(info, 1, fn, kBackward ? "dx" : "y");
  const index_t planes = int_arg(info, 2, fn, "planes", 0, kMaxOffset);
  const index_t h = int_arg(info, 3, fn, "h", 0, kMaxOffset);
  const index_t w = int_arg(info, 4, fn, "w", 0, kMaxOffset);
  const index_t fh = int_arg(info, 5, fn, "fh", 1, kMaxOffset);
  const index_t fw = int_arg(info, 6, fn, "fw", 1, kMaxOffset);
  const index_t small = checked_mul(env, fn, checked_mul(env, fn, planes, h), w);
  const index_t large = checked_mul(env, fn, checked_mul(env, fn, small, fh), fw);
  require_length(env, fn, kBackward ? "dy" : "x", a.length, kBackward ? large : small);
  require_length(env, fn, kBackward ? "dx" : "y", b.length, kBackward ? small : large);
  require_disjoint(env, fn, kBackward ? "dy" : "x", a, kBackward ? "dx" : "y", b);
  if (kBackward)
    gn::upsample_nearest_backward(a.data, b.data, planes, h, w, fh, fw);
  else
    gn::upsample_nearest(a.data, b.data, planes, h, w, fh, fw);
  return env.Undefined();
}

}  // namespace

void register_layout(Napi::Env env, Napi::Object exports) {
  export_fn<copy_strided>(env, exports, "copyStrided");
  export_fn<upsample<false>>(env, exports, "upsampleNearest");
  export_fn<upsample<true>>(env, exports, "upsampleNearestBackward");
}

}  // namespace gn_addon
