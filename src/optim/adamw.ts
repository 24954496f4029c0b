/**
 * AdamW (torch.optim.AdamW): Adam with decoupled weight decay (Loshchilov & Hutter). Each step
 * first shrinks the parameter, p ← p·(1 − lr·weightDecay), then applies Adam's update without any
 * weight-decay term in the gradient. The update is adamUpdate (adam.ts); weightDecay defaults to 1e-2.
 */
import type { Tensor } from '../tensor';
import { type AdamOptions, AdamFamily } from './adam';
import type { ParamGroupInit } from './optimizer';

export class AdamW extends AdamFamily {
  protected readonly decoupledWeightDecay = true;

  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInit<AdamOptions>>, options: Partial<AdamOptions> = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, ...options });
  }
}
