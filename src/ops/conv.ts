/**
 * conv2d (stride, padding including 'same', dilation, groups; so depthwise) over the backend's
 * batched convolution kernels: one native call each for forward, backward-data and
 * backward-filter (+ bias gradient) over the whole batch.
 */
import { defineOp } from '../autograd/function';
import { backendFor } from '../backend';
import type { Conv2dParams } from '../backend/backend';
import { fmtShape, pair, windowOutputSize } from '../shape';
import type { Tensor } from '../tensor';
import { reduceKeepdim } from './kernels';
import { checkTensor, dataAs, describe, empty, resultDtype } from './util';
import { squeeze, unsqueeze } from './views';

export interface Conv2dOptions {
  stride?: number | [number, number];
  /** Zero padding: a number, [top/bottom, left/right], 'valid' (0) or 'same' (output size = input size, stride 1). */
  padding?: number | [number, number] | 'same' | 'valid';
  dilation?: number | [number, number];
  groups?: number;
}

const Conv2d = defineOp({
  name: 'conv2d',
  forward(ctx, x: Tensor, w: Tensor, p: Conv2dParams, bias?: Tensor) {
    const dtype = resultDtype(x, w);
    const y = empty([p.n, p.cOut, p.oh, p.ow], dtype);
    const xd = dataAs(x, dtype);
    const wd = dataAs(w, dtype);
    backendFor(xd, wd).conv2dForward(xd, wd, bias ? dataAs(bias, dtype) : null, y.data, p);
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
    const needBias = ctx.hasBias === true && ctx.needsInputGrad[2];
    if (ctx.needsInputGrad[0]) {
      gx = empty(x.shape, g.dtype);
      be.conv2dBackwardData(g.data, dataAs(w, g.dtype), gx.data, p);
    }
    if (ctx.needsInputGrad[1]) {
      gw = empty(w.shape, g.dtype);
      gb = needBias ? empty([p.cOut], g.dtype) : null;
      be.conv2dBackwardFilter(dataAs(x, g.dtype), g.data, gw.data, gb ? gb.data : null, p);
    } else if (needBias) {
      const s = reduceKeepdim('sum', g, [0, 2, 3]);
      gb = empty([p.cOut], g.dtype);
      gb.data.set(s.data);
    }
    return [gx, gw, gb];
  },
});

/**
 * 2-D convolution (cross-correlation, as PyTorch): x [N, C, H, W] (or [C, H, W]),
 * weight [Cout, C / groups, kh, kw], bias [Cout].
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  const op = 'conv2d';
  checkTensor(op, 'input', x);
  checkTensor(op, 'weight', weight);
  if (x.ndim !== 3 && x.ndim !== 4) throw new RangeError(`${op}: input must be 4-D [N, C, H, W] or 3-D [C, H, W], got shape ${fmtShape(x.shape)}`);
  if (x.ndim === 3) return squeeze(conv2d(unsqueeze(x, 0), weight, bias, opts), 0);
  if (weight.ndim !== 4) throw new RangeError(`${op}: weight must be 4-D [Cout, Cin / groups, kh, kw], got shape ${fmtShape(weight.shape)}`);
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new RangeError(`${op}: groups must be a positive integer, got ${describe(groups)}`);
  const [n, c, h, w] = x.shape;
  const [cOut, cinG, kh, kw] = weight.shape;
  if (c % groups !== 0 || cOut % groups !== 0) {
    throw new RangeError(`${op}: groups (${groups}) must divide both the input channels (${c}) and the output channels (${cOut})`);
  }
  if (cinG * groups !== c) {
    throw new RangeError(
      `${op}: the input has ${c} channels, but weight of shape ${fmtShape(weight.shape)} with groups ${groups} expects ${cinG * groups}`,
    );
  }
  if (kh < 1 || kw < 1 || cOut < 1) throw new RangeError(`${op}: weight shape ${fmtShape(weight.shape)} has an empty dimension`);
  const [sh, sw] = pair(op, 'stride', opts.stride ?? 1, 1);
  const [dh, dw] = pair(op, 'dilation', opts.dilation ?? 1, 1);
  const spanH = dh * (kh - 1) + 1;
  const spanW = dw * (kw - 1) + 1;
  let padTop: number;
  let padLeft: number;
  let padBottom: number;
  let padRight: number;
  const padding = opts.padding ?? 0;
  if (padding === 'same') {
    if (sh !== 1 || sw !== 1) throw new RangeError(`${op}: padding 'same' is not supported for strided convolutions (stride ${sh}x${sw})`);
    padTop = Math.floor((spanH - 1) / 2);
    padBottom = spanH - 1 - padTop;
    padLeft = Math.floor((spanW - 1) / 2);
    padRight = spanW - 1 - padLeft;
  } else if (padding === 'valid') {
    padTop = padBottom = padLeft = padRight = 0;
  } else {
    [padTop, padLeft] = pair(op, 'padding', padding, 0);
    padBottom = padTop;
    padRight = padLeft;
  }
  const oh = windowOutputSize(h, kh, sh, padTop, padBottom, dh);
  const ow = windowOutputSize(w, kw, sw, padLeft, padRight, dw);
  if (oh < 1 || ow < 1) {
    throw new RangeError(
      `${op}: the padded input (${h + padTop + padBottom}x${w + padLeft + padRight}) is smaller than the ` +
        `dilated kernel (${spanH}x${spanW}); input shape ${fmtShape(x.shape)}, weight shape ${fmtShape(weight.shape)}`,
    );
  }
  const p: Conv2dParams = {
    n, cIn: c, h, w, cOut, kh, kw, oh, ow, strideH: sh, strideW: sw,
    padH: padTop, padW: padLeft, dilH: dh, dilW: dw, groups,
  };
  if (bias !== undefined && bias !== null) {
    checkTensor(op, 'bias', bias);
    if (bias.ndim !== 1 || bias.shape[0] !== cOut) {
      throw new RangeError(`${op}: bias must have shape [${cOut}], got ${fmtShape(bias.shape)}`);
    }
    return Conv2d(x, weight, p, bias);
  }
  return Conv2d(x, weight, p);
}
