/**
 * Gradient clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_). Both act in place on the
 * gradients of the given parameters; parameters without a gradient are skipped.
 */
import { Tensor } from '../tensor';

function gradsOf(fn: string, params: Iterable<Tensor> | Tensor): Tensor[] {
  const list = params instanceof Tensor ? [params] : params != null && typeof params[Symbol.iterator] === 'function' ? [...params] : null;
  if (list === null) throw new TypeError(`${fn}: expected a Tensor or an iterable of Tensors`);
  const grads: Tensor[] = [];
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new TypeError(`${fn}: parameter ${i} is not a Tensor`);
    if (p.grad !== null) grads.push(p.grad);
  });
  return grads;
}

/**
 * Scales the gradients so that their joint norm (as if all were concatenated into one vector) is
 * at most maxNorm: every gradient is multiplied by min(1, maxNorm / (total + 1e-6)). Returns the
 * total norm before clipping. normType is p of the p-norm (any p > 0, or Infinity for the largest
 * magnitude). A NaN or infinite gradient makes the total NaN or infinite, and the gradients then
 * become NaN as in PyTorch; check the returned norm to skip such steps.
 */
export function clipGradNorm(params: Iterable<Tensor> | Tensor, maxNorm: number, normType = 2): number {
  if (typeof maxNorm !== 'number' || Number.isNaN(maxNorm) || maxNorm < 0) {
    throw new RangeError(`clipGradNorm: invalid maxNorm ${maxNorm} (must be a number >= 0)`);
  }
  if (typeof normType !== 'number' || !(normType > 0)) {
    throw new RangeError(`clipGradNorm: invalid normType ${normType} (must be a number > 0, or Infinity)`);
  }
  const grads = gradsOf('clipGradNorm', params);
  if (grads.length === 0) return 0;
  let total = 0;
  if (normType === Infinity) {
    for (const g of grads) {
      const d = g.data;
      for (let i = 0; i < d.length; i++) {
        const a = Math.abs(d[i]);
        if (a > total || Number.isNaN(a)) total = a;
        if (Number.isNaN(total)) break;
      }
    }
  } else {
    let sum = 0;
    for (const g of grads) {
      const d = g.data;
      if (normType === 2) for (let i = 0; i < d.length; i++) sum += d[i] * d[i];
      else if (normType === 1) for (let i = 0; i < d.length; i++) sum += Math.abs(d[i]);
      else for (let i = 0; i < d.length; i++) sum += Math.abs(d[i]) ** normType;
    }
    total = normType === 2 ? Math.sqrt(sum) : normType === 1 ? sum : sum ** (1 / normType);
  }
  const coef = Math.min(maxNorm / (total + 1e-6), 1); // a NaN total gives a NaN coef, as torch.clamp(max=1) does
  if (coef !== 1) {
    for (const g of grads) {
      const d = g.data;
      for (let i = 0; i < d.length; i++) d[i] *= coef;
    }
  }
  return total;
}

/** Clamps every gradient element into [-clipValue, clipValue]. */
export function clipGradValue(params: Iterable<Tensor> | Tensor, clipValue: number): void {
  if (typeof clipValue !== 'number' || Number.isNaN(clipValue) || clipValue < 0) {
    throw new RangeError(`clipGradValue: invalid clipValue ${clipValue} (must be a number >= 0)`);
  }
  for (const g of gradsOf('clipGradValue', params)) {
    const d = g.data;
    for (let i = 0; i < d.length; i++) {
      const v = d[i];
      if (v > clipValue) d[i] = clipValue;
      else if (v < -clipValue) d[i] = -clipValue;
    }
  }
}
