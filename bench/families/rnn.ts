/**
 * Recurrent layers trained by backpropagation through time: one forward of gn.nn.LSTM / gn.nn.RNN
 * over a whole sequence and its backward (output gradient fixed, parameter gradients cleared
 * before each call), against torch.nn.LSTM / RNN doing the same. Useful flops per step: the GEMMs,
 * 3 · 2·T·N·G·(I + H) (forward, then the gradients of the inputs and of the weights), with G = 4H
 * gates for the LSTM and H for the RNN; the cell's elementwise work is not counted.
 */
import type { Tensor } from '../../src/tensor';
import type { Context, Row } from '../lib/context';
import { timeIt } from '../lib/timing';

export interface RnnShape {
  name: string;
  mode: 'lstm' | 'rnn_tanh';
  batch: number;
  time: number;
  input: number;
  hidden: number;
}

export const rnnShapes: RnnShape[] = [
  // examples/lstm_sequence.mjs: 32 sequences of 8 one-hot digits
  { name: 'lstm_b32_t8_i10_h64', mode: 'lstm', batch: 32, time: 8, input: 10, hidden: 64 },
  { name: 'lstm_b64_t32_i64_h256', mode: 'lstm', batch: 64, time: 32, input: 64, hidden: 256 },
  { name: 'rnn_tanh_b64_t32_i64_h256', mode: 'rnn_tanh', batch: 64, time: 32, input: 64, hidden: 256 },
];

export function runRnn(ctx: Context): Row[] {
  const { gn } = ctx.pkg;
  const rows: Row[] = [];
  for (const s of rnnShapes) {
    gn.manualSeed(0);
    const layer = s.mode === 'lstm' ? new gn.nn.LSTM(s.input, s.hidden, { batchFirst: true }) : new gn.nn.RNN(s.input, s.hidden, { batchFirst: true });
    const params = layer.parameters();
    const x = gn.randn([s.batch, s.time, s.input]);
    const g = gn.randn([s.batch, s.time, s.hidden]);
    const step = () => {
      for (const p of params) p.grad = null;
      const [y] = layer.forward(x) as [Tensor, unknown];
      y.backward(g);
    };
    const gates = s.mode === 'lstm' ? 4 * s.hidden : s.hidden;
    const row: Row = {
      family: 'rnn',
      name: s.name,
      pass: 'fwd+bwd',
      shape: `${s.mode === 'lstm' ? 'LSTM' : 'RNN tanh'} batch ${s.batch}, ${s.time} steps, ${s.input} -> ${s.hidden}`,
      unit: 'GFLOP/s',
      work: 3 * 2 * s.time * s.batch * gates * (s.input + s.hidden),
      native: timeIt(step, ctx.timing),
      torchItem: { id: `rnn/${s.name}`, kind: 'rnn', pass: 'fwd_bwd', mode: s.mode, batch: s.batch, time: s.time, input: s.input, hidden: s.hidden },
    };
    rows.push(row);
    ctx.log(`  rnn ${s.name}: ${(row.native!.best * 1e3).toFixed(2)} ms`);
  }
  return rows;
}
