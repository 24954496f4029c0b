/**
 * Functional forms of the layers that are not core tensor ops: convTranspose2d, batchNorm,
 * embedding, upsampleNearest, adaptiveAvgPool2d, prelu, maxout. Those with a kernel or an op of
 * their own (convTranspose2d on the convolution kernels, batchNorm on its fused kernels, embedding,
 * upsampleNearest, prelu) define forward and backward here; the rest are compositions of
 * differentiable ops.
 */
import { defineOp } from '../autograd/function';
import { noGrad } from '../autograd/grad_mode';
import { backendFor } from '../backend';
import type { Conv2dParams } from '../backend/backend';
import { binaryRaw, reduceKeepdim, sumTo, whereRaw } from '../ops/kernels';
import { avgPool2d } from '../ops/pool';
import { checkTensor, dataAs, describe, empty, resultDtype, zerosOf } from '../ops/util';
import { fmtShape, pair } from '../shape';
import { Tensor } from '../tensor';
import { stack } from '../ops/join';
import { max, mean } from '../ops/reduce';

// ------------------------------------------------------------------------------------------------
// Transposed convolution: the gradient of conv2d with respect to its input, as a layer.

export interface ConvTranspose2dOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
  /** Extra rows/columns on the bottom/right of the output (less than stride or dilation). */
  outputPadding?: number | [number, number];
  dilation?: number | [number, number];
  groups?: number;
}

const ConvTranspose2d = defineOp({
  name: 'convTranspose2d',
  // p describes the convolution this is the transpose of: its input is our output.
  forward(ctx, x: Tensor, w: Tensor, p: Conv2dParams, bias?: Tensor) {
    const dtype = resultDtype(x, w);
    const y = empty([p.n, p.cIn, p.h, p.w], dtype);
    const xd = dataAs(x, dtype);
    const wd = dataAs(w, dtype);
    const be = backendFor(xd, wd);
    be.conv2dBackwardData(xd, wd, y.data, p);
    if (bias) {
      const ones = new (y.data.constructor as typeof Float32Array)(p.cIn).fill(1);
      be.channelAffine(y.data, ones, dataAs(bias, dtype), y.data, p.n, p.cIn, p.h * p.w);
    }
    ctx.saveForBackward(x, w);
    ctx.p = p;
    ctx.hasBias = bias !== undefined;
    return y;
  },
  backward(ctx, g) {
    const [x, w] = ctx.savedTensors;
    const p = ctx.p as Conv2dParams;
    const be = backendFor(g.data);
    let gx: Tensor | null = null;
    let gw: Tensor | null = null;
    let gb: Tensor | null = null;
    if (ctx.needsInputGrad[0]) {
      gx = empty(x.shape, g.dtype);
      be.conv2dForward(g.data, dataAs(w, g.dtype), null, gx.data, p);
    }
    if (ctx.needsInputGrad[1]) {
      gw = empty(w.shape, g.dtype);
      be.conv2dBackwardFilter(g.data, dataAs(x, g.dtype), gw.data, null, p);
    }
    if (ctx.hasBias && ctx.needsInputGrad[2]) gb = new Tensor(reduceKeepdim('sum', g, [0, 2, 3]).data, [p.cIn]);
    return [gx, gw, gb];
  },
});

/**
 * Transposed 2-D convolution (PyTorch's conv_transpose2d): x [N, Cin, H, W], weight
 * [Cin, Cout / groups, kh, kw], output [N, Cout, (H - 1) stride - 2 padding + dilation (kh - 1) +
 * outputPadding + 1, ...].
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: ConvTranspose2dOptions = {}): Tensor {
  const op = 'convTranspose2d';
  checkTensor(op, 'input', x);
  checkTensor(op, 'weight', weight);
  if (x.ndim !== 4) throw new RangeError(`${op}: input must be 4-D [N, C, H, W], got shape ${fmtShape(x.shape)}`);
  if (weight.ndim !== 4) throw new RangeError(`${op}: weight must be 4-D [Cin, Cout / groups, kh, kw], got shape ${fmtShape(weight.shape)}`);
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new RangeError(`${op}: groups must be a positive integer, got ${describe(groups)}`);
  const [n, cIn, h, w] = x.shape;
  const [wIn, coutG, kh, kw] = weight.shape;
  if (wIn !== cIn) throw new RangeError(`${op}: the input has ${cIn} channels, but weight of shape ${fmtShape(weight.shape)} expects ${wIn}`);
  if (cIn % groups !== 0) throw new RangeError(`${op}: groups (${groups}) must divide the input channels (${cIn})`);
  const [sh, sw] = pair(op, 'stride', opts.stride ?? 1, 1);
  const [ph, pw] = pair(op, 'padding', opts.padding ?? 0, 0);
  const [dh, dw] = pair(op, 'dilation', opts.dilation ?? 1, 1);
  const [oph, opw] = pair(op, 'outputPadding', opts.outputPadding ?? 0, 0);
  if ((oph >= sh && oph >= dh) || (opw >= sw && opw >= dw)) {
    throw new RangeError(`${op}: outputPadding (${oph}x${opw}) must be smaller than stride (${sh}x${sw}) or dilation (${dh}x${dw})`);
  }
  const oh = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1;
  const ow = (w - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1;
  if (oh < 1 || ow < 1) throw new RangeError(`${op}: the output would be empty (${oh}x${ow}) for input ${fmtShape(x.shape)}`);
  const cOut = coutG * groups;
  const p: Conv2dParams = {
    n, cIn: cOut, h: oh, w: ow, cOut: cIn, kh, kw, oh: h, ow: w,
    strideH: sh, strideW: sw, padH: ph, padW: pw, dilH: dh, dilW: dw, groups,
  };
  if (bias !== undefined && bias !== null) {
    checkTensor(op, 'bias', bias);
    if (bias.ndim !== 1 || bias.shape[0] !== cOut) throw new RangeError(`${op}: bias must have shape [${cOut}], got ${fmtShape(bias.shape)}`);
    return ConvTranspose2d(x, weight, p, bias);
  }
  return ConvTranspose2d(x, weight, p);
}

// ------------------------------------------------------------------------------------------------
// Batch normalisation on the fused kernels (statistics, per-channel affine, backward).

interface BnLayout {
  n: number;
  c: number;
  inner: number;
}

const BatchNorm = defineOp({
  name: 'batchNorm',
  forward(ctx, x: Tensor, l: BnLayout, meanArr: Float32Array | Float64Array, invstd: Float32Array | Float64Array, training: boolean, weight?: Tensor, bias?: Tensor) {
    const be = backendFor(x.data);
    const Ctor = x.data.constructor as typeof Float32Array;
    const scale = new Ctor(l.c);
    const shift = new Ctor(l.c);
    for (let ch = 0; ch < l.c; ch++) {
      const w = weight ? weight.data[ch] : 1;
      scale[ch] = w * invstd[ch];
      shift[ch] = (bias ? bias.data[ch] : 0) - meanArr[ch] * scale[ch];
    }
    const y = empty(x.shape, x.dtype);
    be.channelAffine(x.data, scale, shift, y.data, l.n, l.c, l.inner);
    ctx.saveForBackward(x);
    Object.assign(ctx, { l, meanArr, invstd, training, weight: weight ?? null, hasBias: bias !== undefined });
    return y;
  },
  backward(ctx, g) {
    const [x] = ctx.savedTensors;
    const l = ctx.l as BnLayout;
    const weight = ctx.weight as Tensor | null;
    const needX = ctx.needsInputGrad[0];
    const needW = weight !== null && ctx.needsInputGrad[1];
    const needB = ctx.hasBias === true && ctx.needsInputGrad[weight ? 2 : 1];
    const dx = needX ? empty(x.shape, g.dtype) : null;
    const dw = needW ? empty([l.c], g.dtype) : null;
    const db = needB ? empty([l.c], g.dtype) : null;
    const Ctor = g.data.constructor as typeof Float32Array;
    backendFor(g.data).batchNormBackward(
      dataAs(x, g.dtype), g.data, Ctor.from(ctx.meanArr as ArrayLike<number>), Ctor.from(ctx.invstd as ArrayLike<number>),
      weight ? dataAs(weight, g.dtype) : null, dx ? dx.data : null, dw ? dw.data : null, db ? db.data : null,
      l.n, l.c, l.inner, ctx.training as boolean,
    );
    return weight ? [dx, dw, db] : [dx, db];
  },
});

export interface BatchNormOptions {
  /** Use the batch's statistics (and update the running ones); otherwise use the running statistics. */
  training?: boolean;
  /** Weight of the new batch in the running averages. */
  momentum?: number;
  eps?: number;
}

/**
 * Batch normalisation over dim 1 of x ([N, C], [N, C, L] or [N, C, H, W]), as PyTorch's
 * F.batch_norm: in training mode normalises with the batch's mean and (biased) variance and updates
 * runningMean / runningVar (with the unbiased variance); otherwise normalises with them.
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight?: Tensor | null,
  bias?: Tensor | null,
  opts: BatchNormOptions = {},
): Tensor {
  const op = 'batchNorm';
  checkTensor(op, 'input', x);
  if (x.ndim < 2) throw new RangeError(`${op}: input must have at least 2 dims [N, C, ...], got shape ${fmtShape(x.shape)}`);
  const training = opts.training ?? true;
  const momentum = opts.momentum ?? 0.1;
  const eps = opts.eps ?? 1e-5;
  const [n, c] = x.shape;
  const inner = x.numel / (n * c || 1);
  for (const [name, t] of [['weight', weight], ['bias', bias], ['runningMean', runningMean], ['runningVar', runningVar]] as const) {
    if (t !== null && t !== undefined && (t.ndim !== 1 || t.shape[0] !== c)) {
      throw new RangeError(`${op}: ${name} must have shape [${c}] for an input of shape ${fmtShape(x.shape)}, got ${fmtShape(t.shape)}`);
    }
  }
  const l: BnLayout = { n, c, inner };
  const meanArr = new Float64Array(c);
  const invstd = new Float64Array(c);
  if (training) {
    const m = n * inner;
    if (m <= 1) throw new RangeError(`${op}: expected more than 1 value per channel when training, got input of shape ${fmtShape(x.shape)}`);
    const Ctor = x.data.constructor as typeof Float32Array;
    const mu = new Ctor(c);
    const v = new Ctor(c);
    backendFor(x.data).batchNormStats(x.data, mu, v, n, c, inner);
    for (let ch = 0; ch < c; ch++) {
      meanArr[ch] = mu[ch];
      invstd[ch] = 1 / Math.sqrt(v[ch] + eps);
    }
    noGrad(() => {
      if (runningMean) for (let ch = 0; ch < c; ch++) runningMean.data[ch] = (1 - momentum) * runningMean.data[ch] + momentum * mu[ch];
      if (runningVar) for (let ch = 0; ch < c; ch++) runningVar.data[ch] = (1 - momentum) * runningVar.data[ch] + momentum * v[ch] * (m / (m - 1));
    });
  } else {
    if (!runningMean || !runningVar) throw new Error(`${op}: running statistics are needed outside training mode`);
    for (let ch = 0; ch < c; ch++) {
      meanArr[ch] = runningMean.data[ch];
      invstd[ch] = 1 / Math.sqrt(runningVar.data[ch] + eps);
    }
  }
  const Ctor = x.data.constructor as typeof Float32Array;
  const args: [Tensor, BnLayout, Float32Array | Float64Array, Float32Array | Float64Array, boolean] = [x, l, Ctor.from(meanArr), Ctor.from(invstd), training];
  if (weight && bias) return BatchNorm(...args, weight, bias);
  if (weight) return BatchNorm(...args, weight);
  if (bias) throw new Error(`${op}: a bias without a weight is not supported; pass a weight of ones`);
  return BatchNorm(...args);
}

// ------------------------------------------------------------------------------------------------
// Embedding: rows of a table picked by integer indices.

const Embedding = defineOp({
  name: 'embedding',
  forward(ctx, weight: Tensor, indices: Int32Array, outShape: number[], paddingIdx: number) {
    const dim = weight.shape[1];
    const out = empty(outShape, weight.dtype);
    for (let i = 0; i < indices.length; i++) out.data.set(weight.data.subarray(indices[i] * dim, (indices[i] + 1) * dim), i * dim);
    Object.assign(ctx, { indices, shape: weight.shape, paddingIdx });
    return out;
  },
  backward(ctx, g) {
    const indices = ctx.indices as Int32Array;
    const [rows, dim] = ctx.shape as number[];
    const gw = zerosOf([rows, dim], g.dtype);
    for (let i = 0; i < indices.length; i++) {
      const r = indices[i];
      if (r === ctx.paddingIdx) continue;
      for (let j = 0; j < dim; j++) gw.data[r * dim + j] += g.data[i * dim + j];
    }
    return [gw];
  },
});

/**
 * weight[indices]: indices (integer values, any shape) -> [...indices.shape, embeddingDim]. The row
 * at paddingIdx (negative counts from the end, as PyTorch) gets no gradient.
 */
export function embedding(indices: Tensor, weight: Tensor, paddingIdx: number | null = null): Tensor {
  checkTensor('embedding', 'indices', indices);
  checkTensor('embedding', 'weight', weight);
  if (weight.ndim !== 2) throw new RangeError(`embedding: weight must be 2-D [num, dim], got shape ${fmtShape(weight.shape)}`);
  const rows = weight.shape[0];
  let pad = -1;
  if (paddingIdx !== null && paddingIdx !== undefined) {
    pad = paddingIdx < 0 ? paddingIdx + rows : paddingIdx;
    if (!Number.isInteger(pad) || pad < 0 || pad >= rows) {
      throw new RangeError(`embedding: paddingIdx ${paddingIdx} is out of range for a table of ${rows} rows`);
    }
  }
  const idx = new Int32Array(indices.numel);
  for (let i = 0; i < idx.length; i++) {
    const v = indices.data[i];
    if (!Number.isInteger(v) || v < 0 || v >= rows) {
      throw new RangeError(`embedding: index ${v} at position ${i} is out of range for a table of ${rows} rows`);
    }
    idx[i] = v;
  }
  return Embedding(weight, idx, [...indices.shape, weight.shape[1]], pad);
}

// ------------------------------------------------------------------------------------------------
// Compositions.

// Nearest-neighbour upsampling: each input pixel copied to an fh x fw block; backward sums each
// block. One kernel each way (as a reshape, expand and copy, the backward's reduction over two
// interleaved dims took 3x PyTorch's time).
const UpsampleNearest = defineOp({
  name: 'upsampleNearest',
  forward(ctx, x: Tensor, fh: number, fw: number) {
    const [n, c, h, w] = x.shape;
    const y = empty([n, c, h * fh, w * fw], x.dtype);
    backendFor(x.data).upsampleNearest(x.data, y.data, n * c, h, w, fh, fw);
    Object.assign(ctx, { shape: x.shape, fh, fw });
    return y;
  },
  backward(ctx, g) {
    const [n, c, h, w] = ctx.shape as number[];
    const dx = empty([n, c, h, w], g.dtype);
    backendFor(g.data).upsampleNearestBackward(g.data, dx.data, n * c, h, w, ctx.fh as number, ctx.fw as number);
    return [dx];
  },
});

/** Nearest-neighbour upsampling of [N, C, H, W] by an integer factor (or [fh, fw]). */
export function upsampleNearest(x: Tensor, scaleFactor: number | [number, number]): Tensor {
  checkTensor('upsample', 'input', x);
  if (x.ndim !== 4) throw new RangeError(`upsample: input must be 4-D [N, C, H, W], got shape ${fmtShape(x.shape)}`);
  const [fh, fw] = pair('upsample', 'scaleFactor', scaleFactor, 1);
  return UpsampleNearest(x, fh, fw);
}

/** Average pooling to a fixed output size, with PyTorch's adaptive windows. */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | [number, number]): Tensor {
  checkTensor('adaptiveAvgPool2d', 'input', x);
  if (x.ndim !== 4) throw new RangeError(`adaptiveAvgPool2d: input must be 4-D [N, C, H, W], got shape ${fmtShape(x.shape)}`);
  const [oh, ow] = pair('adaptiveAvgPool2d', 'outputSize', outputSize, 1);
  const [, , h, w] = x.shape;
  if (oh === 1 && ow === 1) return mean(x, [2, 3], true);
  if (h % oh === 0 && w % ow === 0) return avgPool2d(x, [h / oh, w / ow]);
  // General case: window i covers [floor(i h / oh), ceil((i + 1) h / oh)).
  const rows: Tensor[] = [];
  for (let i = 0; i < oh; i++) {
    const h0 = Math.floor((i * h) / oh);
    const h1 = Math.ceil(((i + 1) * h) / oh);
    const cols: Tensor[] = [];
    for (let j = 0; j < ow; j++) {
      const w0 = Math.floor((j * w) / ow);
      const w1 = Math.ceil(((j + 1) * w) / ow);
      cols.push(mean(x.narrow(2, h0, h1 - h0).narrow(3, w0, w1 - w0), [2, 3]));
    }
    rows.push(stack(cols, 2));
  }
  return stack(rows, 2);
}

/** Parametric ReLU: max(0, x) + weight * min(0, x), weight [C] (per channel, dim 1) or [1]. */
// PReLU: x where x > 0, else w x, as PyTorch (at 0 the gradient is w's side). One op: forward
// where(x > 0, x, w x); backward dx = where(x > 0, g, g w) and dw = the sum of g min(x, 0) over
// every dim but the channel's. Composed as relu(x) + w min(x, 0) it took ~13 full passes for
// forward and backward ([32, 64, 32, 32]: 17 ms, PyTorch 7.7) and split the gradient at 0.
const Prelu = defineOp({
  name: 'prelu',
  forward(ctx, x: Tensor, w: Tensor) {
    ctx.saveForBackward(x, w);
    return whereRaw(binaryRaw('gt', x, zerosOf([], x.dtype)), x, binaryRaw('mul', x, w));
  },
  backward(ctx, g) {
    const [x, w] = ctx.savedTensors;
    const zero = zerosOf([], x.dtype);
    const gx = ctx.needsInputGrad[0] ? whereRaw(binaryRaw('gt', x, zero), g, binaryRaw('mul', g, w)) : null;
    const gw = ctx.needsInputGrad[1] ? sumTo(binaryRaw('mul', g, binaryRaw('minimum', x, zero)), w.shape) : null;
    return [gx, gw];
  },
});

export function prelu(x: Tensor, weight: Tensor): Tensor {
  checkTensor('prelu', 'input', x);
  checkTensor('prelu', 'weight', weight);
  const c = weight.numel;
  if (weight.ndim !== 1 || (c !== 1 && (x.ndim < 2 || x.shape[1] !== c))) {
    throw new RangeError(`prelu: weight must have shape [1] or [C] with C the size of dim 1 of the input ${fmtShape(x.shape)}, got ${fmtShape(weight.shape)}`);
  }
  const w = c === 1 ? weight : weight.reshape([1, c, ...x.shape.slice(2).map(() => 1)]);
  return Prelu(x, w);
}

/** Maxout: the maximum over groups of `poolSize` consecutive features along dim (default 1). */
export function maxout(x: Tensor, poolSize: number, dim = 1): Tensor {
  checkTensor('maxout', 'input', x);
  const d = dim < 0 ? dim + x.ndim : dim;
  if (!Number.isInteger(poolSize) || poolSize < 1 || x.shape[d] % poolSize !== 0) {
    throw new RangeError(`maxout: dim ${dim} of size ${x.shape[d]} is not a multiple of poolSize ${poolSize}`);
  }
  return max(x.unflatten(d, [x.shape[d] / poolSize, poolSize]), d + 1);
}

