/**
 * Losses, each with reduction 'mean' (default), 'sum' or 'none': cross-entropy from logits with
 * integer labels or class probabilities (optional label smoothing), NLL, MSE, the Euclidean
 * ½‖y − ŷ‖², L1, BCE, BCE with logits, and the multi-class hinge (the SVM loss); plus L1 and L2
 * penalties on parameters. Cross-entropy with class labels is one fused op (ops/softmax.ts:
 * the log-softmax kernel forward, one kernel backward); the rest are compositions of
 * differentiable ops.
 */
import { fmtShape, shapesEqual } from '../shape';
import type { Tensor } from '../tensor';
import { abs, clamp, exp, log, relu } from '../ops/unary';
import { crossEntropyWithLabels, logSoftmax } from '../ops/softmax';
import { checkTensor, zerosOf } from '../ops/util';
import { mean, sum } from '../ops/reduce';

export type Reduction = 'mean' | 'sum' | 'none';

export interface LossOptions {
  reduction?: Reduction;
}

function reduce(op: string, perSample: Tensor, reduction: Reduction = 'mean'): Tensor {
  if (reduction === 'none') return perSample;
  if (reduction === 'sum') return sum(perSample);
  if (reduction === 'mean') return mean(perSample);
  throw new RangeError(`${op}: reduction must be 'mean', 'sum' or 'none', got ${JSON.stringify(reduction)}`);
}

function checkSameShape(op: string, input: Tensor, target: Tensor): void {
  checkTensor(op, 'input', input);
  checkTensor(op, 'target', target);
  if (!shapesEqual(input.shape, target.shape)) {
    throw new RangeError(`${op}: input shape ${fmtShape(input.shape)} and target shape ${fmtShape(target.shape)} differ`);
  }
}

/**
 * Integer class labels for scores input [N, C] or [N, C, d1, ...]: labels [N] or [N, d1, ...],
 * each an integer in [0, C), as an Int32Array in the same order.
 */
function classLabels(op: string, input: Tensor, labels: Tensor): Int32Array {
  const c = input.shape[1];
  const want = [input.shape[0], ...input.shape.slice(2)];
  if (!shapesEqual(labels.shape, want)) {
    throw new RangeError(`${op}: class labels must have shape ${fmtShape(want)} for input ${fmtShape(input.shape)}, got ${fmtShape(labels.shape)}`);
  }
  const out = new Int32Array(labels.numel);
  const y = labels.data;
  for (let i = 0; i < out.length; i++) {
    if (!Number.isInteger(y[i]) || y[i] < 0 || y[i] >= c) {
      throw new RangeError(`${op}: class label ${y[i]} at position ${i} is out of range for ${c} classes`);
    }
    out[i] = y[i];
  }
  return out;
}

/** The one-hot target distribution of integer class labels, laid out like the scores. */
function oneHot(op: string, input: Tensor, labels: Tensor): Tensor {
  const [n, c] = input.shape;
  const inner = input.numel / (n * c || 1);
  const y = classLabels(op, input, labels);
  const t = zerosOf(input.shape, input.dtype);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < inner; k++) t.data[(i * c + y[i * inner + k]) * inner + k] = 1;
  }
  return t;
}

function classScores(op: string, input: Tensor): void {
  checkTensor(op, 'input', input);
  if (input.ndim < 2) throw new RangeError(`${op}: input must be [N, C] or [N, C, d1, ...] scores, got shape ${fmtShape(input.shape)}`);
}

export interface CrossEntropyOptions extends LossOptions {
  /** Mixes the target with the uniform distribution: (1 - s) target + s / C. */
  labelSmoothing?: number;
}

/**
 * Cross-entropy between softmax(input) over dim 1 and the target: integer class labels ([N] for
 * input [N, C]) or class probabilities (the same shape as input).
 */
export function crossEntropy(input: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const op = 'crossEntropy';
  classScores(op, input);
  checkTensor(op, 'target', target);
  const s = opts.labelSmoothing ?? 0;
  if (!(s >= 0 && s <= 1)) throw new RangeError(`${op}: labelSmoothing must be in [0, 1], got ${s}`);
  if (!shapesEqual(target.shape, input.shape)) {
    return reduce(op, crossEntropyWithLabels(input, classLabels(op, input, target), s), opts.reduction);
  }
  const dist = s === 0 ? target : target.mul(1 - s).add(s / input.shape[1]);
  const perSample = sum(logSoftmax(input, 1).mul(dist), 1).neg();
  return reduce(op, perSample, opts.reduction);
}

/** Negative log-likelihood of integer labels under log-probabilities input [N, C]. */
export function nllLoss(input: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  const op = 'nllLoss';
  classScores(op, input);
  checkTensor(op, 'target', target);
  const onehot = oneHot(op, input, target);
  return reduce(op, sum(input.mul(onehot), 1).neg(), opts.reduction);
}

/** Mean squared error (input - target)². */
export function mseLoss(input: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  checkSameShape('mseLoss', input, target);
  const d = input.sub(target);
  return reduce('mseLoss', d.mul(d), opts.reduction);
}

/**
 * The Euclidean loss ½‖y − ŷ‖² of each sample (summed over every dim but the first), reduced over
 * the batch.
 */
export function euclideanLoss(input: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  checkSameShape('euclideanLoss', input, target);
  const d = input.sub(target);
  const sq = d.mul(d);
  const perSample = input.ndim > 1 ? sum(sq, sq.shape.slice(1).map((_, i) => i + 1)).mul(0.5) : sq.mul(0.5);
  return reduce('euclideanLoss', perSample, opts.reduction);
}

/** Mean absolute error |input - target|. */
export function l1Loss(input: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  checkSameShape('l1Loss', input, target);
  return reduce('l1Loss', abs(input.sub(target)), opts.reduction);
}

/** Binary cross-entropy of probabilities input in [0, 1] (logs clamped at -100, as PyTorch). */
export function bceLoss(input: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  checkSameShape('bceLoss', input, target);
  const logP = clamp(log(input), -100, null);
  const log1mP = clamp(log(input.neg().add(1)), -100, null);
  const l = target.mul(logP).add(target.neg().add(1).mul(log1mP)).neg();
  return reduce('bceLoss', l, opts.reduction);
}

/** Binary cross-entropy on logits, computed stably: max(x, 0) - x y + log(1 + exp(-|x|)). */
export function bceWithLogitsLoss(input: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  checkSameShape('bceWithLogitsLoss', input, target);
  const l = relu(input).sub(input.mul(target)).add(log(exp(abs(input).neg()).add(1)));
  return reduce('bceWithLogitsLoss', l, opts.reduction);
}

export interface MultiMarginOptions extends LossOptions {
  margin?: number;
  /** 1 (hinge) or 2 (squared hinge). */
  p?: 1 | 2;
}

/**
 * The multi-class hinge (SVM) loss of scores input [N, C] and integer labels [N]:
 * sum over j != y of max(0, margin - x_y + x_j)^p, divided by C (PyTorch's MultiMarginLoss).
 */
export function multiMarginLoss(input: Tensor, target: Tensor, opts: MultiMarginOptions = {}): Tensor {
  const op = 'multiMarginLoss';
  classScores(op, input);
  if (input.ndim !== 2) throw new RangeError(`${op}: input must be [N, C], got shape ${fmtShape(input.shape)}`);
  const margin = opts.margin ?? 1;
  const p = opts.p ?? 1;
  if (p !== 1 && p !== 2) throw new RangeError(`${op}: p must be 1 or 2, got ${String(p)}`);
  const onehot = oneHot(op, input, target);
  const correct = sum(input.mul(onehot), 1, true); // x_y
  let hinge = relu(input.sub(correct).add(margin)).mul(onehot.neg().add(1)); // j != y
  if (p === 2) hinge = hinge.mul(hinge);
  return reduce(op, sum(hinge, 1).div(input.shape[1]), opts.reduction);
}

/** L1 penalty: the sum of |w| over the parameters. */
export function l1Penalty(params: Iterable<Tensor>): Tensor {
  let total: Tensor | null = null;
  for (const p of params) total = total ? total.add(sum(abs(p))) : sum(abs(p));
  if (!total) throw new RangeError('l1Penalty: no parameters');
  return total;
}

/** L2 penalty: ½ the sum of w² over the parameters (its gradient is w). */
export function l2Penalty(params: Iterable<Tensor>): Tensor {
  let total: Tensor | null = null;
  for (const p of params) {
    const s = sum(p.mul(p)).mul(0.5);
    total = total ? total.add(s) : s;
  }
  if (!total) throw new RangeError('l2Penalty: no parameters');
  return total;
}
