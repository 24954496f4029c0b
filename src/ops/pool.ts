/** maxPool2d and avgPool2d (kernel, stride, padding, ceilMode), batched native kernels. */
import { defineOp } from '../autograd/function';
import type { Context } from '../autograd/node';
import { give, takeInt32 } from '../autograd/scratch';
import { backendFor } from '../backend';
import type { Pool2dParams } from '../backend/backend';
import { fmtShape, pair, windowOutputSize } from '../shape';
import type { Tensor } from '../tensor';
import { checkTensor, empty } from './util';
import { squeeze, unsqueeze } from './views';

export interface Pool2dOptions {
  /** Default: the kernel size. */
  stride?: number | [number, number];
  /** Implicit padding on each side; at most half the kernel. */
  padding?: number | [number, number];
  /** Round the output size up instead of down. */
  ceilMode?: boolean;
}

export interface AvgPool2dOptions extends Pool2dOptions {
  /** Count padding pixels in the divisor (default true, as PyTorch). */
  countIncludePad?: boolean;
}

function poolParams(op: string, x: Tensor, kernelSize: number | [number, number], opts: Pool2dOptions): Pool2dParams {
  if (x.ndim !== 4) throw new RangeError(`${op}: input must be 4-D [N, C, H, W] or 3-D [C, H, W], got shape ${fmtShape(x.shape)}`);
  const [kh, kw] = pair(op, 'kernelSize', kernelSize, 1);
  const [sh, sw] = pair(op, 'stride', opts.stride ?? [kh, kw], 1);
  const [ph, pw] = pair(op, 'padding', opts.padding ?? 0, 0);
  if (ph > kh / 2 || pw > kw / 2) {
    throw new RangeError(`${op}: padding (${ph}x${pw}) must be at most half the kernel size (${kh}x${kw})`);
  }
  const [n, c, h, w] = x.shape;
  const ceil = opts.ceilMode === true;
  const oh = windowOutputSize(h, kh, sh, ph, ph, 1, ceil);
  const ow = windowOutputSize(w, kw, sw, pw, pw, 1, ceil);
  if (oh < 1 || ow < 1) {
    throw new RangeError(`${op}: the input of shape ${fmtShape(x.shape)} is too small for a ${kh}x${kw} window with padding ${ph}x${pw}`);
  }
  return { n, c, h, w, oh, ow, kh, kw, strideH: sh, strideW: sw, padH: ph, padW: pw };
}

/** Max pooling of x into a new tensor; the argmax indices and shapes stay on ctx for backward. */
function maxPoolForward(ctx: Context, x: Tensor, p: Pool2dParams): Tensor {
  const y = empty([p.n, p.c, p.oh, p.ow], x.dtype);
  // The argmax indices are engine scratch: pooled, and given back when the node is released.
  const argmax = takeInt32(y.numel);
  backendFor(x.data).maxPool2dForward(x.data, y.data, argmax, p);
  ctx.argmax = argmax;
  ctx.p = p;
  ctx.inShape = x.shape;
  ctx.onRelease(() => give(argmax));
  return y;
}

/** The input's gradient from the pooled output's, through the argmax maxPoolForward kept. */
function maxPoolBackward(ctx: Context, g: Tensor, gate: Tensor | null = null): Tensor {
  const dx = empty(ctx.inShape as number[], g.dtype);
  backendFor(g.data).maxPool2dBackward(g.data, ctx.argmax as Int32Array, dx.data, ctx.p as Pool2dParams, gate?.data ?? null);
  return dx;
}

const MaxPool2d = defineOp({
  name: 'maxPool2d',
  forward: (ctx, x: Tensor, p: Pool2dParams) => maxPoolForward(ctx, x, p),
  backward: (ctx, g) => [maxPoolBackward(ctx, g)],
});

const AvgPool2d = defineOp({
  name: 'avgPool2d',
  forward(ctx, x: Tensor, p: Pool2dParams, countIncludePad: boolean) {
    const y = empty([p.n, p.c, p.oh, p.ow], x.dtype);
    backendFor(x.data).avgPool2dForward(x.data, y.data, p, countIncludePad);
    ctx.p = p;
    ctx.countIncludePad = countIncludePad;
    ctx.inShape = x.shape;
    return y;
  },
  backward(ctx, g) {
    const dx = empty(ctx.inShape as number[], g.dtype);
    backendFor(g.data).avgPool2dBackward(g.data, dx.data, ctx.p as Pool2dParams, ctx.countIncludePad as boolean);
    return [dx];
  },
});

/** Max over kernelSize windows; the gradient goes to the first maximum of each window. */
export function maxPool2d(x: Tensor, kernelSize: number | [number, number], opts: Pool2dOptions = {}): Tensor {
  checkTensor('maxPool2d', 'input', x);
  if (x.ndim === 3) return squeeze(maxPool2d(unsqueeze(x, 0), kernelSize, opts), 0);
  return MaxPool2d(x, poolParams('maxPool2d', x, kernelSize, opts));
}

/**
 * maxPool2d(relu(x)), computed as relu(maxPool2d(x)): the two are equal value for value, and so are
 * their gradients. ReLU is monotone, so wherever the result is positive a window's first maximum
 * after it is its first maximum before it, and elsewhere the gradient is 0 either way (NaN stays
 * NaN and passes none). The ReLU then runs on the pooled output (a quarter of the input for 2x2
 * windows), and the full-size ReLU output and its gradient are never made; its derivative is the
 * max-pool backward's gate (Backend.maxPool2dBackward), so no pass computes the pooled ReLU's
 * gradient either (a LeNet-5 step's pool backward kernels: 150 -> 122 us). Sequential uses it for a
 * ReLU followed by a MaxPool2d, the conv-ReLU-pool of LeNet and VGG.
 */
const ReluMaxPool2d = defineOp({
  name: 'reluMaxPool2d',
  forward(ctx, x: Tensor, p: Pool2dParams) {
    const y = maxPoolForward(ctx, x, p);
    backendFor(y.data).unary('relu', y.data, y.data, 0, 0);
    // y > 0 exactly where the pooled input was > 0: the ReLU's derivative.
    ctx.saveForBackward(y);
    return y;
  },
  backward(ctx, g) {
    const [y] = ctx.savedTensors;
    return [maxPoolBackward(ctx, g, y)];
  },
});

/** maxPool2d(relu(x)) in one op (see ReluMaxPool2d); the same errors as maxPool2d. */
export function reluMaxPool2d(x: Tensor, kernelSize: number | [number, number], opts: Pool2dOptions = {}): Tensor {
  checkTensor('maxPool2d', 'input', x);
  if (x.ndim === 3) return squeeze(reluMaxPool2d(unsqueeze(x, 0), kernelSize, opts), 0);
  return ReluMaxPool2d(x, poolParams('maxPool2d', x, kernelSize, opts));
}

/** Mean over kernelSize windows. */
export function avgPool2d(x: Tensor, kernelSize: number | [number, number], opts: AvgPool2dOptions = {}): Tensor {
  checkTensor('avgPool2d', 'input', x);
  if (x.ndim === 3) return squeeze(avgPool2d(unsqueeze(x, 0), kernelSize, opts), 0);
  return AvgPool2d(x, poolParams('avgPool2d', x, kernelSize, opts), opts.countIncludePad ?? true);
}
