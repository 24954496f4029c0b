// gradcheck (float64, reference backend) of the recurrent layer ops (src/ops/recurrent.ts), with
// respect to every input: the input projection xw, W_hh, the initial state and b_hh, over one and
// several time steps, with and without b_hh. The outputs are weighted by fixed random tensors so
// that every step's h and the final c count differently. (test/nn/layers.test.ts checks the
// layers built on them against PyTorch.)
import { describe, expect, test } from 'vitest';
import * as gn from '../../src/index';
import { lstmLayer, rnnLayer } from '../../src/ops/recurrent';
import type { Tensor } from '../../src/tensor';
import { tensorOf, uniform } from '../util/data';

let seed = 700;
const rand = (...shape: number[]) => tensorOf(uniform(shape.reduce((a, b) => a * b, 1), seed++), shape);
const weight = (...shape: number[]) => rand(...shape).detach();

describe('gradcheck: recurrent layer ops', () => {
  for (const T of [1, 4]) {
    const [N, H] = [2, 3];
    test(`lstmLayer, ${T} step(s), with and without b_hh`, () => {
      const w = weight(T + 1, N, H);
      const fn = (xw: Tensor, whh: Tensor, h0: Tensor, c0: Tensor, bhh?: Tensor) => lstmLayer(xw, whh, h0, c0, bhh).mul(w).sum();
      expect(gn.gradcheck(fn, [rand(T, N, 4 * H), rand(4 * H, H), rand(N, H), rand(N, H), rand(4 * H)])).toBe(true);
      expect(gn.gradcheck(fn, [rand(T, N, 4 * H), rand(4 * H, H), rand(N, H), rand(N, H)])).toBe(true);
    });
    for (const act of ['tanh', 'relu'] as const) {
      test(`rnnLayer ${act}, ${T} step(s), with and without b_hh`, () => {
        const w = weight(T, N, H);
        const fn = (xw: Tensor, whh: Tensor, h0: Tensor, bhh?: Tensor) => rnnLayer(xw, whh, h0, act, bhh).mul(w).sum();
        expect(gn.gradcheck(fn, [rand(T, N, H), rand(H, H), rand(N, H), rand(H)])).toBe(true);
        expect(gn.gradcheck(fn, [rand(T, N, H), rand(H, H), rand(N, H)])).toBe(true);
      });
    }
  }

  test('shapes are checked', () => {
    const z = (...s: number[]) => gn.zeros(s);
    expect(() => lstmLayer(z(2, 3, 7), z(8, 2), z(3, 2), z(3, 2))).toThrow(/lstmLayer: xw must be \[time >= 1, batch, 4 \* hidden\]/);
    expect(() => lstmLayer(z(2, 3, 8), z(8, 3), z(3, 2), z(3, 2))).toThrow(/lstmLayer: whh must have shape \[8, 2\]/);
    expect(() => lstmLayer(z(2, 3, 8), z(8, 2), z(3, 2), z(2, 2))).toThrow(/lstmLayer: c0 must have shape \[3, 2\]/);
    expect(() => rnnLayer(z(0, 3, 2), z(2, 2), z(3, 2), 'tanh')).toThrow(/rnnLayer: xw must be \[time >= 1/);
    expect(() => new gn.nn.LSTM(2, 3).forward(z(0, 1, 2))).toThrow(/LSTM: the input has no time steps/);
  });
});
