#include "lstm.h"

#include "../isa.h"
#include "../layout/nd_loop.h"
#include "../threads.h"

namespace gn {
namespace {

// Elements of the hidden state per thread before a second thread pays: the cell does two tanh and
// three sigmoids per element (about the cost of the heavy unary ops, elementwise.cc's kGrainHeavy).
constexpr index_t kGrain = 4096;

int cell_threads(index_t rows, index_t hidden) {
  int nt = threads_for(rows * hidden, kGrain);
  return nt > rows ? static_cast<int>(rows) : nt;
}

}  // namespace

void lstm_cell(float* gates, const float* c_prev, float* c, float* tc, float* h, index_t rows, index_t hidden) {
  if (rows <= 0 || hidden <= 0) return;
  const VmathKernels& k = kernels().vmath;
  parallel_ranges(rows, cell_threads(rows, hidden), 1, [&](index_t r0, index_t r1) {
    const index_t o = r0 * hidden;
    k.lstm_cell(gates + 4 * o, c_prev + o, c + o, tc + o, h + o, r1 - r0, hidden);
  });
}

void lstm_cell_backward(const float* gates, const float* c_prev, const float* tc, const float* dh, const float* dc,
                        float* dgates, float* dc_prev, index_t rows, index_t hidden) {
  if (rows <= 0 || hidden <= 0) return;
  const VmathKernels& k = kernels().vmath;
  parallel_ranges(rows, cell_threads(rows, hidden), 1, [&](index_t r0, index_t r1) {
    const index_t o = r0 * hidden;
    k.lstm_cell_backward(gates + 4 * o, c_prev + o, tc + o, dh + o, dc ? dc + o : nullptr, dgates + 4 * o,
                         dc_prev + o, r1 - r0, hidden);
  });
}

}  // namespace gn
