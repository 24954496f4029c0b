/**
 * Whole recurrent layers as single ops, the time loop inside one forward and one backward
 * (backpropagation through time), as PyTorch's and cuDNN's RNN kernels do. Per step, forward is one
 * GEMM (h W_hhᵀ added onto the input projection, with b_hh in its epilogue) and the cell (the LSTM
 * kernel, or the activation); backward is the cell's backward and one GEMM for the gradient that
 * flows to the previous step. The gradients of W_hh and b_hh come out of one GEMM and one sum over
 * all steps, and the gradient of the input projection is the buffer the steps wrote.
 *
 * Written step by step out of select, chunk and the elementwise ops instead, every step's gradient
 * reached the input projection as a zero-filled tensor of the whole sequence added into the others:
 * O(T²) memory traffic. An LSTM with batch 64, 32 steps, 64 inputs and 256 units took 214 ms per
 * training step that way (PyTorch 1.13: 66 ms).
 */
import { defineOp } from '../autograd/function';
import { recycleArray } from '../autograd/scratch';
import type { Context } from '../autograd/node';
import { backendFor } from '../backend';
import type { Backend, FloatArray, GemmArgs } from '../backend/backend';
import { fmtShape, shapesEqual } from '../shape';
import { Tensor } from '../tensor';
import { allocateUninitialized, checkTensor, dataAs, resultDtype } from './util';

/** c = a bᵀ (transB) or a b over row-major matrices, plus beta c and the bias epilogue. */
function product(be: Backend, a: FloatArray, transA: boolean, b: FloatArray, transB: boolean, c: FloatArray,
  m: number, n: number, k: number, beta: number, bias: FloatArray | null = null): void {
  const args: GemmArgs = { transA, transB, batch: 1, m, n, k, alpha: 1, beta, strideA: 0, strideB: 0, strideC: 0, bias };
  be.gemm(a, b, c, args);
}

const rows = (a: FloatArray, size: number, i: number): FloatArray => a.subarray(i * size, (i + 1) * size);

/** What forward keeps for backward (arrays of the op's own, not tensors anyone else sees). */
interface Saved {
  whh: FloatArray;
  /** Hidden states h_0 .. h_T, [T + 1, N, H]. */
  hs: FloatArray;
  /** LSTM: the gates' activations [T, N, 4H]; RNN: the pre-activations [T, N, H]. */
  gates: FloatArray;
  /** LSTM only: cell states c_0 .. c_T and tanh(c_1) .. tanh(c_T). */
  cs: FloatArray | null;
  tcs: FloatArray | null;
}

function save(ctx: Context, s: Saved): void {
  ctx.rnn = s;
  ctx.onRelease(() => {
    ctx.rnn = null;
    // The op's own arrays (not W_hh, a parameter's) go back to the scratch pool for the next step.
    for (const a of [s.hs, s.gates, s.cs, s.tcs]) if (a) recycleArray(a);
  });
}

/** The gradients every layer shares: W_hh from all steps at once, h_0, b_hh. */
function commonGrads(ctx: Context, be: Backend, s: Saved, dgates: FloatArray, T: number, N: number, H: number, G: number,
  dtype: Tensor['dtype'], hasBias: boolean): { dwhh: Tensor | null; dh0: Tensor | null; dbhh: Tensor | null } {
  let dwhh: Tensor | null = null;
  let dh0: Tensor | null = null;
  let dbhh: Tensor | null = null;
  if (ctx.needsInputGrad[1]) {
    dwhh = new Tensor(allocateUninitialized(G * H, dtype), [G, H]);
    product(be, dgates, true, s.hs.subarray(0, T * N * H), false, dwhh.data, G, H, T * N, 0);
  }
  if (ctx.needsInputGrad[2]) {
    dh0 = new Tensor(allocateUninitialized(N * H, dtype), [N, H]);
    product(be, rows(dgates, N * G, 0), false, s.whh, false, dh0.data, N, H, G, 0);
  }
  const biasIndex = ctx.needsInputGrad.length - 1;
  if (hasBias && ctx.needsInputGrad[biasIndex]) {
    dbhh = new Tensor(allocateUninitialized(G, dtype), [G]);
    be.reduce('sum', dgates, dbhh.data, 1, T * N, G);
  }
  return { dwhh, dh0, dbhh };
}

const LstmLayer = defineOp({
  name: 'lstmLayer',
  forward(ctx, xw: Tensor, whh: Tensor, h0: Tensor, c0: Tensor, bhh?: Tensor) {
    const [T, N, G] = xw.shape;
    const H = G / 4;
    const dtype = resultDtype(xw, whh, h0, c0, ...(bhh ? [bhh] : []));
    const NH = N * H;
    const NG = N * G;
    const gates = allocateUninitialized(T * NG, dtype);
    gates.set(dataAs(xw, dtype));
    const hs = allocateUninitialized((T + 1) * NH, dtype);
    const cs = allocateUninitialized((T + 1) * NH, dtype);
    const tcs = allocateUninitialized(T * NH, dtype);
    hs.set(dataAs(h0, dtype));
    cs.set(dataAs(c0, dtype));
    const w = dataAs(whh, dtype);
    const b = bhh ? dataAs(bhh, dtype) : null;
    const be = backendFor(gates);
    for (let t = 0; t < T; t++) {
      const gt = rows(gates, NG, t);
      product(be, rows(hs, NH, t), false, w, true, gt, N, G, H, 1, b);
      be.lstmCell(gt, rows(cs, NH, t), rows(cs, NH, t + 1), rows(tcs, NH, t), rows(hs, NH, t + 1), N, H);
    }
    // Output: h_1 .. h_T, then c_T (the layer slices [output, [h_T, c_T]] out of it).
    const out = new Tensor(allocateUninitialized((T + 1) * NH, dtype), [T + 1, N, H]);
    out.data.set(hs.subarray(NH));
    out.data.set(rows(cs, NH, T), T * NH);
    ctx.hasBias = bhh !== undefined;
    save(ctx, { whh: w, hs, gates, cs, tcs });
    return out;
  },
  backward(ctx, g) {
    const s = ctx.rnn as Saved;
    const [T1, N, H] = g.shape;
    const T = T1 - 1;
    const G = 4 * H;
    const NH = N * H;
    const NG = N * G;
    const dtype = g.dtype;
    const gd = g.data;
    const be = backendFor(s.gates);
    const dgates = allocateUninitialized(T * NG, dtype);
    const dh = allocateUninitialized(NH, dtype);
    let dc: FloatArray = gd.slice(T * NH, (T + 1) * NH); // the gradient of c_T, then of each earlier c
    let dcPrev = allocateUninitialized(NH, dtype);
    for (let t = T - 1; t >= 0; t--) {
      dh.set(rows(gd, NH, t));
      if (t < T - 1) product(be, rows(dgates, NG, t + 1), false, s.whh, false, dh, N, H, G, 1);
      be.lstmCellBackward(rows(s.gates, NG, t), rows(s.cs as FloatArray, NH, t), rows(s.tcs as FloatArray, NH, t), dh, dc,
        rows(dgates, NG, t), dcPrev, N, H);
      [dc, dcPrev] = [dcPrev, dc];
    }
    const { dwhh, dh0, dbhh } = commonGrads(ctx, be, s, dgates, T, N, H, G, dtype, ctx.hasBias as boolean);
    const dxw = ctx.needsInputGrad[0] ? new Tensor(dgates, [T, N, G]) : null;
    const dc0 = ctx.needsInputGrad[3] ? new Tensor(dc, [N, H]) : null;
    return [dxw, dwhh, dh0, dc0, dbhh];
  },
});

const RnnLayer = defineOp({
  name: 'rnnLayer',
  forward(ctx, xw: Tensor, whh: Tensor, h0: Tensor, act: 'tanh' | 'relu', bhh?: Tensor) {
    const [T, N, H] = xw.shape;
    const dtype = resultDtype(xw, whh, h0, ...(bhh ? [bhh] : []));
    const NH = N * H;
    const pre = allocateUninitialized(T * NH, dtype);
    pre.set(dataAs(xw, dtype));
    const hs = allocateUninitialized((T + 1) * NH, dtype);
    hs.set(dataAs(h0, dtype));
    const w = dataAs(whh, dtype);
    const b = bhh ? dataAs(bhh, dtype) : null;
    const be = backendFor(pre);
    for (let t = 0; t < T; t++) {
      const pt = rows(pre, NH, t);
      product(be, rows(hs, NH, t), false, w, true, pt, N, H, H, 1, b);
      be.unary(act, pt, rows(hs, NH, t + 1), 0, 0);
    }
    const out = new Tensor(allocateUninitialized(T * NH, dtype), [T, N, H]);
    out.data.set(hs.subarray(NH));
    ctx.hasBias = bhh !== undefined;
    ctx.act = act;
    save(ctx, { whh: w, hs, gates: pre, cs: null, tcs: null });
    return out;
  },
  backward(ctx, g) {
    const s = ctx.rnn as Saved;
    const [T, N, H] = g.shape;
    const NH = N * H;
    const be = backendFor(s.gates);
    const dpre = allocateUninitialized(T * NH, g.dtype);
    const dh = allocateUninitialized(NH, g.dtype);
    for (let t = T - 1; t >= 0; t--) {
      dh.set(rows(g.data, NH, t));
      if (t < T - 1) product(be, rows(dpre, NH, t + 1), false, s.whh, false, dh, N, H, H, 1);
      be.unaryBackward(ctx.act as 'tanh' | 'relu', rows(s.gates, NH, t), rows(s.hs, NH, t + 1), dh, rows(dpre, NH, t), 0, 0);
    }
    const { dwhh, dh0, dbhh } = commonGrads(ctx, be, s, dpre, T, N, H, H, g.dtype, ctx.hasBias as boolean);
    const dxw = ctx.needsInputGrad[0] ? new Tensor(dpre, [T, N, H]) : null;
    return [dxw, dwhh, dh0, dbhh];
  },
});

function checkLayer(fn: string, xw: Tensor, whh: Tensor, states: [string, Tensor][], bhh: Tensor | null | undefined, gates: number): void {
  checkTensor(fn, 'xw', xw);
  checkTensor(fn, 'whh', whh);
  if (xw.ndim !== 3 || xw.shape[0] < 1 || xw.shape[2] % gates !== 0) {
    throw new RangeError(`${fn}: xw must be [time >= 1, batch, ${gates} * hidden], got shape ${fmtShape(xw.shape)}`);
  }
  const [, N, G] = xw.shape;
  const H = G / gates;
  if (!shapesEqual(whh.shape, [G, H])) throw new RangeError(`${fn}: whh must have shape [${G}, ${H}], got ${fmtShape(whh.shape)}`);
  for (const [name, t] of states) {
    checkTensor(fn, name, t);
    if (!shapesEqual(t.shape, [N, H])) throw new RangeError(`${fn}: ${name} must have shape [${N}, ${H}], got ${fmtShape(t.shape)}`);
  }
  if (bhh !== undefined && bhh !== null) {
    checkTensor(fn, 'bhh', bhh);
    if (!shapesEqual(bhh.shape, [G])) throw new RangeError(`${fn}: bhh must have shape [${G}], got ${fmtShape(bhh.shape)}`);
  }
}

/**
 * One LSTM layer over a sequence, from the input projection xw = x W_ihᵀ + b_ih [T, N, 4H] (gates
 * i, f, g, o), W_hh [4H, H], the initial state h0, c0 [N, H] and b_hh [4H] (optional). Returns
 * [T + 1, N, H]: h_1 .. h_T, then c_T.
 */
export function lstmLayer(xw: Tensor, whh: Tensor, h0: Tensor, c0: Tensor, bhh?: Tensor | null): Tensor {
  checkLayer('lstmLayer', xw, whh, [['h0', h0], ['c0', c0]], bhh, 4);
  return bhh ? LstmLayer(xw, whh, h0, c0, bhh) : LstmLayer(xw, whh, h0, c0);
}

/**
 * One Elman RNN layer over a sequence: h_t = act(xw_t + h_{t-1} W_hhᵀ + b_hh), from xw = x W_ihᵀ +
 * b_ih [T, N, H], W_hh [H, H], h0 [N, H] and b_hh [H] (optional). Returns h_1 .. h_T, [T, N, H].
 */
export function rnnLayer(xw: Tensor, whh: Tensor, h0: Tensor, act: 'tanh' | 'relu', bhh?: Tensor | null): Tensor {
  checkLayer('rnnLayer', xw, whh, [['h0', h0]], bhh, 1);
  if (act !== 'tanh' && act !== 'relu') throw new RangeError(`rnnLayer: act must be 'tanh' or 'relu', got ${String(act)}`);
  return bhh ? RnnLayer(xw, whh, h0, act, bhh) : RnnLayer(xw, whh, h0, act);
}
