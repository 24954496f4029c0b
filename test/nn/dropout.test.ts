// Dropout in training mode, checked by the mask's properties (PyTorch's generator differs from
// ours, so there is no fixture for it; eval mode is in the fixtures as the identity).
import { beforeEach, describe, expect, test } from 'vitest';
import * as gn from '../../src/index';
import { BACKENDS, onBackend } from '../util/backends';

const Z = 5; // standard errors allowed for the share of zeros (seeded, so never flaky)

beforeEach(() => {
  gn.manualSeed(77);
});

for (const backend of BACKENDS) {
  describe(`Dropout in training mode [${backend}]`, () => {
    for (const p of [0.1, 0.5, 0.8]) {
      test(`p = ${p}: zeros with probability p, survivors scaled by exactly 1/(1 − p), gradient through the same mask`, () => {
        onBackend(backend, () => {
          const n = 100_000;
          // Inputs away from 0, so a zero in the output is a dropped element.
          const x = gn.rand([n]).add(0.5).requiresGrad_();
          const layer = new gn.nn.Dropout(p);
          const y = layer.forward(x);
          const g = gn.randn([n]);
          y.backward(g);
          const scale = Math.fround(1 / (1 - p));
          let zeros = 0;
          for (let i = 0; i < n; i++) {
            if (y.data[i] === 0) {
              zeros++;
              expect(Math.abs(x.grad?.data[i] ?? NaN)).toBe(0); // ±0: g · 0
            } else {
              expect(y.data[i]).toBe(Math.fround(x.data[i] * scale));
              expect(x.grad?.data[i]).toBe(Math.fround(g.data[i] * scale));
            }
          }
          expect(Math.abs(zeros / n - p)).toBeLessThanOrEqual(Z * Math.sqrt((p * (1 - p)) / n));
        });
      });
    }

    test('the mask changes from call to call and is reproducible from the seed', () => {
      onBackend(backend, () => {
        const layer = new gn.nn.Dropout(0.5);
        const x = gn.ones([1000]);
        gn.manualSeed(5);
        const a = Array.from(layer.forward(x).data);
        const b = Array.from(layer.forward(x).data);
        gn.manualSeed(5);
        const c = Array.from(layer.forward(x).data);
        expect(a).not.toEqual(b);
        expect(c).toEqual(a);
      });
    });
  });
}

describe('Dropout edge cases and modes', () => {
  test('p = 0 and eval mode return the input itself; p = 1 drops everything', () => {
    const x = gn.randn([4, 5]);
    expect(new gn.nn.Dropout(0).forward(x)).toBe(x);
    expect(new gn.nn.Dropout(0.5).eval().forward(x)).toBe(x);
    expect(Array.from(new gn.nn.Dropout(1).forward(x).data).every((v) => v === 0)).toBe(true);
  });

  test('an invalid p is refused', () => {
    expect(() => new gn.nn.Dropout(1.5)).toThrow(/p must be a probability in \[0, 1\], got 1.5/);
    expect(() => new gn.nn.Dropout(-0.1)).toThrow(/p must be a probability/);
  });

  test('the expected output equals the input (inverted dropout keeps the mean)', () => {
    const n = 100_000;
    const p = 0.3;
    const y = new gn.nn.Dropout(p).forward(gn.ones([n]));
    const mean = gn.mean(y).item();
    // Each output is 0 or 1/(1−p): variance p/(1−p) per element.
    expect(Math.abs(mean - 1)).toBeLessThanOrEqual(Z * Math.sqrt(p / (1 - p) / n));
  });
});
