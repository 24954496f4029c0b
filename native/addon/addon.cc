// The gradnode addon: the export table and the runtime functions. Each kernel family's bindings sit
// in bind_<family>.cc. No JS handle is kept in static storage, so the addon loads in every
// worker_thread (each environment gets its own exports object).
#include <napi.h>

#include "args.h"
#include "kernels/isa.h"
#include "kernels/threads.h"

namespace gn_addon {
namespace {

Napi::Value backend_info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("isa", gn::kernels().name);
  o.Set("bestIsa", gn::isa_name(gn::best_isa()));
  Napi::Array compiled = Napi::Array::New(env);
  Napi::Array runnable = Napi::Array::New(env);
  for (int i = 0; i < gn::kIsaCount; ++i) {
    const gn::Isa isa = static_cast<gn::Isa>(i);
    if (gn::isa_compiled(isa)) compiled.Set(compiled.Length(), gn::isa_name(isa));
    if (gn::isa_runnable(isa)) runnable.Set(runnable.Length(), gn::isa_name(isa));
  }
  o.Set("compiledIsas", compiled);
  o.Set("runnableIsas", runnable);
  o.Set("threads", gn::num_threads());
  o.Set("openmp", gn::openmp_runtime());
  const gn::GemmUkernel& g = gn::kernels().gemm;
  o.Set("gemmTile", std::to_string(g.mr) + "x" + std::to_string(g.nr));
  return o;
}

Napi::Value set_num_threads(const Napi::CallbackInfo& info) {
  const char* fn = "setNumThreads";
  require_args(info, 1, fn);
  const index_t n = int_arg(info, 0, fn, "n", 1, 1024);
  return Napi::Number::New(info.Env(), gn::set_num_threads(static_cast<int>(n)));
}

Napi::Value num_threads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), gn::num_threads());
}

Napi::Value scratch_bytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(gn::scratch_bytes_held()));
}

Napi::Value release_scratch(const Napi::CallbackInfo& info) {
  gn::scratch_release();
  return info.Env().Undefined();
}

}  // namespace

Napi::Object init(Napi::Env env, Napi::Object exports) {
  const gn::IsaChoice choice = gn::initial_isa_choice();
  if (!choice.ok) throw Napi::Error::New(env, choice.message);
  // Methods available to JavaScript.
  export_fn<backend_info>(env, exports, "backendInfo");
  export_fn<set_num_threads>(env, exports, "setNumThreads");
  export_fn<num_threads>(env, exports, "numThreads");
  export_fn<scratch_bytes>(env, exports, "scratchBytes");
  export_fn<release_scratch>(env, exports, "releaseScratch");
  register_gemm(env, exports);
  register_conv(env, exports);
  register_pool(env, exports);
  register_elementwise(env, exports);
  register_reduce(env, exports);
  register_layout(env, exports);
  register_norm(env, exports);
  register_recurrent(env, exports);
  register_optim(env, exports);
  return exports;
}

}  // namespace gn_addon

static Napi::Object InitGradnode(Napi::Env env, Napi::Object exports) { return gn_addon::init(env, exports); }

NODE_API_MODULE(gradnode, InitGradnode)
