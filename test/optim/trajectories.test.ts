// Every optimizer configuration of fixtures/optim.py, replayed end to end in gradnode (loss, backward
// and step on the same float32 problem) and compared with PyTorch's parameters after every step.
//
// Tolerance (fixed from the arithmetic, before any comparison was run):
//
// Parameters. At step t a parameter tensor may differ from PyTorch's by
//     PARAM_ULPS_PER_STEP · t · ulp32(S_t),
// where S_t is the tensor's largest magnitude in PyTorch's trajectory up to step t. Per step, each
// side rounds the stored parameter once (< 1 ulp between them), rounds its update's few
// intermediates (the update is smaller than S_t: a couple of ulp), and computes the gradient with
// float32 sums of at most 24 terms in a different order; the learning rates keep every
// configuration's iteration contractive, so these differences add up over the steps instead of
// growing. fixtures/optim.py checks the premise: PyTorch's own float32 trajectory stays within half
// of this bound of its float64 trajectory for every configuration and step.
//
// The parameter nobody uses (`frozen`) has no gradient and must be bitwise unchanged.
//
// Loss. The loss before step t is computed from parameters that may differ by the step t − 1 bound
// δ, and is itself a float32 computation (residuals r = x·w + b − y from ≤ 6 roundings of terms
// bounded by a = Σ|x·w| + |b| + |y|; squares, a 24-term sum and a division: ≤ 25 roundings of L).
// With s = Σ|x| + 1 per row and the differences of both sides added:
//     |ΔL| ≤ (2/N)·Σ|r|·(s·δ + 12u·a) + (1/N)·Σ(s·δ + 12u·a)² + 50u·L,   u = 2⁻²⁴, N = 24,
// evaluated in float64 from PyTorch's parameters.
import { describe, expect, test } from 'vitest';
import { assertWithin } from '../util/assert_close';
import { describeEachBackend, onBackend } from '../util/backends';
import { type StepParams, U32, lossOf, makeOptimizer, makeProblem, optimizersFixture, snapshot, trainStep, ulp32 } from './fixtures';

/** Must equal PARAM_ULPS_PER_STEP in fixtures/optim.py. */
const PARAM_ULPS_PER_STEP = 4;

const fx = optimizersFixture;

/** The per-step bounds of one tensor ('W' or 'b') along a reference trajectory: bounds[t] for step t + 1. */
function paramBounds(ref: StepParams[], key: 'W' | 'b'): number[] {
  let scale = 0;
  return ref.map((p, t) => {
    for (const v of p[key]) scale = Math.max(scale, Math.abs(v));
    return PARAM_ULPS_PER_STEP * (t + 1) * ulp32(scale);
  });
}

/** The loss bound derived above, at parameters (W, b) known to within delta. */
function lossBound(W: number[], b: number[], delta: number, loss: number): number {
  const x = fx.problem.x.data;
  const y = fx.problem.y.data;
  const [n, k] = fx.problem.x.shape;
  const c = b.length;
  const N = n * c;
  let first = 0;
  let second = 0;
  for (let j = 0; j < n; j++) {
    let s = 1;
    for (let q = 0; q < k; q++) s += Math.abs(x[j * k + q]);
    for (let o = 0; o < c; o++) {
      let r = b[o] - y[j * c + o];
      let a = Math.abs(b[o]) + Math.abs(y[j * c + o]);
      for (let q = 0; q < k; q++) {
        r += x[j * k + q] * W[o * k + q];
        a += Math.abs(x[j * k + q] * W[o * k + q]);
      }
      const dr = s * delta + 12 * U32 * a;
      first += Math.abs(r) * dr;
      second += dr * dr;
    }
  }
  return (2 / N) * first + second / N + 50 * U32 * loss;
}

test('the fixture covers every optimizer and the problem has a frozen parameter and two groups', () => {
  const kinds = new Set(fx.configs.map((c) => c.optimizer));
  expect([...kinds].sort()).toEqual(['Adadelta', 'Adagrad', 'Adam', 'AdamW', 'RMSprop', 'SGD']);
  for (const c of fx.configs) {
    expect(c.params).toHaveLength(fx.steps);
    expect(c.loss).toHaveLength(fx.steps);
    expect(Object.keys(c.groupOverrides).length).toBeGreaterThan(0);
  }
  // The reference runs moved every used parameter and left `frozen` alone.
  const last = fx.configs[0].params[fx.steps - 1];
  expect(last.frozen).toEqual(fx.problem.frozen0.data);
  expect(last.W).not.toEqual(fx.problem.w0.data);
});

describeEachBackend('optimizer trajectories against PyTorch', (backend) => {
  for (const cfg of fx.configs) {
    test(`${cfg.name}: ${cfg.optimizer}(${JSON.stringify(cfg.defaults)}), group 1 ${JSON.stringify(cfg.groupOverrides)}`, () => {
      onBackend(backend, () => {
        const pr = makeProblem();
        const opt = makeOptimizer(cfg, pr);
        const boundW = paramBounds(cfg.params, 'W');
        const boundB = paramBounds(cfg.params, 'b');
        const initial = snapshot(pr);
        for (let t = 0; t < fx.steps; t++) {
          const before = t === 0 ? { W: fx.problem.w0.data, b: fx.problem.b0.data } : cfg.params[t - 1];
          const delta = t === 0 ? 0 : Math.max(boundW[t - 1], boundB[t - 1]);
          const loss = trainStep(opt, pr);
          const want = cfg.params[t];
          const where = `${cfg.name} [${backend}] step ${t + 1}`;
          assertWithin([loss], [cfg.loss[t]], lossBound(before.W, before.b, delta, cfg.loss[t]), { name: `${where} loss` });
          assertWithin(pr.W.data, want.W, boundW[t], { name: `${where} W`, shape: pr.W.shape });
          assertWithin(pr.b.data, want.b, boundB[t], { name: `${where} b`, shape: pr.b.shape });
          expect(Array.from(pr.frozen.data), `${where}: frozen changed`).toEqual(initial.frozen);
        }
      });
    });
  }
});

describe('the replay is the problem PyTorch solved', () => {
  test('the starting loss matches before any optimizer is involved', () => {
    const pr = makeProblem();
    const cfg = fx.configs[0];
    const loss = lossOf(pr).item();
    assertWithin([loss], [cfg.loss[0]], lossBound(fx.problem.w0.data, fx.problem.b0.data, 0, cfg.loss[0]), { name: 'initial loss' });
  });
});
