// lstmCell(gates, cPrev, c, tc, h, rows, hidden) and
// lstmCellBackward(gates, cPrev, tc, dh, dc | null, dgates, dcPrev, rows, hidden): one LSTM time
// step over a batch of `rows`. See kernels/recurrent/lstm.h. Outputs other than the gates (updated
// in place) must not overlap any other argument.
#include "args.h"
#include "kernels/recurrent/lstm.h"

#include <utility>

namespace gn_addon {
namespace {

constexpr index_t kMaxDim = index_t(1) << 40;

struct Cell {
  index_t rows, hidden, state, gates;  // state: rows * hidden; gates: 4 * state
};

Cell cell_arg(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  Cell d{};
  d.rows = int_arg(info, i, fn, "rows", 0, kMaxDim);
  d.hidden = int_arg(info, i + 1, fn, "hidden", 0, kMaxDim);
  d.state = checked_mul(info.Env(), fn, d.rows, d.hidden);
  d.gates = checked_mul(info.Env(), fn, d.state, 4);
  return d;
}

using Named = std::pair<const char*, const F32*>;

// Arguments [out0, n) are outputs, written through non-aliasing pointers: each must share memory
// with no other argument (the gates, updated in place, are one argument).
void require_outputs_disjoint(const Napi::Env& env, const char* fn, const Named* args, int n, int out0) {
  for (int o = out0; o < n; ++o)
    for (int i = 0; i < o; ++i) require_disjoint(env, fn, args[o].first, *args[o].second, args[i].first, *args[i].second);
}

Napi::Value cell(const Napi::CallbackInfo& info) {
  const char* fn = "lstmCell";
  Napi::Env env = info.Env();
  require_args(info, 7, fn);
  const F32 gates = float32_arg(info, 0, fn, "gates");
  const F32 c_prev = float32_arg(info, 1, fn, "cPrev");
  const F32 c = float32_arg(info, 2, fn, "c");
  const F32 tc = float32_arg(info, 3, fn, "tc");
  const F32 h = float32_arg(info, 4, fn, "h");
  const Cell d = cell_arg(info, 5, fn);
  require_length(env, fn, "gates", gates.length, d.gates);
  require_length(env, fn, "cPrev", c_prev.length, d.state);
  require_length(env, fn, "c", c.length, d.state);
  require_length(env, fn, "tc", tc.length, d.state);
  require_length(env, fn, "h", h.length, d.state);
  const Named args[] = {{"gates", &gates}, {"cPrev", &c_prev}, {"c", &c}, {"tc", &tc}, {"h", &h}};
  require_outputs_disjoint(env, fn, args, 5, 2);
  gn::lstm_cell(gates.data, c_prev.data, c.data, tc.data, h.data, d.rows, d.hidden);
  return env.Undefined();
}

Napi::Value cell_backward(const Napi::CallbackInfo& info) {
  const char* fn = "lstmCellBackward";
  Napi::Env env = info.Env();
  require_args(info, 9, fn);
  const F32 gates = float32_arg(info, 0, fn, "gates");
  const F32 c_prev = float32_arg(info, 1, fn, "cPrev");
  const F32 tc = float32_arg(info, 2, fn, "tc");
  const F32 dh = float32_arg(info, 3, fn, "dh");
  const F32 dc = optional_float32_arg(info, 4, fn, "dc");
  const F32 dgates = float32_arg(info, 5, fn, "dgates");
  const F32 dc_prev = float32_arg(info, 6, fn, "dcPrev");
  const Cell d = cell_arg(info, 7, fn);
  require_length(env, fn, "gates", gates.length, d.gates);
  require_length(env, fn, "cPrev", c_prev.length, d.state);
  require_length(env, fn, "tc", tc.length, d.state);
  require_length(env, fn, "dh", dh.length, d.state);
  if (dc.data) require_length(env, fn, "dc", dc.length, d.state);
  require_length(env, fn, "dgates", dgates.length, d.gates);
  require_length(env, fn, "dcPrev", dc_prev.length, d.state);
  const Named args[] = {{"gates", &gates}, {"cPrev", &c_prev}, {"tc", &tc},         {"dh", &dh},
                        {"dc", &dc},       {"dgates", &dgates}, {"dcPrev", &dc_prev}};
  require_outputs_disjoint(env, fn, args, 7, 5);
  gn::lstm_cell_backward(gates.data, c_prev.data, tc.data, dh.data, dc.data, dgates.data, dc_prev.data, d.rows,
                         d.hidden);
  return env.Undefined();
}

}  // namespace

void register_recurrent(Napi::Env env, Napi::Object exports) {
  export_fn<cell>(env, exports, "lstmCell");
  export_fn<cell_backward>(env, exports, "lstmCellBackward");
}

}  // namespace gn_addon
