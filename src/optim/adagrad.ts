/**
 * Adagrad (torch.optim.Adagrad).
 *
 *   t ← t + 1
 *   g ← grad + weightDecay·p
 *   clr ← lr / (1 + (t − 1)·lrDecay)
 *   s ← s + g²                       (s starts at initialAccumulatorValue)
 *   p ← p − clr·g / (√s + eps)
 *
 * As in PyTorch, the state of every parameter is created with its group (not on its first step),
 * so it appears in stateDict() from the start. Unlike PyTorch (1.13 to 2.x), which fills every
 * group's accumulator from the constructor's initialAccumulatorValue, a group that sets its own
 * initialAccumulatorValue gets it.
 */
import type { FloatArray } from '../backend/backend';
import type { Tensor } from '../tensor';
import { Optimizer, checkNonNegative, problemsOf } from './optimizer';
import type { ParamGroup, ParamGroupInit, StateKind } from './optimizer';

export interface AdagradOptions {
  lr: number;
  /** The learning rate at step t is lr / (1 + (t − 1)·lrDecay). */
  lrDecay: number;
  weightDecay: number;
  /** Starting value of the sum of squared gradients. */
  initialAccumulatorValue: number;
  eps: number;
}

/** One Adagrad step over one parameter, in place; `step` is the step number after incrementing (1 first). */
export function adagradUpdate(
  param: FloatArray,
  grad: FloatArray,
  sum: FloatArray,
  step: number,
  lr: number,
  lrDecay: number,
  weightDecay: number,
  eps: number,
): void {
  const clr = lr / (1 + (step - 1) * lrDecay);
  const n = param.length;
  for (let i = 0; i < n; i++) {
    let g = grad[i];
    if (weightDecay !== 0) g += weightDecay * param[i];
    sum[i] += g * g;
    param[i] -= (clr * g) / (Math.sqrt(sum[i]) + eps);
  }
}

export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInit<AdagradOptions>>, options: Partial<AdagradOptions> = {}) {
    super(params, { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, ...options });
  }

  /** Adds the group and creates its parameters' state (step 0, sum = initialAccumulatorValue). */
  override addParamGroup(init: ParamGroupInit<AdagradOptions>): void {
    super.addParamGroup(init);
    const g = this.paramGroups[this.paramGroups.length - 1];
    for (const p of g.params) this.initState(p, g);
  }

  private initState(p: Tensor, g: ParamGroup<AdagradOptions>): Record<string, Tensor | number> {
    const s = this.stateOf(p);
    if (s.step === undefined) s.step = 0;
    this.stateTensor(s, 'sum', p, g.initialAccumulatorValue);
    return s;
  }

  protected checkOptions(o: Partial<AdagradOptions>): string[] {
    return problemsOf(
      checkNonNegative(o.lr, 'learning rate'),
      checkNonNegative(o.lrDecay, 'lr decay'),
      checkNonNegative(o.weightDecay, 'weight decay'),
      checkNonNegative(o.initialAccumulatorValue, 'initial accumulator value'),
      checkNonNegative(o.eps, 'epsilon'),
    );
  }

  protected stateSpec(): { required: string[]; allowed: Record<string, StateKind> } {
    return { required: ['step', 'sum'], allowed: { step: 'count', sum: 'tensor' } };
  }

  protected updateGroup(g: ParamGroup<AdagradOptions>): void {
    for (const p of g.params) {
      if (p.grad === null) continue;
      const s = this.initState(p, g);
      const step = (s.step as number) + 1;
      s.step = step;
      adagradUpdate(p.data, p.grad.data, (s.sum as Tensor).data, step, g.lr, g.lrDecay, g.weightDecay, g.eps);
    }
  }
}
