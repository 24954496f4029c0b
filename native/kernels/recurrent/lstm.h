// The LSTM cell, one time step over a batch (src/ops/recurrent.ts runs the sequence: the gate
// pre-activations come from two GEMMs, everything after them is this kernel). Semantics as in
// src/backend/backend.ts (lstmCell, lstmCellBackward). Rows are split between threads; each
// element is computed the same way on any thread, so results do not depend on the thread count.
#ifndef GRADNODE_KERNELS_RECURRENT_LSTM_H_
#define GRADNODE_KERNELS_RECURRENT_LSTM_H_

#include "../common.h"

namespace gn {

// gates [rows, 4 * hidden]: pre-activations in, activations out (sigmoid i, f, o; tanh g);
// c = f * c_prev + i * g, tc = tanh(c), h = o * tc, each [rows, hidden].
void lstm_cell(float* gates, const float* c_prev, float* c, float* tc, float* h, index_t rows, index_t hidden);
// From the forward's activations, c_prev and tc, and the gradients dh and dc (null: zero) of h and
// c: the gradient dgates of the pre-activations and dc_prev. The outputs overlap no input (the
// addon checks).
void lstm_cell_backward(const float* gates, const float* c_prev, const float* tc, const float* dh, const float* dc,
                        float* dgates, float* dc_prev, index_t rows, index_t hidden);

}  // namespace gn

#endif  // GRADNODE_KERNELS_RECURRENT_LSTM_H_
