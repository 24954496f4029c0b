/**
 * Adadelta (torch.optim.Adadelta).
 *
 *   g ← grad + weightDecay·p
 *   s ← ρ·s + (1 − ρ)·g²
 *   δ ← √(a + eps) / √(s + eps) · g
 *   a ← ρ·a + (1 − ρ)·δ²
 *   p ← p − lr·δ
 *
 * lr scales the update (default 1.0, as in the paper's unscaled method).
 */
import type { FloatArray } from '../backend/backend';
import type { Tensor } from '../tensor';
import { Optimizer, checkNonNegative, checkRange, problemsOf } from './optimizer';
import type { ParamGroup, ParamGroupInit, StateKind } from './optimizer';

export interface AdadeltaOptions {
  lr: number;
  /** Decay rate of the running averages. */
  rho: number;
  eps: number;
  weightDecay: number;
}

/** One Adadelta step over one parameter, in place. */
export function adadeltaUpdate(
  param: FloatArray,
  grad: FloatArray,
  squareAvg: FloatArray,
  accDelta: FloatArray,
  lr: number,
  rho: number,
  eps: number,
  weightDecay: number,
): void {
  const n = param.length;
  for (let i = 0; i < n; i++) {
    let g = grad[i];
    if (weightDecay !== 0) g += weightDecay * param[i];
    squareAvg[i] = rho * squareAvg[i] + (1 - rho) * g * g;
    const delta = (Math.sqrt(accDelta[i] + eps) / Math.sqrt(squareAvg[i] + eps)) * g;
    accDelta[i] = rho * accDelta[i] + (1 - rho) * delta * delta;
    param[i] -= lr * delta;
  }
}

export class Adadelta extends Optimizer<AdadeltaOptions> {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInit<AdadeltaOptions>>, options: Partial<AdadeltaOptions> = {}) {
    super(params, { lr: 1.0, rho: 0.9, eps: 1e-6, weightDecay: 0, ...options });
  }

  protected checkOptions(o: Partial<AdadeltaOptions>): string[] {
    return problemsOf(
      checkNonNegative(o.lr, 'learning rate'),
      checkRange(o.rho, 'rho', 0, 1, true),
      checkNonNegative(o.eps, 'epsilon'),
      checkNonNegative(o.weightDecay, 'weight decay'),
    );
  }

  protected stateSpec(): { required: string[]; allowed: Record<string, StateKind> } {
    return { required: ['step', 'squareAvg', 'accDelta'], allowed: { step: 'count', squareAvg: 'tensor', accDelta: 'tensor' } };
  }

  protected updateGroup(g: ParamGroup<AdadeltaOptions>): void {
    for (const p of g.params) {
      if (p.grad === null) continue;
      const s = this.stateOf(p);
      const squareAvg = this.stateTensor(s, 'squareAvg', p);
      const accDelta = this.stateTensor(s, 'accDelta', p);
      s.step = ((s.step as number | undefined) ?? 0) + 1;
      adadeltaUpdate(p.data, p.grad.data, squareAvg, accDelta, g.lr, g.rho, g.eps, g.weightDecay);
    }
  }
}
