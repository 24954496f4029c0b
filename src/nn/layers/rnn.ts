/**
 * Recurrent layers (Elman RNN and LSTM), multi-layer, optionally batch-first, trained by
 * backpropagation through time: each layer is the input projection (one linear over all steps)
 * and one op that runs the time loop forward and, in backward(), back through time
 * (ops/recurrent.ts). Parameter names and layouts follow PyTorch (weight_ih_l0 [gates * hidden, input],
 * weight_hh_l0, bias_ih_l0, bias_hh_l0; LSTM gates in the order input, forget, cell, output), so
 * state dicts line up with PyTorch's.
 */
import { zeros } from '../../ops/creation';
import { dropout } from '../../ops/dropout';
import { narrow, stack } from '../../ops/join';
import { linear } from '../../ops/matmul';
import { lstmLayer, rnnLayer } from '../../ops/recurrent';
import { checkInt, checkTensor } from '../../ops/util';
import { fmtShape, shapesEqual } from '../../shape';
import type { Tensor } from '../../tensor';
import { uniform_ } from '../init';
import { Module, Parameter } from '../module';

export interface RNNOptions {
  numLayers?: number;
  /** Input and output are [batch, time, features] instead of [time, batch, features]. */
  batchFirst?: boolean;
  bias?: boolean;
  /** Dropout on the outputs of every layer but the last, in training mode. */
  dropout?: number;
}

abstract class RecurrentBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly hasBias: boolean;

  constructor(name: string, gates: number, inputSize: number, hiddenSize: number, opts: RNNOptions) {
    super();
    checkInt(name, 'inputSize', inputSize, 1);
    checkInt(name, 'hiddenSize', hiddenSize, 1);
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = opts.numLayers ?? 1;
    checkInt(name, 'numLayers', this.numLayers, 1);
    this.batchFirst = opts.batchFirst ?? false;
    this.dropout = opts.dropout ?? 0;
    this.hasBias = opts.bias ?? true;
    const self = this as unknown as Record<string, Parameter>;
    for (let l = 0; l < this.numLayers; l++) {
      const inp = l === 0 ? inputSize : hiddenSize;
      self[`weight_ih_l${l}`] = new Parameter(zeros([gates * hiddenSize, inp]));
      self[`weight_hh_l${l}`] = new Parameter(zeros([gates * hiddenSize, hiddenSize]));
      if (this.hasBias) {
        self[`bias_ih_l${l}`] = new Parameter(zeros([gates * hiddenSize]));
        self[`bias_hh_l${l}`] = new Parameter(zeros([gates * hiddenSize]));
      }
    }
    this.resetParameters();
  }

  /** Every weight and bias ~ U(-1/sqrt(hidden), 1/sqrt(hidden)), as PyTorch. */
  resetParameters(): void {
    const k = 1 / Math.sqrt(this.hiddenSize);
    for (const p of this.parameters()) uniform_(p, -k, k);
  }

  protected layerParams(l: number): [Parameter, Parameter, Parameter | null, Parameter | null] {
    const self = this as unknown as Record<string, Parameter | undefined>;
    return [
      self[`weight_ih_l${l}`] as Parameter,
      self[`weight_hh_l${l}`] as Parameter,
      self[`bias_ih_l${l}`] ?? null,
      self[`bias_hh_l${l}`] ?? null,
    ];
  }

  /** The input as [time, batch, features] (adding a batch of 1 for 2-D input), and how to undo it. */
  protected prepare(name: string, x: Tensor): [Tensor, (y: Tensor) => Tensor, number] {
    checkTensor(name, 'input', x);
    const unbatched = x.ndim === 2;
    if (x.ndim !== 3 && !unbatched) {
      throw new RangeError(`${name}: input must be 3-D [${this.batchFirst ? 'batch, time' : 'time, batch'}, features] or 2-D [time, features], got shape ${fmtShape(x.shape)}`);
    }
    if (x.shape[x.ndim - 1] !== this.inputSize) {
      throw new RangeError(`${name}: expected ${this.inputSize} input features, got input of shape ${fmtShape(x.shape)}`);
    }
    let seq = unbatched ? x.unsqueeze(1) : this.batchFirst ? x.transpose(0, 1) : x;
    seq = seq.reshape(seq.shape.slice());
    if (seq.shape[0] === 0) throw new RangeError(`${name}: the input has no time steps (shape ${fmtShape(x.shape)})`);
    const restore = (y: Tensor) => (unbatched ? y.squeeze(1) : this.batchFirst ? y.transpose(0, 1) : y);
    return [seq, restore, seq.shape[1]];
  }

  protected checkState(name: string, what: string, h: Tensor | undefined, batch: number, unbatched: boolean): Tensor | null {
    if (h === undefined) return null;
    checkTensor(name, what, h);
    const want = unbatched ? [this.numLayers, this.hiddenSize] : [this.numLayers, batch, this.hiddenSize];
    if (!shapesEqual(h.shape, want)) throw new RangeError(`${name}: ${what} must have shape ${fmtShape(want)}, got ${fmtShape(h.shape)}`);
    return unbatched ? h.unsqueeze(1) : h;
  }

  protected betweenLayers(out: Tensor, l: number): Tensor {
    return this.dropout > 0 && l < this.numLayers - 1 ? dropout(out, this.dropout, this.training) : out;
  }

  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}, numLayers=${this.numLayers}, batchFirst=${this.batchFirst}`;
  }
}

/** Elman RNN: h_t = tanh(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh) (or relu). */
export class RNN extends RecurrentBase {
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(inputSize: number, hiddenSize: number, opts: RNNOptions & { nonlinearity?: 'tanh' | 'relu' } = {}) {
    super('RNN', 1, inputSize, hiddenSize, opts);
    this.nonlinearity = opts.nonlinearity ?? 'tanh';
  }

  /** x [T, N, I] (or [N, T, I] batch-first), h0 [layers, N, H] -> [output [T, N, H], hN [layers, N, H]]. */
  forward(x: Tensor, h0?: Tensor): [Tensor, Tensor] {
    const [seq, restore, batch] = this.prepare('RNN', x);
    const unbatched = x.ndim === 2;
    const hx = this.checkState('RNN', 'h0', h0, batch, unbatched);
    const T = seq.shape[0];
    let input = seq;
    const finals: Tensor[] = [];
    for (let l = 0; l < this.numLayers; l++) {
      const [wih, whh, bih, bhh] = this.layerParams(l);
      const xw = linear(input, wih, bih); // all time steps at once: [T, N, H]
      const h = hx ? hx.select(0, l) : zeros([batch, this.hiddenSize], { dtype: x.dtype });
      const out = rnnLayer(xw, whh, h, this.nonlinearity, bhh); // the time loop, one op
      finals.push(out.select(0, T - 1));
      input = this.betweenLayers(out, l);
    }
    const hn = stack(finals, 0);
    return [restore(input), unbatched ? hn.squeeze(1) : hn];
  }
}

/**
 * LSTM: gates i, f, g, o = σ, σ, tanh, σ of x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh;
 * c_t = f c_{t-1} + i g; h_t = o tanh(c_t).
 */
export class LSTM extends RecurrentBase {
  constructor(inputSize: number, hiddenSize: number, opts: RNNOptions = {}) {
    super('LSTM', 4, inputSize, hiddenSize, opts);
  }

  /** x [T, N, I] (or batch-first), state [h0, c0] -> [output [T, N, H], [hN, cN]]. */
  forward(x: Tensor, state?: [Tensor, Tensor]): [Tensor, [Tensor, Tensor]] {
    const [seq, restore, batch] = this.prepare('LSTM', x);
    const unbatched = x.ndim === 2;
    const h0 = this.checkState('LSTM', 'h0', state?.[0], batch, unbatched);
    const c0 = this.checkState('LSTM', 'c0', state?.[1], batch, unbatched);
    const T = seq.shape[0];
    let input = seq;
    const hs: Tensor[] = [];
    const cs: Tensor[] = [];
    for (let l = 0; l < this.numLayers; l++) {
      const [wih, whh, bih, bhh] = this.layerParams(l);
      const xw = linear(input, wih, bih); // all time steps at once: [T, N, 4H]
      const h = h0 ? h0.select(0, l) : zeros([batch, this.hiddenSize], { dtype: x.dtype });
      const c = c0 ? c0.select(0, l) : zeros([batch, this.hiddenSize], { dtype: x.dtype });
      const y = lstmLayer(xw, whh, h, c, bhh); // the time loop, one op: h_1 .. h_T, then c_T
      hs.push(y.select(0, T - 1));
      cs.push(y.select(0, T));
      input = this.betweenLayers(narrow(y, 0, 0, T), l);
    }
    const hn = stack(hs, 0);
    const cn = stack(cs, 0);
    return [restore(input), unbatched ? [hn.squeeze(1), cn.squeeze(1)] : [hn, cn]];
  }
}
