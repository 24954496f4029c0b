import { linear } from '../../ops/matmul';
import { checkInt } from '../../ops/util';
import { zeros } from '../../ops/creation';
import type { Tensor } from '../../tensor';
import { kaimingUniform_, uniform_ } from '../init';
import { Module, Parameter } from '../module';

export interface LinearOptions {
  bias?: boolean;
}

/**
 * y = x Wᵀ + b. Input [..., inFeatures], output [..., outFeatures]. Initialised as PyTorch:
 * W ~ U(-1/sqrt(in), 1/sqrt(in)) (Kaiming uniform with a = sqrt(5)), b likewise.
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    checkInt('Linear', 'inFeatures', inFeatures, 1);
    checkInt('Linear', 'outFeatures', outFeatures, 1);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = new Parameter(zeros([outFeatures, inFeatures]));
    this.bias = opts.bias === false ? null : new Parameter(zeros([outFeatures]));
    this.resetParameters();
  }

  resetParameters(): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    const bound = 1 / Math.sqrt(this.inFeatures);
    if (this.bias) uniform_(this.bias, -bound, bound);
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}
