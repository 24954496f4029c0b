import type { FloatArray } from '../backend';

// Optimizer updates over typed arrays: the reference for the native fused kernels, and what the
// optimizers run on the reference backend (and for float64 parameters).

/**
 * One SGD step over one parameter, in place. `buf` is the momentum buffer (null without momentum);
 * `bufIsNew` makes this step initialise it with the gradient.
 */
export function sgdUpdate(
  param: FloatArray,
  grad: FloatArray,
  buf: FloatArray | null,
  bufIsNew: boolean,
  lr: number,
  momentum: number,
  dampening: number,
  weightDecay: number,
  nesterov: boolean,
): void {
  const n = param.length;
  for (let i = 0; i < n; i++) {
    let d = grad[i];
    if (weightDecay !== 0) d += weightDecay * param[i];
    if (buf !== null) {
      const b = bufIsNew ? d : momentum * buf[i] + (1 - dampening) * d;
      buf[i] = b;
      d = nesterov ? d + momentum * buf[i] : buf[i];
    }
    param[i] -= lr * d;
  }
}

/**
 * One Adam/AdamW step over one parameter, in place. `step` is the step number after incrementing
 * (1 on the first step); `maxExpAvgSq` is null unless amsgrad. Adam passes its weight decay as
 * `weightDecay` (added to the gradient), AdamW as `decoupledWeightDecay` (shrinks the parameter).
 */
export function adamUpdate(
  param: FloatArray,
  grad: FloatArray,
  expAvg: FloatArray,
  expAvgSq: FloatArray,
  maxExpAvgSq: FloatArray | null,
  step: number,
  lr: number,
  beta1: number,
  beta2: number,
  eps: number,
  weightDecay: number,
  decoupledWeightDecay: number,
): void {
  const bias = adamBiasCorrection(step, lr, beta1, beta2, decoupledWeightDecay);
  adamStep(param, grad, expAvg, expAvgSq, maxExpAvgSq, bias.stepSize, bias.bc2Sqrt, beta1, beta2, eps, weightDecay, bias.shrink);
}

/** The per-step scalars of Adam's update: lr / (1 - beta1^t), sqrt(1 - beta2^t), 1 - lr * decoupled decay. */
export function adamBiasCorrection(step: number, lr: number, beta1: number, beta2: number, decoupledWeightDecay: number) {
  return { stepSize: lr / (1 - beta1 ** step), bc2Sqrt: Math.sqrt(1 - beta2 ** step), shrink: 1 - lr * decoupledWeightDecay };
}

/** The reference backend's adamStep (the kernel's parameterisation; see Backend.adamStep). */
export function adamStep(
  param: FloatArray,
  grad: FloatArray,
  expAvg: FloatArray,
  expAvgSq: FloatArray,
  maxExpAvgSq: FloatArray | null,
  stepSize: number,
  bc2Sqrt: number,
  beta1: number,
  beta2: number,
  eps: number,
  weightDecay: number,
  shrink: number,
): void {
  const n = param.length;
  for (let i = 0; i < n; i++) {
    if (shrink !== 1) param[i] *= shrink;
    let g = grad[i];
    if (weightDecay !== 0) g += weightDecay * param[i];
    expAvg[i] = beta1 * expAvg[i] + (1 - beta1) * g;
    expAvgSq[i] = beta2 * expAvgSq[i] + (1 - beta2) * g * g;
    let v = expAvgSq[i];
    if (maxExpAvgSq !== null) {
      if (v > maxExpAvgSq[i] || Number.isNaN(v)) maxExpAvgSq[i] = v; // torch.maximum: NaN propagates
      v = maxExpAvgSq[i];
    }
    param[i] -= (stepSize * expAvg[i]) / (Math.sqrt(v) / bc2Sqrt + eps);
  }
}
