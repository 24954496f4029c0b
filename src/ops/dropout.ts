/** Dropout: zeroes elements with probability p during training and scales the rest by 1 / (1 - p). */
import { defineFunction } from '../autograd/function';
import { give, takeFloat } from '../autograd/scratch';
import { type Generator, defaultGenerator } from '../random';
import { Tensor } from '../tensor';
import { binaryRaw } from './kernels';
import { checkTensor } from './util';

const Dropout = defineFunction({
  name: 'dropout',
  forward(ctx, x: Tensor, p: number, generator: Generator) {
    const mask = takeFloat(x.numel, x.dtype);
    const scale = p < 1 ? 1 / (1 - p) : 0;
    for (let i = 0; i < mask.length; i++) mask[i] = generator.random() < p ? 0 : scale;
    const m = new Tensor(mask, x.shape);
    ctx.mask = m;
    ctx.onRelease(() => give(mask));
    return binaryRaw('mul', x, m);
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
