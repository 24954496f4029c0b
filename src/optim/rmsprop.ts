/**
 * RMSprop (torch.optim.RMSprop), optionally centered and with momentum.
 *
 *   g ← grad + weightDecay·p
 *   s ← α·s + (1 − α)·g²
 *   centered:  ḡ ← α·ḡ + (1 − α)·g;   d ← √(s − ḡ²) + eps
 *   otherwise: d ← √s + eps
 *   momentum > 0: b ← momentum·b + g/d;  p ← p − lr·b
 *   otherwise:    p ← p − lr·g/d
 *
 * As in PyTorch, eps is added outside the square root and the running averages are not
 * bias-corrected.
 */
import type { FloatArray } from '../backend/backend';
import type { Tensor } from '../tensor';
import { Optimizer, checkBoolean, checkNonNegative, problemsOf } from './optimizer';
import type { ParamGroup, ParamGroupInit, StateKind } from './optimizer';

export interface RMSpropOptions {
  lr: number;
  /** Decay rate of the running averages. */
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  /** Normalise by the estimated variance of the gradient instead of its raw second moment. */
  centered: boolean;
}

/** One RMSprop step over one parameter, in place. `gradAvg` is null unless centered, `buf` unless momentum > 0. */
export function rmspropUpdate(
  param: FloatArray,
  grad: FloatArray,
  squareAvg: FloatArray,
  gradAvg: FloatArray | null,
  buf: FloatArray | null,
  lr: number,
  alpha: number,
  eps: number,
  weightDecay: number,
  momentum: number,
): void {
  const n = param.length;
  for (let i = 0; i < n; i++) {
    let g = grad[i];
    if (weightDecay !== 0) g += weightDecay * param[i];
    squareAvg[i] = alpha * squareAvg[i] + (1 - alpha) * g * g;
    let avg: number;
    if (gradAvg !== null) {
      gradAvg[i] = alpha * gradAvg[i] + (1 - alpha) * g;
      avg = Math.sqrt(squareAvg[i] - gradAvg[i] * gradAvg[i]) + eps;
    } else {
      avg = Math.sqrt(squareAvg[i]) + eps;
    }
    if (buf !== null) {
      buf[i] = momentum * buf[i] + g / avg;
      param[i] -= lr * buf[i];
    } else {
      param[i] -= (lr * g) / avg;
    }
  }
}

export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInit<RMSpropOptions>>, options: Partial<RMSpropOptions> = {}) {
    super(params, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, ...options });
  }

  protected checkOptions(o: Partial<RMSpropOptions>): string[] {
    return problemsOf(
      checkNonNegative(o.lr, 'learning rate'),
      checkNonNegative(o.alpha, 'alpha'),
      checkNonNegative(o.eps, 'epsilon'),
      checkNonNegative(o.momentum, 'momentum'),
      checkNonNegative(o.weightDecay, 'weight decay'),
      checkBoolean(o.centered, 'centered'),
    );
  }

  protected stateSpec(group: ParamGroup<RMSpropOptions>): { required: string[]; allowed: Record<string, StateKind> } {
    const required = ['step', 'squareAvg'];
    if (group.momentum > 0) required.push('momentumBuffer');
    if (group.centered) required.push('gradAvg');
    return { required, allowed: { step: 'count', squareAvg: 'tensor', momentumBuffer: 'tensor', gradAvg: 'tensor' } };
  }

  protected updateGroup(g: ParamGroup<RMSpropOptions>): void {
    for (const p of g.params) {
      if (p.grad === null) continue;
      const s = this.stateOf(p);
      const squareAvg = this.stateTensor(s, 'squareAvg', p);
      const buf = g.momentum > 0 ? this.stateTensor(s, 'momentumBuffer', p) : null;
      const gradAvg = g.centered ? this.stateTensor(s, 'gradAvg', p) : null;
      s.step = ((s.step as number | undefined) ?? 0) + 1;
      rmspropUpdate(p.data, p.grad.data, squareAvg, gradAvg, buf, g.lr, g.alpha, g.eps, g.weightDecay, g.momentum);
    }
  }
}
