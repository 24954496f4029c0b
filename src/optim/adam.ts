/**
 * Adam (torch.optim.Adam), with L2 weight decay and the AMSGrad variant. AdamW (adamw.ts) shares
 * the update with decoupled weight decay instead.
 *
 *   t ← t + 1
 *   p ← p·(1 − lr·decoupledWeightDecay)          AdamW only
 *   g ← grad + weightDecay·p                      Adam only
 *   m ← β1·m + (1 − β1)·g
 *   v ← β2·v + (1 − β2)·g²
 *   v̂ ← amsgrad ? (vmax ← max(vmax, v)) : v
 *   p ← p − lr/(1 − β1^t) · m / (√v̂ / √(1 − β2^t) + eps)
 */
import { backendFor } from '../backend';
import { adamBiasCorrection, adamUpdate } from '../backend/reference/optim';
import type { Tensor } from '../tensor';
import { Optimizer, checkBoolean, checkNonNegative, checkRange, problemsOf } from './optimizer';
import type { ParamGroup, ParamGroupInit, StateKind } from './optimizer';

export interface AdamOptions {
  lr: number;
  /** Decay rates of the running averages of the gradient and of its square. */
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
}

/** Adam and AdamW: the same state and update, with the weight decay applied differently. */
export abstract class AdamFamily extends Optimizer<AdamOptions> {
  /** AdamW: weight decay shrinks the parameter instead of adding to the gradient. */
  protected abstract readonly decoupledWeightDecay: boolean;

  protected checkOptions(o: Partial<AdamOptions>): string[] {
    const betas = o.betas as unknown;
    const betasOk = betas === undefined || (Array.isArray(betas) && betas.length === 2);
    const [b0, b1] = betasOk && betas !== undefined ? (betas as unknown[]) : [undefined, undefined];
    return problemsOf(
      checkNonNegative(o.lr, 'learning rate'),
      betasOk ? undefined : `invalid betas ${JSON.stringify(betas)} (must be [beta1, beta2])`,
      checkRange(b0, 'beta parameter at index 0', 0, 1),
      checkRange(b1, 'beta parameter at index 1', 0, 1),
      checkNonNegative(o.eps, 'epsilon'),
      checkNonNegative(o.weightDecay, 'weight decay'),
      checkBoolean(o.amsgrad, 'amsgrad'),
    );
  }

  protected stateSpec(group: ParamGroup<AdamOptions>): { required: string[]; allowed: Record<string, StateKind> } {
    const required = ['step', 'expAvg', 'expAvgSq'];
    if (group.amsgrad) required.push('maxExpAvgSq');
    return { required, allowed: { step: 'count', expAvg: 'tensor', expAvgSq: 'tensor', maxExpAvgSq: 'tensor' } };
  }

  protected updateGroup(g: ParamGroup<AdamOptions>): void {
    const [beta1, beta2] = g.betas;
    const l2 = this.decoupledWeightDecay ? 0 : g.weightDecay;
    const decoupled = this.decoupledWeightDecay ? g.weightDecay : 0;
    for (const p of g.params) {
      if (p.grad === null) continue;
      const s = this.stateOf(p);
      const step = ((s.step as number | undefined) ?? 0) + 1;
      const expAvg = this.stateTensor(s, 'expAvg', p);
      const expAvgSq = this.stateTensor(s, 'expAvgSq', p);
      const maxExpAvgSq = g.amsgrad ? this.stateTensor(s, 'maxExpAvgSq', p) : null;
      s.step = step;
      const { stepSize, bc2Sqrt, shrink } = adamBiasCorrection(step, g.lr, beta1, beta2, decoupled);
      backendFor(p.data, p.grad.data).adamStep(p.data, p.grad.data, expAvg, expAvgSq, maxExpAvgSq, stepSize, bc2Sqrt, beta1, beta2, g.eps, l2, shrink);
    }
  }
}

export class Adam extends AdamFamily {
  protected readonly decoupledWeightDecay = false;

  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInit<AdamOptions>>, options: Partial<AdamOptions> = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, ...options });
  }
}

/** One Adam/AdamW step over typed arrays (the reference loop; the native backend has a fused kernel). */
export { adamUpdate };
