/** Dropout: zeroes elements with probability p during training and scales the rest by 1 / (1 - p). */
import { defineOp } from '../autograd/function';
import { give, takeFloat } from '../autograd/scratch';
import { type Generator, defaultGenerator } from '../random';
import { Tensor } from '../tensor';
import { backendFor } from '../backend';
import { binaryRaw } from './kernels';
import { checkTensor, empty } from './util';

const Dropout = defineOp({
  name: 'dropout',
  forward(ctx, x: Tensor, p: number, generator: Generator) {
    const mask = takeFloat(x.numel, x.dtype);
    const y = empty(x.shape, x.dtype);
    // The mask comes from a counter-based stream keyed by two draws of the library's generator, so
    // it is reproducible with manualSeed and the same on every backend and thread count.
    const threshold = Math.round(p * 2 ** 24);
    const scale = p < 1 ? 1 / (1 - p) : 0;
    backendFor(x.data).dropoutForward(x.data, y.data, mask, threshold, scale, generator.nextUint32(), generator.nextUint32());
    ctx.mask = new Tensor(mask, x.shape);
    ctx.onRelease(() => give(mask));
    return y;
  },
  backward(ctx, g) {
    return [binaryRaw('mul', g, ctx.mask as Tensor)];
  },
});

/** In eval mode (training false) or with p = 0, returns x unchanged. */
export function dropout(x: Tensor, p = 0.5, training = true, generator: Generator = defaultGenerator): Tensor {
  checkTensor('dropout', 'input', x);
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`dropout: p must be a probability in [0, 1], got ${p}`);
  if (!training || p === 0) return x;
  return Dropout(x, p, generator);
}
