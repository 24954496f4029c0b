import { dropout } from '../../ops/dropout';
import { full } from '../../ops/creation';
import { logSoftmax, softmax } from '../../ops/softmax';
import { elu, leakyRelu, relu, sigmoid, tanh } from '../../ops/unary';
import { checkInt } from '../../ops/util';
import type { Tensor } from '../../tensor';
import { maxout, prelu } from '../functional';
import { Module, Parameter } from '../module';

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }
  override extraRepr(): string {
    return `negativeSlope=${this.negativeSlope}`;
  }
}

/** Parametric ReLU with a learned slope: one shared (numParameters 1) or one per channel. */
export class PReLU extends Module {
  weight: Parameter;
  constructor(numParameters = 1, init = 0.25) {
    super();
    checkInt('PReLU', 'numParameters', numParameters, 1);
    this.weight = new Parameter(full([numParameters], init));
  }
  forward(x: Tensor): Tensor {
    return prelu(x, this.weight);
  }
  override extraRepr(): string {
    return `numParameters=${this.weight.numel}`;
  }
}

export class ELU extends Module {
  constructor(readonly alpha = 1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return elu(x, this.alpha);
  }
  override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

export class Softmax extends Module {
  constructor(readonly dim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return softmax(x, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

export class LogSoftmax extends Module {
  constructor(readonly dim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return logSoftmax(x, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/** Maxout: the maximum over groups of poolSize consecutive features (channels) along dim 1. */
export class Maxout extends Module {
  constructor(
    readonly poolSize: number,
    readonly dim = 1,
  ) {
    super();
    checkInt('Maxout', 'poolSize', poolSize, 1);
  }
  forward(x: Tensor): Tensor {
    return maxout(x, this.poolSize, this.dim);
  }
  override extraRepr(): string {
    return `poolSize=${this.poolSize}`;
  }
}

/** Zeroes elements with probability p in training mode (scaling the rest by 1 / (1 - p)); identity in eval mode. */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (!(p >= 0 && p <= 1)) throw new RangeError(`Dropout: p must be a probability in [0, 1], got ${p}`);
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training);
  }
  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
