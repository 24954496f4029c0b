// The fused optimizer and dropout kernels against the reference backend: dropout masks are the same
// bit for bit (one counter-based stream in both); optimizer steps agree to a few float32 ulp.
import { describe, expect, test } from 'vitest';
import { getBackend, referenceBackend } from '../../src/backend';
import * as gn from '../../src/index';

const native = getBackend();
const isa = gn.backendInfo().isa;

function data(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const g = new gn.Generator(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * g.random());
}

describe(`fused kernels, native (${isa}) vs reference`, () => {
  test('the native backend is in use', () => {
    expect(native.name).toBe('native');
  });

  test('dropoutForward: identical masks and outputs for every p and several seeds and sizes', () => {
    for (const n of [1, 7, 1000, 70001]) {
      const x = data(n, n);
      for (const p of [0, 0.1, 0.5, 1]) {
        for (const [s0, s1] of [
          [0, 0],
          [123, 4567],
          [0xffffffff, 0x80000000],
        ]) {
          const t = Math.round(p * 2 ** 24);
          const scale = p < 1 ? 1 / (1 - p) : 0;
          const [yn, mn, yr, mr] = [new Float32Array(n), new Float32Array(n), new Float32Array(n), new Float32Array(n)];
          native.dropoutForward(x, yn, mn, t, scale, s0, s1);
          referenceBackend.dropoutForward(x, yr, mr, t, scale, s0, s1);
          expect(Buffer.from(mn.buffer).equals(Buffer.from(mr.buffer)), `mask n=${n} p=${p} seeds=${s0},${s1} isa=${isa}`).toBe(true);
          expect(Buffer.from(yn.buffer).equals(Buffer.from(yr.buffer)), `output n=${n} p=${p} isa=${isa}`).toBe(true);
        }
      }
    }
  });

  // A step is a few float operations per element: 8 ulp of the values' scale.
  const ulps = (a: Float32Array, b: Float32Array, scale: number) => {
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (scale * 2 ** -24));
    return worst;
  };

  test('sgdStep with and without momentum, Nesterov and weight decay', () => {
    const n = 99991;
    for (const [momentum, nesterov, wd, damp] of [
      [0, false, 0, 0],
      [0.9, false, 0.01, 0.1],
      [0.9, true, 0.001, 0],
    ] as const) {
      const p = [data(n, 1), data(n, 1)];
      const g = data(n, 2);
      const buf = [data(n, 3), data(n, 3)];
      native.sgdStep(p[0], g, momentum ? buf[0] : null, false, 0.1, momentum, damp, wd, nesterov);
      referenceBackend.sgdStep(p[1], g, momentum ? buf[1] : null, false, 0.1, momentum, damp, wd, nesterov);
      expect(ulps(p[0], p[1], 1), `sgd momentum ${momentum} isa=${isa}`).toBeLessThanOrEqual(8);
      expect(ulps(buf[0], buf[1], 1)).toBeLessThanOrEqual(8);
    }
  });

  test('adamStep: Adam, AdamW and amsgrad', () => {
    const n = 77777;
    for (const [wd, shrink, ams] of [
      [0, 1, false],
      [0.01, 1, true],
      [0, 0.999, false],
    ] as const) {
      const p = [data(n, 5), data(n, 5)];
      const g = data(n, 6);
      const m = [data(n, 7, -0.1, 0.1), data(n, 7, -0.1, 0.1)];
      const v = [data(n, 8, 0.001, 0.01), data(n, 8, 0.001, 0.01)];
      const vmax = [data(n, 9, 0.001, 0.012), data(n, 9, 0.001, 0.012)];
      for (const [k, be] of [native, referenceBackend].entries()) {
        be.adamStep(p[k], g, m[k], v[k], ams ? vmax[k] : null, 0.1, Math.sqrt(0.001), 0.9, 0.999, 1e-8, wd, shrink);
      }
      expect(ulps(m[0], m[1], 0.2), `expAvg isa=${isa}`).toBeLessThanOrEqual(8);
      expect(ulps(v[0], v[1], 0.02)).toBeLessThanOrEqual(8);
      expect(ulps(p[0], p[1], 2)).toBeLessThanOrEqual(8);
    }
  });
});
