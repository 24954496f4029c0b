import { ones, zeros } from '../../ops/creation';
import { checkInt } from '../../ops/util';
import { fmtShape } from '../../shape';
import type { Tensor } from '../../tensor';
import { batchNorm } from '../functional';
import { Module, Parameter } from '../module';

export interface BatchNormOptions {
  eps?: number;
  /** Weight of each new batch in the running averages (PyTorch's momentum). */
  momentum?: number;
  /** Learn a per-channel scale and shift. */
  affine?: boolean;
  /** Keep running statistics for eval mode. */
  trackRunningStats?: boolean;
}

/**
 * Batch normalisation over the channel dim (dim 1). Training mode normalises with the batch's
 * statistics and updates the running ones; eval mode uses the running statistics. Buffer names
 * follow PyTorch (running_mean, running_var, num_batches_tracked), so state dicts line up.
 */
abstract class BatchNormBase extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number;
  weight: Parameter | null;
  bias: Parameter | null;
  declare running_mean: Tensor | null;
  declare running_var: Tensor | null;
  declare num_batches_tracked: Tensor | null;

  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super();
    checkInt(this.constructor.name, 'numFeatures', numFeatures, 1);
    this.numFeatures = numFeatures;
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    const affine = opts.affine ?? true;
    this.weight = affine ? new Parameter(ones([numFeatures])) : null;
    this.bias = affine ? new Parameter(zeros([numFeatures])) : null;
    const track = opts.trackRunningStats ?? true;
    this.registerBuffer('running_mean', track ? zeros([numFeatures]) : null);
    this.registerBuffer('running_var', track ? ones([numFeatures]) : null);
    this.registerBuffer('num_batches_tracked', track ? zeros([]) : null);
  }

  protected abstract checkInput(x: Tensor): void;

  forward(x: Tensor): Tensor {
    this.checkInput(x);
    if (x.shape[1] !== this.numFeatures) {
      throw new RangeError(`${this.constructor.name}: expected ${this.numFeatures} channels (dim 1), got input of shape ${fmtShape(x.shape)}`);
    }
    const useBatchStats = this.training || this.running_mean === null;
    if (this.training && this.num_batches_tracked) this.num_batches_tracked.data[0] += 1;
    return batchNorm(
      x,
      this.running_mean,
      this.running_var,
      this.weight,
      this.bias,
      { training: useBatchStats, momentum: this.momentum, eps: this.eps },
    );
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.weight !== null}`;
  }
}

/** BatchNorm over [N, C] or [N, C, L]. */
export class BatchNorm1d extends BatchNormBase {
  protected checkInput(x: Tensor): void {
    if (x.ndim !== 2 && x.ndim !== 3) throw new RangeError(`BatchNorm1d: expected a 2-D or 3-D input, got shape ${fmtShape(x.shape)}`);
  }
}

/** BatchNorm over [N, C, H, W]. */
export class BatchNorm2d extends BatchNormBase {
  protected checkInput(x: Tensor): void {
    if (x.ndim !== 4) throw new RangeError(`BatchNorm2d: expected a 4-D input [N, C, H, W], got shape ${fmtShape(x.shape)}`);
  }
}
