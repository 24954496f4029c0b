/**
 * SGD with optional momentum, dampening, Nesterov momentum and weight decay (torch.optim.SGD).
 *
 *   g ← grad + weightDecay·p
 *   if momentum ≠ 0:
 *     b ← g                                   on the first step
 *     b ← momentum·b + (1 − dampening)·g      afterwards
 *     g ← nesterov ? g + momentum·b : b
 *   p ← p − lr·g
 *
 * As in PyTorch (and unlike Sutskever et al.), the learning rate multiplies the whole update, not
 * the gradient inside the buffer.
 */
import { backendFor } from '../backend';
import type { FloatArray } from '../backend/backend';
import { sgdUpdate } from '../backend/reference/optim';
import type { Tensor } from '../tensor';
import { Optimizer, checkBoolean, checkNonNegative, problemsOf } from './optimizer';
import type { ParamGroup, ParamGroupInit, StateKind } from './optimizer';

export interface SGDOptions {
  /** Required: in the defaults, or in every parameter group. */
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
}

export class SGD extends Optimizer<SGDOptions> {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInit<SGDOptions>>, options: Partial<SGDOptions> = {}) {
    super(params, { lr: undefined, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, ...options });
  }

  protected checkOptions(o: Partial<SGDOptions>): string[] {
    const problems = problemsOf(
      checkNonNegative(o.lr, 'learning rate'),
      checkNonNegative(o.momentum, 'momentum'),
      // PyTorch does not check dampening; a finite number keeps the buffer meaningful.
      o.dampening === undefined || Number.isFinite(o.dampening) ? undefined : `invalid dampening ${o.dampening} (must be a finite number)`,
      checkNonNegative(o.weightDecay, 'weight decay'),
      checkBoolean(o.nesterov, 'nesterov'),
    );
    if (o.nesterov === true && !((o.momentum ?? 0) > 0 && (o.dampening ?? 0) === 0)) {
      problems.push(`nesterov momentum requires a momentum > 0 and zero dampening (got momentum ${o.momentum ?? 0}, dampening ${o.dampening ?? 0})`);
    }
    return problems;
  }

  protected stateSpec(group: ParamGroup<SGDOptions>): { required: string[]; allowed: Record<string, StateKind> } {
    return { required: group.momentum !== 0 ? ['momentumBuffer'] : [], allowed: { momentumBuffer: 'tensor' } };
  }

  protected updateGroup(g: ParamGroup<SGDOptions>): void {
    for (const p of g.params) {
      if (p.grad === null) continue;
      let buf: FloatArray | null = null;
      let bufIsNew = false;
      if (g.momentum !== 0) {
        const state = this.stateOf(p);
        bufIsNew = state.momentumBuffer === undefined;
        buf = this.stateTensor(state, 'momentumBuffer', p);
      }
      backendFor(p.data, p.grad.data).sgdStep(p.data, p.grad.data, buf, bufIsNew, g.lr, g.momentum, g.dampening, g.weightDecay, g.nesterov);
    }
  }
}

/** One SGD step over typed arrays (the reference loop; the native backend has a fused kernel). */
export { sgdUpdate };
