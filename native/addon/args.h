// Argument unwrapping for the N-API glue: the only place that turns JS values into pointers and
// integers. Every check throws a JS TypeError (wrong kind of value, detached buffer) or RangeError
// (wrong length or value) naming the function and the argument, so that a bad call from JS never
// reaches a kernel and never aborts the process. Float32Arrays are used in place: no copies.
#ifndef GRADNODE_ADDON_ARGS_H_
#define GRADNODE_ADDON_ARGS_H_

#include <napi.h>

#include <cstdint>
#include <new>
#include <string>

namespace gn_addon {

using index_t = std::int64_t;

[[noreturn]] inline void throw_type(const Napi::Env& env, const char* fn, const std::string& what) {
  throw Napi::TypeError::New(env, std::string(fn) + ": " + what);
}
[[noreturn]] inline void throw_range(const Napi::Env& env, const char* fn, const std::string& what) {
  throw Napi::RangeError::New(env, std::string(fn) + ": " + what);
}

struct F32 {
  float* data;
  index_t length;
};
struct I32 {
  std::int32_t* data;
  index_t length;
};

// The data and length of a typed array of the given type, from one napi_get_typedarray_info call
// (through node-addon-api, IsTypedArray, TypedArrayType, As<> and ArrayBuffer().IsDetached() made
// five N-API calls per argument, three of them napi_get_typedarray_info: a unary call on 16 floats
// took 390-700 ns, now 190-200). A detached buffer reads as length 0, so only empty arrays pay for
// that check.
template <typename T>
void typed_array_arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name,
                     napi_typedarray_type want, const char* kind, T** data, index_t* length) {
  napi_typedarray_type type;
  size_t len = 0;
  void* ptr = nullptr;
  napi_value buffer = nullptr;
  const napi_env env = info.Env();
  if (napi_get_typedarray_info(env, info[i], &type, &len, &ptr, &buffer, nullptr) != napi_ok || type != want)
    throw_type(info.Env(), fn, std::string(name) + " must be " + kind);
  if (len == 0) {
    bool is_detached = false;
    if (napi_is_detached_arraybuffer(env, buffer, &is_detached) != napi_ok || is_detached)
      throw_type(info.Env(), fn, std::string(name) + " is backed by a detached ArrayBuffer");
  }
  *data = static_cast<T*>(ptr);
  *length = static_cast<index_t>(len);
}

inline F32 float32_arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  F32 r;
  typed_array_arg(info, i, fn, name, napi_float32_array, "a Float32Array", &r.data, &r.length);
  return r;
}

// A Float32Array or null/undefined (returns data == nullptr).
inline F32 optional_float32_arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  if (info[i].IsNull() || info[i].IsUndefined()) return {nullptr, 0};
  return float32_arg(info, i, fn, name);
}

inline I32 int32_arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  I32 r;
  typed_array_arg(info, i, fn, name, napi_int32_array, "an Int32Array", &r.data, &r.length);
  return r;
}

inline double number_arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  if (!info[i].IsNumber()) throw_type(info.Env(), fn, std::string(name) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

// An integer in [lo, hi].
inline index_t int_arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name,
                       index_t lo, index_t hi) {
  const double d = number_arg(info, i, fn, name);
  if (!(d >= static_cast<double>(lo) && d <= static_cast<double>(hi)) || d != static_cast<double>(static_cast<index_t>(d)))
    throw_range(info.Env(), fn, std::string(name) + " must be an integer in [" + std::to_string(lo) + ", " +
                                    std::to_string(hi) + "], got " + std::to_string(d));
  return static_cast<index_t>(d);
}

inline bool bool_arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  if (!info[i].IsBoolean()) throw_type(info.Env(), fn, std::string(name) + " must be a boolean");
  return info[i].As<Napi::Boolean>().Value();
}

inline void require_args(const Napi::CallbackInfo& info, size_t n, const char* fn) {
  if (info.Length() != n)
    throw_type(info.Env(), fn, "expects " + std::to_string(n) + " arguments, got " + std::to_string(info.Length()));
}

inline void require_length(const Napi::Env& env, const char* fn, const char* name, index_t got, index_t want) {
  if (got != want)
    throw_range(env, fn, std::string(name) + " has " + std::to_string(got) + " elements, expected " +
                             std::to_string(want));
}

inline void require_min_length(const Napi::Env& env, const char* fn, const char* name, index_t got, index_t want) {
  if (got < want)
    throw_range(env, fn, std::string(name) + " has " + std::to_string(got) + " elements, needs at least " +
                             std::to_string(want));
}

// Throws a RangeError when a and b share memory (kernels that read and write through
// non-aliasing pointers). An absent (null) or empty array overlaps nothing.
inline void require_disjoint(const Napi::Env& env, const char* fn, const char* a_name, const F32& a,
                             const char* b_name, const F32& b) {
  if (a.data == nullptr || b.data == nullptr || a.length == 0 || b.length == 0) return;
  if (a.data < b.data + b.length && b.data < a.data + a.length)
    throw_range(env, fn, std::string(a_name) + " and " + b_name + " overlap");
}

// Multiplies non-negative sizes, throwing a RangeError on overflow past 2^53 (no Float32Array is
// that long, so such a request is always an error).
inline index_t checked_mul(const Napi::Env& env, const char* fn, index_t a, index_t b) {
  constexpr index_t kMax = index_t(1) << 53;
  if (a != 0 && b > kMax / a) throw_range(env, fn, "sizes overflow");
  return a * b;
}

// Runs a binding body, turning C++ failures into JS exceptions: nothing escapes into Node-API.
template <Napi::Value (*F)(const Napi::CallbackInfo&)>
Napi::Value guarded(const Napi::CallbackInfo& info) {
  try {
    return F(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw Napi::RangeError::New(info.Env(), "gradnode: out of memory in a native kernel");
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), std::string("gradnode: native kernel failed: ") + e.what());
  }
}

template <Napi::Value (*F)(const Napi::CallbackInfo&)>
void export_fn(Napi::Env env, Napi::Object exports, const char* name) {
  exports.Set(name, Napi::Function::New<guarded<F>>(env, name));
}

// Registration of each family's functions (bind_*.cc).
void register_gemm(Napi::Env env, Napi::Object exports);
void register_conv(Napi::Env env, Napi::Object exports);
void register_pool(Napi::Env env, Napi::Object exports);
void register_recurrent(Napi::Env env, Napi::Object exports);
void register_elementwise(Napi::Env env, Napi::Object exports);
void register_reduce(Napi::Env env, Napi::Object exports);
void register_layout(Napi::Env env, Napi::Object exports);
void register_norm(Napi::Env env, Napi::Object exports);
void register_optim(Napi::Env env, Napi::Object exports);

}  // namespace gn_addon

#endif  // GRADNODE_ADDON_ARGS_H_
