import { flatten } from '../../ops/views';
import type { Tensor } from '../../tensor';
import { upsampleNearest } from '../functional';
import { Module } from '../module';

/** Flattens dims startDim..endDim (default: everything but the batch dim). */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
  override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}

/** Returns its input: a placeholder (e.g. for a residual shortcut without projection). */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

export interface UpsampleOptions {
  scaleFactor: number | [number, number];
  mode?: 'nearest';
}

/** Nearest-neighbour upsampling by an integer scale factor. */
export class Upsample extends Module {
  readonly scaleFactor: number | [number, number];
  constructor(opts: UpsampleOptions) {
    super();
    if ((opts.mode ?? 'nearest') !== 'nearest') throw new RangeError(`Upsample: only mode 'nearest' is supported, got ${String(opts.mode)}`);
    this.scaleFactor = opts.scaleFactor;
  }
  forward(x: Tensor): Tensor {
    return upsampleNearest(x, this.scaleFactor);
  }
  override extraRepr(): string {
    return `scaleFactor=${JSON.stringify(this.scaleFactor)}, mode='nearest'`;
  }
}
