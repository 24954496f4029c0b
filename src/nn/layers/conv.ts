import { conv2d } from '../../ops/conv';
import { zeros } from '../../ops/creation';
import { checkInt } from '../../ops/util';
import { pair } from '../../shape';
import type { Tensor } from '../../tensor';
import { convTranspose2d } from '../functional';
import { fans, kaimingUniform_, uniform_ } from '../init';
import { Module, Parameter } from '../module';

export interface Conv2dLayerOptions {
  stride?: number | [number, number];
  /** A number, [h, w], 'same' or 'valid'. */
  padding?: number | [number, number] | 'same' | 'valid';
  dilation?: number | [number, number];
  groups?: number;
  bias?: boolean;
}

function resetConv(weight: Parameter, bias: Parameter | null, fanIn: number): void {
  kaimingUniform_(weight, { a: Math.sqrt(5) });
  if (bias && fanIn > 0) {
    const bound = 1 / Math.sqrt(fanIn);
    uniform_(bias, -bound, bound);
  }
}

/** 2-D convolution layer: [N, inChannels, H, W] -> [N, outChannels, H', W']. groups = inChannels gives a depthwise convolution. */
export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly options: Required<Omit<Conv2dLayerOptions, 'bias'>>;
  weight: Parameter;
  bias: Parameter | null;

  constructor(inChannels: number, outChannels: number, kernelSize: number | [number, number], opts: Conv2dLayerOptions = {}) {
    super();
    checkInt('Conv2d', 'inChannels', inChannels, 1);
    checkInt('Conv2d', 'outChannels', outChannels, 1);
    const groups = opts.groups ?? 1;
    checkInt('Conv2d', 'groups', groups, 1);
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new RangeError(`Conv2d: groups (${groups}) must divide inChannels (${inChannels}) and outChannels (${outChannels})`);
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = pair('Conv2d', 'kernelSize', kernelSize, 1);
    this.options = { stride: opts.stride ?? 1, padding: opts.padding ?? 0, dilation: opts.dilation ?? 1, groups };
    this.weight = new Parameter(zeros([outChannels, inChannels / groups, ...this.kernelSize]));
    this.bias = opts.bias === false ? null : new Parameter(zeros([outChannels]));
    this.resetParameters();
  }

  resetParameters(): void {
    resetConv(this.weight, this.bias, fans(this.weight)[0]);
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, this.options);
  }

  override extraRepr(): string {
    const o = this.options;
    return `${this.inChannels}, ${this.outChannels}, kernelSize=[${this.kernelSize}], stride=${JSON.stringify(o.stride)}, ` +
      `padding=${JSON.stringify(o.padding)}${o.dilation !== 1 ? `, dilation=${JSON.stringify(o.dilation)}` : ''}` +
      `${o.groups !== 1 ? `, groups=${o.groups}` : ''}, bias=${this.bias !== null}`;
  }
}

export interface ConvTranspose2dLayerOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
  outputPadding?: number | [number, number];
  dilation?: number | [number, number];
  groups?: number;
  bias?: boolean;
}

/** Transposed 2-D convolution layer (weight [inChannels, outChannels / groups, kh, kw], as PyTorch). */
export class ConvTranspose2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly options: Required<Omit<ConvTranspose2dLayerOptions, 'bias'>>;
  weight: Parameter;
  bias: Parameter | null;

  constructor(inChannels: number, outChannels: number, kernelSize: number | [number, number], opts: ConvTranspose2dLayerOptions = {}) {
    super();
    checkInt('ConvTranspose2d', 'inChannels', inChannels, 1);
    checkInt('ConvTranspose2d', 'outChannels', outChannels, 1);
    const groups = opts.groups ?? 1;
    checkInt('ConvTranspose2d', 'groups', groups, 1);
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new RangeError(`ConvTranspose2d: groups (${groups}) must divide inChannels (${inChannels}) and outChannels (${outChannels})`);
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = pair('ConvTranspose2d', 'kernelSize', kernelSize, 1);
    this.options = {
      stride: opts.stride ?? 1,
      padding: opts.padding ?? 0,
      outputPadding: opts.outputPadding ?? 0,
      dilation: opts.dilation ?? 1,
      groups,
    };
    this.weight = new Parameter(zeros([inChannels, outChannels / groups, ...this.kernelSize]));
    this.bias = opts.bias === false ? null : new Parameter(zeros([outChannels]));
    this.resetParameters();
  }

  resetParameters(): void {
    // PyTorch computes the fans of the transposed weight as if it were a convolution weight.
    resetConv(this.weight, this.bias, fans(this.weight)[0]);
  }

  forward(x: Tensor): Tensor {
    return convTranspose2d(x, this.weight, this.bias, this.options);
  }

  override extraRepr(): string {
    const o = this.options;
    return `${this.inChannels}, ${this.outChannels}, kernelSize=[${this.kernelSize}], stride=${JSON.stringify(o.stride)}, ` +
      `padding=${JSON.stringify(o.padding)}, outputPadding=${JSON.stringify(o.outputPadding)}` +
      `${o.dilation !== 1 ? `, dilation=${JSON.stringify(o.dilation)}` : ''}${o.groups !== 1 ? `, groups=${o.groups}` : ''}, bias=${this.bias !== null}`;
  }
}
