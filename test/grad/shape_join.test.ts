// gradcheck (float64, reference backend) of the shape and data-movement ops: reshape / view /
// flatten / unflatten / squeeze / unsqueeze (views), permute / transpose / t, expand, clone, to,
// narrow, slice (with step), select, index, cat, stack, split, chunk, pad; and dropout, whose
// gradient must be exactly its mask (0 or 1 / (1 - p)). These ops are piecewise linear with no
// kinks, so any inputs do. Each function multiplies by a fixed weight so that every output element
// matters differently (a permutation bug cannot cancel out).
import { describe, expect, test } from 'vitest';
import * as gn from '../../src/index';
import type { Tensor } from '../../src/tensor';
import { tensorOf, uniform } from '../util/data';

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
let seed = 100;
const rand = (...shape: number[]) => tensorOf(uniform(numel(shape), seed++), shape);

function check(fn: (...ts: Tensor[]) => Tensor | Tensor[], inputs: Tensor[], opts: gn.GradcheckOptions = {}): void {
  expect(gn.gradcheck(fn, inputs, opts)).toBe(true);
}

/** A constant weight, created once (outside the checked function, which gradcheck calls many times). */
const weight = (...shape: number[]) => rand(...shape).detach();

describe('gradcheck: views and reshapes', () => {
  test('reshape / view (with -1), flatten, unflatten', () => {
    check((x) => x.reshape(4, -1).mul(x.reshape(4, 6)), [rand(2, 3, 4)]);
    check((x) => x.view([6, 4]).exp(), [rand(2, 3, 4)]);
    check((x) => x.flatten().tanh(), [rand(2, 3, 4)]);
    check((x) => x.flatten(1).sigmoid(), [rand(2, 3, 4)]);
    check((x) => x.unflatten(1, [2, -1]).exp(), [rand(3, 6)]);
  });
  test('squeeze (all, one dim) and unsqueeze', () => {
    check((x) => x.squeeze().exp(), [rand(2, 1, 3, 1)]);
    check((x) => x.squeeze(1).exp(), [rand(2, 1, 3, 1)]);
    check((x) => x.unsqueeze(0).unsqueeze(-1).exp(), [rand(2, 3)]);
  });
  test('permute, transpose, t', () => {
    const w1 = weight(4, 2, 3);
    const w2 = weight(3, 2);
    check((x) => x.permute(2, 0, 1).mul(w1), [rand(2, 3, 4)]);
    check((x) => x.transpose(0, 2).exp(), [rand(2, 3, 4)]);
    check((x) => x.t().matmul(w2), [rand(3, 4)]);
  });
  test('expand (new leading dims, size-1 dims, -1) sums the gradient back', () => {
    const w1 = weight(2, 3, 4);
    check((x) => x.expand(2, 3, 4).mul(w1), [rand(3, 1)]);
    check((x) => x.expand(-1, 5).exp(), [rand(3, 1)]);
  });
  test('clone and to (float64 -> float32 -> float64 keeps the graph)', () => {
    check((x) => x.clone().mul(x), [rand(3, 4)]);
    // A float32 round trip rounds x ± eps to float32 (spacing ~6e-8 near 1), so the step is 1e-2
    // here; the function is linear, so a large step has no truncation error.
    check((x) => x.to('float32').to('float64').mul(2), [tensorOf(uniform(6, 7), [2, 3])], { eps: 1e-2 });
  });
});

describe('gradcheck: slicing and indexing', () => {
  test('narrow, slice with step and negative bounds, select', () => {
    const [w1, w2, w3, w4] = [weight(2, 3, 4), weight(2, 2, 4), weight(2, 5, 2), weight(2, 5)];
    check((x) => x.narrow(1, 1, 3).mul(w1), [rand(2, 5, 4)]);
    check((x) => x.slice(1, 1, null, 2).mul(w2), [rand(2, 5, 4)]);
    check((x) => x.slice(-1, -3, -1).mul(w3), [rand(2, 5, 4)]);
    check((x) => x.select(2, -1).mul(w4), [rand(2, 5, 4)]);
  });
  test('index: numbers, ranges with steps, null', () => {
    const [w1, w2] = [weight(3, 4), weight(2, 4)];
    check((x) => x.index(1, [0, 5, 2], null).mul(w1), [rand(2, 5, 4)]);
    check((x) => x.index(null, -1).mul(w2), [rand(2, 5, 4)]);
  });
});

describe('gradcheck: joining and splitting', () => {
  test('cat along each dim (three inputs of different sizes)', () => {
    const w1 = weight(6, 3);
    check((a, b, c) => gn.cat([a, b, c], 0).mul(w1), [rand(1, 3), rand(2, 3), rand(3, 3)]);
    check((a, b) => gn.cat([a, b], -1).exp(), [rand(2, 2), rand(2, 3)]);
  });
  test('stack along a new first, middle and last dim', () => {
    for (const dim of [0, 1, 2]) check((a, b) => gn.stack([a, b], dim).exp(), [rand(2, 3), rand(2, 3)]);
  });
  test('split and chunk (every piece is an output)', () => {
    check((x) => x.split(2, 1).map((p, i) => p.mul(i + 1)), [rand(3, 5)]);
    check((x) => x.split([1, 3, 1], 1).map((p) => p.exp()), [rand(3, 5)]);
    check((x) => x.chunk(3, 0).map((p, i) => p.mul(i - 1)), [rand(7, 2)]);
  });
  test('pad (last dim; last two dims; a non-zero value)', () => {
    const w1 = weight(2, 3, 7);
    check((x) => x.pad([1, 2]).mul(w1), [rand(2, 3, 4)]);
    check((x) => x.pad([0, 1, 2, 0], 3).exp(), [rand(2, 3, 4)]);
  });
});

describe('dropout', () => {
  test('gradcheck with a fixed generator (the same mask on every evaluation)', () => {
    check((x) => gn.dropout(x, 0.4, true, new gn.Generator(7)).mul(x), [rand(4, 5)]);
  });

  test('the gradient is exactly the mask: 0 where dropped, 1 / (1 - p) elsewhere', () => {
    const p = 0.25;
    const x = tensorOf(uniform(400, 8, 0.5, 1.5), [20, 20]);
    const y = gn.dropout(x, p, true, new gn.Generator(11));
    y.sum().backward();
    const g = x.grad?.data ?? new Float64Array(0);
    let dropped = 0;
    for (let i = 0; i < x.numel; i++) {
      const mask = y.data[i] / x.data[i];
      expect([0, 1 / (1 - p)]).toContain(g[i]);
      expect(g[i]).toBeCloseTo(mask, 12);
      if (g[i] === 0) dropped++;
    }
    // 100 of 400 expected; the seeded mask gives a fixed count in a plausible range.
    expect(dropped).toBeGreaterThan(60);
    expect(dropped).toBeLessThan(140);
  });
});
