// clipGradNorm and clipGradValue against PyTorch's clip_grad_norm_ / clip_grad_value_ on the
// fixture's gradients (W [3,4] and b [3] at the starting point; a third parameter has no gradient).
//
// Tolerance (from the arithmetic, fixed before comparing). gradnode sums in float64, so its norm
// is nearly exact; PyTorch's float32 norm of n = 15 elements has relative error at most
// (n + 4)·u for the sum of |g|^p (pow and sum roundings, per tensor then over tensors), which
// the 1/p root scales by max(1, 1/p), plus 2u for the roots and the final rounding to float32:
//     rtol_norm = (max(1, 1/p)·(n + 4) + 2)·u,   u = 2⁻²⁴.
// The infinity norm is a max: exact. Clipped gradients are g·coef with coef = maxNorm/(total + 1e-6):
// coef inherits the norm's error plus PyTorch's three float32 roundings (sum, division, clamp), and
// the products are rounded on both sides: rtol_norm + 5u. When nothing is clipped (coef = 1) the
// gradients are unchanged: exact.
import { describe, expect, test } from 'vitest';
import * as gn from '../../src/index';
import { Tensor } from '../../src/index';
import { assertWithin } from '../util/assert_close';
import { U32, clipFixture } from './fixtures';

const fx = clipFixture;
const N = fx.grads.W.length + fx.grads.b.length;

function params(): { W: Tensor; b: Tensor; none: Tensor } {
  const W = new gn.nn.Parameter(gn.zeros([3, 4]));
  const b = new gn.nn.Parameter(gn.zeros([3]));
  const none = new gn.nn.Parameter(gn.zeros([2]));
  W.grad = gn.tensor(Float32Array.from(fx.grads.W), { shape: [3, 4] });
  b.grad = gn.tensor(Float32Array.from(fx.grads.b));
  return { W, b, none };
}

describe('clipGradNorm against clip_grad_norm_', () => {
  for (const c of fx.norm) {
    const p = c.normType === 'inf' ? Infinity : c.normType;
    test(`normType ${c.normType}, maxNorm ${c.maxNorm}`, () => {
      const { W, b, none } = params();
      const total = gn.optim.clipGradNorm([W, none, b], c.maxNorm, p);
      const rtolNorm = p === Infinity ? 0 : (Math.max(1, 1 / p) * (N + 4) + 2) * U32;
      assertWithin([total], [c.totalNorm], rtolNorm * c.totalNorm, { name: `total ${c.normType}-norm` });
      const clipped = c.maxNorm / (c.totalNorm + 1e-6) < 1;
      const bound = (want: number[]) => want.map((w) => (clipped ? (rtolNorm + 5 * U32) * Math.abs(w) : 0));
      assertWithin(W.grad!.data, c.W, bound(c.W), { name: 'W.grad', shape: [3, 4] });
      assertWithin(b.grad!.data, c.b, bound(c.b), { name: 'b.grad', shape: [3] });
      expect(none.grad).toBeNull();
    });
  }

  test('the fixture covers clipping and not clipping, p = 0.5, 1, 2, 3 and infinity', () => {
    const kinds = new Set(fx.norm.map((c) => `${c.normType}:${c.maxNorm / (c.totalNorm + 1e-6) < 1}`));
    for (const k of ['2:true', '2:false', '1:true', '3:true', '0.5:true', 'inf:true', 'inf:false']) expect(kinds).toContain(k);
  });

  test('the norm is joint over all gradients: clipping each tensor alone would differ', () => {
    const { W, b } = params();
    const total = gn.optim.clipGradNorm([W, b], 1);
    const normW = Math.hypot(...fx.grads.W);
    expect(total).toBeGreaterThan(normW * (1 + 1e-3));
    const after = Math.hypot(...W.grad!.data, ...b.grad!.data);
    expect(Math.abs(after - 1)).toBeLessThan(1e-5);
  });

  test('a single tensor, no gradients at all, and non-finite gradients', () => {
    const w = new gn.nn.Parameter(gn.zeros([2]));
    w.grad = gn.tensor([3, 4]);
    expect(gn.optim.clipGradNorm(w, 1)).toBe(5);
    expect(Math.hypot(...w.grad.data)).toBeCloseTo(1, 5);
    expect(gn.optim.clipGradNorm([new gn.nn.Parameter(gn.zeros([2]))], 1)).toBe(0);
    const bad = new gn.nn.Parameter(gn.zeros([2]));
    bad.grad = gn.tensor([NaN, 1]);
    expect(gn.optim.clipGradNorm([bad], 1)).toBeNaN();
    expect(Array.from(bad.grad.data).every(Number.isNaN)).toBe(true); // as in PyTorch
  });

  test('invalid arguments', () => {
    const { W } = params();
    expect(() => gn.optim.clipGradNorm([W], -1)).toThrow('clipGradNorm: invalid maxNorm -1 (must be a number >= 0)');
    expect(() => gn.optim.clipGradNorm([W], 1, 0)).toThrow('clipGradNorm: invalid normType 0 (must be a number > 0, or Infinity)');
    expect(() => gn.optim.clipGradNorm([W, 3 as unknown as Tensor], 1)).toThrow('clipGradNorm: parameter 1 is not a Tensor');
    expect(Array.from(W.grad!.data)).toEqual(fx.grads.W.map(Math.fround));
  });
});

describe('clipGradValue against clip_grad_value_', () => {
  for (const c of fx.value) {
    test(`clipValue ${c.clipValue}`, () => {
      const { W, b, none } = params();
      gn.optim.clipGradValue([W, b, none], c.clipValue);
      expect(Array.from(W.grad!.data)).toEqual(c.W);
      expect(Array.from(b.grad!.data)).toEqual(c.b);
      expect(none.grad).toBeNull();
    });
  }

  test('invalid clipValue', () => {
    expect(() => gn.optim.clipGradValue([], NaN)).toThrow('clipGradValue: invalid clipValue NaN (must be a number >= 0)');
  });
});
